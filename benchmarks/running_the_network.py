"""The pure phases of membership-fees, finance and decision-rounds at a large network's scale.

Times each plan (what a run computes before it sends or writes anything), rendering every email included:

* membership-fees: N members with fees and paid-until dates spread over a year, and a Payments tab of P rows;
* finance: a budget of L lines, a Transactions tab of T rows, and a bank export of B rows half of which are
  already in the tab (the dedupe path);
* decision-rounds: the tally of a vote with V responses.

    python -m benchmarks.running_the_network [--members 5000] [--payments 2000] [--transactions 20000] [--bank 5000]

The last line is one JSON object of the headline figures.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import date, timedelta
from decimal import Decimal

from tasks.decisions.decisions import Proposal, Response, parse_quorum, tally
from tasks.fees.fees import Payment, Payments, fee_member
from tasks.fees.plan import plan_fees
from tasks.finance.finance import BankFile
from tasks.finance.plan import plan_finance
from weaver.config import parse_config

TODAY = date(2026, 11, 24)


def _config():  # type: ignore[no-untyped-def]
    return parse_config({
        "tables": {"backend": "workbook", "path": "x.xlsx"}, "network": {"name": "Net", "default_language": "zh"},
        "grants": {"base_currency": "CNY", "rates": {"USD": 7.1, "EUR": 7.7}},
        "fees": {"coordinator_email": "c@example.org"},
        "finance": {"bank_imports": [{"name": "bank", "folder": "bank", "encoding": "utf-8",
                                      "columns": {"date": "date", "amount": "amount", "description": "text",
                                                  "transaction_id": "id"}}]},
    })  # fmt: skip


def _timed(label: str, fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    print(f"{label}: {seconds:.2f} s")
    return out, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--payments", type=int, default=2000)
    parser.add_argument("--transactions", type=int, default=20000)
    parser.add_argument("--bank", type=int, default=5000)
    parser.add_argument("--responses", type=int, default=20000)
    args = parser.parse_args()
    rng = random.Random(5)
    cfg = _config()

    rows = []
    for i in range(args.members):
        until = (TODAY + timedelta(days=rng.randint(-90, 300))).isoformat()
        fields = {"name": f"成员{i}", "language": rng.choice(["zh", "en"]), "consent": "yes",
                  "fee": rng.choice(["200", "500"]), "paid_until": until}  # fmt: skip
        rows.append(fee_member({"member_id": f"m{i}", "email": f"m{i}@example.org", "fields": fields}))
    payments = Payments([Payment(i + 2, f"m{rng.randrange(args.members)}@example.org",
                                 TODAY - timedelta(days=rng.randint(0, 60)), Decimal(500), "CNY", f"ref-{i}")
                         for i in range(args.payments)])  # fmt: skip
    fees, fee_s = _timed(f"membership-fees plan, {args.members} members, {args.payments} payments",
                         lambda: plan_fees(rows, payments, set(), cfg, TODAY, "CNY"))  # fmt: skip
    print(f"  emails planned: {len(fees.messages)} (reminders {len(fees.due)}, receipts {len(fees.receipts)})")

    lines = ["line", "owner", "amount", "currency", "period"]
    budget = [lines] + [[f"line {i}", "o@example.org", "100000", rng.choice(["CNY", "USD"]), "2026"] for i in range(50)]
    header = ["date", "line", "amount", "currency", "description", "transaction_id", "grant"]
    tab = [header] + [[(TODAY - timedelta(days=rng.randint(0, 320))).isoformat(), f"line {rng.randrange(50)}",
                       f"-{rng.randint(10, 900)}", rng.choice(["CNY", "USD", "GBP"]), "x", f"t{i}", ""]
                      for i in range(args.transactions)]  # fmt: skip
    known = [f"{tab[1 + i][0]},{tab[1 + i][2]},x,t{i}" for i in range(args.bank // 2)]
    new = [f"{TODAY.isoformat()},-{rng.randint(10, 900)},coffee {i},b{i}" for i in range(args.bank - len(known))]
    bank = {"bank": [BankFile("statement.csv", "date,amount,text,id\n" + "\n".join(known + new) + "\n")]}
    fin, fin_s = _timed(f"finance plan, {args.transactions} transactions, {args.bank} bank rows",
                        lambda: plan_finance(budget, tab, bank, cfg, TODAY, "x.xlsx"))  # fmt: skip
    print(f"  bank rows new: {len(fin.imported)}, already there: {fin.duplicates}, alerts: {len(fin.alerts)}")

    share, count = parse_quorum("30%")
    vote = Proposal(2, "p", "主题", "Theme", "", "", "vote", ("A", "B", "C"), "all", TODAY, TODAY, share, count)
    answers = [Response(f"m{i}", rng.choice("ABC")) for i in range(args.responses)]
    out, tally_s = _timed(f"decision tally, {args.responses} responses",
                          lambda: tally(vote, [f"m{i}" for i in range(args.responses * 2)], answers))  # fmt: skip
    print(f"  result: {out.result} {out.chosen}")
    print(json.dumps({"fees_plan_s": round(fee_s, 2), "fees_members": args.members, "fees_emails": len(fees.messages),
                      "finance_plan_s": round(fin_s, 2), "finance_transactions": args.transactions,
                      "bank_rows": args.bank, "bank_new": len(fin.imported), "tally_s": round(tally_s, 3),
                      "tally_responses": args.responses}))  # fmt: skip


if __name__ == "__main__":
    main()
