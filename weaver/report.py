"""Reports a coordinator can read and forward: an HTML file in `reports/` and a Prefect artifact.

A `Report` is plain data (title, summary figures, tables, notes); `write_html` and `to_markdown` render it.
Reports carry counts, row numbers, member ids and reasons, never emails or other personal data, so they
are safe to forward and to show in the Prefect UI.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from weaver.state import utcnow


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
            f"<h1>{esc(self.title)}</h1><p class=when>{esc(self.created.strftime('%Y-%m-%d %H:%M UTC'))}</p>",
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

    def write_html(self, reports_dir: Path) -> Path:
        reports_dir.mkdir(parents=True, exist_ok=True)
        path = reports_dir / f"{self.slug}-{self.created.strftime('%Y-%m-%d')}.html"
        path.write_text(self.to_html(), encoding="utf-8")
        return path


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
