"""`python -m deployments.serve -c WORKSPACE`: serve every operation of one network to a Prefect server.

Registers one deployment per flow (schedules in the network's time zone, one run at a time per flow) and
runs their flow runs in subprocesses of this process, at most `--limit` at once. Stopping it does not
pause the schedules: a restart carries on where it left off, and scheduled runs due meanwhile start then.
A run left Running by a killed process is marked Crashed by the reconciler this process runs alongside
(`deployments/reconcile.py`, every WEAVER_RECONCILE_SECONDS, default 30).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from deployments import plan_deployments, require_api_url, runner_deployments, server
from weaver.errors import WeaverError
from weaver.workspace import Workspace


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m deployments.serve", description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", type=Path, default=Path("weaver.toml"), help="weaver.toml or its folder")
    parser.add_argument("--limit", type=int, default=None, help="flow runs at once (default: [deployments] limit)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    try:
        ws = Workspace.open(args.config)
        specs = plan_deployments(ws)
        server.configure_environment()  # before Prefect is imported; without PREFECT_API_URL: the local server
        if not os.environ.get("PREFECT_API_URL"):
            os.environ["PREFECT_API_URL"] = server.ensure().api_url
        require_api_url("python -m deployments.serve")
    except WeaverError as exc:
        print(f"weaver: {exc}", file=sys.stderr)
        return 1
    from prefect import serve

    from deployments.reconcile import ReconcileLoop, interval_from_env

    limit = args.limit or ws.config.deployments.limit
    ReconcileLoop([ws], interval_from_env()).start()  # runs whose process was killed are marked Crashed
    serve(*runner_deployments(specs), limit=limit, pause_on_shutdown=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
