"""Placeholder pages: the signatures and the empty rule, on the pages in tests/data/pages
(each read the way a scan reads it, with probes.page)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from domainwatch import placeholders
from domainwatch.placeholders import (
    EMPTY_TEXT_CHARS,
    PLACEHOLDERS_FILE,
    PlaceholderDataError,
    PlaceholderMatch,
    PlaceholderSignature,
    load_placeholders,
    match_placeholder,
)
from domainwatch.probes.page import parse_page
from tests.pages import GUARDS, PAGES, URL, read, write_json

SIGNATURES = load_placeholders()


def placeholder(name: str, signatures: list[PlaceholderSignature] | None = None,
                **overrides: Any) -> PlaceholderMatch | None:
    page, html = read(name)
    counts: dict[str, Any] = {"links": page.link_count, "scripts": page.scripts,
                              "redirects": bool(page.meta_refresh or page.script_redirects)}
    return match_placeholder(page.title, page.text, html, signatures=signatures,
                             **{**counts, **overrides})


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
    assert {signature.kind for signature in SIGNATURES} == set(placeholders.KINDS)
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
def test_guard_pages_are_not_placeholders(name: str) -> None:
    assert placeholder(name) is None


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


def test_the_packaged_file_is_read_once() -> None:
    assert placeholders._packaged_placeholders() is placeholders._packaged_placeholders()
