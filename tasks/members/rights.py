"""Data rights: what the workspace holds about one person (export), and forgetting them (forget).

`weaver member export EMAIL` writes everything the state database holds about one person (their member
rows, form submissions, ledger entries and the messages in them, ties, preferences, link uses, responses,
and other rows that mention them) as JSON plus a readable HTML page, and names the sheet rows that hold the
address. `weaver member forget EMAIL` erases them (`weaver.state.rights.erase_person`) and tells the
coordinator which sheet row to delete: until it is deleted, member-sync refuses that row as forgotten
(`refuse_forgotten`), reports it, and never adds the address back; the keyed hash on the suppression list
keeps every flow from mailing it.
"""

from __future__ import annotations

import email
import email.policy
import html
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from connectors.tables import Grid
from tasks.common.text import normalise_email
from tasks.members.plan import locate_columns
from weaver.config import WeaverConfig
from weaver.i18n import t
from weaver.report import Report
from weaver.state import StateDB
from weaver.state.rights import Found, Person, forgotten_among


def sheet_rows_of(grid: Grid, config: WeaverConfig, emails: Sequence[str], source: str) -> dict[str, list[int]]:
    """Sheet row numbers (1-based, as the sheet shows them) holding each of these addresses."""
    cfg = config.members
    if len(grid) < cfg.header_row:
        return {}
    col = locate_columns(grid[cfg.header_row - 1], cfg, cfg.tab, source).field_cols["email"]
    wanted = {normalise_email(e) for e in emails}
    found: dict[str, list[int]] = {}
    for index, row in enumerate(grid[cfg.header_row :], start=cfg.header_row + 1):
        if col < len(row) and str(row[col]).strip():
            address = normalise_email(str(row[col]))
            if address in wanted:
                found.setdefault(address, []).append(index)
    return found


def refuse_forgotten(grid: Grid, config: WeaverConfig, db: StateDB, source: str) -> tuple[Grid, list[int]]:
    """The members tab without the rows of forgotten people (blanked, so nothing is read, added or written
    there), and those rows' numbers for the report: the coordinator deletes them."""
    cfg = config.members
    if len(grid) < cfg.header_row:
        return grid, []
    col = locate_columns(grid[cfg.header_row - 1], cfg, cfg.tab, source).field_cols["email"]
    emails = {str(r[col]) for r in grid[cfg.header_row :] if col < len(r) and str(r[col]).strip()}
    forgotten = forgotten_among(db, {normalise_email(e) for e in emails})
    if not forgotten:
        return grid, []
    kept: Grid = list(grid[: cfg.header_row])
    refused: list[int] = []
    for index, row in enumerate(grid[cfg.header_row :], start=cfg.header_row + 1):
        if col < len(row) and str(row[col]).strip() and normalise_email(str(row[col])) in forgotten:
            refused.append(index)
            kept.append([""] * len(row))
        else:
            kept.append(row)
    return kept, refused


def add_forgotten_note(report: Report, rows: Sequence[int], lang: str) -> None:
    """The coordinator's to-do: delete the rows of people who asked to be forgotten."""
    if rows:
        report.notes.append(t("rights.sync_refused", lang, rows=", ".join(map(str, rows))))


# export -----------------------------------------------------------------------------------------------------
def export_document(person: Person, found: Found, sheet_rows: Sequence[int], tab: str, now: datetime) -> dict:
    """The JSON export: who, when, where in the sheet, and every row by table."""
    return {
        "email": person.email,
        "member_ids": list(person.member_ids),
        "names": list(person.names),
        "exported_at": now.isoformat(),
        "sheet": {"tab": tab, "rows": list(sheet_rows)},
        "rows": found.own,
        "mentions": found.mentions,
    }


def export_html(document: Mapping[str, Any], lang: str, network: str) -> str:
    """A readable page of the export: one section per table, one table row per state row."""
    esc = html.escape
    parts = [
        f'<!doctype html><html lang="{"zh-Hans" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        f"<title>{esc(t('rights.export.title', lang))} · {esc(network)}</title>",
        "<style>body{font:15px/1.5 sans-serif;margin:1.5rem}table{border-collapse:collapse;margin:0 0 1.5rem}"
        "td,th{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top;text-align:left}"
        "pre{margin:0;white-space:pre-wrap;max-width:60rem}</style></head><body>",
        f"<h1>{esc(t('rights.export.title', lang))}</h1>",
        f"<p>{esc(t('rights.export.intro', lang, email=document['email'], at=document['exported_at'][:16]))}</p>",
    ]
    sheet = document["sheet"]
    rows = ", ".join(map(str, sheet["rows"])) or "—"
    parts.append(f"<p>{esc(t('rights.export.sheet', lang, tab=sheet['tab'], rows=rows))}</p>")
    own, mentions = t("rights.export.own", lang), t("rights.export.mentions", lang)
    sections = ((own, document["rows"]), (mentions, document["mentions"]))
    for heading, groups in sections:
        parts.append(f"<h2>{esc(heading)}</h2>")
        if not groups:
            parts.append("<p>—</p>")
        for table, entries in sorted(groups.items()):
            columns = list(entries[0]) if entries else []
            parts.append(f"<h3>{esc(table)} ({len(entries)})</h3><table><tr>")
            parts += [f"<th>{esc(c)}</th>" for c in columns]
            parts.append("</tr>")
            for entry in entries:
                cells = [_cell(entry.get(c)) for c in columns]
                parts.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
            parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return f"<pre>{html.escape(json.dumps(value, ensure_ascii=False, indent=1, default=str))}</pre>"
    return html.escape(str(value))


# files --------------------------------------------------------------------------------------------------------
def scrub_files(reports: Path, outbox: Path, exports: Path, needles: Sequence[str], stem: str) -> dict[str, int]:
    """The workspace's files about a forgotten person: report and preview pages have the address and names
    replaced by "[forgotten]"; outbox messages to or about them are deleted (the outbox stands in for a mail
    server); their own export files (`<stem>.json/.html`) are deleted. Returns files changed by kind."""
    done = {"reports": 0, "outbox": 0, "exports": 0}
    wanted = [n for n in needles if n]
    for path in sorted(reports.rglob("*")) if reports.is_dir() else []:
        if path.suffix.lower() not in (".html", ".htm", ".txt", ".csv", ".json", ".md") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        scrubbed = _replace_all(text, [*wanted, *(html.escape(n) for n in wanted)])
        if scrubbed != text:
            path.write_text(scrubbed, encoding="utf-8")
            done["reports"] += 1
    for folder in ("new", "cur", "tmp"):
        for path in sorted((outbox / folder).glob("*")) if (outbox / folder).is_dir() else []:
            if path.is_file() and _mentions(_mail_text(path), wanted):
                path.unlink()
                done["outbox"] += 1
    for path in (exports / f"{stem}.json", exports / f"{stem}.html"):
        if path.is_file():
            path.unlink()
            done["exports"] += 1
    return done


def _replace_all(text: str, needles: Sequence[str]) -> str:
    for needle in sorted(set(needles), key=len, reverse=True):
        folded, start, out = needle.casefold(), 0, []
        lowered = text.casefold()
        if len(lowered) != len(text):  # casefold changed lengths (rare letters): match the case as written
            text = text.replace(needle, "[forgotten]")
            continue
        while (hit := lowered.find(folded, start)) >= 0:
            out.append(text[start:hit] + "[forgotten]")
            start = hit + len(needle)
        text = "".join(out) + text[start:]
    return text


def _mentions(text: str, needles: Sequence[str]) -> bool:
    folded = text.casefold()
    return any(n.casefold() in folded for n in needles)


def _mail_text(path: Path) -> str:
    """A stored message's headers and every text part, decoded (bodies are often base64 or quoted-printable)."""
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    parts = [str(v) for _, v in message.items()]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            try:
                parts.append(part.get_content())
            except (LookupError, ValueError):
                parts.append(part.get_payload(decode=True).decode("utf-8", errors="replace"))
    return "\n".join(parts)
