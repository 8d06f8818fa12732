"""survey-distribution, apply: this run's responses recorded (with their members' engagement) in one transaction.

The invitations and reminders are not sent from here: the flow hands them to `Operation.send` (consent and
suppression, the approval gate, the ledger). Responses are recorded before planning, so a member who just
answered is not reminded; a dry run records nothing (see `tasks/surveys/responses.py`).
"""

from __future__ import annotations

from prefect.cache_policies import NO_CACHE

from tasks.common.prefect_task import task
from tasks.surveys.responses import ingest_responses

# Thin Prefect wrapper: one task over every survey's responses at once.
ingest_responses_task = task(name="ingest-survey-responses", cache_policy=NO_CACHE)(ingest_responses)
