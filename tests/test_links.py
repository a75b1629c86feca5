"""Outbound references of a page and the link checks, as pure functions."""

from __future__ import annotations

from domainwatch.checks.links import (
    HostState,
    check_links,
    link_dependencies,
    with_references,
)
from domainwatch.checks.registration import check_registration
from domainwatch.probes.links import MAX_REFERENCES_PER_HOST, outbound_references
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
    states["www.partner.example"] = HostState("www.partner.example", "unknown")
    unknown = check_links("www.jiuquan.gov.cn", found, states)
    assert unknown.evaluated == set() and unknown.findings == [], \
        "an unknown host judges nothing: no finding is resolved on a guess"


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
