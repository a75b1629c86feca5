"""Illicit content: the lexicon and the score, on the pages in tests/data/pages (each read
the way a scan reads it, with probes.page)."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import pytest

from domainwatch import lexicon
from domainwatch.lexicon import (
    LEXICON_FILE,
    IllicitScore,
    LexiconDataError,
    load_lexicon,
    score_illicit,
)
from domainwatch.normalize import fold_ascii
from tests.pages import GUARDS, read, write_json


def illicit(name: str, *, hidden: bool = True) -> IllicitScore:
    page, _ = read(name)
    return score_illicit(page.title, page.text, hidden_text=page.hidden_text if hidden else "")


@pytest.mark.parametrize("name", GUARDS)
def test_guard_pages_are_not_illicit(name: str) -> None:
    assert not illicit(name).flagged


def test_the_packaged_lexicon_is_read_once() -> None:
    assert lexicon._packaged_lexicon() is lexicon._packaged_lexicon()


# -- illicit content: the packaged lexicon -------------------------------------------------

LEXICON = load_lexicon()


def test_packaged_lexicon_loads() -> None:
    assert LEXICON_FILE.parent.name == "data"
    assert set(LEXICON.categories) >= {"gambling", "lottery", "porn", "private_server",
                                       "fake_documents"}
    used = {term.category for term in LEXICON.terms.values()}
    assert used == set(LEXICON.categories)
    weight = {term.term: term.weight for term in LEXICON.terms.values()}
    for strong in ("澳门新葡京", "皇冠体育", "真人视讯", "百家乐", "开元棋牌", "六合彩开奖",
                   "时时彩", "北京赛车pk10", "传奇私服", "私服发布网", "成人视频", "av在线",
                   "online casino", "办假证"):
        assert weight[strong] >= 8, strong
    for enforcement in ("赌博网站", "网络赌博", "色情", "代开发票", "彩票", "福利彩票",
                        "体育彩票", "六合彩", "私彩", "冰毒"):
        assert weight[enforcement] <= LEXICON.mitigable_weight, enforcement
    assert {"管理办法", "通知", "严厉打击", "专项行动", "发行管理", "财政部"} <= set(
        LEXICON.mitigators)
    assert LEXICON.flag == 30 and LEXICON.mitigable_weight == 3


# -- illicit content: pages ----------------------------------------------------------------


def test_a_portal_with_lottery_regulation_and_gambling_enforcement_news_is_not_flagged() -> None:
    score = illicit("guard-gov-portal.html")
    assert not score.flagged and score.mitigated
    terms = {signal.term for signal in score.signals}
    assert {"福利彩票", "网络赌博"} <= terms
    assert "娱乐场" not in terms  # 文化娱乐场所 is an ordinary word
    assert score.score < 5
    assert "通知" in score.mitigators


def test_police_news_about_a_gambling_case_is_not_flagged() -> None:
    score = illicit("guard-police-news.html")
    assert not score.flagged and score.mitigated
    assert "百家乐" in {signal.term for signal in score.signals}


def test_a_gambling_site_in_place_of_a_portal_is_flagged() -> None:
    score = illicit("illicit-gambling.html")
    assert score.flagged and score.category == "gambling"
    assert {("澳门新葡京", "title"), ("百家乐", "title"), ("真人视讯", "title")} <= {
        (signal.term, signal.where) for signal in score.signals}
    assert score.score > 3 * LEXICON.flag


def test_hidden_gambling_links_in_a_normal_portal_are_flagged() -> None:
    page, _ = read("illicit-hidden-links.html")
    assert "澳门新葡京" in page.hidden_text and "澳门新葡京" not in page.text
    assert not illicit("illicit-hidden-links.html", hidden=False).flagged
    score = illicit("illicit-hidden-links.html")
    assert score.flagged and score.category == "gambling"
    assert {signal.where for signal in score.signals} == {"hidden"}
    # The same words count double hidden.
    words = "澳门新葡京 太阳城 百家乐 六合彩"
    assert score_illicit("", "", hidden_text=words).score == 2 * score_illicit("", words).score


@pytest.mark.parametrize(("name", "category"), [
    ("illicit-casino-en.html", "gambling"),
    ("illicit-porn-en.html", "porn"),
    ("illicit-private-server.html", "private_server"),
    ("illicit-fake-documents.html", "fake_documents"),
    ("illicit-title-only.html", "gambling"),
])
def test_illicit_pages_are_flagged(name: str, category: str) -> None:
    score = illicit(name)
    assert score.flagged and score.category == category


def test_a_strong_term_in_the_title_flags_even_with_little_text() -> None:
    page, _ = read("illicit-title-only.html")
    assert len(page.text) < 10
    assert score_illicit("澳门新葡京", "").flagged
    assert score_illicit("Online Casino", "").flagged
    assert not score_illicit("六合彩", "").flagged  # weight 3: enforcement news says it


def test_no_single_term_in_the_text_flags_on_its_own() -> None:
    for term in LEXICON.terms.values():
        assert not score_illicit("", f"{term.term} " * 20).flagged, term.term


def test_ambiguous_words_never_flag() -> None:
    text = ("市文化馆举办少儿益智游戏和文化娱乐活动。"
            + "彩票 福利彩票 体育彩票 双色球 大乐透 投注 " * 5
            + "赌博 色情 代开发票 私彩 下注 11选5 ")
    score = score_illicit("赌场 博彩 彩票", text)
    assert not score.mitigated and not score.flagged
    assert score.score == LEXICON.flag / 2  # weak terms add at most half the threshold
    assert sum(signal.points for signal in score.signals) > LEXICON.flag
    assert sum(score.categories.values()) == pytest.approx(score.score)


def test_the_category_follows_the_score() -> None:
    # Weak lottery words earn more points than three strong gambling terms, but their share
    # of the score is capped: gambling it is.
    text = "彩票 福利彩票 体育彩票 双色球 大乐透 " * 5 + "真人视讯 百家乐 太阳城集团"
    score = score_illicit("彩票 福利彩票 体育彩票 双色球 大乐透 购彩", text)
    points = {category: sum(s.points for s in score.signals if s.category == category)
              for category in ("gambling", "lottery")}
    assert points["lottery"] > points["gambling"]
    assert score.flagged and score.category == "gambling"
    assert list(score.categories) == ["gambling", "lottery"]
    assert sum(score.categories.values()) == pytest.approx(score.score)


def test_the_formula() -> None:
    assert score_illicit("", "百家乐").score == 9
    assert score_illicit("", "百家乐，百家乐").score == pytest.approx(9 * math.sqrt(2))
    assert score_illicit("百家乐", "").score == 36
    assert score_illicit("", "", hidden_text="百家乐").score == 18
    capped = score_illicit("", "百家乐" * 12)
    (signal,) = capped.signals
    assert signal.count == 12 and capped.score == pytest.approx(9 * math.sqrt(5))
    mitigated = score_illicit("", "严厉打击赌博")
    assert mitigated.mitigated and mitigated.score == pytest.approx(2 * 0.2)
    assert mitigated.mitigators == ("严厉打击",)
    strong = score_illicit("公告", "澳门新葡京 赌博")
    assert strong.mitigated and strong.score == pytest.approx(10 + 2 * 0.2)


def test_matching_rules() -> None:
    def found(text: str) -> dict[str, int]:
        return {s.term: s.count for s in score_illicit("", text).signals}

    assert found("ONLINE CASINO, Online Casinos") == {"online casino": 2}
    assert found("JAVA在线 学习") == {}  # AV在线 must begin a word
    assert found("AV在线 av在线") == {"av在线": 2}
    assert found("xbwin bwin 2bwin bwin2") == {"bwin": 2}
    assert found("福利彩票") == {"福利彩票": 1}  # not also 彩票
    assert found("文化娱乐场所 太阳城社区 anti-pornography 工业大麻") == {}
    assert found("红色情怀 感情色彩 东京热门景点 特色情况 大麻哈鱼") == {}
    assert found("娱乐场 太阳城 porn 大麻") == {"娱乐场": 1, "太阳城": 1, "porn": 1, "大麻": 1}
    assert found("北京赛车PK10 pk10") == {"北京赛车pk10": 1, "pk10": 1}


def test_terms_across_the_numpy_chunks_and_odd_characters() -> None:
    chunk = lexicon._CHUNK
    for offset in range(-4, 2):
        text = "政" * (chunk + offset) + "百家乐" + "府" * 5
        (signal,) = score_illicit("", text).signals
        assert signal.term == "百家乐" and signal.count == 1
    text = "\ud800 \U0001f600 bet365 \x00 casino"
    assert {s.term for s in score_illicit("", text).signals} == {"bet365", "casino"}
    assert score_illicit("", "").signals == () and score_illicit("", "x").signals == ()


def test_the_fast_finder_agrees_with_a_plain_scan() -> None:
    """The numpy candidates and hash keys must find exactly what a naive leftmost-longest scan
    finds, on texts dense with near-misses."""
    phrases = [*LEXICON.terms, *(fold_ascii(p) for p in LEXICON.neutral)]
    finder = lexicon._Phrases(phrases)
    ordered = sorted(phrases, key=len, reverse=True)

    def naive(text: str) -> list[tuple[int, str]]:
        folded, found, position = fold_ascii(text), [], 0
        while position < len(text):
            for phrase in ordered:
                if folded.startswith(phrase, position) and not (
                        lexicon._begins_word(phrase) and position
                        and lexicon._is_word_char(text[position - 1])):
                    found.append((position, phrase))
                    position += len(phrase) - 1
                    break
            position += 1
        return found

    pieces = [term.term for term in LEXICON.terms.values()] + [
        "网络", "体育", "彩", "娱乐", "在线", "x", "A", " ", "。", "北京", "Bet", "ONLINE", "1"]
    rng = random.Random(20261126)
    for _ in range(200):
        text = "".join(rng.choice(pieces)[: rng.randint(1, 6)] for _ in range(rng.randint(1, 60)))
        assert list(finder.finditer(text)) == naive(text), text


def test_one_pass_over_two_groups_finds_what_two_passes_find() -> None:
    """The page scan finds the terms and the list words of the patterns in one pass; each
    group must come out as its own leftmost-longest scan would find it."""
    groups = LEXICON._page_groups
    terms = [phrase for phrase, mask in groups.items() if mask & 1]
    words = [phrase for phrase, mask in groups.items() if mask & 2]
    assert terms and words and any(mask == 3 for mask in groups.values())
    pieces = [*terms[:300], *words, "网络", "体育", "官", "平台", " ", "。", "app", "3", "计"]
    rng = random.Random(20261207)
    for _ in range(300):
        text = "".join(rng.choice(pieces)[: rng.randint(1, 6)] for _ in range(rng.randint(1, 60)))
        found = list(LEXICON._page_finder.finditer_groups(text, groups))
        assert [(p, w) for g, p, w in found if g == 0] == list(
            lexicon._Phrases(terms).finditer(text)), text
        assert [(p, w) for g, p, w in found if g == 1] == list(
            lexicon._Phrases(words).finditer(text)), text


def test_illicit_score_as_dict_is_json() -> None:
    score = illicit("illicit-gambling.html")
    data = json.loads(json.dumps(score.as_dict(), ensure_ascii=False))
    assert data["flagged"] is True and data["category"] == "gambling"
    assert data["signals"][0] == {"term": "澳门新葡京", "category": "gambling", "weight": 10,
                                  "count": 1, "where": "title", "points": 40.0}
    assert set(data) == {"score", "flagged", "category", "categories", "mitigated",
                         "mitigators", "signals"}
    empty = score_illicit("酒泉市人民政府", "政务公开").as_dict()
    assert empty == {"score": 0.0, "flagged": False, "category": None, "categories": {},
                     "mitigated": False, "mitigators": [], "signals": []}


# -- illicit content: validation -----------------------------------------------------------


def lexicon_data(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "categories": {"gambling": {"zh": "赌博", "en": "gambling"}},
        "terms": [{"term": "澳门新葡京", "category": "gambling", "weight": 10}],
        "neutral": [], "mitigators": ["通知"],
        "thresholds": {"flag": 30, "mitigable_weight": 3},
    }
    return {**base, **changes}


def with_term(**entry: Any) -> dict[str, Any]:
    good = {"term": "澳门新葡京", "category": "gambling", "weight": 10}
    return lexicon_data(terms=[good, {"term": "百家乐", "category": "gambling", "weight": 9,
                                 **entry}])


@pytest.mark.parametrize(("data", "message"), [
    (with_term(weight=11), "terms: entry 2 (百家乐): weight 11 is not a whole number from 1 to 10"),
    (with_term(weight=0), "weight 0 is not a whole number"),
    (with_term(weight="5"), "weight '5' is not a whole number"),
    (with_term(weight=True), "weight True is not a whole number"),
    (with_term(category="casino"), "terms: entry 2 (百家乐): unknown category 'casino'"),
    (with_term(colour="red"), "terms: entry 2 (百家乐): unknown keys colour"),
    (with_term(term="澳门新葡京"), "terms: entry 2 (澳门新葡京): duplicate of entry 1"),
    (with_term(term=" 百家乐"), "surrounding spaces"),
    (with_term(term="百"), "two characters or more"),
    (with_term(term="av"), "three characters or more"),
    (with_term(term="-bet"), "must begin with a letter, a digit or a Chinese character"),
    (with_term(note=5), "note must be a string"),
    (lexicon_data(terms=[{"term": "Casino", "category": "gambling", "weight": 3},
                    {"term": "casino", "category": "gambling", "weight": 3}]),
     "terms: entry 2 (casino): duplicate of entry 1"),
    (lexicon_data(terms=[{"term": "百家乐", "category": "gambling"}]), "missing weight"),
    (lexicon_data(terms=[]), "terms must be a non-empty list"),
    (lexicon_data(extras=1), "unknown keys extras"),
    (lexicon_data(thresholds={"flag": 0, "mitigable_weight": 3}), "flag must be a positive number"),
    (lexicon_data(thresholds={"flag": 30, "mitigable_weight": 10}), "mitigable_weight must be"),
    (lexicon_data(thresholds={"flag": 30}), "thresholds: missing mitigable_weight"),
    (lexicon_data(thresholds={"flag": 30, "mitigable_weight": 3, "review": 10}),
     "thresholds: unknown keys review"),
    (lexicon_data(categories={"Gambling": {"zh": "赌博", "en": "gambling"}}),
     "an id is lower-case"),
    (lexicon_data(categories={"gambling": {"zh": "赌博"}}), 'must be {"zh": "...", "en": "..."}'),
    (lexicon_data(neutral=["文化馆"]), "neutral: entry 1 (文化馆): contains no term"),
    (lexicon_data(neutral=["澳门新葡京"]), "neutral: entry 1 (澳门新葡京): is itself a term"),
    (lexicon_data(mitigators=["通知", "通知"]), "mitigators: entry 2 (通知): duplicate of entry 1"),
    (lexicon_data(mitigators=[]), "mitigators must not be empty"),
    ([], "must be a JSON object"),
])
def test_a_bad_lexicon_entry_is_named(tmp_path: Path, data: Any, message: str) -> None:
    with pytest.raises(LexiconDataError) as caught:
        load_lexicon(write_json(tmp_path, data, "lexicon.json"))
    assert str(caught.value).startswith("lexicon.json: ")
    assert message in str(caught.value)


def test_lexicon_file_problems(tmp_path: Path) -> None:
    with pytest.raises(LexiconDataError, match="missing thresholds"):
        data = lexicon_data()
        del data["thresholds"]
        load_lexicon(write_json(tmp_path, data, "lexicon.json"))
    with pytest.raises(LexiconDataError, match="cannot read"):
        load_lexicon(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(LexiconDataError, match="invalid JSON"):
        load_lexicon(broken)


def test_a_custom_lexicon_is_used(tmp_path: Path) -> None:
    custom = load_lexicon(write_json(tmp_path, lexicon_data(
        thresholds={"flag": 5, "mitigable_weight": 0}), "lexicon.json"))
    assert score_illicit("", "澳门新葡京", custom).flagged
    assert not score_illicit("", "百家乐", custom).signals


# -- illicit content: zones, patterns, contexts, host terms ----------------------------------

PATTERNED = lexicon_data(
    terms=[{"term": "百家乐", "category": "gambling", "weight": 9},
           {"term": "彩票", "category": "gambling", "weight": 1}],
    word_lists={"games": {"words": ["快3", "幸运飞艇", "时时彩"]},
                "charts": {"words": ["走势图", "开奖", "计划", "app下载"]},
                "brands": {"words": ["葡京", "bet365", "bt365"]},
                "portals": {"words": ["官网", "登录", "平台"]}},
    patterns=[{"id": "game-chart", "category": "gambling", "weight": 6, "first": "games",
               "then": "charts", "within": 4},
              {"id": "brand-portal", "category": "gambling", "weight": 9, "first": "brands",
               "then": "portals", "within": 3}],
    contexts=[{"id": "official-lottery", "phrases": ["福彩中心"],
               "categories": ["gambling"], "max_weight": 6}],
    host_terms=[{"term": "xpj", "category": "gambling", "weight": 8}],
)


def test_patterns_match_words_the_lexicon_does_not_list(tmp_path: Path) -> None:
    custom = load_lexicon(write_json(tmp_path, PATTERNED, "lexicon.json"))
    score = lexicon.score_zones({"title": "极速快3计划_幸运飞艇开奖直播",
                                 "text": "bt365 手机登录"}, custom)
    patterns = {(signal.pattern, signal.where): signal for signal in score.signals}
    assert set(patterns) == {("game-chart", "title"), ("brand-portal", "text")}
    # counted per zone, however many different pairs: 快3计划 and 幸运飞艇开奖
    assert patterns["game-chart", "title"].count == 2
    assert patterns["game-chart", "title"].term == "快3计划"
    assert patterns["brand-portal", "text"].term == "bt365 手机登录"
    # too far apart, or across zones, is no pattern
    assert not lexicon.score_zones({"text": "葡京酒店位于澳门半岛中心地带的登录"}, custom).signals
    assert not lexicon.score_zones({"title": "bet365", "text": "官网"}, custom).signals


def test_zones_weigh_differently(tmp_path: Path) -> None:
    custom = load_lexicon(write_json(tmp_path, PATTERNED, "lexicon.json"))
    points = {zone: lexicon.score_zones({zone: "百家乐"}, custom).score
              for zone in lexicon.ZONE_FACTORS}
    assert points == {zone: 9 * factor for zone, factor in lexicon.ZONE_FACTORS.items()}
    with pytest.raises(ValueError, match="unknown zones body"):
        lexicon.score_zones({"body": "百家乐"}, custom)


def test_a_context_protects_up_to_its_weight_and_never_hidden_text(tmp_path: Path) -> None:
    custom = load_lexicon(write_json(tmp_path, PATTERNED, "lexicon.json"))
    page = {"headings": "快3开奖公告", "text": "甘肃省福彩中心 快3开奖 快3走势图"}
    protected = lexicon.score_zones(page, custom)
    assert protected.contexts == ("official-lottery",)
    assert all(signal.context == "official-lottery" for signal in protected.signals)
    bare = lexicon.score_zones({"headings": "快3开奖公告", "text": "快3开奖 快3走势图"},
                               custom)
    assert protected.score == pytest.approx(bare.score / 5)
    # a strong term is beyond the context's reach; the title and hidden text are never
    # protected
    strong = lexicon.score_zones({**page, "title": "快3开奖", "hidden": "快3计划 葡京官网"},
                                 custom)
    assert {signal.where for signal in strong.signals if not signal.context} == {
        "hidden", "title"}


def test_the_disguised_page_is_read_as_the_lexicon_is_written(tmp_path: Path) -> None:
    custom = load_lexicon(write_json(tmp_path, PATTERNED, "lexicon.json"))
    assert lexicon.score_zones({"title": "百 家 樂"}, custom).signals[0].term == "百家乐"
    assert lexicon.score_zones({"text": "ｂｔ３６５官網"}, custom).signals[0].pattern \
        == "brand-portal"


def test_host_terms_are_read_inside_labels_never_in_the_suffix(tmp_path: Path) -> None:
    custom = load_lexicon(write_json(tmp_path, PATTERNED, "lexicon.json"))
    assert [term.term for term in custom.host_signals("www.xpj8866.com")] == ["xpj"]
    assert custom.host_signals("www.example.xpj") == ()
    assert custom.host_signals("www.gansu.gov.cn") == ()


@pytest.mark.parametrize(("data", "message"), [
    (lexicon_data(terms=[{"term": "澳門新葡京", "category": "gambling", "weight": 10}]),
     "is not as pages are read: write it '澳门新葡京'"),
    (lexicon_data(terms=[{"term": "ｂｅｔ３６５", "category": "gambling", "weight": 10}]),
     "write it 'bet365'"),
    (lexicon_data(word_lists={"a": {"words": []}}), "word_lists: a: words must not be empty"),
    (lexicon_data(word_lists={"a": {"words": ["快3"]}},
             patterns=[{"id": "p", "category": "gambling", "weight": 5, "first": "a",
                        "then": "b", "within": 3}]),
     "patterns: entry 1 (p): then 'b' is not a word list"),
    (lexicon_data(word_lists={"a": {"words": ["快3"]}},
             patterns=[{"id": "p", "category": "gambling", "weight": 5, "first": "a",
                        "then": "a", "within": 99}]), "within must be a whole number"),
    (lexicon_data(contexts=[{"id": "c", "phrases": ["中心"], "categories": ["porn"],
                        "max_weight": 5}]), "contexts: entry 1 (c): categories must be"),
    (lexicon_data(host_terms=[{"term": "xp", "category": "gambling", "weight": 5}]),
     "host_terms: entry 1: term must be 3 or more"),
    (lexicon_data(sources=[{"id": "a", "title": "t"}]), "sources: entry 1: needs id, title"),
    (with_term(source="nowhere"), "source 'nowhere' is not in sources"),
])
def test_a_bad_new_lexicon_entry_is_named(tmp_path: Path, data: Any, message: str) -> None:
    with pytest.raises(LexiconDataError) as caught:
        load_lexicon(write_json(tmp_path, data, "lexicon.json"))
    assert message in str(caught.value)


def test_neutral_phrases_swallow_list_words_too(tmp_path: Path) -> None:
    data = dict(PATTERNED)
    data["terms"] = [*PATTERNED["terms"], {"term": "买球", "category": "gambling", "weight": 5}]
    data["word_lists"] = {**PATTERNED["word_lists"],
                          "events": {"words": ["世界杯"]}, "bets": {"words": ["买球"]}}
    data["patterns"] = [*PATTERNED["patterns"],
                        {"id": "event-bet", "category": "gambling", "weight": 8,
                         "first": "events", "then": "bets", "within": 2}]
    data["neutral"] = ["买球票"]
    custom = load_lexicon(write_json(tmp_path, data, "lexicon.json"))
    assert [s.pattern for s in lexicon.score_zones({"text": "世界杯买球平台"}, custom).signals
            if s.pattern] == ["event-bet"]
    assert not lexicon.score_zones({"text": "世界杯买球票开售"}, custom).signals


def test_what_a_context_discounts_never_flags_alone(tmp_path: Path) -> None:
    data = dict(PATTERNED)
    data["terms"] = [{"term": name, "category": "gambling", "weight": 10}
                     for name in ("澳门新葡京", "皇冠体育", "金沙娱乐", "真人视讯", "百家乐")]
    data["contexts"] = [{"id": "news", "phrases": ["跨境赌博案"], "categories": ["gambling"],
                         "max_weight": 10}]
    custom = load_lexicon(write_json(tmp_path, data, "lexicon.json"))
    lures = "澳门新葡京 皇冠体育 金沙娱乐 真人视讯 百家乐 " * 5
    news = lexicon.score_zones({"text": f"警方破获跨境赌博案，涉案平台有 {lures}"}, custom)
    assert not news.flagged and news.score == custom.flag / 2
    # the headline that names the case protects its own title; another title is not
    headline = lexicon.score_zones({"title": "跨境赌博案：百家乐骗局", "text": "跨境赌博案"},
                                   custom)
    assert not headline.flagged and headline.signals[0].context == "news"
    hijacked = lexicon.score_zones({"title": "百家乐_澳门新葡京", "text": "跨境赌博案"},
                                   custom)
    assert hijacked.flagged

