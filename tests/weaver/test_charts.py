"""Inline SVG bar charts: valid SVG, bars proportional, labels escaped and kept as text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from weaver.charts import bar_chart, percent, shorten, text_units

SVG = "{http://www.w3.org/2000/svg}"


def bars(svg: str) -> list[float]:
    return [float(r.get("width", "0")) for r in ET.fromstring(svg).iter(f"{SVG}rect")]


def texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_bars_are_proportional_to_values() -> None:
    widths = bars(bar_chart([("a", 10), ("b", 5), ("c", 0)]))
    assert widths[0] > 0 and abs(widths[1] - widths[0] / 2) < 0.2 and widths[2] == 0


def test_rates_use_the_given_full_scale() -> None:
    svg = bar_chart([("华东", 0.5), ("Europe", 0.25)], max_value=1.0, value_text=percent, width=500)
    full = bars(bar_chart([("华东", 1.0), ("Europe", 1.0)], max_value=1.0, value_text=percent, width=500))[0]
    assert abs(bars(svg)[0] - full / 2) < 0.2
    assert "50%" in texts(svg) and "25%" in texts(svg)


def test_labels_are_escaped_text_not_markup() -> None:
    svg = bar_chart([("<script>x</script> & 张伟", 3)], title='Q "1" <b>')
    assert "<script>" not in svg
    assert "<script>x</script> & 张伟" in texts(svg)
    assert ET.fromstring(svg).find(f"{SVG}title").text == 'Q "1" <b>'  # type: ignore[union-attr]


def test_an_empty_chart_is_still_valid_svg() -> None:
    assert bars(bar_chart([], title="nothing yet")) == []


def test_wide_characters_count_double_when_shortening() -> None:
    assert text_units("张伟 Ana") == 8
    cut = shorten("跨地区交流 Cross-region exchange", 12)
    assert cut.endswith("…") and text_units(cut) <= 12
    assert shorten("short", 12) == "short"


def test_money_bars_carry_their_unit_and_separators() -> None:
    from weaver.charts import with_unit

    svg = bar_chart(
        [("撰写中 writing", 300000.0), ("A & B", 150000.0)], title="Pipeline <by stage>", value_text=with_unit("CNY")
    )
    widths = bars(svg)
    assert abs(widths[0] - 2 * widths[1]) < 0.2
    assert "300,000 CNY" in texts(svg) and "A & B" in texts(svg)
