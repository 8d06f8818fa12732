"""Form submissions from Typeform, Tally and Google Forms, parsed into one normalised shape (sans-I/O).

The inbox stores this dict as the entry's payload; the flows that consume an inbox kind (member-intake for
`join`, the events flow for `rsvp`, the surveys flow for `survey`) read only this shape:

    {
      "form": "join",                      # the form's name in weaver.toml ([webhooks.forms.<name>])
      "provider": "tally",                 # typeform | tally | google_forms
      "submission_id": "w2Ljk9",           # the provider's id (Typeform token, Tally responseId, ...)
      "submitted_at": "2026-11-24T08:00:00Z",   # as the provider sent it (ISO 8601)
      "email": "ana@example.org",          # normalised later by the consuming flow; "" when none
      "name": "Ana",                       # "" when the form asks none
      "answers": {"Your email": "ana@example.org", "Interests": ["climate", "arts"], ...},
      "hidden": {"token": "t-8f2a..."},    # hidden fields / URL parameters (survey tokens, event ids)
      "fields": {"email": "...", "name": "...", "interests": "climate, arts"},   # member field -> text
    }

`answers` maps each question's label to its value: text, a number, true/false, or a list of the chosen
options' labels. `fields` applies the form's `[webhooks.forms.<name>.fields]` mapping (member field ->
question label, Typeform ref or Tally key) and holds text only. Parse errors name the missing or malformed
part, never a value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Answer = str | int | float | bool | list[str] | None

# Questions a person would label as their email or name, when the form config maps none.
_EMAIL_LABELS = ("email", "e-mail", "邮箱", "电子邮件", "电子邮箱", "邮件地址")
_NAME_LABELS = ("name", "full name", "your name", "姓名", "名字", "你的名字", "您的姓名")


class BadSubmission(ValueError):
    """The body is not a submission this provider sends; the message names what is wrong, no values."""


@dataclass(frozen=True)
class Submission:
    provider: str
    submission_id: str
    payload: dict[str, Any]

    @property
    def inbox_id(self) -> str:
        return f"{self.provider}:{self.submission_id}"


@dataclass
class _Parsed:
    submission_id: str
    submitted_at: str
    answers: dict[str, Answer]
    keys: dict[str, str]  # ref / key / id -> label, so `fields` may name a question either way
    hidden: dict[str, Any]
    email: str  # an answer the provider typed as an email, or the respondent's address


def parse_submission(provider: str, form: str, body: bytes, fields: Mapping[str, str] | None = None) -> Submission:
    """Parse a provider's raw JSON body into a `Submission`; raise BadSubmission for anything else."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadSubmission("the body is not JSON") from None
    if not isinstance(data, dict):
        raise BadSubmission("the body is not a JSON object")
    parsed = _PARSERS[provider](data)
    if not parsed.submission_id:
        raise BadSubmission("the submission has no id")
    payload = _normalise(form, provider, parsed, fields or {})
    return Submission(provider, parsed.submission_id, payload)


def _normalise(form: str, provider: str, parsed: _Parsed, mapping: Mapping[str, str]) -> dict[str, Any]:
    member = {field: _text(_lookup(parsed, question)) for field, question in mapping.items()}
    email = member.get("email") or parsed.email or _text(_by_label(parsed.answers, _EMAIL_LABELS))
    name = member.get("name") or _text(_by_label(parsed.answers, _NAME_LABELS))
    member.update({k: v for k, v in (("email", email), ("name", name)) if v})
    return {
        "form": form,
        "provider": provider,
        "submission_id": parsed.submission_id,
        "submitted_at": parsed.submitted_at,
        "email": email.strip(),
        "name": name.strip(),
        "answers": parsed.answers,
        "hidden": parsed.hidden,
        "fields": {k: v for k, v in member.items() if v},
    }


def _lookup(parsed: _Parsed, question: str) -> Answer:
    if question in parsed.answers:
        return parsed.answers[question]
    if question in parsed.keys:
        return parsed.answers.get(parsed.keys[question])
    return parsed.hidden.get(question)


def _by_label(answers: Mapping[str, Answer], labels: tuple[str, ...]) -> Answer:
    for label, value in answers.items():
        if " ".join(label.casefold().split()).rstrip(":：?？* ") in labels:
            return value
    return None


def _text(value: Answer) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _add(parsed: _Parsed, label: str, value: Answer, *keys: str) -> None:
    """Record one answer under its label (a repeated label gets ' (2)', ' (3)' ...)."""
    label = " ".join(str(label).split()) or (keys[0] if keys else "?")
    unique, n = label, 1
    while unique in parsed.answers:
        n += 1
        unique = f"{label} ({n})"
    parsed.answers[unique] = value
    for key in keys:
        if key:
            parsed.keys.setdefault(key, unique)


def _obj(data: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise BadSubmission(f"missing object {where}")
    return value


def _list(data: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BadSubmission(f"{where} is not a list of objects")
    return value


# Typeform --------------------------------------------------------------------------------------------------
_TYPEFORM_SCALARS = ("text", "email", "url", "date", "number", "boolean", "phone_number", "file_url")


def _typeform(data: dict[str, Any]) -> _Parsed:
    response = _obj(data, "form_response", "form_response")
    definition = response.get("definition") if isinstance(response.get("definition"), dict) else {}
    titles = {f.get("id"): f.get("title", "") for f in _list(definition, "fields", "form_response.definition.fields")}
    hidden = response.get("hidden") if isinstance(response.get("hidden"), dict) else {}
    parsed = _Parsed(str(response.get("token") or ""), str(response.get("submitted_at") or ""), {}, {}, hidden, "")
    for answer in _list(response, "answers", "form_response.answers"):
        field = answer.get("field") if isinstance(answer.get("field"), dict) else {}
        field_id, ref = str(field.get("id", "")), str(field.get("ref", ""))
        value = _typeform_value(answer)
        _add(parsed, titles.get(field_id) or ref or field_id, value, ref, field_id)
        if answer.get("type") == "email" and not parsed.email:
            parsed.email = _text(value)
    return parsed


def _typeform_value(answer: Mapping[str, Any]) -> Answer:
    kind = answer.get("type")
    if kind in _TYPEFORM_SCALARS:
        return answer.get(kind)
    if kind == "choice":
        choice = answer.get("choice") or {}
        return choice.get("label") or choice.get("other")
    if kind == "choices":
        choices = answer.get("choices") or {}
        return [*choices.get("labels", []), *([choices["other"]] if choices.get("other") else [])]
    return None  # payments and other kinds carry nothing a network operation needs


# Tally -----------------------------------------------------------------------------------------------------
def _tally(data: dict[str, Any]) -> _Parsed:
    if data.get("eventType", "FORM_RESPONSE") != "FORM_RESPONSE":
        raise BadSubmission("eventType is not FORM_RESPONSE")
    body = _obj(data, "data", "data")
    submitted = str(body.get("createdAt") or data.get("createdAt") or "")
    parsed = _Parsed(str(body.get("responseId") or ""), submitted, {}, {}, {}, "")
    for field in _list(body, "fields", "data.fields"):
        kind, label, value = field.get("type"), str(field.get("label") or ""), field.get("value")
        if kind == "HIDDEN_FIELDS":
            parsed.hidden[label] = value
        elif kind == "CHECKBOXES" and isinstance(value, bool):
            continue  # Tally repeats each checkbox option as its own true/false field; the list says it all
        elif kind != "CALCULATED_FIELDS":
            _add(parsed, label, _tally_value(field), str(field.get("key") or ""))
            if kind == "INPUT_EMAIL" and not parsed.email:
                parsed.email = _text(value)
    return parsed


def _tally_value(field: Mapping[str, Any]) -> Answer:
    value = field.get("value")
    options = {o.get("id"): o.get("text") for o in field.get("options") or [] if isinstance(o, dict)}
    if isinstance(value, list):
        return [str(options.get(v, v)) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return options.get(value, value) if isinstance(value, str) else value
    return json.dumps(value, ensure_ascii=False)  # e.g. a file upload: keep it readable, it is not used


# Google Forms (our Apps Script) ----------------------------------------------------------------------------
def _google_forms(data: dict[str, Any]) -> _Parsed:
    hidden = data.get("hidden") if isinstance(data.get("hidden"), dict) else {}
    parsed = _Parsed(str(data.get("responseId") or ""), str(data.get("submittedAt") or ""), {}, {}, hidden, "")
    parsed.email = str(data.get("respondentEmail") or "")
    for item in _list(data, "items", "items"):
        value = item.get("value")
        if isinstance(value, list):
            value = [str(v) for v in value]
        elif not (isinstance(value, str | int | float | bool) or value is None):
            value = json.dumps(value, ensure_ascii=False)  # grids: a list of lists
        _add(parsed, str(item.get("title") or ""), value, str(item.get("id") or ""))
    return parsed


_PARSERS: dict[str, Callable[[dict[str, Any]], _Parsed]] = {
    "typeform": _typeform,
    "tally": _tally,
    "google_forms": _google_forms,
}
