"""The shared vocabulary: zh and en spellings of one thing read as one term, free text read for known words."""

from __future__ import annotations

from tasks.common.vocabulary import Vocabulary

TABLE = [
    ["English", "中文", "Synonyms"],
    ["venue", "场地", "space, meeting room、会议室"],
    ["funding", "资金", "grant, grants, 经费, 资助"],
    ["open data", "开放数据", ""],
    ["data", "数据", ""],
    ["", "", "a row with no term is skipped"],
]
VOCAB = Vocabulary.from_grid(TABLE)


def keys(text: str) -> list[str]:
    return [x.key for x in VOCAB.tags(text)]


def test_every_spelling_of_a_term_is_the_same_term() -> None:
    assert keys("场地") == keys("Venue") == keys("ＭＥＥＴＩＮＧ ROOM") == keys("会议室") == ["venue"]
    assert keys("资助、grants; Funding") == ["funding"]  # repeats of one term count once
    assert len(VOCAB) == 4


def test_free_text_yields_the_terms_it_contains_longest_first() -> None:
    assert keys("想找一个能办工作坊的场地，还需要一些经费") == ["venue", "funding"]
    assert keys("help publishing open data") == ["open data"]  # not also "data": the span counts once
    assert keys("a database course") == ["a database course"]  # English matches whole words only


def test_unknown_words_stay_as_typed_and_say_so() -> None:
    [tag] = VOCAB.tags("Legal Advice")
    assert (tag.key, tag.label("zh"), tag.known) == ("legal advice", "Legal Advice", False)
    [venue] = VOCAB.tags("space")
    assert (venue.label("zh"), venue.label("en"), venue.known) == ("场地", "venue", True)


def test_a_network_without_the_table_matches_same_words_only() -> None:
    empty = Vocabulary.from_grid([])
    assert [x.key for x in empty.tags("Venue, 场地")] == ["venue", "场地"]
