"""Charts for reports as inline SVG: one small pure function, no plotting library, nothing to download.

Horizontal bars read well with long Chinese or English labels, render in any browser and mail client that
shows the HTML report, and survive forwarding as a single file. Every text is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from decimal import Decimal

PALETTE = ("#0b6e4f", "#2f80ed", "#f2994a", "#9b51e0", "#eb5757", "#27ae60", "#56ccf2", "#828282")
_ROW, _TOP, _LABEL_W, _VALUE_W = 26, 34, 190, 130


def _short(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.2f}"


def bar_chart(title: str, bars: Sequence[tuple[str, float | Decimal]], unit: str = "", width: int = 640) -> str:
    """A titled horizontal bar chart; values below zero are drawn as zero-length bars with their number."""
    esc = html.escape
    values = [float(v) for _, v in bars]
    peak = max([v for v in values if v > 0], default=0.0)
    area = width - _LABEL_W - _VALUE_W
    height = _TOP + _ROW * max(len(bars), 1) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{esc(title)}" font-family="system-ui,\'PingFang SC\',\'Microsoft YaHei\',sans-serif">',
        f'<text x="0" y="18" font-size="15" font-weight="600" fill="#1f2933">{esc(title)}</text>',
    ]
    if not bars:
        parts.append(f'<text x="0" y="{_TOP + 16}" font-size="13" fill="#627d98">—</text>')
    for i, ((label, _), value) in enumerate(zip(bars, values, strict=True)):
        y = _TOP + i * _ROW
        length = 0.0 if peak == 0 or value <= 0 else max(1.0, area * value / peak)
        colour = PALETTE[i % len(PALETTE)]
        shown = f"{_number(value)} {unit}".strip()
        parts += [
            f'<text x="{_LABEL_W - 8}" y="{y + 16}" font-size="13" text-anchor="end" fill="#334e68">'
            f"<title>{esc(label)}</title>{esc(_short(label))}</text>",
            f'<rect x="{_LABEL_W}" y="{y + 4}" width="{length:.1f}" height="{_ROW - 8}" rx="3" fill="{colour}"/>',
            f'<text x="{_LABEL_W + length + 6:.1f}" y="{y + 16}" font-size="12" fill="#486581">{esc(shown)}</text>',
        ]
    parts.append("</svg>")
    return "".join(parts)


def figure(svg: str, caption: str = "") -> str:
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure style="margin:1rem 0">{svg}{cap}</figure>'
