"""Example submissions in each provider's wire format: for tests, the benchmark, and trying the receiver.

    python -m deployments.samples tally SECRET | sh     # prints a signed curl command for the demo join form

The shapes follow the providers' documented payloads (Typeform `form_response`, Tally `FORM_RESPONSE`) and
what `apps_script/onFormSubmit.gs` posts for Google Forms.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Mapping
from typing import Any

from deployments.signatures import signed_headers

# question label -> answer; a list is a multiple choice
DEMO_JOIN: dict[str, Any] = {
    "姓名 Name": "Ana Lima",
    "邮箱 Email": "ana.lima@example.org",
    "兴趣 Interests": ["气候 climate", "教育 education"],
    "地区 Region": "Latin America",
    "语言 Language": "English",
    "同意接收邮件 Email consent": "yes",
}


def tally(submission_id: str, answers: Mapping[str, Any] = DEMO_JOIN, hidden: Mapping[str, str] | None = None,
          created: str = "2026-11-24T08:00:00.000Z") -> bytes:  # fmt: skip
    fields: list[dict[str, Any]] = []
    for n, (label, value) in enumerate(answers.items()):
        key = f"question_{n:03d}"
        if isinstance(value, list):
            options = [{"id": f"{key}_o{i}", "text": text} for i, text in enumerate(value)]
            fields.append({"key": key, "label": label, "type": "CHECKBOXES", "value": [o["id"] for o in options],
                           "options": options})  # fmt: skip
            fields += [{"key": o["id"], "label": f"{label} ({o['text']})", "type": "CHECKBOXES", "value": True}
                       for o in options]  # fmt: skip
        else:
            kind = "INPUT_EMAIL" if "@" in str(value) else "INPUT_TEXT"
            fields.append({"key": key, "label": label, "type": kind, "value": value})
    for name, value in (hidden or {}).items():
        fields.append({"key": f"hidden_{name}", "label": name, "type": "HIDDEN_FIELDS", "value": value})
    data = {"responseId": submission_id, "submissionId": submission_id, "respondentId": "r-" + submission_id,
            "formId": "wMx0Ab", "formName": "Join", "createdAt": created, "fields": fields}  # fmt: skip
    event = {"eventId": "evt-" + submission_id, "eventType": "FORM_RESPONSE", "createdAt": created, "data": data}
    return json.dumps(event, ensure_ascii=False).encode("utf-8")


def typeform(token: str, answers: Mapping[str, Any] = DEMO_JOIN, hidden: Mapping[str, str] | None = None,
             submitted: str = "2026-11-24T08:00:00Z") -> bytes:  # fmt: skip
    definition, items = [], []
    for n, (label, value) in enumerate(answers.items()):
        field = {"id": f"fld{n:03d}", "ref": f"ref_{n:03d}"}
        if isinstance(value, list):
            kind, answer = "multiple_choice", {"type": "choices", "choices": {"labels": list(value)}}
        elif "@" in str(value):
            kind, answer = "email", {"type": "email", "email": value}
        else:
            kind, answer = "short_text", {"type": "text", "text": value}
        definition.append({**field, "title": label, "type": kind})
        items.append({**answer, "field": {**field, "type": kind}})
    response = {"form_id": "lT4Z3j", "token": token, "landed_at": submitted, "submitted_at": submitted,
                "hidden": dict(hidden or {}), "definition": {"id": "lT4Z3j", "title": "RSVP", "fields": definition},
                "answers": items}  # fmt: skip
    event = {"event_id": "01-" + token, "event_type": "form_response", "form_response": response}
    return json.dumps(event, ensure_ascii=False).encode("utf-8")


def google_forms(response_id: str, answers: Mapping[str, Any] = DEMO_JOIN, respondent: str = "",
                 submitted: str = "2026-11-24T08:00:00.000Z") -> bytes:  # fmt: skip
    items = [{"id": 1000 + n, "title": label, "type": "CHECKBOX" if isinstance(value, list) else "TEXT",
              "value": value} for n, (label, value) in enumerate(answers.items())]  # fmt: skip
    body = {"formId": "1FAIpQLSe-demo", "responseId": response_id, "submittedAt": submitted,
            "respondentEmail": respondent, "items": items}  # fmt: skip
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


BUILDERS = {"tally": tally, "typeform": typeform, "google_forms": google_forms}


def signed(provider: str, secret: str, submission_id: str, **kwargs: Any) -> tuple[bytes, dict[str, str]]:
    """A body and the headers the provider would send with it."""
    body = BUILDERS[provider](submission_id, **kwargs)
    return body, signed_headers(provider, secret.encode("utf-8"), body)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in BUILDERS:
        print("usage: python -m deployments.samples tally|typeform|google_forms SECRET [FORM] [URL]", file=sys.stderr)
        return 2
    provider, secret = argv[0], argv[1]
    form = argv[2] if len(argv) > 2 else "join"
    url = argv[3] if len(argv) > 3 else f"http://127.0.0.1:8787/hooks/{form}"
    body, headers = signed(provider, secret, "try-1")
    flags = " ".join(f"-H {shlex.quote(f'{k}: {v}')}" for k, v in headers.items())
    print(f"curl -sS -X POST {flags} --data-binary {shlex.quote(body.decode('utf-8'))} {shlex.quote(url)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
