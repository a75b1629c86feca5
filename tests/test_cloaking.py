"""Cloaking with every crawler that matters in China: which crawlers and search referers
are asked on which night, and what counts as a crawler-only page (including a "snapshot
hijack" that changes only the title and keywords)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from domainwatch.checks.web import check_web
from domainwatch.config import ConfigError, load_config
from domainwatch.probes.page import parse_page
from domainwatch.probes.web import (
    DEFAULT_CRAWLERS,
    DEFAULT_SEARCH_REFERERS,
    CloakFetch,
    WebProbe,
    WebSettings,
    suspicious,
)
from tests.test_web_checks import NOW, PORTAL, entry, record, rules


async def _no_address(host: str) -> list[str]:
    return []


def labels(settings: WebSettings, host: str, at: str, everyone: bool = False) -> list[str]:
    probe = WebProbe(settings, _no_address)
    return [label for label, _ in probe.cloak_requests(host, at, everyone)]


def test_baidu_every_night_the_others_in_turn() -> None:
    settings = WebSettings()
    host = "www.jiuquan.gov.cn"
    others = [f"crawler {label}" for label in list(DEFAULT_CRAWLERS)[1:]] + [
        f"referer {label}" for label in list(DEFAULT_SEARCH_REFERERS)[1:]]
    assert len(others) == 10
    nights = [labels(settings, host, f"2026-12-{day:02d}T02:00:00Z") for day in range(1, 31)]
    for asked in nights:
        assert asked[:2] == ["crawler Baiduspider", "referer baidu.com"] and len(asked) == 3
    # each other crawler and referer within ten nights
    for first in range(len(nights) - 10):
        assert set(others) <= {label for asked in nights[first:first + 10] for label in asked}
    # hosts take their turns at different places: the load of each crawler is spread
    tonight = "2026-12-07T02:00:00Z"
    assert len({labels(settings, f"www.x{n}.gov.cn", tonight)[2] for n in range(80)}) == 10
    # two a night halves the wait
    twice = WebSettings(cloak_rotation=2)
    assert len(labels(twice, host, tonight)) == 4


def test_all_of_them_when_the_page_shows_another_signal_or_rotation_is_off() -> None:
    every = [f"crawler {label}" for label in DEFAULT_CRAWLERS] + [
        f"referer {label}" for label in DEFAULT_SEARCH_REFERERS]
    at = "2026-12-07T02:00:00Z"
    assert labels(WebSettings(), "www.a.gov.cn", at, everyone=True) == every
    assert labels(WebSettings(cloak_rotation=0), "www.a.gov.cn", at) == every
    def page(extra: str) -> Any:
        return parse_page(PORTAL.replace("</body>", f"{extra}</body>"), "http://www.a.gov.cn/")

    host = "www.a.gov.cn"
    assert not suspicious(page(""), host)
    assert suspicious(page('<div style="display:none"><a href="http://x.example/">x</a>'
                           '</div>'), host)
    # a hover menu of the site's own, government and official links is no sign
    assert not suspicious(page('<div style="display:none"><a href="/zwgk/">政务公开</a>'
                               '<a href="http://www.gansu.gov.cn/">省政府</a><a href='
                               '"http://www.people.com.cn/">人民网</a></div>'), host)
    # nor is the site's own mobile redirect; a jump for search engines' visitors is
    assert not suspicious(page("<script>if(/Android|iPhone/i.test(navigator.userAgent))"
                               "{location.href='http://m.a.gov.cn/';}</script>"), host)
    assert suspicious(page("<script>if(document.referrer.indexOf('baidu')>-1)"
                           "{location.href='http://www.a.gov.cn/x';}</script>"), host)
    assert suspicious(page("<script>document.title='x';</script>"), host)


def cloak(html: str, label: str = "crawler Sogou", status: int = 200) -> CloakFetch:
    return CloakFetch(label=label, request_headers={"User-Agent": "Sogou web spider/4.0"},
                      status=status, location=None, error=None,
                      page=parse_page(html, "http://www.jiuquan.gov.cn/"), body=html)


def cloaking(cloaks: list[CloakFetch]) -> list[dict[str, Any]]:
    result, _ = check_web(entry(), record(cloaks=cloaks), {}, None, None, now=NOW)
    found = [f for f in result.findings if f.rule == "hijacked.cloaking"]
    return found[0].evidence["differences"] if found else []


def test_a_snapshot_hijack_changes_only_the_head_for_the_crawler() -> None:
    head = ('<title>酒泉市人民政府</title>', '<title>酒泉市人民政府_澳门新葡京_百家乐</title>'
            '<meta name="keywords" content="澳门新葡京,真人视讯,百家乐">')
    [difference] = cloaking([cloak(PORTAL.replace(*head))])
    assert difference["label"] == "crawler Sogou"
    assert difference["title"] == "酒泉市人民政府_澳门新葡京_百家乐"
    assert any("only there" in reason or "another title" in reason
               for reason in difference["reasons"])
    assert difference["normal"]["title"] == "酒泉市人民政府"


def test_a_head_below_the_flag_is_still_a_crawler_only_change() -> None:
    # one weak-to-middling word in the crawler's description: not illicit by itself
    snapshot = PORTAL.replace("</title>", '</title><meta name="description" '
                              'content="威廉希尔 最新赔率">')
    [difference] = cloaking([cloak(snapshot)])
    assert difference["reasons"][0].startswith("another keywords and description")


def test_an_innocent_difference_is_not_cloaking() -> None:
    # a cached copy under a slightly older title, a failed fetch: nothing
    older = PORTAL.replace("<title>酒泉市人民政府</title>", "<title>酒泉市人民政府门户网站</title>")
    assert cloaking([cloak(older), CloakFetch("crawler 360Spider", {}, None, None, "timeout",
                                              None, "")]) == []


def test_referers_and_rotation_from_the_configuration_file(tmp_path: Path) -> None:
    path = tmp_path / "dw.toml"
    path.write_text('[web]\ncloak_rotation = 0\nsearch_referers = { "sogou.com" = '
                    '"https://www.sogou.com/web?query={name}" }\n', encoding="utf-8")
    stage = load_config(path).web
    assert stage is not None and stage.probe.cloak_rotation == 0
    assert stage.probe.search_referers == {"sogou.com": "https://www.sogou.com/web?query={name}"}
    path.write_text('[web]\nsearch_referer = "https://www.so.com/s?q={name}"\n',
                    encoding="utf-8")
    stage = load_config(path).web
    assert stage is not None and stage.probe.search_referers == {
        "so.com": "https://www.so.com/s?q={name}"}
    for bad, message in (("cloak_rotation = -1", "cloak_rotation must be a positive"),
                         ("search_referers = {}", "search_referers maps a label"),
                         ('search_referer = "a"\nsearch_referers = { a = "b" }',
                          "choose one")):
        path.write_text(f"[web]\n{bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            load_config(path)


def test_rules_are_unchanged_for_an_identical_crawler_answer() -> None:
    assert "hijacked.cloaking" not in rules(check_web(
        entry(), record(cloaks=[cloak(PORTAL)]), {}, None, None, now=NOW)[0])
