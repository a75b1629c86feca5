"""The web and certificate checks as pure functions: an entry, a web observation, a DNS
fingerprint and baselines in, findings out. End-to-end behaviour against nginx is in
test_web_cli.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from domainwatch.checks.tls import check_tls
from domainwatch.checks.web import (
    WebCheckSettings,
    check_dns_change,
    check_site_pages,
    check_web,
    page_content,
)
from domainwatch.probes.links import FlaggedPage
from domainwatch.probes.page import parse_page, sketch, text_hash
from domainwatch.probes.web import CloakFetch, Hop, Landing, Visit, WebObservation
from domainwatch.probes.web_record import WebRecord

PAGES = Path(__file__).parent / "data" / "pages"

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
PORTAL = ("<html><head><title>酒泉市人民政府</title></head><body><h1>酒泉市人民政府门户网站</h1>"
          + "".join(f"<p><a href='/xw/{i}.html'>市政府召开第{i}次常务会议研究部署重点工作</a></p>"
                    for i in range(40))
          + "<p>主办：酒泉市人民政府办公室</p></body></html>")
GAMBLING = ("<html><head><title>澳门新葡京娱乐场-百家乐-真人视讯</title></head><body>"
            "<h1>澳门新葡京 官方网站</h1><p>百家乐 真人视讯 时时彩 北京赛车pk10 "
            "六合彩开奖 注册送彩金</p></body></html>")


def entry(name: str = "www.jiuquan.gov.cn", state: str = "active", **extra: Any
          ) -> dict[str, Any]:
    return {"name": name, "state": state, "networks": [], "nameservers": [], "hosts": [],
            **extra}


def landing(url: str, html: str, status: int = 200) -> Landing:
    return Landing(url=url, address="127.20.1.10", status=status,
                   headers={"server": "nginx", "content-type": "text/html"},
                   size=len(html.encode()), truncated=False, encoding="utf-8",
                   page=parse_page(html, url), body=html,
                   requested_at="2026-11-26T12:00:00Z", request_headers={"User-Agent": "t"})


def record(html: str | None = PORTAL, *, name: str = "www.jiuquan.gov.cn",
           hops: list[Hop] | None = None, certificate: dict[str, Any] | None = None,
           cloaks: list[CloakFetch] | None = None) -> WebRecord:
    """What the checks judge of a visit to ``name`` that got ``html`` over HTTP (none:
    refused), with ``hops`` and an HTTPS ``certificate``."""
    url = f"http://{name}/"
    http = Visit("http", hops=hops or [Hop(url=url, kind="start", address="127.20.1.10",
                                            status=200 if html is not None else None,
                                            error=None if html is not None else "refused")])
    if html is not None:
        http.landing = landing(http.hops[-1].url, html)
    https = Visit("https", hops=[Hop(url=f"https://{name}/", kind="start",
                                     address="127.20.1.10", error="refused")])
    if certificate is not None:
        https.hops[0].error = None
        https.hops[0].status = 200
        https.hops[0].certificate = certificate["sha256"]
        https.certificates[certificate["sha256"]] = certificate
    return WebObservation(name=name, addresses=["127.20.1.10"],
                          visits={"http": http, "https": https}, cloaks=cloaks or [],
                          at="2026-11-26T12:00:00Z").record()


def rules(result: Any) -> set[str]:
    return {finding.rule for finding in result.findings}


def test_a_normal_portal_holds_nothing() -> None:
    result, judgement = check_web(entry(), record(), {}, None, "2026-11-20T00:00:00Z",
                                  now=NOW)
    assert rules(result) == set() and judgement is not None
    assert {"unused.no_web", "unused.placeholder", "unused.stale", "hijacked.content",
            "hijacked.redirect", "hijacked.cloaking"} <= result.evaluated


def test_no_web_keeps_the_reason_and_evaluates_nothing_else() -> None:
    result, judgement = check_web(entry(), record(None), {}, None, None, now=NOW)
    assert rules(result) == {"unused.no_web"} and judgement is None
    failures = result.findings[0].evidence["failures"]
    assert failures["http"]["error"] == "refused" and failures["https"]["error"] == "refused"
    assert "hijacked.content" not in result.evaluated


def test_an_offline_entry_is_judged_for_hijacks_only() -> None:
    result, _ = check_web(entry(state="offline"), record(GAMBLING), {}, None, None, now=NOW)
    assert rules(result) == {"hijacked.content"}
    assert "unused.placeholder" not in result.evaluated
    capture = result.findings[0].evidence["capture"]
    assert capture["request"]["url"] == "http://www.jiuquan.gov.cn/"
    assert "澳门新葡京" in capture["response"]["body_start"]


def test_stale_after_the_configured_period_only() -> None:
    fresh, _ = check_web(entry(), record(), {}, None, (NOW - timedelta(days=3)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"), now=NOW)
    old, _ = check_web(entry(), record(), {}, None, "2026-06-01T00:00:00Z", now=NOW)
    assert rules(fresh) == set() and rules(old) == {"unused.stale"}
    assert old.findings[0].evidence["days"] == 178


def test_redirects_leaving_the_government_are_flagged_per_target() -> None:
    hops = [Hop(url="http://www.jiuquan.gov.cn/", kind="start", status=302,
                location="http://www.gansu.gov.cn/jq/"),
            Hop(url="http://www.gansu.gov.cn/jq/", kind="http", status=200,
                location="http://bet365.example/"),
            Hop(url="http://bet365.example/", kind="meta", status=200)]
    result, _ = check_web(entry(), record(PORTAL, hops=hops), {}, None, None, now=NOW)
    redirects = [f for f in result.findings if f.rule == "hijacked.redirect"]
    assert [f.subject for f in redirects] == ["bet365.example"]
    assert redirects[0].evidence["target"]["kind"] == "meta"
    # inside gov.cn, or to a host the entry declares as its own: nothing
    inside = hops[:2]
    result, _ = check_web(entry(), record(PORTAL, hops=inside), {}, None, None, now=NOW)
    assert "hijacked.redirect" not in rules(result)
    own = [*hops[:2], Hop(url="http://jqtz.example/", kind="http", status=301),
           Hop(url="http://m.jqtz.example/", kind="http", status=200)]
    result, _ = check_web(entry(hosts=["jqtz.example"]), record(PORTAL, hops=own), {},
                          None, None, now=NOW)
    assert "hijacked.redirect" not in rules(result)


def test_a_script_redirect_in_a_long_page_still_counts() -> None:
    html = PORTAL.replace("</body>", "<script>if (document.referrer.indexOf('baidu') > -1) "
                                     "{ location.href = 'http://bet.example/'; }</script></body>")
    result, _ = check_web(entry(), record(html), {}, None, None, now=NOW)
    assert [f.subject for f in result.findings if f.rule == "hijacked.redirect"] == [
        "bet.example"]


def test_cloaking_by_content_and_by_redirect() -> None:
    crawler = CloakFetch("crawler Baiduspider", {"User-Agent": "Baiduspider"}, 200, None, None,
                         parse_page(GAMBLING, "http://www.jiuquan.gov.cn/"), GAMBLING)
    referer = CloakFetch("search referer", {"Referer": "https://www.baidu.com/s"}, 302,
                         "http://bet.example/", None, None, "")
    same = CloakFetch("crawler Googlebot", {"User-Agent": "Googlebot"}, 200, None, None,
                      parse_page(PORTAL, "http://www.jiuquan.gov.cn/"), PORTAL)
    result, _ = check_web(entry(), record(cloaks=[crawler, referer, same]), {}, None, None,
                          now=NOW)
    cloaking = [f for f in result.findings if f.rule == "hijacked.cloaking"]
    assert len(cloaking) == 1
    labels = [d["label"] for d in cloaking[0].evidence["differences"]]
    assert labels == ["crawler Baiduspider", "search referer"]
    failed = CloakFetch("crawler Baiduspider", {}, None, None, "timeout", None, "")
    result, _ = check_web(entry(), record(cloaks=[failed]), {}, None, None, now=NOW)
    assert "hijacked.cloaking" not in rules(result)


def test_content_changed_needs_low_similarity_and_a_new_title_or_signal() -> None:
    base_page = parse_page(PORTAL, "http://www.jiuquan.gov.cn/")
    baseline = {"data": {"title": base_page.title, "sketch": sketch(base_page.text),
                         "text_hash": text_hash(base_page.text), "signals": []},
                "adopted_at": "2026-11-01T00:00:00Z"}
    same, _ = check_web(entry(), record(), {}, baseline, None, now=NOW)
    assert "hijacked.content_changed" not in rules(same)
    redesigned = ("<html><head><title>酒泉市人民政府</title></head><body>"
                  + "".join(f"<p>全新改版栏目内容第{i}条</p>" for i in range(40))
                  + "</body></html>")
    kept_title, _ = check_web(entry(), record(redesigned), {}, baseline, None, now=NOW)
    assert "hijacked.content_changed" not in rules(kept_title)
    replaced, _ = check_web(entry(), record(GAMBLING), {}, baseline, None, now=NOW)
    changed = [f for f in replaced.findings if f.rule == "hijacked.content_changed"]
    assert changed and changed[0].evidence["similarity"] < 0.3


def test_dns_changed_against_networks_or_baseline() -> None:
    dns = {"status": "resolves", "a": ["127.99.0.5"], "aaaa": [], "ns": ["ns1.jiuquan.gov.cn"],
           "cname_chain": []}
    declared = check_dns_change(entry(networks=["127.20.1.0/24"]), dns, None)
    assert rules(declared) == {"hijacked.dns_changed"}
    assert declared.findings[0].evidence["outside"] == ["127.99.0.5"]
    baseline = {"data": {"a": ["127.99.0.9"], "aaaa": [], "ns": ["ns1.jiuquan.gov.cn"]}}
    assert rules(check_dns_change(entry(), dns, baseline)) == set()  # same /24
    moved_ns = {**dns, "ns": ["ns1.hijacker.example", "ns2.hijacker.example"]}
    assert rules(check_dns_change(entry(), moved_ns, baseline)) == {"hijacked.dns_changed"}
    other_ns_same_provider = {**dns, "ns": ["ns2.jiuquan.gov.cn"]}
    assert rules(check_dns_change(entry(), other_ns_same_provider, baseline)) == set()
    assert check_dns_change(entry(), {"status": "unresolved"}, baseline).evaluated == set()


def certificate(**changes: Any) -> dict[str, Any]:
    return {"sha256": "aa" * 32, "spki_sha256": "bb" * 32, "subject_cn": "www.jiuquan.gov.cn",
            "sans": ["www.jiuquan.gov.cn"], "issuer": "CN=domainwatch test root CA",
            "issuer_cn": "domainwatch test root CA", "not_before": "2026-01-01T00:00:00Z",
            "not_after": "2027-01-01T00:00:00Z", "self_signed": False, "key": "EC-secp256r1",
            "tls_version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384", "problems": [],
            "detail": {}, **changes}


def test_tls_findings() -> None:
    good = check_tls(entry(), record(certificate=certificate()), None, now=NOW)
    assert rules(good) == set() and "tls.invalid" in good.evaluated
    soon = check_tls(entry(), record(certificate=certificate(
        not_after="2026-12-06T00:00:00Z")), None, now=NOW)
    assert rules(soon) == {"tls.expiring"} and soon.findings[0].evidence["days_left"] == 9
    expired = check_tls(entry(), record(certificate=certificate(
        problems=["expired"], detail={"expired": "expired on 2026-11-01"})), None, now=NOW)
    assert rules(expired) == {"tls.invalid"} and expired.findings[0].severity == "high"
    untrusted = check_tls(entry(), record(certificate=certificate(
        problems=["untrusted"], detail={"untrusted": "unknown issuer"})), None, now=NOW)
    assert untrusted.findings[0].severity == "medium"
    assert "--ca-file" in untrusted.findings[0].summary
    legacy = check_tls(entry(), record(certificate=certificate(tls_version="TLSv1")),
                       None, now=NOW)
    assert rules(legacy) == {"tls.weak"}
    assert check_tls(entry(), record(), None, now=NOW).evaluated == set()


def test_self_signed_only_when_the_baseline_was_not() -> None:
    own = certificate(self_signed=True, problems=["self_signed"], detail={"self_signed": "x"})
    assert rules(check_tls(entry(), record(certificate=own), None, now=NOW)) == {
        "tls.invalid"}
    baseline = {"data": {"spki_sha256": "bb" * 32, "issuer": own["issuer"],
                         "self_signed": True}}
    assert rules(check_tls(entry(), record(certificate=own), baseline, now=NOW)) == set()


def test_cert_changed_from_the_baseline() -> None:
    baseline = {"data": {"spki_sha256": "cc" * 32, "issuer": "CN=domainwatch test root CA"},
                "adopted_at": "2026-11-01T00:00:00Z"}
    result = check_tls(entry(), record(certificate=certificate()), baseline, now=NOW)
    assert rules(result) == {"hijacked.cert_changed"}
    assert result.findings[0].evidence["changed"] == ["key"]
    swapped = certificate(issuer="CN=other test CA", issuer_cn="other test CA")
    result = check_tls(entry(), record(certificate=swapped), baseline, now=NOW)
    assert result.findings[0].evidence["changed"] == ["key", "issuer"]


def test_pages_beyond_the_home_page_are_judged_for_injections() -> None:
    settings = WebCheckSettings()
    own = {"www.jinta.gov.cn", "jinta.gov.cn"}
    injected = (PAGES / "illicit-hidden-links.html").read_text(encoding="utf-8")
    url = "https://www.jinta.gov.cn/zwgk/1.html"
    found = page_content(url, parse_page(injected, url), settings, own)
    assert found is not None and found["url"] == url
    assert found["hidden_injection"]["links"] >= settings.hidden_links
    for guard in ("guard-gov-portal.html", "guard-police-news.html"):
        article = (PAGES / guard).read_text(encoding="utf-8")
        assert page_content(url, parse_page(article, url), settings, own) is None, \
            f"{guard}: news of lottery regulation or a gambling raid is not an injection"

    def site_pages(pages: list[FlaggedPage], count: int, complete: bool = True
                   ) -> tuple[Any, set[str]]:
        return check_site_pages("www.jinta.gov.cn", pages, count, complete, settings, own)

    result, unjudged = site_pages([FlaggedPage(url, injected)], 3)
    [finding] = result.findings
    assert (finding.rule, finding.subject, finding.severity) == (
        "hijacked.content", "pages", "critical")
    assert "and 2 more page(s)" in finding.summary
    assert finding.evidence["pages"] == [found]
    assert unjudged == {""}, "the home page's own finding is the web stage's"
    clean, unjudged = site_pages([], 0)
    assert clean.evaluated == {"hijacked.content"} and not clean.findings
    assert unjudged == {""}, "a complete crawl that finds nothing resolves the finding"
    _, unjudged = site_pages([], 0, complete=False)
    assert unjudged == {"", "pages"}, "a crawl cut short is not taken as clean"


def test_site_pages_are_judged_again_from_their_bodies() -> None:
    """A kept page that the lexicon no longer flags resolves the finding; flagged pages
    the crawl did not keep (beyond its first ten) keep it standing."""
    settings = WebCheckSettings()
    own = {"www.jinta.gov.cn", "jinta.gov.cn"}
    url = "https://www.jinta.gov.cn/zwgk/1.html"
    article = (PAGES / "guard-police-news.html").read_text(encoding="utf-8")
    now_clean = [FlaggedPage(url, article)]
    result, unjudged = check_site_pages("www.jinta.gov.cn", now_clean, 1, True, settings, own)
    assert not result.findings and unjudged == {""}
    result, unjudged = check_site_pages("www.jinta.gov.cn", now_clean, 12, True, settings, own)
    assert not result.findings and unjudged == {"", "pages"}
    injected = (PAGES / "illicit-hidden-links.html").read_text(encoding="utf-8")
    result, _ = check_site_pages("www.jinta.gov.cn", [*now_clean, FlaggedPage(url, injected)],
                                 12, True, settings, own)
    assert result.findings[0].evidence["pages_flagged"] == 11


# -- blocks of links judged by where they point ----------------------------------------------

FOOTER = ("<div class='yqlj'>友情链接：" + "".join(
    f"<a href='http://{host}/'>{text}</a> " for host, text in (
        ("www.xpj8866.com", "澳门新葡京官网"), ("amjs-0088.com", "金沙娱乐"),
        ("www.hg0088.vip", "皇冠体育"), ("www.b365cn.cc", "bet365")))
          + "</div>")
MENU = ("<div class='menu' style='display:none'>" + "".join(
    f"<a href='http://{host}/'>{text}</a>" for host, text in (
        ("www.people.com.cn", "人民网"), ("www.news.cn", "新华网"), ("www.cctv.com", "央视网"),
        ("www.xuexi.cn", "学习强国"), ("www.gov.cn", "中国政府网"),
        ("www.gansu.gov.cn", "甘肃省人民政府"))) + "</div>")


def with_body(extra: str) -> str:
    return PORTAL.replace("</body>", f"{extra}</body>")


def content_of(html: str, baseline: dict[str, Any] | None = None) -> list[Any]:
    result, _ = check_web(entry(), record(with_body(extra=html)), {}, baseline, None,
                          now=NOW)
    return [f for f in result.findings if f.rule == "hijacked.content"]


def test_a_visible_footer_of_casino_hosts_is_an_injection() -> None:
    [finding] = content_of(FOOTER)
    [block] = finding.evidence["hidden_injection"]["blocks"]
    assert block["technique"] == "link-block" and block["reason"] == "shown"
    assert set(block["spam_hosts"]) >= {"www.xpj8866.com", "amjs-0088.com"}
    assert "link-block" in finding.evidence["techniques"]


def test_a_hidden_menu_of_official_sites_is_a_menu() -> None:
    assert content_of(MENU) == []
    # the same hidden block pointing at five ordinary commercial hosts is an injection
    commercial = MENU
    for number, host in enumerate(("www.people.com.cn", "www.news.cn", "www.cctv.com",
                                   "www.xuexi.cn", "www.gov.cn")):
        commercial = commercial.replace(host, f"www.shop{number}.example")
    [finding] = content_of(commercial)
    assert finding.evidence["hidden_injection"]["blocks"][0]["technique"] == "hidden"


def test_ordinary_partner_links_need_spam_or_new_hosts_to_count() -> None:
    partners = ("<div>" + "".join(f"<a href='http://www.bank{n}.example/'>合作银行{n}</a>"
                                  for n in range(6)) + "</div>")
    assert content_of(partners) == []
    # against a baseline that linked to none of them, six new commercial hosts in one
    # block are an injection; the baseline's own partners are not
    base = {"data": {"links": [{"host": "www.gov.cn"}], "resources": {}}}
    [finding] = content_of(partners, base)
    assert len(finding.evidence["hidden_injection"]["blocks"][0]["new_hosts"]) == 6
    known = {"data": {"links": [{"host": f"www.bank{n}.example"} for n in range(6)],
                      "resources": {}}}
    assert content_of(partners, known) == []


def test_a_script_from_a_commercial_host_new_since_the_baseline_is_reported() -> None:
    page = '<script src="http://js.cdn-tongji.example/tj.js"></script><script src=' \
           '"https://hm.baidu.com/hm.js?x"></script>'
    base = {"data": {"links": [], "resources": {"hm.baidu.com": ["script"]}}}
    [finding] = content_of(page, base)
    assert finding.subject == "scripts" and finding.severity == "high"
    assert finding.evidence["external_scripts"] == ["js.cdn-tongji.example"]
    # already in the baseline, or a common statistics host: nothing
    assert content_of(page, {"data": {"links": [], "resources": {
        "js.cdn-tongji.example": ["script"]}}}) == []
    # without a baseline only a host whose name says what it serves is reported
    assert content_of(page) == []
    [finding] = content_of('<script src="http://js.xpj8866.com/a.js"></script>')
    assert finding.evidence["external_scripts"] == ["js.xpj8866.com"]


def test_one_hidden_link_to_a_spam_host_under_a_spam_anchor_is_enough() -> None:
    [finding] = content_of("<div style='display:none'><a href='http://www.xpj8866.com/'>"
                           "澳门新葡京</a></div>")
    assert finding.evidence["hidden_injection"]["blocks"][0]["spam_hosts"] == {
        "www.xpj8866.com": ["xpj"]}
    # a spam host under an ordinary anchor, or a spam anchor to an ordinary host: not alone
    assert content_of("<div style='display:none'><a href='http://www.xpj8866.com/'>首页</a>"
                      "</div>") == []
