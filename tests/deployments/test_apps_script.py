"""The Google Forms Apps Script, run under Node with stand-ins for the Apps Script services it calls.

The stand-ins behave like Apps Script where it matters: byte arrays are Java's signed bytes, and the
HMAC and base64 helpers take and give such arrays. What the script would send is then checked by the
receiver's own verification and parser.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess

import pytest

from demo.build import HERE
from deployments.signatures import verify
from deployments.submissions import parse_submission

SCRIPT = HERE.parent / "deployments" / "apps_script" / "onFormSubmit.gs"
NODE = shutil.which("node")

HARNESS = r"""
const crypto = require("crypto");
const fs = require("fs");
const signed = (buf) => Array.from(buf).map((b) => (b > 127 ? b - 256 : b));
const unsigned = (arr) => Buffer.from(arr.map((b) => b & 255));
const sent = [];
global.Utilities = {
  newBlob: (text) => ({ getBytes: () => signed(Buffer.from(text, "utf8")) }),
  computeHmacSha256Signature: (value, key) =>
    signed(crypto.createHmac("sha256", unsigned(key)).update(unsigned(value)).digest()),
  base64Encode: (bytes) => unsigned(bytes).toString("base64"),
  sleep: () => {},
};
global.PropertiesService = { getScriptProperties: () => ({
  getProperty: (k) => ({ WEAVER_URL: "http://127.0.0.1:8787/hooks/join", WEAVER_SECRET: "gs-秘密-secret" })[k],
}) };
global.UrlFetchApp = { fetch: (url, options) => {
  sent.push({ url, headers: options.headers, contentType: options.contentType,
              payload: unsigned(options.payload).toString("base64") });
  return { getResponseCode: () => (sent.length === 1 ? 503 : 202) };  // the first try meets a busy receiver
} };
const item = (id, title, type, value) => ({
  getItem: () => ({ getId: () => id, getTitle: () => title, getType: () => ({ toString: () => type }) }),
  getResponse: () => value,
});
const response = {
  getId: () => "2_ABaOnud-resp", getTimestamp: () => new Date(Date.UTC(2026, 10, 24, 8, 0, 0)),
  getRespondentEmail: () => "", getItemResponses: () => [
    item(11, "姓名", "TEXT", "张伟"), item(12, "邮箱", "TEXT", "zhang.wei@example.cn"),
    item(13, "兴趣", "CHECKBOX", ["气候", "教育"]),
  ],
};
eval(fs.readFileSync(process.argv[1], "utf8"));
onFormSubmit({ source: { getId: () => "1FAIpQLSe-x" }, response });
process.stdout.write(JSON.stringify(sent));
"""


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_the_script_signs_what_the_receiver_verifies_and_retries_a_busy_receiver() -> None:
    out = subprocess.run([NODE, "-e", HARNESS, str(SCRIPT)], capture_output=True, text=True, timeout=60, check=True)
    first, second = json.loads(out.stdout)
    assert first == second  # the retry after the 503 sends the same signed bytes
    assert second["url"] == "http://127.0.0.1:8787/hooks/join" and second["contentType"] == "application/json"
    body = base64.b64decode(second["payload"])
    headers = {k.lower(): v for k, v in second["headers"].items()}
    assert verify("google_forms", "gs-秘密-secret".encode(), body, headers)
    payload = parse_submission("google_forms", "join", body).payload
    assert payload["submission_id"] == "2_ABaOnud-resp" and payload["submitted_at"] == "2026-11-24T08:00:00.000Z"
    assert (payload["name"], payload["email"]) == ("张伟", "zhang.wei@example.cn")
    assert payload["answers"]["兴趣"] == ["气候", "教育"]
