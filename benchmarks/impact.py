"""impact-report at scale: a 10,000-member network with 200,000 ties, the whole plan (figures, the networkx map
and its metrics now and a quarter ago, the layout, zh and en pages), then printing the four pages to PDF.

Synthetic and in memory (no table or database read is timed: those are one read each, measured elsewhere);
the printing is headless Chromium, as the operation does it. Peak memory is the process's maximum resident
set (ru_maxrss), which includes Python, networkx and numpy themselves.

    python -m benchmarks.impact [--members 10000] [--ties 200000] [--seed 0] [--no-pdf]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tasks.common.ties import Tie, tie
from tasks.impact.plan import plan_impact
from tasks.impact.read import ImpactRead
from weaver.config import WeaverConfig

DAY = date(2026, 11, 24)
SOURCES = ["group"] * 5 + ["event"] * 3 + ["buddy", "checkin", "introduction"]


def network(members: int, ties: int, seed: int) -> ImpactRead:
    rng = random.Random(seed)
    ids = [f"m-{i:012x}" for i in range(members)]
    start = date(2024, 1, 1)
    rows = []
    for i, m in enumerate(ids):
        joined = start + timedelta(days=rng.randrange((DAY - start).days))
        gone = datetime(2026, rng.randint(1, 11), 1, tzinfo=UTC) if rng.random() < 0.05 else None
        rows.append({"member_id": m, "fields": {"name": f"成员{i}", "email": f"p{i}@example.org",
                     "joined": joined.isoformat()}, "status": "gone" if gone else "active",
                     "first_seen": datetime(2024, 1, 1, tzinfo=UTC), "updated_at": gone or datetime(2024, 1, 1,
                     tzinfo=UTC)})  # fmt: skip
    # clustered ties: most within a community of ~100 people, some across (so there are brokers)
    out: list[Tie] = []
    span = (DAY - date(2025, 1, 1)).days
    while len(out) < ties:
        a = rng.randrange(members)
        b = (a // 100) * 100 + rng.randrange(100) if rng.random() < 0.9 else rng.randrange(members)
        if a != b and b < members:
            source = rng.choice(SOURCES)
            met = date(2025, 1, 1) + timedelta(days=rng.randrange(span))
            out.append(tie(ids[a], ids[b], source, f"{source}-{len(out) % 977}", met))
    attendance = [["event_id", "date", "member_id", "status"]]
    for e in range(60):
        day = date(2026, 1, 1) + timedelta(days=5 * e)
        for m in rng.sample(ids, 150):
            attendance.append([f"evt-{e}", day.isoformat(), m, rng.choice(["attended"] * 4 + ["no-show"])])
    engagement = [{"member_id": rng.choice(ids), "kind": "survey_response",
                   "at": datetime(2026, rng.randint(1, 11), rng.randint(1, 28), tzinfo=UTC)}
                  for _ in range(5000)]  # fmt: skip
    stories = [
        {
            "story_id": f"s-{i:012x}",
            "author": rng.choice(ids),
            "text": f"第{i}个故事：我们在网络里认识了新的伙伴。",
            "title": "Check-in",
            "answer": rng.choice(["name", "anonymous"]),
            "answered_at": datetime(2026, 10, 1 + i, tzinfo=UTC),
        }
        for i in range(20)
    ]  # consented stories
    return ImpactRead(rows, attendance, [], out, engagement_events=engagement, stories=stories)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--ties", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-pdf", action="store_true")
    args = parser.parse_args()
    config = WeaverConfig.model_validate({"tables": {"backend": "workbook", "path": "x.xlsx"},
                                          "network": {"name": "Benchmark 网络"}})  # fmt: skip
    started = time.perf_counter()
    read = network(args.members, args.ties, args.seed)
    built = time.perf_counter() - started
    print(f"network: {args.members:,} members, {len(read.ties):,} ties, {len(read.attendance) - 1:,} attendance "
          f"rows (built in {built:.1f} s, not counted)")  # fmt: skip
    started, cpu = time.perf_counter(), time.process_time()
    plan = plan_impact(read, config, DAY, "en", pdf=not args.no_pdf)
    planned, planned_cpu = time.perf_counter() - started, time.process_time() - cpu
    net = plan.network
    load = os.getloadavg()[0]
    print(f"plan (figures, map metrics now and a quarter ago, layout, zh+en pages, 20 stories): {planned:.1f} s "
          f"wall, {planned_cpu:.1f} s CPU (load average {load:.1f})")  # fmt: skip
    print(f"  graph: {net.people:,} people, {net.ties:,} ties met, {net.components} components, largest "
          f"{net.largest:,}, clustering {net.clustering}, isolates {net.isolates:,}, "
          f"estimated: {net.estimated}")  # fmt: skip
    sizes = {lang: len(p.report) + len(p.factsheet) + len(p.map_svg) for lang, p in plan.pages.items()}
    print(f"  pages: {', '.join(f'{k} {v / 1024:.0f} KiB' for k, v in sizes.items())}")
    printed = 0.0
    if not args.no_pdf:
        from connectors.pdf import ChromiumPrinter, find_chromium

        binary = find_chromium()
        if binary:
            with tempfile.TemporaryDirectory() as folder:
                started = time.perf_counter()
                for p in plan.pages.values():
                    for name, text in p.files(plan.quarter).items():
                        (Path(folder) / name).write_text(text, encoding="utf-8")
                        if name.endswith(".html"):
                            ChromiumPrinter(binary).print_pdf(Path(folder) / name, Path(folder) / f"{name}.pdf")
                printed = time.perf_counter() - started
            print(f"printing 4 pages to PDF (headless Chromium): {printed:.1f} s")
        else:
            print("printing: no Chromium found, skipped")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS of this process): {peak:.0f} MiB")
    print(json.dumps({"members": args.members, "ties": len(read.ties), "plan_seconds": round(planned, 2),
                      "pdf_seconds": round(printed, 2), "peak_rss_mib": round(peak), "components": net.components,
                      "estimated_brokers": net.estimated, "plan_cpu_seconds": round(planned_cpu, 2),
                      "load": round(load, 1)}))  # fmt: skip


if __name__ == "__main__":
    main()
