"""The web and certificate stage end to end: the CLI scanning the web test world
(tests/data/web/world.toml: nginx over HTTP and HTTPS with the world's CA, fault servers,
legacy TLS), one register entry per case."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from domainwatch.probes.http import fetch
from domainwatch.testnet import LocalInternet, load_scenario
from domainwatch.testnet.scenario import SiteCertificate, scenario_from_dict
from tests.helpers import dw, findings, judged_again

WORLD = Path(__file__).parent / "data" / "web" / "world.toml"
REGISTER = WORLD.parent / "register.csv"
WEB_RULES = {"unused.no_web", "unused.placeholder", "unused.stale", "hijacked.content",
             "hijacked.cloaking", "hijacked.redirect", "hijacked.content_changed",
             "hijacked.dns_changed", "hijacked.cert_changed", "tls.expiring", "tls.invalid",
             "tls.weak"}

#: What a first scan of the web world finds, per entry (the web and certificate rules).
EXPECTED_WEB_RULES = {
    "bet.webtest.gov.cn": {"hijacked.content"},
    "seo.webtest.gov.cn": {"hijacked.content"},
    "ua.webtest.gov.cn": {"hijacked.cloaking"},
    "ref.webtest.gov.cn": {"hijacked.cloaking"},
    "r301.webtest.gov.cn": {"hijacked.redirect"},
    "meta.webtest.gov.cn": {"hijacked.redirect"},
    "js.webtest.gov.cn": {"hijacked.redirect"},
    "nginx.webtest.gov.cn": {"unused.placeholder"},
    "parked.webtest.gov.cn": {"unused.placeholder"},
    "build.webtest.gov.cn": {"unused.placeholder"},
    "closed.webtest.gov.cn": {"unused.no_web"},
    "hang.webtest.gov.cn": {"unused.no_web"},
    "reset.webtest.gov.cn": {"unused.no_web"},
    "expired.webtest.gov.cn": {"tls.invalid"},
    "soon.webtest.gov.cn": {"tls.expiring"},
    "legacy.webtest.gov.cn": {"tls.weak"},
    "moved.webtest.gov.cn": {"hijacked.dns_changed"},
    "links.webtest.gov.cn": {"hijacked.content"},  # injected into a notice two levels down
}
#: The link findings of links.webtest.gov.cn: subject → rule.
EXPECTED_LINKS = {
    "bet.webtest.gov.cn": "link.hijacked",     # a register entry taken over
    "www.bet-example.com": "link.hijacked",    # a gambling site outside the register
    "www.old-bureau.com": "link.dead",         # a host that no longer exists
    "closed.webtest.gov.cn": "link.dead",      # a department without a web server
}


@dataclasses.dataclass
class Scanned:
    net: LocalInternet
    db: Path
    config: Path

    def run(self, *args: str) -> Any:
        return dw(self.db, "--config", str(self.config), *args)

    def scan(self, *args: str) -> Any:
        result = self.run("scan", "--resolver", self.net.resolver, "--ca-file",
                          str(self.net.ca_file), *args)
        assert result.returncode == 0, result.stderr
        return result


def _config(directory: Path, extra: str = "") -> Path:
    path = directory / "domainwatch.toml"
    path.write_text(f"[web]\ntimeout = 2.0\nmax_bytes = 1000000\n{extra}", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def web_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scanned]:
    directory = tmp_path_factory.mktemp("web")
    with LocalInternet(load_scenario(WORLD)) as net:
        scanned = Scanned(net, directory / "web.db", _config(directory))
        assert scanned.run("register", "import", str(REGISTER)).returncode == 0
        scanned.scan()
        yield scanned


def web_rules(db: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for finding in findings(db):
        if finding["rule"] in WEB_RULES:
            found.setdefault(finding["name"], set()).add(finding["rule"])
    return found


def show(scanned: Scanned, name: str) -> dict[str, Any]:
    result = scanned.run("show", name, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.world
def test_each_case_holds_its_rules_and_nothing_else(web_world: Scanned) -> None:
    assert web_rules(web_world.db) == EXPECTED_WEB_RULES
    # the false-positive guards: a UTF-8 and a GBK portal, a portal with lottery-regulation
    # news, a redirect that stays inside gov.cn, a body far over the cap: nothing at all
    clean = {"www.webtest.gov.cn", "gbk.webtest.gov.cn", "cpj.webtest.gov.cn",
             "inside.webtest.gov.cn", "huge.webtest.gov.cn", "swap.webtest.gov.cn"}
    assert not clean & set(web_rules(web_world.db))


@pytest.mark.world
def test_no_web_says_why(web_world: Scanned) -> None:
    reasons = {f["name"]: {scheme: failure["error"]
                           for scheme, failure in f["evidence"]["failures"].items()}
               for f in findings(web_world.db, "--rule", "unused.no_web")}
    assert reasons == {
        "closed.webtest.gov.cn": {"http": "refused", "https": "refused"},
        "hang.webtest.gov.cn": {"http": "timeout", "https": "timeout"},
        "reset.webtest.gov.cn": {"http": "reset", "https": "reset"},
    }


@pytest.mark.world
def test_a_hijack_keeps_evidence_for_the_authorities(web_world: Scanned) -> None:
    [finding] = findings(web_world.db, "--rule", "hijacked.content", "--format", "json")[:1]
    assert finding["name"] == "bet.webtest.gov.cn" and finding["severity"] == "critical"
    capture = finding["evidence"]["capture"]
    assert capture["request"]["url"] == "https://bet.webtest.gov.cn/"
    assert capture["request"]["address"] == "127.20.230.10"
    assert capture["response"]["status"] == 200
    assert capture["response"]["headers"]["server"] == "nginx"
    assert "澳门新葡京" in capture["response"]["body_start"]
    assert capture["certificate"]["sans"] == ["bet.webtest.gov.cn"]
    assert capture["addresses"] == ["127.20.230.10"] and capture["at"].endswith("Z")
    assert [hop["url"] for hop in capture["redirects"]["http"]] == ["http://bet.webtest.gov.cn/"]
    assert finding["evidence"]["illicit"]["flagged"]
    text = web_world.run("show", "bet.webtest.gov.cn").stdout
    assert "evidence captured" in text and "GET https://bet.webtest.gov.cn/" in text


@pytest.mark.world
def test_redirects_keep_the_chain_and_the_destination(web_world: Scanned) -> None:
    found = {f["name"]: f for f in findings(web_world.db, "--rule", "hijacked.redirect")}
    kinds = {name: f["evidence"]["target"]["kind"] for name, f in found.items()}
    assert kinds == {"r301.webtest.gov.cn": "http", "meta.webtest.gov.cn": "meta",
                     "js.webtest.gov.cn": "script"}
    r301 = found["r301.webtest.gov.cn"]
    assert r301["subject"] == "www.bet-example.com"
    hops = r301["evidence"]["capture"]["redirects"]["http"]
    assert [(hop["url"], hop.get("status")) for hop in hops] == [
        ("http://r301.webtest.gov.cn/", 302), ("http://www.bet-example.com/?from=r301", 200)]
    assert r301["evidence"]["destination"]["illicit"]["flagged"]
    assert "which carries illicit content" in r301["summary"]


@pytest.mark.world
def test_cloaking_evidence_names_the_request(web_world: Scanned) -> None:
    found = {f["name"]: f["evidence"]["differences"]
             for f in findings(web_world.db, "--rule", "hijacked.cloaking")}
    # Baiduspider every night (and the crawler or referer in turn tonight, when this site,
    # which cloaks for every crawler, gets a crawler)
    crawler, *others = found["ua.webtest.gov.cn"]
    assert crawler["label"] == "crawler Baiduspider"
    assert "Baiduspider" in crawler["request_headers"]["User-Agent"]
    assert "澳门新葡京" in crawler["body_start"]
    assert all(other["label"].startswith("crawler ") for other in others)
    # Baidu's visitors every night (this site sends every search engine's away)
    referer, *others = found["ref.webtest.gov.cn"]
    assert referer["label"] == "referer baidu.com" and referer["status"] == 302
    assert referer["request_headers"]["Referer"] == "https://www.baidu.com/s?wd=ref.webtest.gov.cn"
    assert referer["location"] == "http://www.bet-example.com/?from=ref"
    assert all(other["label"].startswith("referer ") for other in others)


@pytest.mark.world
def test_gbk_and_utf8_portals_read_alike(web_world: Scanned) -> None:
    gbk = show(web_world, "gbk.webtest.gov.cn")["web"][0]["data"]
    utf8 = show(web_world, "www.webtest.gov.cn")["web"][0]["data"]
    assert gbk["encoding"] == "gb18030" and utf8["encoding"] == "utf-8"
    assert gbk["title"] == utf8["title"] == "测试市人民政府"
    assert {link["host"] for link in utf8["links"]} == {"www.gov.cn", "www.gansu.gov.cn",
                                                        "bszs.conac.cn"}


@pytest.mark.world
def test_a_body_over_the_cap_is_cut_not_fatal(web_world: Scanned) -> None:
    data = show(web_world, "huge.webtest.gov.cn")["web"][0]["data"]
    assert data["truncated"] and data["size"] == 1_000_000 and data["status"] == 200


@pytest.mark.world
def test_first_clean_observation_becomes_the_baseline(web_world: Scanned) -> None:
    clean = show(web_world, "www.webtest.gov.cn")["baselines"]
    assert set(clean) == {"dns", "web", "tls"}
    assert {b["how"] for b in clean.values()} == {"first-seen"}
    assert clean["web"]["data"]["title"] == "测试市人民政府"
    # hijacked on first sight: no baseline, so the hijack is never taken for normal
    assert show(web_world, "bet.webtest.gov.cn")["baselines"] == {}
    # a default page is not what the site is: the real page, when it comes, is no "change"
    assert set(show(web_world, "nginx.webtest.gov.cn")["baselines"]) == {"dns", "tls"}


@pytest.mark.world
def test_stale_from_observation_history(web_world: Scanned) -> None:
    connection = sqlite3.connect(web_world.db)
    with connection:
        connection.execute("UPDATE observations SET first_seen = '2026-01-01T00:00:00Z' "
                           "WHERE name = 'cpj.webtest.gov.cn' AND probe = 'web'")
    connection.close()
    web_world.scan("cpj.webtest.gov.cn")
    [stale] = findings(web_world.db, "--rule", "unused.stale")
    assert stale["name"] == "cpj.webtest.gov.cn"
    assert stale["evidence"]["unchanged_since"] == "2026-01-01T00:00:00Z"
    assert stale["evidence"]["limit_days"] == 14


@pytest.mark.world
def test_without_the_world_ca_the_certificates_are_untrusted(web_world: Scanned,
                                                             tmp_path: Path) -> None:
    db = tmp_path / "no-ca.db"
    assert dw(db, "register", "import", str(REGISTER)).returncode == 0
    result = dw(db, "--config", str(web_world.config), "scan", "www.webtest.gov.cn",
                "--resolver", web_world.net.resolver)
    assert result.returncode == 0, result.stderr
    [invalid] = findings(db, "--rule", "tls.invalid")
    assert invalid["evidence"]["problems"] == ["untrusted"] and invalid["severity"] == "medium"
    assert "--ca-file" in invalid["summary"]
    bad = tmp_path / "bad.pem"
    bad.write_text("nothing here")
    refused = dw(db, "scan", "--resolver", web_world.net.resolver, "--ca-file", str(bad))
    assert refused.returncode == 3 and "holds no PEM or DER certificate" in refused.stderr


@pytest.mark.world
def test_no_web_skips_the_stage(web_world: Scanned, tmp_path: Path) -> None:
    db = tmp_path / "dns-only.db"
    assert dw(db, "register", "import", str(REGISTER)).returncode == 0
    result = dw(db, "scan", "--no-web", "--resolver", web_world.net.resolver)
    assert result.returncode == 0 and "web:" not in result.stdout
    assert show(Scanned(web_world.net, db, web_world.config), "bet.webtest.gov.cn")["web"] == []


def test_never_connects_outside_loopback_in_tests() -> None:
    answer = asyncio.run(fetch("www.jiuquan.gov.cn", "2001:db8::10", timeout=1))
    assert answer.status is None and "loopback only" in (answer.error or "")


# -- changes between scans: baselines, accept ----------------------------------------------


PAGE = ("<html><head><title>变更测试市人民政府</title></head><body>"
        + "".join(f"<p><a href='/xw/{i}.html'>变更测试市政府第{i}次常务会议研究部署工作</a></p>"
                  for i in range(30)) + "</body></html>")
GAMBLING = ("<html><head><title>澳门新葡京娱乐场</title></head><body><h1>澳门新葡京</h1>"
            "<p>百家乐 真人视讯 时时彩 六合彩开奖 注册送彩金 皇冠体育</p></body></html>")


@pytest.fixture()
def changing_world(tmp_path: Path) -> Iterator[Scanned]:
    world = scenario_from_dict({
        "server": {"root": {}, "cnnic": {}, "city": {}},
        "zone": [{"origin": ".", "server": "root"}, {"origin": "cn", "server": "cnnic"},
                 {"origin": "gov.cn", "server": "cnnic"},
                 {"origin": "change.gov.cn", "server": "city",
                  "records": "www A 127.20.232.10\nga A 127.20.232.10\n"}],
        "site": [{"address": "127.20.232.10", "names": ["www.change.gov.cn"], "body": PAGE},
                 {"address": "127.20.232.10", "names": ["ga.change.gov.cn"], "body": PAGE,
                  "certificate": {"key": "ga"}}],
    })
    (tmp_path / "register.csv").write_text(
        "name,parent\nwww.change.gov.cn,\nga.change.gov.cn,www.change.gov.cn\n",
        encoding="utf-8")
    with LocalInternet(world) as net:
        scanned = Scanned(net, tmp_path / "change.db", _config(tmp_path))
        assert scanned.run("register", "import", str(tmp_path / "register.csv")).returncode == 0
        scanned.scan()
        yield scanned


@pytest.mark.world
def test_swapped_content_and_certificate_are_caught_and_accept_adopts_them(
        changing_world: Scanned) -> None:
    net = changing_world.net
    assert web_rules(changing_world.db) == {}
    www, ga = net.sites
    net.replace_sites([
        dataclasses.replace(www, body=GAMBLING),
        dataclasses.replace(ga, certificate=SiteCertificate(issuer="other", key="attacker")),
    ])
    changing_world.scan()
    assert web_rules(changing_world.db) == {
        "www.change.gov.cn": {"hijacked.content", "hijacked.content_changed"},
        "ga.change.gov.cn": {"hijacked.cert_changed", "tls.invalid"},
    }
    [swapped] = findings(changing_world.db, "--rule", "hijacked.cert_changed")
    assert swapped["evidence"]["changed"] == ["key", "issuer"]
    assert "other test CA" in swapped["evidence"]["certificate"]["issuer"]
    [changed] = findings(changing_world.db, "--rule", "hijacked.content_changed")
    assert changed["evidence"]["similarity"] < 0.3
    assert changed["evidence"]["baseline_title"] == "变更测试市人民政府"

    # The administrator moved ga to another CA on purpose: accept it.
    accepted = changing_world.run("accept", "ga.change.gov.cn")
    assert accepted.returncode == 0, accepted.stderr
    assert "tls" in accepted.stdout and "1 finding(s) resolved" in accepted.stdout
    baselines = show(changing_world, "ga.change.gov.cn")["baselines"]
    assert baselines["tls"]["how"] == "accepted"
    changing_world.scan()
    assert "hijacked.cert_changed" not in web_rules(changing_world.db).get(
        "ga.change.gov.cn", set())
    # The first capture of the content hijack survives later scans.
    [content] = findings(changing_world.db, "--rule", "hijacked.content")
    assert content["evidence"]["first_capture"]["at"] <= content["evidence"]["capture"]["at"]
    assert changing_world.run("accept", "nobody.change.gov.cn").returncode == 3


@pytest.mark.world
def test_worker_processes_see_what_the_scanning_process_sees(web_world: Scanned,
                                                             tmp_path: Path) -> None:
    db = tmp_path / "processes.db"
    assert dw(db, "register", "import", str(REGISTER)).returncode == 0
    config = _config(tmp_path, "processes = 2\n")
    result = dw(db, "--config", str(config), "scan", "--resolver", web_world.net.resolver,
                "--ca-file", str(web_world.net.ca_file))
    assert result.returncode == 0, result.stderr
    assert "(2 worker processes)" in result.stdout
    assert web_rules(db) == EXPECTED_WEB_RULES
    assert {f["subject"]: f["rule"] for f in findings(db, "--category", "link")} \
        == EXPECTED_LINKS


def test_web_settings_from_the_configuration_file(tmp_path: Path) -> None:
    from datetime import timedelta

    from domainwatch.config import ConfigError, load_config

    path = tmp_path / "dw.toml"
    (tmp_path / "roots.pem").write_text("placeholder")
    path.write_text('[web]\nca_files = ["roots.pem"]\ntimeout = 3\nstale_after = "30d"\n'
                    'crawlers = { Sogou = "Sogou web spider/4.0" }\nallowed_hosts = ["conac.cn"]'
                    '\ntls_expiry_window = "10d"\nchange_similarity = 0.2\n', encoding="utf-8")
    stage = load_config(path).web
    assert stage is not None and stage.enabled
    assert stage.ca_files == [tmp_path / "roots.pem"]
    assert stage.probe.timeout == 3.0 and stage.probe.crawlers == {"Sogou": "Sogou web spider/4.0"}
    assert stage.checks.stale_after == timedelta(days=30)
    assert stage.checks.allowed_hosts == ("conac.cn",)
    assert stage.checks.change_similarity == 0.2
    assert stage.tls.expiry_window == timedelta(days=10)
    for bad, message in (('timeout = 0', "timeout is out of range"),
                         ('change_similarity = 1.5', "change_similarity is out of range"),
                         ('stale_after = "soon"', "not a duration"),
                         ('crawlers = { Baidu = "" }', "crawlers maps a label"),
                         ('colour = "red"', "has no setting 'colour'")):
        path.write_text(f"[web]\n{bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            load_config(path)


def test_link_and_whois_settings_from_the_configuration_file(tmp_path: Path) -> None:
    from domainwatch.api import whois_settings
    from domainwatch.config import ConfigError, load_config

    path = tmp_path / "dw.toml"
    path.write_text("[links]\ndepth = 3\npages = 100\nrun_pages = 20000\nper_host = 1\n"
                    "interval = 1\nsites = 8\nhosts = 500\n"
                    "[whois]\ntimeout = 4\nreuse_answers = false\n", encoding="utf-8")
    config = load_config(path)
    stage = config.web
    assert stage is not None and stage.links and stage.link_hosts == 500
    crawl = stage.crawl
    assert (crawl.depth, crawl.pages, crawl.run_pages, crawl.per_host, crawl.interval,
            crawl.sites) == (3, 100, 20000, 1, 1.0, 8)
    # [whois] without servers is off, but its settings hold once a command line turns it on
    assert whois_settings(config, (), None) is None
    settings = whois_settings(config, ("127.0.0.1:43",), None)
    assert settings.timeout == 4.0 and not settings.reuse_answers and settings.enabled
    path.write_text("[links]\nenabled = false\n", encoding="utf-8")
    assert not load_config(path).web.links  # type: ignore[union-attr]
    for bad, message in (("pages = 0", "pages must be 1 or more"),
                         ("interval = -1", "interval must be 0 or more"),
                         ("depth = 'deep'", "depth has the wrong type"),
                         ("link_hosts = 5", "has no setting 'link_hosts'")):
        path.write_text(f"[links]\n{bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            load_config(path)


# -- the hosts a site links to (the Subei case) ---------------------------------------------


@pytest.mark.world
def test_links_to_hijacked_and_dead_hosts_are_raised_on_the_linking_entry(
        web_world: Scanned) -> None:
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for finding in findings(web_world.db):
        if finding["rule"].startswith("link."):
            found.setdefault(finding["name"], {})[finding["subject"]] = finding
    assert set(found) == {"links.webtest.gov.cn"}, "only the partner-link page links astray"
    links = found["links.webtest.gov.cn"]
    assert {subject: f["rule"] for subject, f in links.items()} == EXPECTED_LINKS, \
        "the legitimate partners (relative and protocol-relative links) are not flagged"
    subei = links["bet.webtest.gov.cn"]
    assert subei["severity"] == "critical" and "投资测试" in subei["summary"]
    # found one level down, on the column page (decoded from GBK): the column to fix
    [reference] = subei["evidence"]["references"]
    assert reference == {"page": "https://links.webtest.gov.cn/tzcs/", "element": "a",
                         "text": "投资测试", "url": "http://bet.webtest.gov.cn/"}
    assert subei["evidence"]["register_entry"] is True
    outside = links["www.bet-example.com"]["evidence"]
    assert "澳门新葡京" in outside["capture"]["response"]["body_start"]
    # reached through the site's own exit redirect, from the 招商热线 link
    assert outside["references"] == [{
        "page": "https://links.webtest.gov.cn/go/", "element": "redirect",
        "text": "招商热线", "url": "http://www.bet-example.com/zs/"}]
    old = links["www.old-bureau.com"]["evidence"]
    assert old["why"] == "does not exist (NXDOMAIN)"
    assert old["references"][0]["page"] == "https://links.webtest.gov.cn/zwgk/tzgg/"
    # the deregistration follow-up names the live pages that still link to a closed site
    report = web_world.run("report", "--format", "json")
    followup = {row["name"]: row for row in json.loads(report.stdout)["followup"]}
    assert followup["bet.webtest.gov.cn"]["linked_from"] == ["links.webtest.gov.cn"]
    assert followup["bet.webtest.gov.cn"]["linked_from_checked"] is True


@pytest.mark.world
def test_the_crawl_reads_the_columns_and_partner_lists_and_the_budget_holds_a_trap(
        web_world: Scanned) -> None:
    crawl = show(web_world, "links.webtest.gov.cn")["links"][0]["data"]
    pages = [page["url"] for page in crawl["pages"]]
    assert len(pages) == 30 and crawl["stopped"] == "site budget" and crawl["complete"]
    assert pages[:5] == ["https://links.webtest.gov.cn/", "https://links.webtest.gov.cn/zwgk/",
                         "https://links.webtest.gov.cn/tzcs/",
                         "https://links.webtest.gov.cn/yqlj/index.html",
                         "https://links.webtest.gov.cn/calendar/"], "the navigation first"
    assert not any(url.endswith(".pdf") for url in pages), "documents are not pages"
    # every page of the site is read, and the calendar's endless days fill what is left of
    # the budget, and no more
    assert [url for url in pages if "/calendar/" not in url][4:] == [
        "https://links.webtest.gov.cn/zwgk/tzgg/", "https://links.webtest.gov.cn/go/"]
    assert sum("/calendar/" in url for url in pages) == 30 - 6
    # two dozen county portals and a company on the partner list: checked, none flagged
    partners = {host for host in crawl["references"] if host.startswith("www.xian")}
    assert len(partners) == 24
    assert crawl["references"]["www.xian07.gov.cn"][0] == {
        "page": "https://links.webtest.gov.cn/yqlj/index.html", "element": "a",
        "text": "测试07县人民政府", "url": "http://www.xian07.gov.cn/"}
    assert "www.partner-example.com" in crawl["references"]
    flagged = {f["subject"] for f in findings(web_world.db, "--category", "link")}
    assert not flagged & (partners | {"www.partner-example.com", "www.gov.cn"})


@pytest.mark.world
def test_the_pages_the_crawl_reads_are_judged_for_injections_too(web_world: Scanned) -> None:
    [injected] = [f for f in findings(web_world.db, "--rule", "hijacked.content")
                  if f["name"] == "links.webtest.gov.cn"]
    assert (injected["subject"], injected["severity"]) == ("pages", "critical")
    assert "https://links.webtest.gov.cn/zwgk/tzgg/" in injected["summary"]
    assert "hidden block of 6 links" in injected["summary"]
    [page] = injected["evidence"]["pages"]
    assert page["url"] == "https://links.webtest.gov.cn/zwgk/tzgg/"
    assert page["title"] == "通知公告" and page["hidden_injection"]["links"] == 6
    # the home page itself is clean, and the notice's hidden links are not link findings
    assert not any(f["subject"] == "www.example-bet.com"
                   for f in findings(web_world.db, "--category", "link"))


@pytest.mark.world
def test_a_register_entry_shows_the_live_pages_that_link_to_it(web_world: Scanned) -> None:
    shown = show(web_world, "bet.webtest.gov.cn")
    assert [(row["name"], [ref["page"] for ref in row["references"]])
            for row in shown["linked_from"]] == [
        ("links.webtest.gov.cn", ["https://links.webtest.gov.cn/tzcs/"])]
    text = web_world.run("show", "bet.webtest.gov.cn").stdout
    assert "linked from" in text
    assert "← links.webtest.gov.cn: a “投资测试” on https://links.webtest.gov.cn/tzcs/" in text


@pytest.mark.world
def test_what_a_crawl_cut_short_did_not_reach_is_not_taken_as_gone(
        web_world: Scanned, tmp_path: Path) -> None:
    db = tmp_path / "budget.db"
    assert dw(db, "register", "import", str(REGISTER)).returncode == 0

    def scan(links: str) -> tuple[str, dict[str, str]]:
        config = _config(tmp_path, f"[links]\ninterval = 0.01\n{links}")
        result = dw(db, "--config", str(config), "scan", "links.webtest.gov.cn", "--resolver",
                    web_world.net.resolver, "--ca-file", str(web_world.net.ca_file))
        assert result.returncode == 0, result.stderr
        return result.stdout, {f["subject"] or f["rule"]: f["status"] for f in findings(
            db, "--status", "all") if f["rule"].startswith(("link.", "hijacked.content"))}

    output, full = scan("")
    assert full["www.old-bureau.com"] == "open"  # on a notice two levels down
    assert full["pages"] == "open"  # the hidden links injected into that notice
    # the summary says where the time went, stage by stage
    assert re.search(r"^time: dns [\d.]+s \(CPU [\d.]+s\), .*web [\d.]+s \(CPU [\d.]+s\), "
                     r"crawl [\d.]+s \(CPU [\d.]+s\), linked hosts [\d.]+s", output, re.M)
    # tonight the run's page budget runs out after three pages: the notice is not read
    output, cut = scan("run_pages = 3")
    assert "1 sites cut short by the run's page budget" in output
    assert cut == full, "nothing resolved on a crawl that did not reach the page"
    shown = dw(db, "show", "links.webtest.gov.cn").stdout
    assert "cut short by the run's page budget: not every page was read" in shown
    # hosts beyond the run's budget of linked hosts are not judged either
    _, few = scan("hosts = 1")
    assert few == full
    # a complete crawl of a smaller scope does resolve what it no longer finds
    _, shallow = scan("depth = 1")
    assert shallow["www.old-bureau.com"] == "resolved"
    assert shallow["pages"] == "resolved"
    assert shallow["bet.webtest.gov.cn"] == "open"


@pytest.mark.world
def test_a_link_to_a_lapsed_domain_is_one_registration_from_the_subei_case(
        web_world: Scanned, tmp_path: Path) -> None:
    db = tmp_path / "links.db"
    assert dw(db, "register", "import", str(REGISTER)).returncode == 0
    result = dw(db, "--config", str(web_world.config), "scan", "links.webtest.gov.cn",
                "--resolver", web_world.net.resolver, "--ca-file", str(web_world.net.ca_file),
                "--whois-server", web_world.net.whois)
    assert result.returncode == 0, result.stderr
    [lapsed] = findings(db, "--rule", "link.unregistered")
    assert (lapsed["name"], lapsed["subject"], lapsed["severity"]) == (
        "links.webtest.gov.cn", "old-bureau.com", "critical")
    assert lapsed["evidence"]["depends_via"] == [{"role": "linked host",
                                                  "host": "www.old-bureau.com"}]
    assert lapsed["evidence"]["references"][0]["text"] == "原工商局网站"
    assert lapsed["evidence"]["whois"]["status"] == "unregistered"


@pytest.mark.world
def test_a_partner_registry_that_rate_limits_leaves_only_its_own_findings(
        web_world: Scanned, tmp_path: Path) -> None:
    db = tmp_path / "limits.db"
    assert dw(db, "register", "import", str(REGISTER)).returncode == 0
    config = _config(tmp_path, "[links]\ninterval = 0.01\n[whois]\nmin_interval = 0.0\n"
                               "retries = 0\nreuse_answers = false\n")

    def scan() -> dict[str, str]:
        result = dw(db, "--config", str(config), "scan", "links.webtest.gov.cn", "--resolver",
                    web_world.net.resolver, "--ca-file", str(web_world.net.ca_file),
                    "--whois-server", web_world.net.whois)
        assert result.returncode == 0, result.stderr
        return {f["subject"]: f["status"] for f in findings(
            db, "--status", "all", "--rule", "link.unregistered")}

    answers = web_world.net.whois_answers
    saved = dict(answers)
    try:
        answers["bet-example.com"] = {"status": "unregistered"}
        assert scan() == {"old-bureau.com": "open", "bet-example.com": "open"}
        # the partner's registry now rate-limits; the old bureau's domain is taken back
        answers["bet-example.com"] = {"status": "rate_limited"}
        answers["old-bureau.com"] = {"status": "registered"}
        assert scan() == {"old-bureau.com": "resolved", "bet-example.com": "open"}
    finally:
        answers.clear()
        answers.update(saved)


@pytest.mark.world
def test_what_the_scan_judged_is_judged_alike_from_the_store(web_world: Scanned) -> None:
    recorded, again = judged_again(web_world.db, web_world.config)
    assert {(name, rule) for name, rule, *_ in recorded} >= {
        ("links.webtest.gov.cn", "hijacked.content"), ("ua.webtest.gov.cn", "hijacked.cloaking"),
        ("js.webtest.gov.cn", "hijacked.redirect"), ("soon.webtest.gov.cn", "tls.expiring")}
    assert again == recorded
