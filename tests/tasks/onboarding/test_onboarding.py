"""Onboarding's pure rules: who is new, buddy matching, the planned messages and follow-ups."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.common.delivery import Delivery
from tasks.onboarding.onboarding import OnboardingState, Person, Record, is_new, match_buddies, overlap, same_person
from tasks.onboarding.plan import followup_key, plan_followups, plan_onboarding
from tasks.onboarding.report import build_onboarding_report, summarise_onboarding
from weaver.config import WeaverConfig, parse_config
from weaver.ledger import Action, ApplyResult

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=400)


def person(i: int | str, *, interests: tuple[str, ...] = (), region: str = "", language: str = "zh",
           consent: bool = True, joined: date | None = date(2020, 1, 1), first_seen: datetime = LONG_AGO,
           name: str = "", organisation: str = "", phone: str = "") -> Person:  # fmt: skip
    return Person(f"m-{i}", f"p{i}@example.org", name or f"成员{i}", language, region, organisation, interests,
                  consent=consent, phone=phone, joined=joined, first_seen=first_seen)  # fmt: skip


def config(cap: int = 2) -> WeaverConfig:
    return parse_config(
        {
            "network": {"name": "示范网络", "default_language": "zh"},
            "tables": {"backend": "workbook", "path": "x.xlsx"},
            "onboarding": {"new_member_days": 30, "max_newcomers_per_buddy": cap, "weaver_email": "weaver@example.org"},
        }
    )


CONFIG = config()


def state(people: list[Person], *, last_run: datetime | None = None, records: dict[str, Record] | None = None,
          due: list[str] | None = None, suppressed: set[str] | None = None) -> OnboardingState:  # fmt: skip
    return OnboardingState(people, last_run, records or {}, suppressed or set(), due or [], NOW, TODAY)


# who is new ------------------------------------------------------------------------------------------------
def test_first_run_welcomes_recent_joiners_not_the_whole_membership() -> None:
    old = person(1, joined=date(2023, 5, 1), first_seen=NOW)  # synced for the first time today, joined long ago
    recent = person(2, joined=TODAY - timedelta(days=10), first_seen=NOW)
    undated = person(3, joined=None, first_seen=NOW)
    assert [is_new(p, None, TODAY, 30) for p in (old, recent, undated)] == [False, True, False]


def test_later_runs_welcome_members_first_synced_since_the_last_run() -> None:
    last_run = NOW - timedelta(days=7)
    added = person(1, joined=None, first_seen=NOW - timedelta(days=1))
    known = person(2, joined=TODAY - timedelta(days=10), first_seen=NOW - timedelta(days=8))
    old_member_added_late = person(3, joined=date(2022, 3, 1), first_seen=NOW - timedelta(days=1))
    assert [is_new(p, last_run, TODAY, 30) for p in (added, known, old_member_added_late)] == [True, False, False]


# buddies -------------------------------------------------------------------------------------------------
def test_the_buddy_shares_the_most() -> None:
    newcomer = person("n", interests=("气候", "教育"), region="华东", language="zh")
    candidates = [person("a", language="zh"), person("b", region="华东", language="en"),
                  person("c", interests=("教育",), language="en"),
                  person("d", interests=("climate",), language="en")]  # fmt: skip
    assert match_buddies([newcomer], candidates, 2, {}) == {"m-n": "m-c"}  # one interest (3) beats a region (2)
    assert overlap(newcomer, person("x", region="华东", language="zh")).phrase("en") == (
        "the region 华东 and the same language"
    )
    assert overlap(newcomer, candidates[2]).phrase("zh") == "同样关注教育"


def test_no_buddy_gets_more_newcomers_than_the_cap() -> None:
    newcomers = [person(f"n{i}", region="Europe", language="en") for i in range(5)]
    star = person("star", region="Europe", language="en", interests=("arts",))
    other = person("other", language="en")
    matches = match_buddies(newcomers, [star, other], 2, {"m-star": 1})
    load = Counter(matches.values())
    assert load["m-star"] == 1 and load["m-other"] == 2 and load[None] == 2


def test_never_oneself() -> None:
    newcomer = person(1, name="Zhang Wei", organisation="Open Data", interests=("data",))
    same_address = Person("m-2", newcomer.email, "Z", "zh", "", "", ("data",), True, "", None, LONG_AGO)
    look_alike = person(3, name="wei  ZHANG", organisation="Open Data", interests=("data",))
    namesake = person(4, name="Zhang Wei", organisation="Elsewhere", interests=("data",))
    assert same_person(newcomer, same_address) and same_person(newcomer, look_alike)
    assert match_buddies([newcomer], [newcomer, same_address, look_alike, namesake], 5, {}) == {"m-1": "m-4"}


def test_never_an_unconsenting_or_suppressed_buddy() -> None:
    newcomer = person("n", joined=TODAY, first_seen=NOW, interests=("arts",))
    no_consent = person("a", interests=("arts",), consent=False)
    bounced = person("b", interests=("arts",))
    willing = person("c", language="zh")
    plan = plan_onboarding(state([newcomer, no_consent, bounced, willing], suppressed={bounced.email}), CONFIG)
    assert plan.matches == {"m-n": "m-c"}


people_strategy = st.lists(
    st.tuples(
        st.frozensets(st.sampled_from(["气候", "教育", "arts", "data"]), max_size=2),
        st.sampled_from(["", "华东", "Europe"]),
        st.sampled_from(["", "zh", "en"]),
        st.booleans(),  # consent
        st.booleans(),  # newcomer
    ),
    max_size=14,
)


@settings(max_examples=150, deadline=None)
@given(people_strategy, st.integers(min_value=1, max_value=3))
def test_matching_rules_hold_for_any_network(rows: list[tuple], cap: int) -> None:  # type: ignore[type-arg]
    people = [
        person(
            i,
            interests=tuple(sorted(interests)),
            region=region,
            language=lang,
            consent=consent,
            joined=TODAY if new else date(2020, 1, 1),
            first_seen=NOW,
        )  # fmt: skip
        for i, (interests, region, lang, consent, new) in enumerate(rows)
    ]
    plan = plan_onboarding(state(people), config(cap))
    by_id = {p.member_id: p for p in people}
    newcomers = {p.member_id for p in people if p.joined == TODAY}
    load = Counter(b for b in plan.matches.values() if b)
    for newcomer_id, buddy_id in plan.matches.items():
        assert by_id[newcomer_id].consent  # a newcomer without consent is never introduced to anyone
        if buddy_id is None:  # unmatched only when every fitting member is full
            fits = [p for p in people if p.consent and p.member_id not in newcomers
                    and overlap(by_id[newcomer_id], p).score > 0]  # fmt: skip
            assert all(load[p.member_id] >= cap for p in fits)
            continue
        buddy = by_id[buddy_id]
        assert buddy_id != newcomer_id and buddy_id not in newcomers and buddy.consent
        assert overlap(by_id[newcomer_id], buddy).score > 0
    assert all(n <= cap for n in load.values())
    recipients = {m.member_id for m in plan.messages if m.member_id}
    assert all(by_id[r].consent for r in recipients)  # nobody unconsenting is even planned


# messages ------------------------------------------------------------------------------------------------
def newcomer_network() -> list[Person]:
    return [
        person("zh", interests=("气候",), joined=TODAY - timedelta(days=3), first_seen=NOW, language="zh"),
        person("en", region="Europe", joined=TODAY - timedelta(days=3), first_seen=NOW, language="en"),
        person("quiet", joined=TODAY, first_seen=NOW, consent=False),
        person("buddy1", interests=("气候",), language="zh"),
        person("buddy2", region="Europe", language="en"),
    ]


def test_the_plan_welcomes_introduces_and_tells_the_weaver() -> None:
    plan = plan_onboarding(state(newcomer_network()), CONFIG)
    keys = sorted(m.key for m in plan.messages)
    assert keys[0].startswith("onboarding:buddy:m-buddy1:m-zh") and keys[2].startswith("onboarding:digest:")
    assert keys[:2] + keys[3:] == ["onboarding:buddy:m-buddy1:m-zh", "onboarding:buddy:m-buddy2:m-en",
                                   "onboarding:welcome:m-en", "onboarding:welcome:m-zh"]  # fmt: skip
    by_key = {m.key: m for m in plan.messages}
    assert by_key["onboarding:welcome:m-zh"].language == "zh" and "欢迎" in by_key["onboarding:welcome:m-zh"].subject
    assert by_key["onboarding:welcome:m-en"].language == "en" and "Welcome" in by_key["onboarding:welcome:m-en"].subject
    assert "成员buddy1" in by_key["onboarding:welcome:m-zh"].text  # the welcome names the buddy
    assert "pen@example.org" in by_key["onboarding:buddy:m-buddy2:m-en"].text  # the buddy can write to them
    digest = next(m for m in plan.messages if m.purpose == "onboarding_digest")
    assert digest.to_email == "weaver@example.org" and digest.member_id is None
    assert "1 位新成员未同意" in digest.text.replace("另有 ", "")
    assert [p.member_id for p in plan.not_contacted] == ["m-quiet"]
    assert all(m.to_email != "pquiet@example.org" for m in plan.messages)
    assert [a.key for a in plan.records] == ["onboarding:newcomer:m-zh", "onboarding:newcomer:m-en"]


def test_a_recorded_pairing_is_kept_on_a_rerun() -> None:
    people = newcomer_network() + [person("better", interests=("气候",), region="", language="zh")]
    records = {"m-zh": Record("m-buddy1", NOW)}
    plan = plan_onboarding(state(people, records=records), CONFIG)
    assert plan.matches["m-zh"] == "m-buddy1" and "onboarding:newcomer:m-zh" not in {a.key for a in plan.records}


def test_follow_ups_are_planned_for_welcomed_newcomers_only() -> None:
    plan = plan_onboarding(state(newcomer_network()), CONFIG)
    welcome = Action("onboarding:welcome:m-zh", "email", "w")
    delivery = Delivery(ApplyResult(done=[welcome], failed=[(Action("onboarding:welcome:m-en", "email", "w"), "x")]))
    actions = plan_followups(delivery, plan, (7, 30), NOW)
    assert [(a.key, a.due_at) for a in actions] == [
        (followup_key(7, "m-zh"), NOW + timedelta(days=7)),
        (followup_key(30, "m-zh"), NOW + timedelta(days=30)),
    ]


def test_a_due_follow_up_is_rendered_now_and_a_departed_members_is_cancelled() -> None:
    people = newcomer_network()
    due = [followup_key(7, "m-buddy1"), followup_key(30, "m-gone")]
    plan = plan_onboarding(state(people, last_run=NOW - timedelta(hours=1), due=due), CONFIG)
    followups = [m for m in plan.messages if m.purpose == "onboarding_followup"]
    assert [m.key for m in followups] == [followup_key(7, "m-buddy1")] and "一周" in followups[0].subject
    assert plan.cancel == [followup_key(30, "m-gone")]


def test_the_weavers_digest_names_newcomers_with_what_they_need_to_act_and_never_member_ids() -> None:
    people = newcomer_network()
    people[0] = Person(**{**vars(people[0]), "organisation": "绿色行动", "interests": ("气候", "教育")})
    plan = plan_onboarding(state(people), CONFIG)
    digest = next(m for m in plan.messages if m.purpose == "onboarding_digest")
    for body in (digest.text, digest.html):
        assert "成员zh" in body and "成员buddy1" in body  # the newcomer and their buddy, by name
        assert "绿色行动" in body and "教育" in body and "pzh@example.org" in body  # organisation, interests, email
        assert "m-zh" not in body and "m-buddy1" not in body and "m-" not in body  # no internal ids


def test_the_report_names_newcomers_and_buddies_never_member_ids() -> None:
    plan = plan_onboarding(state(newcomer_network()), CONFIG)
    report = build_onboarding_report(plan, summarise_onboarding(plan, None, 0), "zh", [])
    [table] = report.tables
    assert ["成员zh", "成员buddy1"] in [row[:2] for row in table.rows]
    assert not any(cell.startswith("m-") for row in table.rows for cell in row)
