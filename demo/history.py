"""The demo network's recent past, so the first `weaver demo` shows an operation mid-way, as in real life.

`weaver demo` calls `seed_history` once, right after creating the demo workspace (never `weaver init`):

* **The yearly check-in survey went out four days ago.** Its invitations were sent then, through the real
  planning code and the action ledger, into the outbox, to the members who had joined by then and said yes
  to email. Members who joined since get theirs on the first demo run.
* **A decision round and a vote went out three days ago** by personal link (the vote closed yesterday);
  some members answered on the page. The first demo run reminds the rest of the open round, and closes the
  vote: its outcome goes to the Decisions tab and is announced.
* **The placemaking sharing session ended ten days ago**: fourteen members checked in at the door (recorded
  as check-ins, `weaver.state.checkins`). The first demo run writes them to the Attendance tab (event-invites)
  and thanks them with a personal harvest link (event-harvest); a rerun sends and writes nothing.
* **A story round opened twelve days ago** with four stories from last year's check-in: members voted on the
  page (through its real handler), the round closed five days ago, the two most voted stories' authors were
  asked whether we may publish, and one said yes (with her name) on the consent page. The first demo run puts
  that story in the News tab (the newsletter's feature) and the impact report's stories section.
* **Some members answered since**: a Google Forms CSV export (`survey-responses/checkin-2026.csv`) with their
  personal tokens, two rows with forged tokens and one with none (anonymous), and two submissions that came
  through the webhook receiver into the inbox.

So the first demo run invites the newcomers, ingests the answers, reminds everyone else who was invited, and
writes the summary; a rerun sends nothing new. Deterministic for a seed and a date, except the workspace's
own token secret (random, kept in its state database).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from connectors.mail import Message, OutboxTransport, Sender
from demo.build import CLOSED_ROUND, DEMO_SURVEY, DEMO_SURVEY_OPENED_DAYS_AGO, IDEAS, OPEN_ROUND
from deployments.pages import PageContext
from deployments.pages.stories import StoryConsentPage, StoryVotePage
from flows._runtime import build_tables
from tasks.common.messages import message_action
from tasks.common.unsubscribe import signed_member_mail
from tasks.decisions.decisions import parse_proposals
from tasks.decisions.plan import plan_decisions
from tasks.events.events import parse_events
from tasks.members.plan import plan_member_sync
from tasks.stories.apply import open_round
from tasks.stories.plan import plan_stories
from tasks.stories.read import StoriesRead
from tasks.stories.stories import CONSENT, VOTE, Candidate, story_id
from tasks.surveys.plan import SurveyState, plan_survey
from tasks.surveys.surveys import Network, Survey, member_token, parse_surveys
from weaver.clock import Clock, network_clock
from weaver.ledger import Action, Ledger, Outcome
from weaver.links import LinkSigner, link_secret
from weaver.models import parse_consent
from weaver.state import StateDB, inbox, ledger, local_secret, utcnow
from weaver.state.checkins import record_checkin, save_checkin_events
from weaver.state.decisions import save_response, save_rounds
from weaver.state.ideas import save_dots
from weaver.state.stories import load_rounds, votes
from weaver.workspace import Workspace

ACTIVITIES = ["线下聚会 In-person gatherings", "线上分享 Online talks", "同伴互助 Peer support",
              "资助信息 Funding news", "工作坊 Workshops"]  # fmt: skip
MORE_OF = ["跨地区交流 Cross-region exchange", "小组深度讨论 Small-group deep dives", "实地走访 Field visits",
           "导师配对 Mentoring"]  # fmt: skip
QUESTIONS = [
    "你最看重哪类活动？Which activities matter most to you?",
    "你与网络的联系有多紧密？How connected do you feel? (1–5)",
    "明年希望多一些什么？What would you like more of next year?",
    "一个值得分享的故事 A story worth sharing",
]
STORIES_ZH = [
    "在昆明的聚会上认识了做社区厨房的伙伴，现在我们一起申请了一个小额资助。",
    "线上分享让我第一次了解到开放数据，我们机构开始公开年度报告的数据了。",
    "同伴互助小组帮我度过了项目最难的三个月。",
    "通过网络介绍，我们和西北的一家学校建立了长期合作。",
    "第一次参加工作坊很紧张，结果认识了三位后来一直联系的朋友。",
]
STORIES_EN = [
    "At the spring gathering I met two people working on food systems; we now run a joint pilot.",
    "The mentoring pairing changed how I plan our programmes.",
    "A member in Nairobi shared her fundraising template and it doubled our small donations.",
    "I joined an online talk by chance and ended up co-writing a grant proposal.",
]


def seed_history(root: Path, today: date | None = None, seed: int = 11) -> None:
    """Write the demo's past into a freshly created demo workspace (see the module docstring)."""
    ws = Workspace.open(root)
    today = today or date.today()
    opened = today - timedelta(days=DEMO_SURVEY_OPENED_DAYS_AGO)
    survey, members = _survey_and_members(ws, opened)
    db = StateDB(ws.state_url)
    try:
        secret = (local_secret(db, "survey-token") or "").encode()
        net = ws.config.network
        network, tz = Network(net.name, net.default_language), net.timezone
        then = datetime.combine(opened, time(10), ZoneInfo(tz))
        invited = _send_invitations(ws, db, survey, members, secret, network, network_clock(tz, then))
        rng = random.Random(seed)
        answered = rng.sample(invited, k=len(invited) * 2 // 5)
        webhook, exported = answered[:2], answered[2:]
        _write_export(ws.path(survey.responses_csv), exported, survey, secret, then, tz, rng)
        _store_webhook_submissions(db, webhook, survey, secret, then, rng)
        _seed_decisions(ws, db, members, today - timedelta(days=3), rng)
        _seed_dots(ws, db, members, rng)
        _seed_door_checkins(ws, db, members)
        _seed_stories(ws, db, members, today)
    finally:
        db.close()


def _survey_and_members(ws: Workspace, opened: date) -> tuple[Survey, list[dict[str, Any]]]:
    """The check-in survey, and the members as the sheet says (the state has none yet) who had joined by then."""
    tables = build_tables(ws)
    cfg = ws.config
    plan = plan_member_sync(tables.read_tab(cfg.members.tab), cfg, {}, tables.describe())
    members = [{"member_id": m.member_id, "email": m.email, "fields": m.fields} for m in plan.deduped.members
               if m.fields.get("joined", "") <= opened.isoformat()]  # fmt: skip
    surveys = parse_surveys(tables.read_tab(cfg.tabs.surveys), cfg.tabs.surveys, "en").surveys
    return next(s for s in surveys if s.survey_id == DEMO_SURVEY), members


def _send_invitations(ws: Workspace, db: StateDB, survey: Survey, members: list[dict[str, Any]], secret: bytes,
                      network: Network, clock: Clock) -> list[dict[str, Any]]:  # fmt: skip
    """Invite, as the flow did four days ago: through the ledger, into the outbox, only with a yes to email."""
    consenting = [m for m in members if parse_consent(m["fields"].get("consent", "")) is True]
    plan = plan_survey(survey, consenting, SurveyState(), secret, network, clock)
    _sent_in_the_past(ws, db, "survey-distribution", plan.invites, clock.now)  # four days ago
    return consenting


def _sent_in_the_past(ws: Workspace, db: StateDB, flow: str, messages: Sequence[Message], then: datetime) -> None:
    """Into the outbox through the ledger, as `flow` sent them at `then`: member mail with its unsubscribe
    headers and footer, exactly as `Operation.send` adds them."""
    messages = signed_member_mail(messages, db, ws.config, str(ws.root / "weaver.toml"))
    outbox = OutboxTransport(ws.outbox, Sender(ws.config.mail.from_address, ws.config.mail.from_name))
    with outbox.session() as session:

        def send(batch: Sequence[Action]) -> list[Outcome]:
            return [session.send(Message.from_payload(a.payload)) for a in batch]

        result = Ledger(db, flow).apply([message_action(m) for m in messages], send)
    with db.begin() as conn:  # the past: these went out then, not a moment ago
        keys = [a.key for a in result.done]
        conn.execute(ledger.update().where(ledger.c.key.in_(keys)).values(created_at=then, updated_at=then))


def _answer(member: dict[str, Any], rng: random.Random) -> dict[str, str]:
    chinese = member["fields"].get("language") == "zh"
    answers = {
        QUESTIONS[0]: rng.choices(ACTIVITIES, weights=[5, 3, 4, 2, 3])[0],
        QUESTIONS[1]: str(rng.choices(range(1, 6), weights=[1, 2, 4, 5, 3])[0]),
        QUESTIONS[2]: rng.choices(MORE_OF, weights=[4, 3, 2, 3])[0],
        QUESTIONS[3]: "",
    }
    if rng.random() < 0.5:
        answers[QUESTIONS[3]] = rng.choice(STORIES_ZH if chinese else STORIES_EN)
    return answers


def _moment(then: datetime, rng: random.Random) -> datetime:
    """A time between the invitation and a few hours ago."""
    span = max((utcnow() - then).total_seconds() - 4 * 3600, 3600)
    return then + timedelta(seconds=rng.uniform(600, span))


def _write_export(path: Path, members: list[dict[str, Any]], survey: Survey, secret: bytes, then: datetime, tz: str,
                  rng: random.Random) -> None:  # fmt: skip
    """A Google Forms CSV export: timestamp (local time), the token question, then the questions."""
    rows = [(_moment(then, rng), member_token(secret, survey.survey_id, m["member_id"]), _answer(m, rng))
            for m in members]  # fmt: skip
    strangers = [{"fields": {"language": "en"}}, {"fields": {"language": "zh"}}, {"fields": {"language": "zh"}}]
    forged = ["aaaabbbbccccddddeeeeffff", "not-my-token", ""]  # forged, mistyped and missing: all anonymous
    rows += [(_moment(then, rng), token, _answer(s, rng)) for s, token in zip(strangers, forged, strict=True)]
    rows.sort(key=lambda r: r[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Timestamp", "token", *QUESTIONS])
        for when, token, answers in rows:
            local = when.astimezone(ZoneInfo(tz)).strftime("%Y/%m/%d %H:%M:%S")
            writer.writerow([local, token, *(answers[q] for q in QUESTIONS)])


def _store_webhook_submissions(db: StateDB, members: list[dict[str, Any]], survey: Survey, secret: bytes,
                               then: datetime, rng: random.Random) -> None:  # fmt: skip
    """Submissions the webhook receiver stored (Google Forms via Apps Script), in its normalised shape."""
    rows = []
    for i, member in enumerate(members, start=1):
        when = _moment(then, rng)
        payload = {"form": survey.survey_id, "submitted_at": when.isoformat(), "email": member["email"],
                   "name": member["fields"].get("name", ""), "answers": _answer(member, rng),
                   "hidden": {"token": member_token(secret, survey.survey_id, member["member_id"])}}  # fmt: skip
        rows.append({"id": f"google_forms:demo-{i}", "provider": "google_forms", "form": survey.survey_id,
                     "kind": "survey", "payload": payload, "received_at": when, "status": "received",
                     "attempts": 0})  # fmt: skip
    with db.begin() as conn:
        conn.execute(inbox.insert(), rows)


def _seed_decisions(ws: Workspace, db: StateDB, members: list[dict[str, Any]], sent: date, rng: random.Random) -> None:
    """Three days ago the open consent round and the vote (closed since yesterday) went out by personal link,
    through the real planning code and the ledger; since then some members answered on the page."""
    cfg = ws.config
    tz = cfg.network.timezone
    proposals = parse_proposals(build_tables(ws).read_tab(cfg.decisions.proposals_tab), cfg.decisions)
    secret, _ = link_secret(db, cfg, False, str(ws.root / "weaver.toml"))
    plan = plan_decisions(proposals, members, [], set(), set(), LinkSigner(secret), cfg, sent)
    then = datetime.combine(sent, time(10), ZoneInfo(tz))
    save_rounds(db, plan.snapshots, then)
    consenting = {m["member_id"] for m in members if parse_consent(m["fields"].get("consent", "")) is True}
    invites = [m for m in plan.messages if m.purpose == "decision_invite" and m.member_id in consenting]
    _sent_in_the_past(ws, db, "decision-rounds", invites, then)  # three days ago
    for round_ in plan.rounds:
        invited = sorted(m.member_id for m in invites if m.key.split(":")[1] == round_.proposal.proposal_id)
        pid = round_.proposal.proposal_id
        if pid == CLOSED_ROUND:
            weights = [3, 5, 2]
            for mid in rng.sample(invited, k=len(invited) * 2 // 5):
                choice = rng.choices(round_.proposal.options, weights=weights)[0]
                save_response(db, pid, mid, choice, "", _moment(then, rng))
        elif pid == OPEN_ROUND:
            answered = rng.sample(invited, k=len(invited) // 4)
            for i, mid in enumerate(answered):
                choice, comment = (
                    ("object", "声明里的数据需要注明来源。Please cite the figures.")
                    if i == 0
                    else (rng.choices(["consent", "stand_aside"], weights=[5, 1])[0], "")
                )
                save_response(db, pid, mid, choice, comment, _moment(then, rng))


def _seed_dots(ws: Workspace, db: StateDB, members: list[dict[str, Any]], rng: random.Random) -> None:
    """The dot vote on event ideas closed yesterday: a third of the members placed their dots on the page."""
    cfg = ws.config.ideas
    if not cfg.round:
        return
    then = datetime.combine(date.fromisoformat(cfg.opens), time(12), ZoneInfo(ws.config.network.timezone))
    ideas = [row[0] for row in IDEAS]
    for member in rng.sample(members, k=len(members) // 3):
        dots: dict[str, int] = {}
        for idea in rng.choices(ideas, weights=[5, 4, 3, 1, 2], k=cfg.dots):
            dots[idea] = dots.get(idea, 0) + 1
        save_dots(db, cfg.round, member["member_id"], dots, _moment(then, rng))


DOOR_EVENT = "placemaking-sharing"  # ended ten days before the demo day (demo/build.py build_events)


def _seed_door_checkins(ws: Workspace, db: StateDB, members: list[dict[str, Any]]) -> None:
    """Fourteen members checked in at the door of the placemaking session (its own generator: the other
    seeds draw the same numbers as before)."""
    cfg = ws.config
    grid = build_tables(ws).read_tab(cfg.tabs.events)
    events, _ = parse_events(grid, cfg.events, cfg.tabs.events, cfg.network.timezone, "en", "demo")
    event = next(e for e in events if e.event_id == DOOR_EVENT)
    save_checkin_events(db, [{"event_id": event.event_id, "title": event.title, "starts_at": event.start,
                              "ends_at": event.end, "timezone": event.timezone, "status": "scheduled"}])  # fmt: skip
    rng = random.Random(1818)
    consenting = [m for m in members if parse_consent(m["fields"].get("consent", "")) is True]
    for i, member in enumerate(sorted(rng.sample(consenting, k=14), key=lambda m: m["member_id"])):
        record_checkin(
            db, event.event_id, member["member_id"], (event.start + timedelta(minutes=3 * i)).astimezone(UTC)
        )


EARLIER_STORIES = [  # last year's check-in answers to "a story worth sharing", nominated for the first round
    "去年在成都的社区营造工作坊上认识了两位伙伴，我们一起把老旧院落改成了邻里共享空间，现在每周都有活动。",
    "Through the network's mentoring pairing I met a finance lead in Nairobi; our small-donor income doubled.",
    "数据工作组帮我们把十年的项目记录整理成公开数据集，资助方第一次主动来联系我们。",
    "A peer-support circle kept our team going through the hardest quarter we have had.",
]
EARLIER_TITLE = "2025 年度成员问卷 Member check-in 2025"


def _seed_stories(ws: Workspace, db: StateDB, members: list[dict[str, Any]], today: date) -> None:
    """The first story round, through the real planning code, the ledger and the pages' own handlers."""
    cfg, tz = ws.config, ZoneInfo(ws.config.network.timezone)
    rng = random.Random(1919)
    consenting = [m for m in members if parse_consent(m["fields"].get("consent", "")) is True]
    by_id = {m["member_id"]: m for m in consenting}
    opened = datetime.combine(today - timedelta(days=12), time(11, 30), tz)
    authors = rng.sample(consenting, k=len(EARLIER_STORIES))
    found = [Candidate(story_id(f"survey:checkin-2025:{a['member_id']}"), a["member_id"], text, "survey",
                       EARLIER_TITLE, opened - timedelta(days=300 - i))
             for i, (a, text) in enumerate(zip(authors, EARLIER_STORIES, strict=True))]  # fmt: skip
    secret, _ = link_secret(db, cfg, False, str(ws.root / "weaver.toml"))
    signer = LinkSigner(secret)
    plan = plan_stories(StoriesRead(found, [], [], {}, by_id), cfg, opened, signer)
    open_round(plan, db, False)
    _sent_in_the_past(ws, db, "stories", plan.messages, opened)
    round_id = plan.new_round["round_id"] if plan.new_round else ""
    texts = {n["story_id"]: n for n in (plan.new_round or {}).get("nominees", [])}
    weights = {s: w for s, w in zip(texts, [2, 6, 5, 1], strict=False)}
    voters = rng.sample(consenting, k=len(consenting) // 4)
    for i, voter in enumerate(voters):
        picks = rng.sample(list(texts), k=2, counts=[weights[s] for s in texts])
        picks = sorted(set(picks))
        when = opened + timedelta(hours=2 + i * 2)
        token = signer.token(VOTE, voter["member_id"], round_id)
        _post(PageContext, StoryVotePage(), ws, db, signer, token, VOTE, when, {"story": "\n".join(picks)})
    closed = opened + timedelta(days=cfg.stories.round_days, hours=1)
    state = StoriesRead([], load_rounds(db), votes(db), {}, by_id)
    asks = plan_stories(state, cfg, closed, signer).messages
    _sent_in_the_past(ws, db, "stories", asks, closed)
    first = next(m for m in asks if m.purpose == "story_consent")
    story = first.key.split(":", 1)[1]
    token = signer.token(CONSENT, str(first.member_id), f"{round_id}|{story}")
    _post(
        PageContext,
        StoryConsentPage(),
        ws,
        db,
        signer,
        token,
        CONSENT,
        closed + timedelta(hours=20),
        {"answer": "name"},
    )


def _post(context: Any, page: Any, ws: Workspace, db: StateDB, signer: LinkSigner, token: str, purpose: str,
          when: datetime, form: dict[str, str]) -> None:  # fmt: skip
    """A member's click on a page: the token verified as the receiver does, then the page's own POST handler."""
    link = signer.verify(token, purpose, when)
    reply = page.post(context(ws, db, signer, link, when, "POST", form))
    if reply.status != 200:
        raise AssertionError(f"demo history: the {purpose} page answered {reply.status}")
