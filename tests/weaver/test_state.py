"""Every state accessor, on SQLite and on a real PostgreSQL server (ids `[sqlite]`, `[postgresql]`).

Each test writes through an area's accessors and reads back through them: values, JSON, dates and times
(always UTC-aware once read), replays that must change nothing, and the row counts that say who won.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from weaver.ledger import Action, Ledger, Outcome
from weaver.state import (
    StateDB,
    as_utc,
    audience,
    decisions,
    delivery,
    engagement,
    events,
    grants,
    ideas,
    inbox,
    ledger_keys_like,
    links,
    local_secret,
    onboarding,
    preferences,
    read_cursor,
    save_cursor,
    save_members,
    self_service,
    submissions,
    surveys,
)

T0 = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def member(i: int, **fields: str) -> dict[str, object]:
    return {
        "member_id": f"m-{i}",
        "email": f"p{i}@example.org",
        "fields_hash": f"h{i}",
        "fields": {"name": f"P{i}", **fields},
    }


def done(db: StateDB, *keys: str) -> None:
    Ledger(db, "t").apply([Action(k, "email", k) for k in keys], lambda b: [Outcome.success() for _ in b])


def test_members_sync_runs_cursors_and_secrets(state_db: StateDB) -> None:
    db = state_db
    save_members(db, [member(1), member(2, city="Lyon")], [])
    save_members(db, [member(2, city="Nantes")], ["m-1"])
    assert db.member_snapshot() == {"m-1": ("h1", "gone"), "m-2": ("h2", "active")}
    [row] = db.member_rows()
    assert row["fields"] == {"name": "P2", "city": "Nantes"} and row["first_seen"] <= row["updated_at"]
    assert db.first_sync_run_start("member-sync") is None
    db.record_sync_run("member-sync", T0, {"added": 2})
    db.record_sync_run("member-sync", T0 + timedelta(days=7), {"added": 0})
    assert db.last_sync_run("member-sync")["summary"] == {"added": 0}  # type: ignore[index]
    assert as_utc(db.first_sync_run_start("member-sync")) == T0  # type: ignore[arg-type]
    assert read_cursor(db, "google_forms:f1") is None
    with db.begin() as conn:
        save_cursor(conn, "google_forms:f1", "2026-11-24T09:00:00Z")
    with db.begin() as conn:
        save_cursor(conn, "google_forms:f1", "2026-11-25T09:00:00Z")
    assert read_cursor(db, "google_forms:f1") == "2026-11-25T09:00:00Z"
    assert local_secret(db, "survey_tokens", create=False) is None
    first = local_secret(db, "survey_tokens")
    assert first is not None and len(first) == 64 and local_secret(db, "survey_tokens") == first


def test_ledger_by_prefix_onboarding_and_survey_sent(state_db: StateDB) -> None:
    db = state_db
    done(db, "invite:evt-1:m-1", "invite:evt_1:m-2", "survey-invite:s1:m-1", "survey-reminder:s1:m-2")
    Ledger(db, "onboarding").apply(
        [Action("onboarding:newcomer:m-9", "pairing", "buddy", {"buddy": "m-1"}, idempotent=True)],
        lambda b: [Outcome.success() for _ in b],
    )
    keys = ledger_keys_like(db, ["invite:evt-1:"])
    assert [k for k, _ in keys] == ["invite:evt-1:m-1"] and keys[0][1].tzinfo is not None
    [record] = onboarding.newcomer_records(db, "onboarding:newcomer:")
    assert record["payload"] == {"buddy": "m-1"} and record["created_at"].tzinfo is not None
    assert onboarding.newcomer_records(db, "onboarding:newcomer_") == []  # the prefix is taken literally
    sent = surveys.survey_sent(db, "s1")
    assert set(sent) == {"survey-invite:s1:m-1", "survey-reminder:s1:m-2"}


def test_suppressions_and_consent_lookups(state_db: StateDB) -> None:
    db = state_db
    save_members(db, [member(1), member(2)], [])
    delivery.add_suppression(db, "p1@example.org", "unsubscribed", "mailchimp")
    delivery.add_suppression(db, "p1@example.org", "bounced", "smtp")  # the first reason stays
    delivery.add_suppression(db, "x@example.org", "requested", "coordinator")
    assert delivery.suppression_reasons(db, ["p1@example.org", "p2@example.org"]) == {"p1@example.org": "unsubscribed"}
    assert delivery.suppressions_from(db, "mailchimp") == {"p1@example.org": "unsubscribed"}
    assert delivery.suppressed_emails(db) == {"p1@example.org", "x@example.org"}
    found = delivery.members_by_id_or_email(db, ["m-1"], ["p2@example.org"])
    assert [r["member_id"] for r in found] == ["m-1", "m-2"] and found[0]["fields"] == {"name": "P1"}


def test_events_versions_rsvps_seats_and_calendars(state_db: StateDB) -> None:
    db = state_db
    version = {"event_id": "evt-1", "sequence": 0, "fingerprint": "f0", "status": "scheduled", "changed_at": T0}
    events.save_event_versions(db, [version])
    events.save_event_versions(db, [{**version, "sequence": 1, "fingerprint": "f1"}])
    loaded = events.load_event_versions(db)["evt-1"]
    assert loaded["sequence"] == 1 and loaded["changed_at"] == T0
    assert submissions.inbox_add(db, "tally:r1", "tally", "rsvp", "rsvp", {"answer": "yes"})
    rsvp = {"event_id": "evt-1", "member_id": "m-1", "source": "inbox", "response": "yes", "submitted_at": T0}
    seat = {"event_id": "evt-1", "member_id": "m-1", "seat": "confirmed"}
    events.save_rsvps(db, [rsvp], [seat], ["tally:r1"], [])
    events.save_rsvps(db, [{**rsvp, "response": "no"}], [{**seat, "seat": "declined"}], [], [])
    assert [(r["response"], r["submitted_at"]) for r in events.load_rsvps(db)] == [("no", T0)]
    assert events.load_seats(db) == {("evt-1", "m-1"): "declined"}
    assert submissions.inbox_get(db, "tally:r1")["status"] == "processed"  # type: ignore[index]
    assert events.load_calendar_sync(db, "cal@group") == (None, {})
    events.save_calendar_sync(db, "cal@group", "tok-1", {"e1": {"summary": "Meet-up"}})
    events.save_calendar_sync(db, "cal@group", "tok-2", {"e1": {"summary": "Meet-up"}, "e2": {"summary": "Walk"}})
    token, listed = events.load_calendar_sync(db, "cal@group")
    assert token == "tok-2" and set(listed) == {"e1", "e2"}


def test_audience_pull_and_pushes(state_db: StateDB) -> None:
    db = state_db
    base = {"list_id": "L1", "member_id": None, "synced_hash": "", "tags": None, "pushes": 0, "updated_at": T0}
    contacts = [{**base, "email": "p1@example.org", "status": "subscribed"}]
    left = [{"email": "p2@example.org", "reason": "unsubscribed", "source": "mailchimp", "created_at": T0}]
    audience.save_audience_pull(db, contacts + [{**base, "email": "p2@example.org", "status": "unsubscribed"}], left)
    audience.save_audience_pull(db, [{**contacts[0], "status": "cleaned", "synced_hash": "ignored"}], left)
    pushed = {**base, "email": "p1@example.org", "member_id": "m-1", "synced_hash": "h1", "tags": ["Lyon"],
              "status": "subscribed", "pushes": 1}  # fmt: skip
    audience.save_audience_pushes(db, [pushed])
    rows = {r["email"]: r for r in audience.audience_contacts(db, "L1")}
    assert rows["p1@example.org"] == {"email": "p1@example.org", "member_id": "m-1", "synced_hash": "h1",
                                      "tags": ["Lyon"], "status": "subscribed", "pushes": 1}  # fmt: skip
    assert rows["p2@example.org"]["status"] == "unsubscribed" and audience.audience_contacts(db, "L2") == []
    assert delivery.suppressed_emails(db) == {"p2@example.org"}


def test_engagement_and_ties(state_db: StateDB) -> None:
    db = state_db
    deed = {"id": "survey_response:s1:m-1", "member_id": "m-1", "kind": "survey_response", "at": T0, "source": "s1"}
    with db.begin() as conn:
        engagement.record_engagement(conn, [deed, {**deed, "at": T0 + timedelta(days=1)}])  # a replay is kept
    [row] = engagement.engagement_rows(db)
    assert as_utc(row["at"]) == T0
    tie = {"a": "m-1", "b": "m-2", "source": "group", "ref": "evt-1/r1/g1", "met_on": date(2026, 11, 20)}
    assert engagement.record_ties(db, [tie, {**tie, "b": "m-3"}]) == 2
    engagement.record_ties(db, [{**tie, "ref": "evt-1/r2/g1"}], replace=("group", "evt-1/r1"))  # a re-mix
    assert [(t["b"], t["ref"], t["met_on"]) for t in engagement.tie_rows(db)] == [
        ("m-2", "evt-1/r2/g1", date(2026, 11, 20))
    ]
    assert [t["b"] for t in engagement.ties_of_ref(db, "evt-1/r2/g1")] == ["m-2"]
    assert engagement.ties_of_ref(db, "evt-1/r1/g1") == []


def test_grants_cells_and_stage_history(state_db: StateDB) -> None:
    db = state_db
    grants.save_grant_state(db, [("grants.gov:1", "title", "Seeds")], [("opp-1", "new", date(2026, 11, 1))])
    grants.save_grant_state(db, [("grants.gov:1", "title", "Seeds II"), ("grants.gov:1", "amount", "5000")], [])
    assert grants.grant_written(db) == {"grants.gov:1": {"title": "Seeds II", "amount": "5000"}}
    grants.save_grant_state(db, [], [("opp-1", "applied", date(2026, 11, 20))])
    assert grants.grant_stage_history(db) == {"opp-1": ("applied", date(2026, 11, 20))}


def test_inbox_lifecycle(state_db: StateDB) -> None:
    db = state_db
    assert submissions.inbox_add(db, "typeform:a", "typeform", "join", "join", {"email": "p1@example.org"})
    assert not submissions.inbox_add(db, "typeform:a", "typeform", "join", "join", {"email": "changed"})  # a replay
    assert submissions.inbox_add(db, "tally:b", "tally", "join", "join", {"email": "p2@example.org"})
    assert [r["id"] for r in submissions.inbox_waiting(db, ["join"])] == ["typeform:a", "tally:b"]
    submissions.inbox_mark(db, ["typeform:a"], submissions.DISPATCHED, flow_run_id="run-1")
    submissions.inbox_note_attempt(db, "tally:b", "prefect unreachable")
    assert [r["id"] for r in submissions.inbox_waiting(db, ["join"])] == ["tally:b"]
    entries = submissions.inbox_entries(db, "join")
    assert [(e["id"], e["attempts"], e["payload"]["email"]) for e in entries] == [
        ("typeform:a", 1, "p1@example.org"),
        ("tally:b", 1, "p2@example.org"),
    ]
    assert submissions.inbox_entries(db, "join", ids=["tally:b"])[0]["flow_run_id"] is None
    with db.begin() as conn:
        submissions.settle_inbox(conn, ["typeform:a"], [("tally:b", "row 2: email is empty")], detail="intake")
    assert {r["id"]: r["payload"] for r in submissions.inbox_rows(db, ["join"])}["tally:b"] == {
        "email": "p2@example.org"
    }
    assert submissions.inbox_get(db, "tally:b")["detail"] == "row 2: email is empty"  # type: ignore[index]
    assert submissions.inbox_get(db, "nope") is None
    with db.engine.connect() as conn:
        assert dict(conn.execute(select(inbox.c.id, inbox.c.status)).all()) == {
            "typeform:a": "processed",
            "tally:b": "failed",
        }


def test_survey_responses(state_db: StateDB) -> None:
    db = state_db
    row = {"id": "google_forms:r1", "survey_id": "s1", "member_id": "m-1", "attribution": "member",
           "channel": "google_forms", "submitted_at": T0, "answers": {"Q1": "yes", "Q2": ["a", "b"]},
           "recorded_at": T0}  # fmt: skip
    deed = {"id": "survey_response:s1:m-1", "member_id": "m-1", "kind": "survey_response", "at": T0, "source": "s1"}
    surveys.save_responses(db, [row], [deed], [], [], {"google_forms:f1": "t1"})
    edited = {**row, "answers": {"Q1": "no"}, "submitted_at": T0 + timedelta(hours=1)}
    surveys.save_responses(db, [edited], [deed], [], [], {"google_forms:f1": "t2"})
    assert surveys.known_response_ids(db, ["google_forms:r1", "google_forms:r2"]) == {"google_forms:r1"}
    [stored] = surveys.stored_responses(db, ["s1"])
    assert stored["answers"] == {"Q1": "no"} and as_utc(stored["submitted_at"]) == T0 + timedelta(hours=1)
    assert read_cursor(db, "google_forms:f1") == "t2" and len(engagement.engagement_rows(db)) == 1


def test_personal_link_uses(state_db: StateDB) -> None:
    db = state_db
    save_members(db, [member(1)], [])
    assert links.first_use(db, "h1", "checkin", "m-1", "evt-1", T0, {"seat": "confirmed"})
    assert not links.first_use(db, "h1", "checkin", "m-1", "evt-1", T0 + timedelta(minutes=1), {"seat": "other"})
    assert links.first_use(db, "h2", "checkin", "m-2", "evt-2", T0 + timedelta(hours=1))
    used = links.link_use(db, "h1")
    assert used is not None and used["outcome"] == {"seat": "confirmed"} and as_utc(used["used_at"]) == T0
    assert links.link_use(db, "nope") is None
    assert [u["id"] for u in links.uses_of(db, "checkin")] == ["h1", "h2"]
    assert [u["id"] for u in links.uses_of(db, "checkin", "evt-2")] == ["h2"]
    assert links.member_by_id(db, "m-1")["email"] == "p1@example.org"  # type: ignore[index]
    assert links.member_by_id(db, "m-9") is None


def test_member_self_service_edits(state_db: StateDB) -> None:
    db = state_db
    assert self_service.record_edits(db, "sub-1", "m-1", {"city": "Lyon", "org": "Fablab"}, T0) == 2
    self_service.record_edits(db, "sub-1", "m-1", {"city": "Paris"}, T0)  # the same submission again: kept
    self_service.record_edits(db, "sub-2", "m-2", {"city": "Nantes"}, T0 + timedelta(hours=1))
    pending = self_service.edit_rows(db)
    assert [(e["id"], e["value"]) for e in pending] == [
        ("sub-1:city", "Lyon"),
        ("sub-1:org", "Fablab"),
        ("sub-2:city", "Nantes"),
    ]
    self_service.settle_edits(db, [("sub-1:city", "applied", ""), ("sub-1:org", "conflict", "Makerspace")])
    assert [e["id"] for e in self_service.edit_rows(db, member_id="m-1")] == []
    [conflict] = self_service.edit_rows(db, ("conflict",))
    assert conflict["detail"] == "Makerspace" and conflict["settled_at"] is not None


def test_decision_rounds_and_responses(state_db: StateDB) -> None:
    db = state_db
    decisions.save_rounds(db, {"p-1": {"title": "Budget", "options": ["yes", "no"]}}, T0)
    decisions.save_rounds(db, {"p-1": {"title": "Budget 2027", "options": ["yes", "no"]}}, T0)
    assert decisions.load_round(db, "p-1") == {"title": "Budget 2027", "options": ["yes", "no"]}
    assert decisions.load_round(db, "p-9") is None
    decisions.save_response(db, "p-1", "m-1", "yes", "", T0)
    decisions.save_response(db, "p-1", "m-1", "no", "changed my mind", T0 + timedelta(hours=1))  # replaces
    [answer] = decisions.responses(db, ["p-1"])
    assert (answer["choice"], answer["comment"], answer["updated_at"]) == (
        "no",
        "changed my mind",
        T0 + timedelta(hours=1),
    )
    assert decisions.responses(db, []) == [] and decisions.response_of(db, "p-1", "m-2") is None
    assert decisions.response_of(db, "p-1", "m-1")["choice"] == "no"  # type: ignore[index]


def test_idea_rounds_and_dots(state_db: StateDB) -> None:
    db = state_db
    ideas.save_idea_round(db, "r-1", {"ideas": ["walk", "picnic"], "dots": 3}, T0)
    ideas.save_idea_round(db, "r-1", {"ideas": ["walk", "picnic", "film"], "dots": 3}, T0)
    assert ideas.load_idea_round(db, "r-1") == {"ideas": ["walk", "picnic", "film"], "dots": 3}
    assert ideas.load_idea_round(db, "r-2") is None
    ideas.save_dots(db, "r-1", "m-1", {"walk": 2, "film": 1}, T0)
    ideas.save_dots(db, "r-1", "m-1", {"picnic": 3}, T0 + timedelta(minutes=5))  # voting again replaces
    ideas.save_dots(db, "r-1", "m-2", {"walk": 1}, T0)
    assert {v["member_id"]: v["dots"] for v in ideas.dots_of(db, "r-1")} == {"m-1": {"picnic": 3}, "m-2": {"walk": 1}}
    assert [v["member_id"] for v in ideas.dots_of(db, "r-1", "m-2")] == ["m-2"]


def test_member_preferences_and_own_unsubscribes(state_db: StateDB) -> None:
    db = state_db
    preferences.save_preferences(db, "m-1", ["surveys", "events", "surveys"], "zh", T0)
    preferences.save_preferences(db, "m-1", ["newsletter"], "en", T0 + timedelta(days=1))  # replaces
    found = preferences.preferences_of(db, ["m-1", "m-2", "m-1"])
    assert list(found) == ["m-1"] and (found["m-1"]["topics_off"], found["m-1"]["language"]) == (["newsletter"], "en")
    delivery.add_suppression(db, "p1@example.org", "unsubscribed", "link")
    delivery.add_suppression(db, "p2@example.org", "bounced", "smtp")
    assert preferences.suppression_of(db, "p1@example.org")["source"] == "link"  # type: ignore[index]
    assert preferences.suppression_of(db, "p3@example.org") is None
    assert preferences.lift_own_unsubscribe(db, "p1@example.org")
    assert not preferences.lift_own_unsubscribe(db, "p2@example.org")  # a bounce stays
    assert delivery.suppressed_emails(db) == {"p2@example.org"}
