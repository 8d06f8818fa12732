"""Inline SVG charts: valid XML, escaped text, bars in proportion."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from weaver.charts import bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_bars_are_proportional_and_labels_escaped() -> None:
    svg = bar_chart("Pipeline <by stage>", [("撰写中 writing", Decimal(300)), ("A & B", 150), ("none", 0)], "CNY")
    root = ET.fromstring(svg)  # well-formed: every label was escaped
    widths = [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == 2 * widths[1] and widths[2] == 0
    texts = "".join(root.itertext())
    assert "Pipeline <by stage>" in texts and "撰写中 writing" in texts and "300 CNY" in texts


def test_an_empty_chart_is_still_valid_svg() -> None:
    root = ET.fromstring(bar_chart("Nothing yet", []))
    assert root.tag == f"{SVG}svg" and list(root.iter(f"{SVG}rect")) == []
