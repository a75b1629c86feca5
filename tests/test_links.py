"""Outbound references of a page and the link checks, as pure functions."""

from __future__ import annotations

import asyncio
import itertools

from domainwatch.checks.links import (
    HostState,
    check_links,
    link_dependencies,
    unknown_hosts,
    with_references,
)
from domainwatch.checks.registration import check_registration
from domainwatch.probes.links import (
    MAX_REFERENCES_PER_HOST,
    MAX_URL_KEPT,
    Reference,
    SiteCrawl,
    _crawlable,
    _key,
    _Pacer,
    outbound_references,
    references_from,
)
from domainwatch.probes.page import parse_page

PAGE = """<html><body><ul>
<li><a href="http://gsj.jiuquan.gov.cn/">投资酒泉</a></li>
<li><a href="//www.partner.example/a">合作伙伴</a></li>
<li><a href="/local.html">本站</a></li>
<li><a href="https://www.jiuquan.gov.cn/x">本站绝对链接</a></li>
<div style="display:none"><a href="http://bet.example/">澳门新葡京</a></div>
</ul><script src="https://cdn.example.net/a.js"></script>
""" + "".join(f'<a href="http://gsj.jiuquan.gov.cn/{i}">栏目{i}</a>' for i in range(9)) + """
</body></html>"""


def test_outbound_references_keep_where_and_how() -> None:
    page = parse_page(PAGE, "https://www.jiuquan.gov.cn/")
    found = outbound_references(page, "https://www.jiuquan.gov.cn/", {"www.jiuquan.gov.cn"})
    assert set(found) == {"gsj.jiuquan.gov.cn", "www.partner.example", "cdn.example.net"}, \
        "own links are not references; hidden injected links belong to hijacked.content"
    assert found["gsj.jiuquan.gov.cn"][0].text == "投资酒泉"
    assert len(found["gsj.jiuquan.gov.cn"]) == MAX_REFERENCES_PER_HOST
    assert found["www.partner.example"][0].url == "https://www.partner.example/a"
    assert found["cdn.example.net"][0].element == "script"


def test_link_findings_and_unknown_hosts() -> None:
    page = parse_page(PAGE, "https://www.jiuquan.gov.cn/")
    found = outbound_references(page, "https://www.jiuquan.gov.cn/", {"www.jiuquan.gov.cn"})
    states = {"gsj.jiuquan.gov.cn": HostState("gsj.jiuquan.gov.cn", "hijacked",
                                              {"summaries": ["gambling"]}),
              "www.partner.example": HostState("www.partner.example", "ok"),
              "cdn.example.net": HostState("cdn.example.net", "dead",
                                           {"why": "does not exist (NXDOMAIN)"})}
    result = check_links("www.jiuquan.gov.cn", found, states)
    assert {(f.rule, f.subject) for f in result.findings} == {
        ("link.hijacked", "gsj.jiuquan.gov.cn"), ("link.dead", "cdn.example.net")}
    hijacked = next(f for f in result.findings if f.rule == "link.hijacked")
    assert "link “投资酒泉” on https://www.jiuquan.gov.cn/ and 4 more" in hijacked.summary
    assert hijacked.severity == "critical" and len(hijacked.evidence["references"]) == 5
    assert unknown_hosts(found, states) == set()
    states["cdn.example.net"] = HostState("cdn.example.net", "unknown")
    del states["www.partner.example"]  # beyond the run's budget of hosts
    unknown = check_links("www.jiuquan.gov.cn", found, states)
    assert {(f.rule, f.subject) for f in unknown.findings} == {
        ("link.hijacked", "gsj.jiuquan.gov.cn")}, "the hosts that are known are judged"
    assert unknown_hosts(found, states) == {"cdn.example.net", "www.partner.example"}, \
        "an unknown host judges nothing: its findings are left as they were"


def test_forms_image_maps_and_script_buttons_are_references_too() -> None:
    page = parse_page("""<body><form action="http://search.example.org/s"></form>
    <map><area href="https://map.example.net/x"></map>
    <button onclick="window.location.href='http://old-bureau.example/';">原工商局</button>
    <a onclick="location.replace('/local')">本站</a></body>""", "http://www.a.gov.cn/")
    found = outbound_references(page, "http://www.a.gov.cn/", {"www.a.gov.cn"})
    assert {host: [ref.element for ref in refs] for host, refs in found.items()} == {
        "search.example.org": ["form"], "map.example.net": ["area"],
        "old-bureau.example": ["onclick"]}


def test_link_registration_only_on_conclusive_answers() -> None:
    page = parse_page('<a href="http://www.old-bureau.com/">原工商局网站</a>'
                      '<a href="http://www.partner.example/">合作</a>'
                      '<a href="http://gsj.jiuquan.gov.cn/">本市</a>'
                      '<a href="http://ns1.dns-host.example/">x</a>', "http://www.jiuquan.gov.cn/")
    found = outbound_references(page, "http://www.jiuquan.gov.cn/", {"www.jiuquan.gov.cn"})
    needs = link_dependencies("www.jiuquan.gov.cn", found, known={"dns-host.example"})
    assert [(n.domain, n.host, n.role) for n in needs] == [
        ("old-bureau.com", "www.old-bureau.com", "linked host"),
        ("partner.example", "www.partner.example", "linked host")], \
        "the entry's own domain and domains it already depends on are not asked twice"
    records = {"old-bureau.com": {"status": "unregistered"},
               "partner.example": {"status": "registered"}}
    result = check_registration("www.jiuquan.gov.cn", needs, records, {})
    assert [(f.rule, f.subject, f.severity) for f in result.findings] == [
        ("link.unregistered", "old-bureau.com", "critical")]
    assert "link.unregistered" in result.evaluated
    lapsed = with_references(result.findings[0], found)
    assert lapsed.evidence["references"][0]["text"] == "原工商局网站"
    records["partner.example"] = {"status": "rate_limited"}
    unknown = check_registration("www.jiuquan.gov.cn", needs, records, {})
    assert unknown.evaluated == set() and unknown.findings == []


def test_redirects_in_a_page_are_references() -> None:
    page = parse_page("<html><head><meta http-equiv='refresh' content='0;url=http://a.example/'>"
                      "</head><body><script>location.href='http://b.example/x'</script>"
                      "</body></html>", "http://www.jiuquan.gov.cn/")
    found = outbound_references(page, "http://www.jiuquan.gov.cn/", {"www.jiuquan.gov.cn"})
    assert {host: [(ref.element, ref.url) for ref in refs] for host, refs in found.items()} == {
        "a.example": [("redirect", "http://a.example/")],
        "b.example": [("redirect", "http://b.example/x")]}


def test_documents_are_not_crawled_and_one_page_is_one_page() -> None:
    assert _crawlable("https://x.gov.cn/zwgk/index.html")
    assert _crawlable("https://x.gov.cn/zwgk/")
    assert _crawlable("https://x.gov.cn/show.aspx?id=3")
    assert not _crawlable("https://x.gov.cn/files/2026/zcfg.PDF")
    assert not _crawlable("https://x.gov.cn/a.docx")
    assert not _crawlable("https://x.gov.cn/" + "a" * 2100)
    assert _key("http://X.gov.cn/a?b=1#top") == _key("https://x.gov.cn:443/a?b=1")
    assert _key("https://x.gov.cn") == _key("https://x.gov.cn/")
    assert _key("https://x.gov.cn/a?b=1") != _key("https://x.gov.cn/a?b=2")


def test_pacer_spaces_requests_to_a_host_and_caps_them() -> None:
    async def run() -> tuple[list[float], int]:
        pacer = _Pacer(concurrency=2, interval=0.05)
        starts: list[float] = []
        in_flight = most = 0

        async def request() -> None:
            nonlocal in_flight, most
            async with pacer.turn():
                starts.append(asyncio.get_running_loop().time())
                in_flight += 1
                most = max(most, in_flight)
                await asyncio.sleep(0.08)
                in_flight -= 1

        await asyncio.gather(*(request() for _ in range(6)))
        return starts, most

    starts, most = asyncio.run(run())
    assert most == 2
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert min(gaps) >= 0.045, gaps  # the loop's clock may wake a hair early


def test_a_site_crawl_fingerprint_is_its_references() -> None:
    crawl = SiteCrawl("www.x.gov.cn", "https://www.x.gov.cn/")
    crawl.add({"b.example": [Reference("https://www.x.gov.cn/", "a", "乙")],
               "a.example": [Reference("https://www.x.gov.cn/", "a", "甲")]})
    crawl.add({"a.example": [Reference("https://www.x.gov.cn/", "a", "甲"),
                             Reference("https://www.x.gov.cn/yqlj/", "a", "甲")]})
    assert list(crawl.fingerprint()["references"]) == ["a.example", "b.example"]
    assert len(crawl.references["a.example"]) == 2, "the same reference is kept once"
    again = references_from(crawl.data())
    assert again == crawl.references


def test_hostile_urls_are_cut_before_they_become_evidence() -> None:
    long = "http://bet.example/" + "x" * 100_000
    page = parse_page(f'<a href="{long}">澳门</a><meta http-equiv="refresh" '
                      f'content="0;url={long}">', "http://www.a.gov.cn/")
    found = outbound_references(page, "http://www.a.gov.cn/" + "y" * 5000, {"www.a.gov.cn"})
    assert {len(ref.url) for ref in found["bet.example"]} == {MAX_URL_KEPT}
    assert {len(ref.page) for ref in found["bet.example"]} == {MAX_URL_KEPT}
