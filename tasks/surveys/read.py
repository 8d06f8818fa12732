"""survey-distribution, read: the surveys tab, what the state database knows, and the responses' channels.

One read of the tab, a few queries, and one pass over the channels (webhook inbox, CSV exports, Google Forms
API) for every survey that has opened; each phase one thin task over the whole batch.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from prefect.cache_policies import NO_CACHE

from connectors.tables import TableBackend
from tasks.common.prefect_task import task
from tasks.common.tables import read_tab
from tasks.surveys.responses import collect_responses
from tasks.surveys.surveys import Network, Survey, SurveyContext, SurveyTab, parse_surveys
from weaver.config import WeaverConfig
from weaver.secrets import resolve_secret
from weaver.state import StateDB, local_secret
from weaver.state.surveys import survey_sent


def read_surveys(tables: TableBackend, tab: str, lang: str) -> SurveyTab:
    """The surveys tab, parsed: its surveys and the rows rejected (with where and why)."""
    return parse_surveys(read_tab(tables, tab), tab, lang)


def read_survey_state(db: StateDB, config: WeaverConfig, surveys: Sequence[Survey], dry_run: bool,
                      where: str) -> SurveyContext:  # fmt: skip
    net = config.network
    secret, throwaway = survey_secret(db, config, dry_run, where)
    active = db.member_rows("active")
    everyone = {m["member_id"]: m for m in (*db.member_rows("gone"), *active)}
    done = {s.survey_id: survey_sent(db, s.survey_id) for s in surveys}
    return SurveyContext(Network(net.name, net.default_language), secret, active, everyone, done, throwaway)


def survey_secret(db: StateDB, config: WeaverConfig, dry_run: bool, where: str) -> tuple[bytes, bool]:
    """The token key: the configured SecretRef, else this workspace's own (made on first real use)."""
    ref = config.surveys.token_secret
    if ref is not None:
        return resolve_secret(ref, "[surveys] token_secret", where).encode(), False
    value = local_secret(db, "survey-token", create=not dry_run)
    if value is None:  # a dry run changes nothing, so it previews links with a key it then forgets
        return secrets.token_hex(32).encode(), True
    return value.encode(), False


def needs_forms_api(surveys: Sequence[Survey]) -> bool:
    """Whether any survey is polled through the Google Forms API (only then are its credentials needed)."""
    return any(s.provider == "google_forms" and s.form for s in surveys)


# Thin Prefect wrappers: one task per phase, over every survey at once.
read_surveys_task = task(name="parse-surveys", cache_policy=NO_CACHE)(read_surveys)
read_survey_state_task = task(name="read-survey-state", cache_policy=NO_CACHE)(read_survey_state)
collect_responses_task = task(name="collect-survey-responses", cache_policy=NO_CACHE)(collect_responses)
