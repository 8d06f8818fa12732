"""What every Google API stand-in shares: Google's error JSON and a loopback OAuth token endpoint.

The token endpoint (`POST /token`) runs the real auth paths offline. A service account's key is generated
here (`service_account_info`); google-auth signs a JWT-bearer grant with it, and the endpoint verifies the
signature, audience and scope before issuing an access token. An authorized user's refresh token
(`authorized_user_info`) is exchanged the same way. API routes call `principal(req)`, which answers 401
UNAUTHENTICATED, as Google does, unless the request carries a token this endpoint issued.
"""

from __future__ import annotations

import functools
import itertools
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import exceptions as auth_exceptions
from google.auth import jwt

from tests.standins.base import ApiError, Reply, Request, StandIn, route

# Google's canonical status names per HTTP status (google.rpc.Code), as they appear in error JSON.
GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
DEFAULT_MESSAGES = {
    401: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
    "valid authentication credential.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of "
    "service 'sheets.googleapis.com' for consumer 'project_number:000000000000'.",
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
}
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# google-auth always signs the grant for Google's real token endpoint, wherever `token_uri` points
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"


class GoogleStandIn(StandIn):
    """A Google API on 127.0.0.1 with its own OAuth token endpoint at `{url}/token`."""

    service = "googleapis.com"  # the service named in error details
    scope = "https://www.googleapis.com/auth/cloud-platform"  # a token must carry this scope

    def __init__(self, latency: float = 0.0) -> None:
        super().__init__(latency)
        self.public_keys: dict[str, bytes] = {}  # service-account email -> PEM public key
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> user email
        self.tokens: dict[str, str] = {}  # access token -> principal email
        self._serial = itertools.count(1)

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    # setup -----------------------------------------------------------------------------------------------
    def service_account_info(self, email: str = "weaver@weaver-test.iam.gserviceaccount.com") -> dict[str, str]:
        """A service-account key file's content, accepted by this stand-in's token endpoint."""
        private_pem, public_pem = _key_pair()
        self.public_keys[email] = public_pem
        return {
            "type": "service_account",
            "project_id": "weaver-test",
            "private_key_id": "standin-key-1",
            "private_key": private_pem.decode(),
            "client_email": email,
            "client_id": "100000000000000000001",
            "token_uri": self.token_url,
        }

    def authorized_user_info(self, email: str = "coordinator@example.org") -> dict[str, str]:
        """An authorized-user token file's content (as `gcloud auth application-default login` writes)."""
        refresh = f"1//standin-refresh-{next(self._serial)}"
        self.refresh_tokens[refresh] = email
        return {
            "type": "authorized_user",
            "client_id": "standin-client.apps.googleusercontent.com",
            "client_secret": "standin-client-secret",
            "refresh_token": refresh,
            "token_uri": self.token_url,
        }

    # requests --------------------------------------------------------------------------------------------
    def principal(self, req: Request) -> str:
        """The email behind the request's bearer token; 401 as Google answers without a valid one."""
        kind, _, token = req.headers.get("authorization", "").partition(" ")
        with self.lock:
            who = self.tokens.get(token) if kind.lower() == "bearer" else None
        if who is None:
            raise ApiError(401, DEFAULT_MESSAGES[401])
        return who

    def error_body(self, status: int, message: str, reason: str, route: str) -> Any:
        if route == "oauth.token":
            return {"error": reason or "invalid_request", "error_description": message}
        error: dict[str, Any] = {
            "code": status,
            "message": message or DEFAULT_MESSAGES.get(status, "Error"),
            "status": GOOGLE_STATUS.get(status, "UNKNOWN"),
        }
        if status == 429:
            error["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "RATE_LIMIT_EXCEEDED",
                    "domain": "googleapis.com",
                    "metadata": {"service": self.service, "quota_location": "global"},
                }
            ]
        return {"error": error}

    @route("POST", r"/token", "oauth.token")
    def _token(self, req: Request) -> Reply:
        form = req.form()
        grant = form.get("grant_type")
        if grant == JWT_BEARER:
            who = self._verify_assertion(form.get("assertion", ""))
        elif grant == "refresh_token":
            who = self.refresh_tokens.get(form.get("refresh_token", ""))
            if who is None:
                raise ApiError(400, "Token has been expired or revoked.", "invalid_grant")
        else:
            raise ApiError(400, f"Invalid grant_type: {grant}", "unsupported_grant_type")
        token = f"ya29.standin-{next(self._serial)}"
        with self.lock:
            self.tokens[token] = who
        return Reply(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def _verify_assertion(self, assertion: str) -> str:
        try:
            claims = jwt.decode(assertion, verify=False)
            key = self.public_keys.get(str(claims.get("iss")))
            if key is None:
                raise ApiError(400, "Invalid JWT Signature.", "invalid_grant")
            claims = jwt.decode(assertion, certs=key.decode(), audience=GOOGLE_TOKEN_AUDIENCE)
        except (ValueError, auth_exceptions.GoogleAuthError):
            raise ApiError(400, "Invalid JWT Signature.", "invalid_grant") from None
        if self.scope not in str(claims.get("scope", "")).split():
            raise ApiError(400, "Invalid OAuth scope or ID token audience provided.", "invalid_scope")
        return str(claims["iss"])


@functools.cache
def _key_pair() -> tuple[bytes, bytes]:
    """One RSA key per test process (generating one takes tens of milliseconds)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public
