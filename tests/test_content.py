"""Content signals: placeholder pages and illicit content, on the pages in tests/data/pages
(each read the way a scan reads it, with probes.page)."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import pytest

from domainwatch import content
from domainwatch.content import (
    EMPTY_TEXT_CHARS,
    LEXICON_FILE,
    PLACEHOLDERS_FILE,
    IllicitScore,
    LexiconDataError,
    PlaceholderDataError,
    PlaceholderMatch,
    PlaceholderSignature,
    load_lexicon,
    load_placeholders,
    match_placeholder,
    score_illicit,
)
from domainwatch.probes.page import Page, parse_page

PAGES = Path(__file__).parent / "data" / "pages"
URL = "http://www.jiuquan.gov.cn/"
SIGNATURES = load_placeholders()
GUARDS = sorted(path.name for path in PAGES.glob("guard-*.html"))


def read(name: str) -> tuple[Page, str]:
    html = (PAGES / name).read_text(encoding="utf-8")
    return parse_page(html, URL), html


def placeholder(name: str, signatures: list[PlaceholderSignature] | None = None,
                **overrides: Any) -> PlaceholderMatch | None:
    page, html = read(name)
    counts: dict[str, Any] = {"links": page.link_count, "scripts": page.scripts,
                              "redirects": bool(page.meta_refresh or page.script_redirects)}
    return match_placeholder(page.title, page.text, html, signatures=signatures,
                             **{**counts, **overrides})


def illicit(name: str, *, hidden: bool = True) -> IllicitScore:
    page, _ = read(name)
    return score_illicit(page.title, page.text, hidden_text=page.hidden_text if hidden else "")


def plain(title: str = "", text: str = "", html: str = "", *, links: int = 0, scripts: int = 0,
          redirects: bool = False,
          signatures: list[PlaceholderSignature] | None = None) -> PlaceholderMatch | None:
    return match_placeholder(title, text, html, links=links, scripts=scripts,
                             redirects=redirects, signatures=signatures)


# -- placeholder signatures: the packaged file ---------------------------------------------


def test_packaged_signatures_load() -> None:
    assert PLACEHOLDERS_FILE.parent.name == "data"
    ids = [signature.id for signature in SIGNATURES]
    assert len(ids) == len(set(ids))
    assert {"nginx-default", "apache-debian-default", "apache-it-works", "rhel-test-page",
            "iis-default", "tomcat-default", "openresty-default", "caddy-default",
            "bt-default", "bt-no-site", "phpstudy-default", "phpstudy-probe",
            "huweishen-default", "aliyun-icp-block", "icp-not-filed", "host-unbound",
            "host-expired", "host-unavailable", "parking-sedo", "parking-godaddy",
            "domain-marketplace", "for-sale-en", "for-sale-zh", "construction-zh",
            "maintenance-zh", "construction-en", "maintenance-en"} <= set(ids)
    assert {signature.kind for signature in SIGNATURES} == set(content.KINDS)
    for signature in SIGNATURES:
        assert signature.product and signature.reference and signature.ways


@pytest.mark.parametrize("signature", SIGNATURES, ids=lambda s: s.id)
def test_each_signature_matches_its_test_page_first(signature: PlaceholderSignature) -> None:
    assert (PAGES / signature.test_page).is_file(), f"{signature.test_page} is missing"
    alone = placeholder(signature.test_page, [signature])
    assert alone is not None and alone.id == signature.id
    found = placeholder(signature.test_page)
    assert found is not None
    assert found.id == signature.id, f"{found.id} matches {signature.test_page} first"
    assert found.kind == signature.kind and found.product == signature.product
    assert found.matched


def test_every_test_page_is_accounted_for() -> None:
    used = {signature.test_page for signature in SIGNATURES}
    for path in PAGES.glob("*.html"):
        assert path.name in used or path.name.startswith(("guard-", "illicit-")), path.name


@pytest.mark.parametrize("name", GUARDS)
def test_guard_pages_are_neither_placeholders_nor_illicit(name: str) -> None:
    assert placeholder(name) is None
    assert not illicit(name).flagged


def test_guard_pages_hold_the_tempting_phrases() -> None:
    # The guards prove something only while they contain what they guard against.
    portal, _ = read("guard-gov-portal.html")
    assert "关于加强政府网站建设管理的通知" in portal.text
    assert "网站建设中" in portal.text and "网站暂停服务" not in portal.text
    assert "福利彩票发行管理办法" in portal.text and "严厉打击网络赌博专项行动" in portal.text
    article, html = read("guard-it-works-article.html")
    assert "<h1>It works!</h1>" in html and "It works!" in article.text
    for phrase in ("Welcome to nginx!", "Under Construction", "Coming Soon",
                   "This domain is for sale"):
        assert phrase in article.text


def test_the_ubuntu_title_is_the_debian_page_too() -> None:
    page, html = read("apache-debian-default.html")
    title = page.title.replace("Debian", "Ubuntu")
    found = plain(title, page.text, html, links=page.link_count)
    assert found is not None and found.id == "apache-debian-default"
    assert found.matched == ("title: Apache2 Ubuntu Default Page", "text: It works!")


def test_matched_conditions_are_reported() -> None:
    found = placeholder("bt-no-site.html")
    assert found is not None
    assert found.matched == ("max_text: 500 (has 143)", "text: 没有找到对应的站点")
    assert json.loads(json.dumps(found.as_dict())) == {
        "id": "bt-no-site", "kind": "panel-default", "product": "宝塔面板 (BT Panel)",
        "matched": ["max_text: 500 (has 143)", "text: 没有找到对应的站点"]}


# -- placeholder signatures: how conditions work -------------------------------------------


def signatures(tmp_path: Path, *entries: dict[str, Any]) -> list[PlaceholderSignature]:
    path = tmp_path / "placeholders.json"
    path.write_text(json.dumps(list(entries), ensure_ascii=False), encoding="utf-8")
    return load_placeholders(path)


def signature(**changes: Any) -> dict[str, Any]:
    base = {"id": "test-page", "kind": "server-default", "product": "Test",
            "match": [{"title": "Test Page"}], "reference": "test", "test_page": "x.html"}
    return {**base, **changes}


def test_title_and_text_ignore_ascii_case_html_does_not(tmp_path: Path) -> None:
    sigs = signatures(tmp_path, signature(match=[{"title": "welcome TO nginx"},
                                                 {"text": "It Works"}]),
                      signature(id="html", test_page="y.html",
                                match=[{"html": "<h1>It works!</h1>"}, {"max_text": 40}]))
    # A link keeps these tiny pages from being merely empty.
    assert plain("WELCOME to NGINX!", "it works", links=1, signatures=sigs) is not None
    assert plain("Welcome to nginx", "it does not", links=1, signatures=sigs) is None
    assert plain("", "It works!", "<H1>It works!</H1>", links=1, signatures=sigs) is None
    found = plain("", "It works!", "<h1>It works!</h1>", links=1, signatures=sigs)
    assert found is not None and found.id == "html"


def test_max_text_counts_what_is_not_whitespace(tmp_path: Path) -> None:
    sigs = signatures(tmp_path, signature(match=[{"text": "网站建设中"}, {"max_text": 10}]))
    assert plain(text="网站建设中 敬请期待\u3000\n\t!", links=1, signatures=sigs) is not None
    assert plain(text="网站建设中，敬请期待!!", links=1, signatures=sigs) is None  # 12


def test_any_lists_and_file_order(tmp_path: Path) -> None:
    sigs = signatures(
        tmp_path,
        signature(id="first", match=[{"max_text": 100}],
                  any=[[{"text": "coming soon"}], [{"title": "launching"}]]),
        signature(id="second", test_page="y.html", match=[{"text": "coming soon"},
                                                          {"max_text": 100}]))
    found = plain(text="Coming soon!", links=1, signatures=sigs)
    assert found is not None and found.id == "first"
    assert found.matched == ("max_text: 100 (has 11)", "text: coming soon")
    launching = plain("Launching next week", "", links=1, signatures=sigs)
    assert launching is not None and launching.id == "first"
    assert plain(text="Coming soon! " + "x" * 100, links=1, signatures=sigs) is None


# -- the empty rule ------------------------------------------------------------------------


def test_a_page_with_nothing_on_it_is_empty() -> None:
    found = plain("", "", "<html><body><img src='banner.jpg'></body></html>")
    assert found is not None and found.kind == "empty" and found.id == "empty-page"
    assert found.product == "no content"
    assert found.matched[0] == f"text: 0 characters (fewer than {EMPTY_TEXT_CHARS})"


def test_empty_means_fewer_than_twenty_characters_besides_whitespace() -> None:
    nineteen = "酒泉市 人民政府 门户网站\u3000欢迎您 访问 本站点"
    assert len("".join(nineteen.split())) == EMPTY_TEXT_CHARS - 1
    assert plain("", nineteen) is not None
    assert plain("", nineteen + "。") is None


@pytest.mark.parametrize("changes", [{"links": 1}, {"scripts": 1}, {"redirects": True}])
def test_links_scripts_and_redirects_make_a_page_more_than_empty(changes: dict[str, Any]
                                                                 ) -> None:
    assert plain("", "", "<html><body></body></html>", **changes) is None


@pytest.mark.parametrize("tag", ["<frameset><frame src='a.htm'>", "<iframe src='x'>",
                                 "<FORM action='/login'>", "<object data='x.swf'>",
                                 "<embed src='x.swf'>", "<video src='x.mp4'>"])
def test_frames_forms_and_embedded_objects_are_not_empty(tag: str) -> None:
    assert plain("", "", f"<html><body>{tag}</body></html>") is None


def test_redirects_and_script_shells_are_not_empty_because_of_what_they_do() -> None:
    # Without the redirect or the scripts, these guard pages would be empty.
    assert placeholder("guard-redirect.html") is None
    empty = placeholder("guard-redirect.html", redirects=False)
    assert empty is not None and empty.kind == "empty"
    assert placeholder("guard-spa-shell.html") is None
    empty = placeholder("guard-spa-shell.html", scripts=0)
    assert empty is not None and empty.kind == "empty"
    assert placeholder("guard-frameset.html", links=0, scripts=0) is None


def test_the_newer_httpd_page() -> None:
    html = ('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/'
            'strict.dtd">\n<html>\n<head>\n<title>It works! Apache httpd</title>\n</head>\n'
            "<body>\n<p>It works!</p>\n</body>\n</html>\n")
    page = parse_page(html, URL)
    found = plain(page.title, page.text, html)
    assert found is not None and found.id == "apache-it-works"


def test_signatures_come_before_the_empty_rule() -> None:
    found = placeholder("apache-it-works.html")
    assert found is not None and found.id == "apache-it-works"


# -- placeholder signatures: validation ----------------------------------------------------


def write_json(tmp_path: Path, data: Any, name: str = "data.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(("changes", "message"), [
    ({"kind": "default"}, "kind 'default'"),
    ({"colour": "red"}, "unknown keys colour"),
    ({"id": "Nginx Default"}, "lower-case words"),
    ({"test_page": "../x.html"}, "must be a file name"),
    ({"product": " "}, "product must be a non-empty string"),
    ({"match": [{"title": "x", "text": "y"}]}, "must be an object with one key"),
    ({"match": [{"body": "x"}]}, "unknown condition 'body'"),
    ({"match": [{"max_text": 0}]}, "max_text must be a whole number"),
    ({"match": [{"max_text": "100"}]}, "max_text must be a whole number"),
    ({"match": [{"max_text": True}]}, "max_text must be a whole number"),
    ({"match": [{"title": ""}]}, "title must be a non-empty string"),
    ({"match": [{"title": "x "}]}, "surrounding spaces"),
    ({"match": []}, "match must be a non-empty list"),
    ({"match": [{"text": "It works!"}]}, "match needs a title condition or a max_text bound"),
    ({"match": [{"text": "x"}], "any": [[{"title": "y"}], [{"html": "z"}]]},
     "match with any list 2 needs a title condition"),
    ({"any": []}, "any must be a non-empty list"),
    ({"any": [[]]}, "any list 1 must be a non-empty list"),
])
def test_a_bad_signature_is_named(tmp_path: Path, changes: dict[str, Any], message: str
                                  ) -> None:
    entry = {**signature(id="bad-entry", test_page="bad.html"), **changes}
    with pytest.raises(PlaceholderDataError) as caught:
        load_placeholders(write_json(tmp_path, [signature(), entry]))
    text = str(caught.value)
    assert "entry 2 (" in text and message in text


def test_signature_file_shape_and_duplicates(tmp_path: Path) -> None:
    with pytest.raises(PlaceholderDataError, match="JSON list"):
        load_placeholders(write_json(tmp_path, {"signatures": []}))
    with pytest.raises(PlaceholderDataError, match=r"entry 2 \(test-page\): id already used"):
        load_placeholders(write_json(tmp_path, [signature(), signature()]))
    with pytest.raises(PlaceholderDataError, match="test_page already used by entry 1"):
        load_placeholders(write_json(tmp_path, [signature(), signature(id="other")]))
    with pytest.raises(PlaceholderDataError, match="needs match, any or both"):
        load_placeholders(write_json(tmp_path, [{k: v for k, v in signature().items()
                                                  if k != "match"}]))
    with pytest.raises(PlaceholderDataError, match="missing test_page"):
        load_placeholders(write_json(tmp_path, [{k: v for k, v in signature().items()
                                                  if k != "test_page"}]))
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")
    with pytest.raises(PlaceholderDataError, match="invalid JSON"):
        load_placeholders(broken)
    with pytest.raises(PlaceholderDataError, match="cannot read"):
        load_placeholders(tmp_path / "missing.json")


def test_the_packaged_files_are_read_once() -> None:
    assert content._packaged_placeholders() is content._packaged_placeholders()
    assert content._packaged_lexicon() is content._packaged_lexicon()


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
    chunk = content._CHUNK
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
    phrases = [*LEXICON.terms, *(content._fold(p) for p in LEXICON.neutral)]
    finder = content._Phrases(phrases)
    ordered = sorted(phrases, key=len, reverse=True)

    def naive(text: str) -> list[tuple[int, str]]:
        folded, found, position = content._fold(text), [], 0
        while position < len(text):
            for phrase in ordered:
                if folded.startswith(phrase, position) and not (
                        content._begins_word(phrase) and position
                        and content._is_word_char(text[position - 1])):
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
            content._Phrases(terms).finditer(text)), text
        assert [(p, w) for g, p, w in found if g == 1] == list(
            content._Phrases(words).finditer(text)), text


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


def lexicon(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "categories": {"gambling": {"zh": "赌博", "en": "gambling"}},
        "terms": [{"term": "澳门新葡京", "category": "gambling", "weight": 10}],
        "neutral": [], "mitigators": ["通知"],
        "thresholds": {"flag": 30, "mitigable_weight": 3},
    }
    return {**base, **changes}


def with_term(**entry: Any) -> dict[str, Any]:
    good = {"term": "澳门新葡京", "category": "gambling", "weight": 10}
    return lexicon(terms=[good, {"term": "百家乐", "category": "gambling", "weight": 9,
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
    (lexicon(terms=[{"term": "Casino", "category": "gambling", "weight": 3},
                    {"term": "casino", "category": "gambling", "weight": 3}]),
     "terms: entry 2 (casino): duplicate of entry 1"),
    (lexicon(terms=[{"term": "百家乐", "category": "gambling"}]), "missing weight"),
    (lexicon(terms=[]), "terms must be a non-empty list"),
    (lexicon(extras=1), "unknown keys extras"),
    (lexicon(thresholds={"flag": 0, "mitigable_weight": 3}), "flag must be a positive number"),
    (lexicon(thresholds={"flag": 30, "mitigable_weight": 10}), "mitigable_weight must be"),
    (lexicon(thresholds={"flag": 30}), "thresholds: missing mitigable_weight"),
    (lexicon(thresholds={"flag": 30, "mitigable_weight": 3, "review": 10}),
     "thresholds: unknown keys review"),
    (lexicon(categories={"Gambling": {"zh": "赌博", "en": "gambling"}}), "an id is lower-case"),
    (lexicon(categories={"gambling": {"zh": "赌博"}}), 'must be {"zh": "...", "en": "..."}'),
    (lexicon(neutral=["文化馆"]), "neutral: entry 1 (文化馆): contains no term"),
    (lexicon(neutral=["澳门新葡京"]), "neutral: entry 1 (澳门新葡京): is itself a term"),
    (lexicon(mitigators=["通知", "通知"]), "mitigators: entry 2 (通知): duplicate of entry 1"),
    (lexicon(mitigators=[]), "mitigators must not be empty"),
    ([], "must be a JSON object"),
])
def test_a_bad_lexicon_entry_is_named(tmp_path: Path, data: Any, message: str) -> None:
    with pytest.raises(LexiconDataError) as caught:
        load_lexicon(write_json(tmp_path, data, "lexicon.json"))
    assert str(caught.value).startswith("lexicon.json: ")
    assert message in str(caught.value)


def test_lexicon_file_problems(tmp_path: Path) -> None:
    with pytest.raises(LexiconDataError, match="missing thresholds"):
        data = lexicon()
        del data["thresholds"]
        load_lexicon(write_json(tmp_path, data, "lexicon.json"))
    with pytest.raises(LexiconDataError, match="cannot read"):
        load_lexicon(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(LexiconDataError, match="invalid JSON"):
        load_lexicon(broken)


def test_a_custom_lexicon_is_used(tmp_path: Path) -> None:
    custom = load_lexicon(write_json(tmp_path, lexicon(
        thresholds={"flag": 5, "mitigable_weight": 0}), "lexicon.json"))
    assert score_illicit("", "澳门新葡京", custom).flagged
    assert not score_illicit("", "百家乐", custom).signals


# -- illicit content: zones, patterns, contexts, host terms ----------------------------------

PATTERNED = lexicon(
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
    score = content.score_zones({"title": "极速快3计划_幸运飞艇开奖直播",
                                 "text": "bt365 手机登录"}, custom)
    patterns = {(signal.pattern, signal.where): signal for signal in score.signals}
    assert set(patterns) == {("game-chart", "title"), ("brand-portal", "text")}
    # counted per zone, however many different pairs: 快3计划 and 幸运飞艇开奖
    assert patterns["game-chart", "title"].count == 2
    assert patterns["game-chart", "title"].term == "快3计划"
    assert patterns["brand-portal", "text"].term == "bt365 手机登录"
    # too far apart, or across zones, is no pattern
    assert not content.score_zones({"text": "葡京酒店位于澳门半岛中心地带的登录"}, custom).signals
    assert not content.score_zones({"title": "bet365", "text": "官网"}, custom).signals


def test_zones_weigh_differently(tmp_path: Path) -> None:
    custom = load_lexicon(write_json(tmp_path, PATTERNED, "lexicon.json"))
    points = {zone: content.score_zones({zone: "百家乐"}, custom).score
              for zone in content.ZONE_FACTORS}
    assert points == {zone: 9 * factor for zone, factor in content.ZONE_FACTORS.items()}
    with pytest.raises(ValueError, match="unknown zones body"):
        content.score_zones({"body": "百家乐"}, custom)


def test_a_context_protects_up_to_its_weight_and_never_hidden_text(tmp_path: Path) -> None:
    custom = load_lexicon(write_json(tmp_path, PATTERNED, "lexicon.json"))
    page = {"headings": "快3开奖公告", "text": "甘肃省福彩中心 快3开奖 快3走势图"}
    protected = content.score_zones(page, custom)
    assert protected.contexts == ("official-lottery",)
    assert all(signal.context == "official-lottery" for signal in protected.signals)
    bare = content.score_zones({"headings": "快3开奖公告", "text": "快3开奖 快3走势图"},
                               custom)
    assert protected.score == pytest.approx(bare.score / 5)
    # a strong term is beyond the context's reach; the title and hidden text are never
    # protected
    strong = content.score_zones({**page, "title": "快3开奖", "hidden": "快3计划 葡京官网"},
                                 custom)
    assert {signal.where for signal in strong.signals if not signal.context} == {
        "hidden", "title"}


def test_the_disguised_page_is_read_as_the_lexicon_is_written(tmp_path: Path) -> None:
    custom = load_lexicon(write_json(tmp_path, PATTERNED, "lexicon.json"))
    assert content.score_zones({"title": "百 家 樂"}, custom).signals[0].term == "百家乐"
    assert content.score_zones({"text": "ｂｔ３６５官網"}, custom).signals[0].pattern \
        == "brand-portal"


def test_host_terms_are_read_inside_labels_never_in_the_suffix(tmp_path: Path) -> None:
    custom = load_lexicon(write_json(tmp_path, PATTERNED, "lexicon.json"))
    assert [term.term for term in custom.host_signals("www.xpj8866.com")] == ["xpj"]
    assert custom.host_signals("www.example.xpj") == ()
    assert custom.host_signals("www.gansu.gov.cn") == ()


@pytest.mark.parametrize(("data", "message"), [
    (lexicon(terms=[{"term": "澳門新葡京", "category": "gambling", "weight": 10}]),
     "is not as pages are read: write it '澳门新葡京'"),
    (lexicon(terms=[{"term": "ｂｅｔ３６５", "category": "gambling", "weight": 10}]),
     "write it 'bet365'"),
    (lexicon(word_lists={"a": {"words": []}}), "word_lists: a: words must not be empty"),
    (lexicon(word_lists={"a": {"words": ["快3"]}},
             patterns=[{"id": "p", "category": "gambling", "weight": 5, "first": "a",
                        "then": "b", "within": 3}]),
     "patterns: entry 1 (p): then 'b' is not a word list"),
    (lexicon(word_lists={"a": {"words": ["快3"]}},
             patterns=[{"id": "p", "category": "gambling", "weight": 5, "first": "a",
                        "then": "a", "within": 99}]), "within must be a whole number"),
    (lexicon(contexts=[{"id": "c", "phrases": ["中心"], "categories": ["porn"],
                        "max_weight": 5}]), "contexts: entry 1 (c): categories must be"),
    (lexicon(host_terms=[{"term": "xp", "category": "gambling", "weight": 5}]),
     "host_terms: entry 1: term must be 3 or more"),
    (lexicon(sources=[{"id": "a", "title": "t"}]), "sources: entry 1: needs id, title"),
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
    assert [s.pattern for s in content.score_zones({"text": "世界杯买球平台"}, custom).signals
            if s.pattern] == ["event-bet"]
    assert not content.score_zones({"text": "世界杯买球票开售"}, custom).signals


def test_what_a_context_discounts_never_flags_alone(tmp_path: Path) -> None:
    data = dict(PATTERNED)
    data["terms"] = [{"term": name, "category": "gambling", "weight": 10}
                     for name in ("澳门新葡京", "皇冠体育", "金沙娱乐", "真人视讯", "百家乐")]
    data["contexts"] = [{"id": "news", "phrases": ["跨境赌博案"], "categories": ["gambling"],
                         "max_weight": 10}]
    custom = load_lexicon(write_json(tmp_path, data, "lexicon.json"))
    lures = "澳门新葡京 皇冠体育 金沙娱乐 真人视讯 百家乐 " * 5
    news = content.score_zones({"text": f"警方破获跨境赌博案，涉案平台有 {lures}"}, custom)
    assert not news.flagged and news.score == custom.flag / 2
    # the headline that names the case protects its own title; another title is not
    headline = content.score_zones({"title": "跨境赌博案：百家乐骗局", "text": "跨境赌博案"},
                                   custom)
    assert not headline.flagged and headline.signals[0].context == "news"
    hijacked = content.score_zones({"title": "百家乐_澳门新葡京", "text": "跨境赌博案"},
                                   custom)
    assert hijacked.flagged
