"""A WebDAV stand-in on 127.0.0.1: GET, PUT, DELETE and MKCOL on a tree of files, with basic auth.

It answers as RFC 4918 servers do: PUT into a missing folder is 409 Conflict (the client must MKCOL it first),
MKCOL of an existing folder is 405, GET or DELETE of a missing file is 404, and 401 without the right account.
"""

from __future__ import annotations

import base64

from tests.standins.base import ApiError, Reply, Request, StandIn, route

USER, PASSWORD = "weaver", "dav-secret"


class WebDavStandIn(StandIn):
    def __init__(self, latency: float = 0.0) -> None:
        super().__init__(latency)
        self.files: dict[str, bytes] = {}
        self.folders: set[str] = {""}

    def _auth(self, req: Request) -> str:
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if req.headers.get("authorization") != expected:
            raise ApiError(401, "Unauthorized")
        return req.params["path"].strip("/")

    @route("GET", r"/dav/(?P<path>.*)", "get")
    def get(self, req: Request) -> Reply:
        path = self._auth(req)
        with self.lock:
            if path not in self.files:
                raise ApiError(404, "Not Found")
            return Reply(200, self.files[path], content_type="application/octet-stream")

    @route("PUT", r"/dav/(?P<path>.*)", "put")
    def put(self, req: Request) -> Reply:
        path = self._auth(req)
        with self.lock:
            if path.rpartition("/")[0] not in self.folders:
                raise ApiError(409, "Conflict: the parent collection does not exist")
            created = path not in self.files
            self.files[path] = req.body
        return Reply(201 if created else 204, b"")

    @route("MKCOL", r"/dav/(?P<path>.*)", "mkcol")
    def mkcol(self, req: Request) -> Reply:
        path = self._auth(req)
        with self.lock:
            if path in self.folders:
                raise ApiError(405, "Method Not Allowed: the collection exists")
            if path.rpartition("/")[0] not in self.folders:
                raise ApiError(409, "Conflict")
            self.folders.add(path)
        return Reply(201, b"")

    @route("DELETE", r"/dav/(?P<path>.*)", "delete")
    def delete(self, req: Request) -> Reply:
        path = self._auth(req)
        with self.lock:
            if self.files.pop(path, None) is None:
                raise ApiError(404, "Not Found")
        return Reply(204, b"")
