"""The stored form of a web observation: a scan judges it, and judged again from the store
(the data and the page bodies, each read again) it gives the very same findings; bodies are
stored once per text and held by a name's latest observation only; what was kept before
bodies were cannot be judged again."""

from __future__ import annotations

import json
import sqlite3
import zlib
from pathlib import Path
from typing import Any

import pytest

from domainwatch.checks.stored import judge_stored_site_pages, judge_stored_web
from domainwatch.checks.tls import check_tls
from domainwatch.checks.web import check_web
from domainwatch.probes.links import FlaggedPage, SiteCrawl
from domainwatch.probes.page import parse_page, read_page_script
from domainwatch.probes.web import CloakFetch, Hop, Landing, Visit, WebObservation
from domainwatch.probes.web_record import NotRejudgeable, WebRecord
from domainwatch.settings import WebStage
from domainwatch.store import MAX_BODY_BYTES, Store, body_hash
from tests.test_web_checks import NOW, PORTAL, certificate, entry

PAGES = Path(__file__).parent / "data" / "pages"
NAME = "www.jiuquan.gov.cn"
HTTP, HTTPS = f"http://{NAME}/", f"https://{NAME}/"
DNS = {"status": "resolves", "a": ["127.20.1.10"], "cname_chain": []}
INJECTED_SCRIPT = ("document.write('<div style=\"display:none\">' + "
                   "'<a href=\"http://www.xpj8866.com/\">澳门新葡京</a>"
                   "<a href=\"http://www.hg0088.vip/\">皇冠体育</a></div>');")


def landing(url: str, html: str, page: Any) -> Landing:
    return Landing(url=url, address="127.20.1.10", status=200,
                   headers={"server": "nginx/1.22.1", "content-type": "text/html",
                            "x-cache": "HIT", "connection": "keep-alive"},
                   size=len(html.encode()), truncated=False, encoding="utf-8", page=page,
                   body=html, requested_at="2026-11-26T12:00:01Z",
                   request_headers={"User-Agent": "domainwatch"})


def observation(html: str, *, crawler_html: str | None = None, script: str | None = None,
                hops: list[Hop] | None = None) -> WebObservation:
    """A visit as the probe makes one: the same bytes over HTTP and HTTPS read once (as the
    HTTP visit's URL: the HTTPS landing shares that page), an external script read into
    it, Baiduspider answered the very same bytes and Sogou ``crawler_html``."""
    page = parse_page(html, HTTP)
    http = Visit("http", hops=[Hop(url=HTTP, kind="start", address="127.20.1.10",
                                   status=200)])
    http.landing = landing(HTTP, html, page)
    sha = certificate()["sha256"]
    https = Visit("https", hops=hops or [Hop(url=HTTPS, kind="start", address="127.20.1.10",
                                             status=200, tls_version="TLSv1.3",
                                             certificate=sha)],
                  certificates={sha: certificate()})
    https.landing = landing(https.hops[-1].url, html, page)
    if script is not None:
        https.landing.scripts.append({"url": "http://js.yunjs-cdn.com/tj.js", "status": 200,
                                      "size": len(script)})
        https.landing.script_code["http://js.yunjs-cdn.com/tj.js"] = script
        read_page_script(page, script, https.landing.url,
                         "external script http://js.yunjs-cdn.com/tj.js")
    cloaks = [CloakFetch("crawler Baiduspider", {"User-Agent": "Baiduspider"}, 200, None,
                         None, page, html),
              CloakFetch("referer baidu.com", {"Referer": "https://www.baidu.com/s"}, None,
                         None, "timeout", None, "")]
    if crawler_html is not None:
        cloaks.append(CloakFetch("crawler Sogou", {"User-Agent": "Sogou web spider/4.0"}, 200,
                                 None, None, parse_page(crawler_html, https.landing.url),
                                 crawler_html))
    return WebObservation(name=NAME, addresses=["127.20.1.10"],
                          visits={"http": http, "https": https}, cloaks=cloaks,
                          at="2026-11-26T12:00:00Z")


def judged(record: WebRecord, state: str = "active") -> dict[str, Any]:
    """Everything a scan reconciles and records of the judgement, as the store keeps it."""
    result, judgement = check_web(entry(state=state), record, DNS, None,
                                  "2026-11-20T00:00:00Z", now=NOW)
    result.add(check_tls(entry(state=state), record, None, now=NOW))
    return json.loads(json.dumps({
        "evaluated": sorted(result.evaluated),
        "findings": [[f.rule, f.subject, f.severity, f.summary, f.evidence]
                     for f in result.findings],
        "signals": judgement.signals if judgement else None,
        "placeholder": judgement.placeholder.id if judgement and judgement.placeholder
        else None}))


def stored_again(record: WebRecord, directory: Path) -> WebRecord:
    directory.mkdir(exist_ok=True)
    with Store(directory / "dw.db") as store:
        with store.transaction():
            store.record_observation(NAME, "web", record.fingerprint(), record.data(), 1,
                                     "2026-11-26T12:00:05Z", bodies=record.bodies())
        latest = store.latest_observation(NAME, "web")
    assert latest is not None
    row, bodies = latest
    return WebRecord.from_stored(row["data"], bodies)


@pytest.mark.parametrize("page", sorted(path.name for path in PAGES.glob("*.html")))
def test_every_test_page_is_judged_alike_from_the_store(page: str, tmp_path: Path) -> None:
    html = (PAGES / page).read_text(encoding="utf-8")
    live = observation(html).record()
    again = stored_again(live, tmp_path)
    assert judged(again) == judged(live)
    assert judged(again, "offline") == judged(live, "offline")
    assert again.data() == json.loads(json.dumps(live.data()))
    assert again.fingerprint() == live.fingerprint()


def test_cloaking_an_external_script_and_a_redirect_are_judged_alike(tmp_path: Path) -> None:
    gambling = (PAGES / "illicit-gambling.html").read_text(encoding="utf-8")
    cloaked = observation(PORTAL, crawler_html=gambling).record()
    assert "hijacked.cloaking" in {rule for rule, *_ in judged(cloaked)["findings"]}
    assert judged(stored_again(cloaked, tmp_path / "cloaked")) == judged(cloaked)

    scripted = observation(PORTAL, script=INJECTED_SCRIPT).record()
    assert "hijacked.content" in {rule for rule, *_ in judged(scripted)["findings"]}
    assert judged(stored_again(scripted, tmp_path / "scripted")) == judged(scripted)

    hops = [Hop(url=HTTPS, kind="start", address="127.20.1.10", status=302,
                location="http://www.gansu.gov.cn/jq/", certificate=certificate()["sha256"]),
            Hop(url="http://www.gansu.gov.cn/jq/", kind="http", address="127.20.1.11",
                status=200, location="http://bet365.example/"),
            Hop(url="http://bet365.example/", kind="meta", address="127.66.0.1", status=200)]
    redirected = observation(gambling, hops=hops).record()
    [redirect] = [f for f in judged(redirected)["findings"] if f[0] == "hijacked.redirect"]
    assert redirect[1] == "bet365.example"
    assert judged(stored_again(redirected, tmp_path / "redirected")) == judged(redirected)


def test_an_unanswered_visit_is_judged_alike(tmp_path: Path) -> None:
    refused = WebObservation(NAME, ["127.20.1.10"], {scheme: Visit(scheme, hops=[Hop(
        url=f"{scheme}://{NAME}/", kind="start", address="127.20.1.10", error="refused",
        phase="connect")]) for scheme in ("http", "https")}, at="2026-11-26T12:00:00Z")
    live = refused.record()
    assert live.bodies() == {}
    assert [f[0] for f in judged(live)["findings"]] == ["unused.no_web"]
    assert judged(stored_again(live, tmp_path)) == judged(live)


def test_the_pages_a_crawl_flagged_are_judged_alike_from_the_store(tmp_path: Path) -> None:
    injected = (PAGES / "illicit-hidden-links.html").read_text(encoding="utf-8")
    url = f"{HTTPS}zwgk/1.html"
    crawl = SiteCrawl(name=NAME, start=HTTPS, flagged=[FlaggedPage(url, injected)],
                      flagged_count=1)
    stage = WebStage()
    with Store(tmp_path / "dw.db") as store:
        with store.transaction():
            store.record_observation(NAME, "links", crawl.fingerprint(), crawl.data(), 1,
                                     "T1", bodies=crawl.bodies())
        again = judge_stored_site_pages(store, entry(), stage)
    assert again is not None
    [finding] = again[0].findings
    assert (finding.rule, finding.subject) == ("hijacked.content", "pages")
    assert finding.evidence["pages"][0]["url"] == url


def test_bodies_are_kept_once_and_by_the_latest_observation_only(tmp_path: Path) -> None:
    nginx = (PAGES / "nginx-default.html").read_text(encoding="utf-8")
    first = observation(PORTAL).record()
    parked = observation(nginx).record()
    with Store(tmp_path / "dw.db") as store:
        def record(name: str, record: WebRecord, run: int) -> bool:
            with store.transaction():
                return store.record_observation(name, "web", record.fingerprint(),
                                                record.data(), run, f"T{run}",
                                                bodies=record.bodies())

        def stored() -> dict[str, int]:
            return dict(sqlite3.connect(tmp_path / "dw.db").execute(
                "SELECT hash, holders FROM page_bodies").fetchall())

        assert record("www.a.gov.cn", first, 1) and record("www.b.gov.cn", first, 1)
        assert stored() == {body_hash(PORTAL): 2}, "one text, stored once"
        assert record("www.a.gov.cn", parked, 2)
        assert stored() == {body_hash(PORTAL): 1, body_hash(nginx): 1}
        # unchanged: what the latest scan saw is kept, its bodies swapped
        moved = observation(nginx).record()
        moved.at = "2026-11-27T12:00:00Z"
        assert moved.fingerprint() == parked.fingerprint()
        assert not record("www.a.gov.cn", moved, 3)
        latest = store.latest_observation("www.a.gov.cn", "web")
        assert latest is not None and latest[0]["data"]["record"]["at"] == moved.at
        assert record("www.b.gov.cn", parked, 3)
        assert stored() == {body_hash(nginx): 2}, "a body nobody holds any more is gone"
        history = store.observations("www.a.gov.cn", "web")
        assert len(history) == 2 and "bodies" not in history[0]


def test_a_hidden_injection_that_leaves_the_fingerprint_alone_is_judged(
        tmp_path: Path) -> None:
    """Hidden links change neither the visible text nor the title: the observation is
    unchanged, and a recheck must still judge the page the latest scan saw."""
    hidden = PORTAL.replace("</body>", "<div style='display:none'>" + "".join(
        f"<a href='http://www.xpj{n}.com/'>澳门新葡京娱乐场{n}</a>" for n in range(6))
        + "</div></body>")
    clean, injected = observation(PORTAL).record(), observation(hidden).record()
    assert clean.fingerprint() == injected.fingerprint()
    with Store(tmp_path / "dw.db") as store:
        for run, record in enumerate((clean, injected), start=1):
            with store.transaction():
                store.record_observation(NAME, "web", record.fingerprint(), record.data(), run,
                                         f"2026-11-2{run}T12:00:00Z", bodies=record.bodies())
        again = judge_stored_web(store, entry(), DNS, WebStage(), now=NOW)
        assert len(store.observations(NAME, "web")) == 1
    assert again is not None
    assert [f.rule for f in again[0].findings] == ["hijacked.content"]


def test_what_cannot_be_judged_again_says_so(tmp_path: Path) -> None:
    live = observation(PORTAL).record()
    data = live.data()
    with pytest.raises(NotRejudgeable, match="before page bodies"):
        WebRecord.from_stored({key: value for key, value in data.items() if key != "record"},
                              {})
    with pytest.raises(NotRejudgeable, match="missing"):
        WebRecord.from_stored(data, {})
    stage = WebStage()
    with Store(tmp_path / "dw.db") as store:
        assert judge_stored_web(store, entry(), DNS, stage) is None, "never observed"
        with store.transaction():
            old = {key: value for key, value in data.items() if key != "record"}
            store.record_observation(NAME, "web", live.fingerprint(), old, 1,
                                     "2026-11-25T12:00:00Z")
        assert judge_stored_web(store, entry(), DNS, stage) is None, "kept before bodies"
        with store.transaction():
            store.record_observation(NAME, "web", live.fingerprint(), data, 2,
                                     "2026-11-26T12:00:00Z", bodies=live.bodies())
        again = judge_stored_web(store, entry(), DNS, stage, now=NOW)
        assert again is not None and again[1] is not None
        assert [f.rule for f in again[0].findings] == [], "a day unchanged is not stale"
        # judged with a later clock: what time alone makes true
        later = judge_stored_web(store, entry(), DNS, stage, now=NOW.replace(month=12, day=20))
        assert later is not None
        assert {f.rule: f.summary for f in later[0].findings} == {
            "unused.stale": "www.jiuquan.gov.cn's page text has not changed for 25 days "
                            "(since 2026-11-25)",
            "tls.expiring": "www.jiuquan.gov.cn's certificate expires in 11 days (2027-01-01)"}


def test_a_body_that_inflates_past_the_cap_is_not_read(tmp_path: Path) -> None:
    live = observation("<html><title>t</title></html>").record()
    [digest] = live.bodies()
    with Store(tmp_path / "dw.db") as store, store.transaction():
        store.record_observation(NAME, "web", live.fingerprint(), live.data(), 1, "T1",
                                 bodies=live.bodies())
    bomb = zlib.compress(b"<" * (MAX_BODY_BYTES + 1), 9)
    conn = sqlite3.connect(tmp_path / "dw.db")
    conn.execute("UPDATE page_bodies SET body = ? WHERE hash = ?", (bomb, digest))
    conn.commit()
    conn.close()
    with Store(tmp_path / "dw.db") as store:
        latest = store.latest_observation(NAME, "web")
        assert latest is not None and latest[1] == {}
        assert judge_stored_web(store, entry(), DNS, WebStage()) is None
