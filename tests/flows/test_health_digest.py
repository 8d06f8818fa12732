"""health-digest end to end on the demo workspace and the shared Prefect harness: nothing when all is well;
then a failed run of this network and the demo sheet's quarantined rows reach the coordinator, once a day."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect import flow

from connectors.mail import OutboxTransport, Sender
from flows.health_digest import health_digest
from flows.member_sync import member_sync
from tests.conftest import DEMO_DAY

pytestmark = pytest.mark.usefixtures("prefect_harness")


@flow(name="health-digest-test-broken")
def broken(workspace: str) -> None:
    raise ValueError("the sheet was unreachable")


def test_the_coordinator_hears_what_needs_a_person_once_a_day_and_nothing_when_all_is_well(demo_ws: Path) -> None:
    ws, day = str(demo_ws), DEMO_DAY.isoformat()
    calm = health_digest(workspace=ws, as_of=day)
    assert calm["all_well"] is True and calm["emails"] == {} and calm["posted"] == 0

    member_sync(workspace=ws)  # the demo sheet has rows member-sync quarantines
    with pytest.raises(ValueError):
        broken(workspace=ws)  # a failed run of this network, on the Prefect API the digest reads
    with pytest.raises(ValueError):
        broken(workspace=str(demo_ws.parent / "another-network"))  # another network's: not ours to tell

    first = health_digest(workspace=ws, as_of=day)
    assert first["all_well"] is False and first["emails"]["sent"] == 1
    assert first["needs_a_person"]["failed"] == 1 and first["needs_a_person"]["quarantined"] > 0
    again = health_digest(workspace=ws, as_of=day)
    assert again["emails"]["sent"] == 0 and again["emails"]["already_sent"] == 1  # once per period

    box = OutboxTransport(demo_ws / "outbox", Sender("a@b.org", "x"))
    [mail] = [m for m in box.messages() if m["X-Weaver-Key"].startswith("email:health-digest:")]
    assert mail["To"].addresses[0].addr_spec == "coordinator@weaving.example.org"
    assert "List-Unsubscribe" not in mail  # staff mail, not member mail
    text = mail.get_body(("plain",)).get_content()
    assert "health-digest-test-broken" in text and "the sheet was unreachable" in text  # zh: the demo's language
    assert "失败的运行（1）" in text and "上次成员同步隔离的成员行" in text
