"""Progress of a long step: a log line at most every 2 s, an artifact update at most every second and at the end."""

from __future__ import annotations

from weaver.progress import StepProgress


def test_lines_every_two_seconds_artifact_every_second_and_at_the_end() -> None:
    now = [0.0]
    lines: list[str] = []
    bars: list[tuple[float, str]] = []
    progress = StepProgress("newsletter: sending", clock=lambda: now[0], log=lines.append,
                            artifact=lambda pct, text: bars.append((pct, text)))  # fmt: skip
    for done in range(1, 101):  # 100 messages, one every 1/16 s (exact in binary): 6.25 s
        now[0] = done / 16
        progress(done, 100)
    # from the first message on: a line once 2 s have passed since the last one, at messages 33, 65 and 97
    assert [line.split(" (")[0] for line in lines] == [f"newsletter: sending: {n} of 100" for n in (33, 65, 97)]
    assert [pct for pct, _ in bars] == [1.0, 17.0, 33.0, 49.0, 65.0, 81.0, 97.0, 100.0]
    assert bars[-1][1] == "newsletter: sending: 100 of 100"


def test_a_short_step_prints_nothing_but_its_bar() -> None:
    lines: list[str] = []
    bars: list[float] = []
    progress = StepProgress("x", clock=lambda: 0.0, log=lines.append, artifact=lambda pct, _t: bars.append(pct))
    for done in range(1, 4):
        progress(done, 3)
    assert lines == [] and bars == [100 / 3, 100.0]
