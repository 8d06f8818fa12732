"""Reports a coordinator can read and forward: an HTML file in `reports/` and a Prefect artifact.

A `Report` is plain data (title, summary figures, tables, notes); `write_html` and `to_markdown` render it.
Reports carry counts, row numbers, reasons, and the names and titles a coordinator knows people and events
by (never internal ids where a name exists), but never email addresses, phone numbers or secrets, so they
are safe to forward within the team and to show in the Prefect UI. Each run writes a file of its own and
is listed in `reports/index.html`, newest first, with times in the network's time zone.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from weaver.clock import utcnow


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]]
    limit: int = 200  # rows shown in the artifact; the HTML file has them all


@dataclass
class Report:
    slug: str  # file and artifact key, e.g. "member-sync"
    title: str
    lang: str = "en"
    summary: list[tuple[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra_html: str = ""  # e.g. inline SVG charts
    created: datetime = field(default_factory=utcnow)
    timezone: str = "UTC"  # the network's: times a coordinator reads are in its own zone

    def to_markdown(self) -> str:
        lines = [f"# {self.title}", ""]
        lines += [f"> {note}" for note in self.notes] + ([""] if self.notes else [])
        if self.summary:
            lines += ["| | |", "|---|---|"] + [f"| {_md(k)} | {_md(v)} |" for k, v in self.summary] + [""]
        for table in self.tables:
            lines += [f"## {table.title}", ""]
            lines += ["| " + " | ".join(map(_md, table.headers)) + " |"]
            lines += ["|" + "---|" * len(table.headers)]
            lines += ["| " + " | ".join(map(_md, row)) + " |" for row in table.rows[: table.limit]]
            if len(table.rows) > table.limit:
                lines.append(f"\n… {len(table.rows) - table.limit} more in the report file")
            lines.append("")
        return "\n".join(lines)

    def to_html(self) -> str:
        esc = html.escape
        parts = [
            f'<!doctype html><html lang="{esc(self.lang)}"><head><meta charset="utf-8">',
            f"<title>{esc(self.title)}</title><style>{_CSS}</style></head><body>",
            f"<h1>{esc(self.title)}</h1><p class=when>{esc(self.when())}</p>",
        ]
        parts += [f"<p class=note>{esc(note)}</p>" for note in self.notes]
        if self.summary:
            rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in self.summary)
            parts.append(f"<table class=summary>{rows}</table>")
        parts.append(self.extra_html)
        for table in self.tables:
            head = "".join(f"<th>{esc(h)}</th>" for h in table.headers)
            body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in table.rows)
            parts.append(f"<h2>{esc(table.title)}</h2><table><tr>{head}</tr>{body}</table>")
        parts.append("</body></html>")
        return "".join(parts)

    def when(self) -> str:
        """The run's time in the network's time zone, e.g. 2026-11-24 09:00 Asia/Shanghai."""
        return f"{self.local():%Y-%m-%d %H:%M} {self.timezone}"

    def local(self) -> datetime:
        return self.created.astimezone(ZoneInfo(self.timezone))

    def write_html(self, reports_dir: Path) -> Path:
        """Write the report to a file of its own (never over an earlier run's) and list it in the index."""
        reports_dir.mkdir(parents=True, exist_ok=True)
        path = _claim(reports_dir, f"{self.slug}-{self.local():%Y-%m-%d-%H%M%S}")
        path.write_text(self.to_html(), encoding="utf-8")
        add_to_index(reports_dir, self, path)
        return path


def _claim(directory: Path, stem: str) -> Path:
    """A new file named after the run; a second run in the same second gets -2, -3 ... (O_EXCL: no race)."""
    for n in range(1, 1000):
        path = directory / (f"{stem}.html" if n == 1 else f"{stem}-{n}.html")
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"{directory}: too many reports named {stem}")


# The index: reports/runs.jsonl holds one line per report written (appended, so concurrent runs do not
# overwrite each other's entries); reports/index.html is rebuilt from it, newest first.
INDEX_LOG = "runs.jsonl"


def add_to_index(reports_dir: Path, report: Report, path: Path) -> Path:
    entry = {"when": report.when(), "at": report.created.isoformat(), "title": report.title,
             "file": path.name, "headline": "; ".join(f"{k}: {v}" for k, v in report.summary[:4])}  # fmt: skip
    with (reports_dir / INDEX_LOG).open("a", encoding="utf-8") as log:
        log.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return write_index(reports_dir, report.lang)


def write_index(reports_dir: Path, lang: str) -> Path:
    entries = _read_index(reports_dir / INDEX_LOG)
    entries.sort(key=lambda e: e.get("at", ""), reverse=True)
    esc = html.escape
    head = ("When", "Operation", "Summary") if lang != "zh" else ("时间", "操作", "摘要")
    rows = "".join(
        f'<tr><td>{esc(e["when"])}</td><td><a href="{esc(e["file"])}">{esc(e["title"])}</a></td>'
        f"<td>{esc(e.get('headline', ''))}</td></tr>"
        for e in entries
    )
    title = "Reports" if lang != "zh" else "运行报告"
    page = (
        f'<!doctype html><html lang="{esc(lang)}"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{_CSS}</style></head><body><h1>{title}</h1><table>"
        f"<tr><th>{head[0]}</th><th>{head[1]}</th><th>{head[2]}</th></tr>{rows}</table></body></html>"
    )
    index = reports_dir / "index.html"
    tmp = index.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, index)
    return index


def _read_index(log: Path) -> list[dict[str, str]]:
    if not log.is_file():
        return []
    entries = []
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue  # a line cut short by a crash: the report file itself is still there
    return entries


def publish_artifact(report: Report, link: Path | None = None) -> None:
    """Attach the report to the current Prefect run, if there is one (plain calls and tests have none)."""
    from prefect.artifacts import create_markdown_artifact
    from prefect.context import FlowRunContext, TaskRunContext

    if FlowRunContext.get() is None and TaskRunContext.get() is None:
        return
    markdown = report.to_markdown()
    if link is not None:
        markdown += f"\n\nReport file: `{link}`"
    create_markdown_artifact(markdown=markdown, key=report.slug, description=report.title)


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


_CSS = (
    "body{font-family:system-ui,-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;max-width:60rem;"
    "margin:2rem auto;padding:0 1rem;color:#1f2933}table{border-collapse:collapse;margin:1rem 0}"
    "th,td{border:1px solid #d9e2ec;padding:.35rem .7rem;text-align:left;vertical-align:top}"
    "th{background:#f0f4f8}.when{color:#627d98}.note{background:#fffbea;padding:.5rem 1rem}"
    "table.summary th{width:16rem}"
)
