"""asks-offers: time of the whole plan (vocabulary, tags, matching, digests rendered) on a large network.

A members tab of N rows (a third opted in, each with up to two needs and two offers in Chinese or English,
free text or tags) and the demo's vocabulary; the plan renders every introduction and digest email. Pure
computation: no table, database, mail or network call is made.

    python -m benchmarks.asks_offers [--members 3000] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import date

from demo.build import NEEDS_TYPED, OFFERS_TYPED, VOCABULARY_ROWS
from tasks.asks_offers.plan import plan_asks_offers
from tasks.common.vocabulary import Vocabulary
from weaver.config import parse_config

HEADERS = ["Name", "Email", "Interests", "Region", "Language", "Consent", "Needs", "Offers", "Asks and offers"]
COLUMNS = {"name": "Name", "email": "Email", "interests": "Interests", "region": "Region", "language": "Language",
           "consent": "Consent", "needs": "Needs", "offers": "Offers", "asks_offers": "Asks and offers"}  # fmt: skip


def network(n: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    rows = [HEADERS]
    for i in range(n):
        zh = rng.random() < 0.6
        rows.append([f"成员{i}" if zh else f"Member {i}", f"m{i}@example.org", rng.choice(["气候", "climate", "教育"]),
                     rng.choice(["华东", "Europe", "华南"]), "zh" if zh else "en", "yes",
                     "、".join(rng.sample(NEEDS_TYPED, rng.randint(0, 2))),
                     ", ".join(rng.sample(OFFERS_TYPED, rng.randint(0, 2))),
                     "yes" if rng.random() < 1 / 3 else ""])  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cfg = parse_config({"tables": {"backend": "workbook", "path": "x.xlsx"}, "members": {"columns": COLUMNS}})
    grid = network(args.members, args.seed)
    started = time.perf_counter()
    vocabulary = Vocabulary.from_grid(VOCABULARY_ROWS)
    cells = [str(r[6]) for r in grid[1:]] + [str(r[7]) for r in grid[1:]]
    for text in cells:
        vocabulary.tags(text)
    tags_s = time.perf_counter() - started
    started = time.perf_counter()
    plan = plan_asks_offers(grid, VOCABULARY_ROWS, [], cfg, date(2026, 11, 24), "benchmark", "en")
    plan_s = time.perf_counter() - started
    print(f"members {args.members}, opted in {len(plan.people)}")
    print(f"  tags of {len(cells)} cells: {tags_s:.3f} s ({len(cells) / tags_s:,.0f} cells/s)")
    print(f"  whole plan: {plan_s:.2f} s: {len(plan.matches)} introductions, {len(plan.digests)} digests, "
          f"{len(plan.messages)} emails rendered")  # fmt: skip
    print(json.dumps({"members": args.members, "opted_in": len(plan.people), "plan_seconds": round(plan_s, 2),
                      "introductions": len(plan.matches), "emails": len(plan.messages),
                      "tag_cells_per_second": round(len(cells) / tags_s)}))  # fmt: skip


if __name__ == "__main__":
    main()
