"""asks-offers, plan (pure): the members tab and the vocabulary -> introductions, follow-ups, digests, chat.

What `--dry-run` shows. Ledger keys, so a rerun sends nothing twice:

* `email:asks-offers:<member>:<YYYY-Www>`: the weekly digest, once per member and ISO week;
* `email:match:<ref>:<member>`: an introduction, to each of the two (ref `match:<need>:<offer>:<need key>`);
* `email:match-followup:<ref>`: "did you meet?", to the member with the need, `followup_days` later;
* `chat:asks-offers:<YYYY-Www>`: the week's asks and offers in the network's chat, once per week.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from prefect.cache_policies import NO_CACHE

from connectors.mail import Message
from connectors.tables import Grid
from tasks.asks_offers.matching import (
    SOURCE,
    Board,
    Match,
    Person,
    need_ref,
    parse_ref,
    participants,
    plan_matches,
)
from tasks.common.messages import render
from tasks.common.prefect_task import task
from tasks.common.ties import Tie, due_followups
from tasks.common.vocabulary import Tag, Vocabulary
from tasks.members.plan import dedupe, locate_columns, parse_members
from weaver.config import WeaverConfig
from weaver.errors import SourceError
from weaver.i18n import t
from weaver.ledger import Action

TEMPLATES = ("asks_offers_digest", "match_introduction", "match_followup")


@dataclass
class AsksPlan:
    today: date
    week: str  # ISO week, e.g. 2026-W48
    people: list[Person]
    members: int  # members on the tab
    opted_in_column: bool  # is `asks_offers` mapped at all?
    matches: list[Match]
    followups_due: list[Tie]
    followups_planned: list[tuple[Tie, date]]
    messages: list[Message] = field(default_factory=list)
    chat: list[Action] = field(default_factory=list)
    match_keys: dict[str, list[str]] = field(default_factory=dict)  # match ref -> its two message keys
    unknown: Counter[str] = field(default_factory=Counter)  # free-text tags the vocabulary does not know
    vocabulary_terms: int = 0
    vocabulary_tab: str = ""

    def name(self, member_id: str) -> str:
        return next((p.name for p in self.people if p.member_id == member_id), "") or member_id

    @property
    def digests(self) -> list[Message]:
        return [m for m in self.messages if m.purpose == "asks_offers_digest"]

    def made(self, delivered: set[str]) -> list[Tie]:
        """Introductions of which at least one email went out (now or on an earlier run): they are ties."""
        return [m.as_tie(self.today) for m in self.matches if delivered & set(self.match_keys.get(m.ref, []))]


def read_members(grid: Grid, config: WeaverConfig, source: str, lang: str) -> dict[str, dict[str, str]]:
    """The members tab as member id -> fields (the same parsing and merging of duplicates as member-sync)."""
    cfg = config.members
    if len(grid) < cfg.header_row:
        raise SourceError(f"{source}: tab {cfg.tab!r} has no header row {cfg.header_row}")
    layout = locate_columns(grid[cfg.header_row - 1], cfg, cfg.tab, source)
    parsed = parse_members(grid, layout, cfg, config.network.default_language, lang)
    return {m.member_id: m.fields for m in dedupe(parsed.members, lang).members}


def reader_language(person: Person, default: str) -> str:
    return person.language if person.language in ("zh", "en") else default


def plan_asks_offers(members_grid: Grid, vocabulary_grid: Grid, ties: Sequence[Tie], config: WeaverConfig,
                     today: date, source: str, lang: str) -> AsksPlan:  # fmt: skip
    cfg = config.matching
    vocabulary = Vocabulary.from_grid(vocabulary_grid, cfg.vocabulary_tab)
    members = read_members(members_grid, config, source, lang)
    people = participants(members, vocabulary)
    year, week_no, _ = today.isocalendar()
    matches = plan_matches(people, ties, today, cfg.followup_days, cfg.per_offerer) if cfg.introductions else []
    due, planned = due_followups(ties, SOURCE, cfg.followup_days, today)
    by_id = {p.member_id: p for p in people}
    plan = AsksPlan(today, f"{year}-W{week_no:02d}", people, len(members), "asks_offers" in config.members.columns,
                    matches, [d for d in due if parse_ref(d.ref)[0] in by_id], planned,
                    vocabulary_terms=len(vocabulary), vocabulary_tab=cfg.vocabulary_tab)  # fmt: skip
    plan.unknown = Counter(x.key for p in people for x in (*p.needs, *p.offers) if not x.known)
    plan.messages = _introductions(plan, by_id, members, config) + _followups(plan, by_id, members, config)
    plan.messages += _digests(plan, members, config)
    if cfg.chat:
        plan.chat = _chat(plan, config.network.default_language)
    return plan


# messages ---------------------------------------------------------------------------------------------------
def _message(template: str, key: str, member_id: str, members: Mapping[str, Mapping[str, Any]],
             config: WeaverConfig, extra: dict[str, Any]) -> Message:  # fmt: skip
    f = members[member_id]
    context = {"network_name": config.network.name, "name": f.get("name", ""), **extra}
    r = render(template, str(f.get("language", "")), context, config.network.default_language)
    return Message(key, str(f.get("email", "")), str(f.get("name", "")), r.subject, r.text, r.html, r.language,
                   member_id, template)  # fmt: skip


def _card(person: Person, tags: Sequence[Tag], lang: str) -> dict[str, str]:
    return {"name": person.name, "organisation": person.organisation, "region": person.region,
            "tags": ", ".join(x.label(lang) for x in tags)}  # fmt: skip


def _introductions(plan: AsksPlan, by_id: Mapping[str, Person], members: Mapping[str, Mapping[str, Any]],
                   config: WeaverConfig) -> list[Message]:  # fmt: skip
    out = []
    default = config.network.default_language
    for match in plan.matches:
        keys = []
        for me, other, has_need in ((match.needer, match.offerer, True), (match.offerer, match.needer, False)):
            lang = reader_language(by_id[me], default)
            context = {"other": _card(by_id[other], (), lang), "need": match.need.label(lang), "has_need": has_need}
            msg = _message("match_introduction", f"email:match:{match.ref}:{me}", me, members, config, context)
            keys.append(msg.key)
            out.append(msg)
        plan.match_keys[match.ref] = keys
    return out


def _followups(plan: AsksPlan, by_id: Mapping[str, Person], members: Mapping[str, Mapping[str, Any]],
               config: WeaverConfig) -> list[Message]:  # fmt: skip
    out = []
    for due in plan.followups_due:
        needer, offerer, need_key = parse_ref(due.ref)
        person = by_id[needer]
        lang = reader_language(person, config.network.default_language)
        need = next((x.label(lang) for x in person.needs if need_ref(x.key) == need_key), need_key)
        other = by_id[offerer].name if offerer in by_id else str(members.get(offerer, {}).get("name", ""))
        out.append(_message("match_followup", f"email:match-followup:{due.ref}", needer, members, config,
                            {"other": {"name": other or offerer}, "need": need}))  # fmt: skip
    return out


def _digests(plan: AsksPlan, members: Mapping[str, Mapping[str, Any]], config: WeaverConfig) -> list[Message]:
    """One digest per participant per ISO week; a week with nothing to list from others sends none."""
    out = []
    board = Board(plan.people)
    for reader in plan.people:
        lang = reader_language(reader, config.network.default_language)
        asks, offers = board.for_reader(reader, config.matching.digest_items)
        if not asks and not offers:
            continue
        context = {"week": plan.week, "asks": [{**_card(p, tags, lang), "meets": meets} for p, tags, meets in asks],
                   "offers": [{**_card(p, tags, lang), "meets": meets} for p, tags, meets in offers],
                   "my_needs": ", ".join(x.label(lang) for x in reader.needs),
                   "my_offers": ", ".join(x.label(lang) for x in reader.offers)}  # fmt: skip
        key = f"email:asks-offers:{reader.member_id}:{plan.week}"
        out.append(_message("asks_offers_digest", key, reader.member_id, members, config, context))
    return out


def _chat(plan: AsksPlan, lang: str) -> list[Action]:
    """The week's asks and offers as one chat post, in the network's language (opted-in members only)."""
    lines = []
    for p in sorted(plan.people, key=lambda x: (x.name, x.member_id)):
        parts = []
        if p.needs:
            parts.append(t("ask.chat.needs", lang, tags=", ".join(x.label(lang) for x in p.needs)))
        if p.offers:
            parts.append(t("ask.chat.offers", lang, tags=", ".join(x.label(lang) for x in p.offers)))
        if parts:
            lines.append(f"• {p.name}: {'; '.join(parts)}")
    if not lines:
        return []
    title = t("ask.chat.title", lang, week=plan.week)
    return [Action(f"chat:asks-offers:{plan.week}", "chat", f"chat post: asks and offers {plan.week}",
                   {"title": title, "body": "\n".join(lines)})]  # fmt: skip


plan_asks_offers_task = task(name="plan-asks-offers", cache_policy=NO_CACHE)(plan_asks_offers)
