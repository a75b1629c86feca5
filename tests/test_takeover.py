"""dangling.service: the signature data, the pure matcher, the fetcher, and nginx in the
test internet."""

from __future__ import annotations

import asyncio
import html
import json
import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from domainwatch.checks.dns import check_dns
from domainwatch.takeover import (
    SERVICES_FILE,
    HttpAnswer,
    Service,
    ServiceDataError,
    catalogue_markdown,
    fetch,
    load_services,
    match,
    page_title,
    services_for,
    unclaimable_service,
)
from domainwatch.testnet import LocalInternet, MissingBinaryError, ScenarioError
from domainwatch.testnet.scenario import scenario_from_dict

NO_SUCH_BUCKET = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>NoSuchBucket</Code>'
                  "\n  <Message>The specified bucket does not exist.</Message>\n</Error>\n")
OSS_TARGET = "jq-static.oss-cn-lanzhou.aliyuncs.com"


@pytest.fixture(scope="module")
def services() -> list[Service]:
    return load_services()


def answer(status: int | None = 404, body: str = NO_SUCH_BUCKET,
           error: str | None = None) -> HttpAnswer:
    return HttpAnswer(url="http://static.jiuquan.gov.cn/", address="127.20.200.10",
                      status=status, headers={}, body=body, error=error)


# -- the data file -----------------------------------------------------------------------


def test_packaged_data_file_loads(services: list[Service]) -> None:
    names = {service.name for service in services}
    assert {"Alibaba Cloud OSS", "Tencent Cloud COS", "Huawei Cloud OBS", "Baidu AI Cloud BOS",
            "Qiniu Kodo", "AWS S3", "GitHub Pages", "Heroku"} <= names
    assert SERVICES_FILE.parent.name == "data"
    for service in services:
        assert service.confidence in ("high", "medium", "low") and service.reference


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "services.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def entry(**changes: Any) -> dict[str, Any]:
    base = {"service": "Example Bucket", "provider": "Example", "cname_suffixes": ["x.example"],
            "conditions": [{"http_status": 404, "body": ["NoSuchBucket"]}], "negative": [],
            "confidence": "high", "claimable": True, "reference": "test"}
    return {**base, **changes}


@pytest.mark.parametrize(("changes", "message"), [
    ({"confidence": "certain"}, "confidence 'certain'"),
    ({"cname_suffixes": ["evil..example"]}, "cname suffix"),
    ({"cname_suffixes": ["*.com"]}, "wildcard"),
    ({"conditions": [{"http_status": 404}]}, "status alone proves nothing"),
    ({"conditions": [{"http_status": 404, "body": []}]}, "at least one text"),
    ({"conditions": [{"tls_error": True, "body": ["x"]}]}, "TLS condition"),
    ({"conditions": [{"header": {"server": ""}}]}, "header must map"),
    ({"conditions": [{"title": 3}]}, "title must be"),
    ({"negative": [{"colour": "red"}]}, "negative 1: unknown keys colour"),
    ({"cname_suffixes": []}, "needs cname_suffixes or cname_hosts"),
    ({"cname_hosts": ["*.x.example"]}, "no wildcards"),
    ({"cname_suffixes": ["cdn*.com"]}, "registrable domain (cdn*.com) cannot hold a wildcard"),
    ({"cname_suffixes": ["x.cdn*.com.cn"]}, "registrable domain (cdn*.com.cn) cannot hold"),
    ({"cname_suffixes": ["a.b*.gov.cn"]}, "registrable domain (b*.gov.cn) cannot hold"),
    ({"claimable": False}, "needs why_not_claimable"),
    ({"why_not_claimable": "ids"}, "only for services that are not claimable"),
    ({"conditions": [{"nxdomain": True, "body": ["x"]}]}, "NXDOMAIN condition"),
    ({"conditions": [{"http_status": "404", "body": ["x"]}]}, "http_status"),
    ({"claimable": "yes"}, "claimable"),
    ({"colour": "red"}, "unknown keys colour"),
])
def test_a_bad_entry_is_named(tmp_path: Path, changes: dict[str, Any], message: str) -> None:
    path = write(tmp_path, [entry(service="Good"), entry(**changes)])
    with pytest.raises(ServiceDataError) as caught:
        load_services(path)
    assert "entry 2 (Example Bucket)" in str(caught.value)
    assert message in str(caught.value)


def test_data_file_must_be_a_list_without_duplicates(tmp_path: Path) -> None:
    with pytest.raises(ServiceDataError, match="JSON list"):
        load_services(write(tmp_path, {"services": []}))
    with pytest.raises(ServiceDataError, match="already used by entry 1"):
        load_services(write(tmp_path, [entry(), entry()]))


# -- the pure matcher --------------------------------------------------------------------


def test_suffixes_match_on_label_boundaries(services: list[Service]) -> None:
    def names(*chain: str) -> list[str]:
        return [service.name for service in services_for(list(chain), services)]

    assert names(OSS_TARGET) == ["Alibaba Cloud OSS"]
    assert names("JQ-Static.OSS-cn-lanzhou.aliyuncs.com.") == ["Alibaba Cloud OSS"]
    assert names("jq.oss-cn-lanzhou.evilaliyuncs.com") == []
    assert names("oss-cn-lanzhou.aliyuncs.com.evil.example") == []
    assert names("ecs.aliyuncs.com") == []  # only the bucket endpoints, not all of aliyuncs
    assert names("cdn.example", "team.github.io") == ["GitHub Pages"]
    assert names("notgithub.io") == []
    assert names("a.b.s3-website-us-east-1.amazonaws.com") == ["AWS S3"]


def test_the_chain_must_enter_the_service(services: list[Service]) -> None:
    found = match([OSS_TARGET], "ok", answer(), services)
    assert found is not None and found.service.name == "Alibaba Cloud OSS"
    assert found.evidence["target"] == OSS_TARGET and found.evidence["status"] == 404
    assert found.evidence["suffix"] == "oss-*.aliyuncs.com"
    assert found.evidence["address"] == "127.20.200.10"
    # The very same page on a name that is not CNAMEd into OSS proves nothing.
    assert match([], "ok", answer(), services) is None
    assert match(["www.jiuquan.gov.cn.cdn.example"], "ok", answer(), services) is None
    assert match(["bucket.oss-cn-lanzhou.evilaliyuncs.com"], "ok", answer(), services) is None


def test_status_body_negative_and_errors(services: list[Service]) -> None:
    chain = [OSS_TARGET]
    assert match(chain, "ok", answer(status=200), services) is None
    assert match(chain, "ok", answer(body="<Code>NoSuchKey</Code>"), services) is None
    assert match(chain, "ok", answer(body=NO_SUCH_BUCKET + "AccessDenied"), services) is None
    assert match(chain, "ok", answer(error="timeout"), services) is None
    assert match(chain, "ok", answer(status=None, body="", error="refused"), services) is None
    assert match(chain, "ok", None, services) is None


def test_every_body_text_is_needed(tmp_path: Path) -> None:
    both = load_services(write(tmp_path, [entry(conditions=[
        {"http_status": [404, 410], "body": ["NoSuchBucket", "does not exist"]}])]))
    chain = ["b.x.example"]
    assert match(chain, "ok", answer(body="NoSuchBucket"), both) is None
    assert match(chain, "ok", answer(status=410, body=NO_SUCH_BUCKET), both) is not None


def test_nxdomain_conditions(services: list[Service]) -> None:
    chain = ["jiuquan-gov.azurewebsites.net"]
    found = match(chain, "nxdomain", None, services)
    assert found is not None and found.condition == {"nxdomain": True}
    assert found.service.confidence == "high" and found.evidence["target"] == chain[0]
    assert match(chain, "ok", None, services) is None
    assert match(chain, "servfail", None, services) is None
    # The chain passed through Azure but died elsewhere.
    assert match([chain[0], "gone.example.com"], "nxdomain", None, services) is None


def test_non_claimable_services_never_match(services: list[Service]) -> None:
    cos = ["site-1250000000.cos.ap-guangzhou.myqcloud.com"]
    assert [s.name for s in services_for(cos, services)] == ["Tencent Cloud COS"]
    assert match(cos, "ok", answer(), services) is None


# -- against the local test internet -----------------------------------------------------


def resolve(net: LocalInternet, name: str) -> tuple[list[str], str, list[str]]:
    """(CNAME targets, chain end, addresses) as domainwatch's resolver sees them."""
    ip, port = net.resolver_address
    response = dns.query.udp(dns.message.make_query(name, "A"), ip, port=port, timeout=3)
    chain = [rrset[0].target.to_text(omit_final_dot=True) for rrset in response.answer
             if rrset.rdtype == dns.rdatatype.CNAME]
    addresses = [rd.address for rrset in response.answer if rrset.rdtype == dns.rdatatype.A
                 for rd in rrset]
    end = "nxdomain" if response.rcode() == dns.rcode.NXDOMAIN else "ok"
    return chain, end, addresses


def check(net: LocalInternet, name: str, services: list[Service]) -> tuple[HttpAnswer, Any]:
    chain, end, addresses = resolve(net, name)
    assert addresses, f"{name} does not resolve"
    got = asyncio.run(fetch(name, addresses[0], timeout=3))
    return got, match(chain, end, got, services)


@pytest.mark.world
def test_unclaimed_bucket_is_found(local_internet: LocalInternet,
                                   services: list[Service]) -> None:
    got, found = check(local_internet, "static.jiuquan.gov.cn", services)
    assert got.error is None and got.status == 404
    assert "<Code>NoSuchBucket</Code>" in got.body
    assert got.headers["x-oss-ec"] == "0015-00000101"
    assert got.address == "127.20.200.10" and got.url == "http://static.jiuquan.gov.cn/"
    assert found is not None and found.service.name == "Alibaba Cloud OSS"
    assert found.evidence["cname_chain"] == [OSS_TARGET]


@pytest.mark.world
def test_claimed_bucket_and_non_claimable_service_are_not(local_internet: LocalInternet,
                                                           services: list[Service]) -> None:
    got, found = check(local_internet, "files.jiuquan.gov.cn", services)
    assert got.status == 200 and "酒泉市政府信息公开" in got.body and found is None
    got, found = check(local_internet, "docs.jiuquan.gov.cn", services)
    assert got.status == 404 and "Not Found" in got.body and found is None


@pytest.mark.world
def test_unknown_host_gets_the_default_site(local_internet: LocalInternet) -> None:
    got = asyncio.run(fetch("nobody.jiuquan.gov.cn", "127.20.200.10", timeout=3))
    assert (got.status, got.body, got.error) == (404, "no site\n", None)


@pytest.mark.world
def test_nothing_listening_is_an_error_not_a_page(local_internet: LocalInternet,
                                                   services: list[Service]) -> None:
    got = asyncio.run(fetch("static.jiuquan.gov.cn", "127.20.200.99", timeout=2))
    assert got.status is None and got.error == "refused"
    assert match([OSS_TARGET], "ok", got, services) is None


# -- the fetcher on its own ----------------------------------------------------------------


class Server:
    """A one-answer HTTP server on 127.0.0.1 that records the request it got."""

    def __init__(self, response: bytes, hang: bool = False) -> None:
        self.response, self.hang, self.request = response, hang, b""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.request = await reader.readuntil(b"\r\n\r\n")
        if self.hang:
            await asyncio.sleep(5)
        writer.write(self.response)
        await writer.drain()
        writer.close()

    def fetch(self, name: str, **options: Any) -> HttpAnswer:
        async def run() -> HttpAnswer:
            server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            async with server:
                return await fetch(name, "127.0.0.1", port=port, **options)
        return asyncio.run(run())


def test_the_body_is_capped_and_the_request_is_plain() -> None:
    body = b"x" * 1_000_000
    server = Server(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    got = server.fetch("酒泉.政务", user_agent="dw-test")
    assert got.error is None and got.status == 200 and got.truncated
    assert len(got.body) == 262_144
    request = server.request.decode()
    assert request.startswith("GET / HTTP/1.1\r\n")
    assert "Host: xn--bww729e.xn--zfr164b:" in request and "Connection: close" in request
    assert "User-Agent: dw-test" in request


def test_chunked_charset_redirect_and_timeout() -> None:
    gbk = "页面不存在".encode("gbk")
    chunked = (b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html; charset=GBK\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(gbk), gbk))
    got = Server(chunked).fetch("a.example")
    assert (got.status, got.body, got.error) == (404, "页面不存在", None)
    capped = Server(chunked).fetch("a.example", max_bytes=4)
    assert capped.truncated and capped.body == "页面"
    moved = Server(b"HTTP/1.1 302 Found\r\nLocation: http://elsewhere/\r\n"
                   b"Content-Length: 0\r\n\r\n").fetch("a.example")
    assert moved.status == 302 and moved.headers["location"] == "http://elsewhere/"
    slow = Server(b"HTTP/1.1 200 OK\r\n\r\n", hang=True).fetch("a.example", timeout=0.3)
    assert slow.error == "timeout" and slow.status is None
    junk = Server(b"SSH-2.0-OpenSSH\r\n\r\n").fetch("a.example")
    assert junk.error is not None and junk.error.startswith("bad response")


# -- nginx in the test internet ------------------------------------------------------------


@pytest.fixture(scope="module")
def big_site_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalInternet]:
    directory = tmp_path_factory.mktemp("web")
    body = ('<p>"$host" \\ 酒泉 {}; ' * 20_000)
    (directory / "big.html").write_text(body, encoding="utf-8")
    world = scenario_from_dict({
        "zone": [{"origin": "."}],
        "site": [{"address": "127.20.201.7", "names": ["big.example", "大.example"],
                  "body_file": "big.html", "headers": {"X-Test": "$not_a_variable"}},
                 {"address": "127.20.201.7", "names": ["moved.example"], "status": 301,
                  "headers": {"Location": "http://big.example/"}}],
    }, base_dir=directory)
    with LocalInternet(world) as net:
        net.big_body = body  # type: ignore[attr-defined]
        yield net


@pytest.mark.world
def test_nginx_serves_long_bodies_exactly(big_site_world: LocalInternet) -> None:
    body: str = big_site_world.big_body  # type: ignore[attr-defined]
    whole = asyncio.run(fetch("big.example", "127.20.201.7", max_bytes=2_000_000))
    assert whole.error is None and whole.status == 200 and not whole.truncated
    assert whole.body == body and whole.headers["x-test"] == "$not_a_variable"
    assert whole.headers["content-type"] == "text/html; charset=utf-8"
    capped = asyncio.run(fetch("大.example", "127.20.201.7"))
    assert capped.truncated and capped.status == 200
    assert len(capped.body.encode()) <= 262_144 + 3 and body.startswith(capped.body[:1000])
    moved = asyncio.run(fetch("moved.example", "127.20.201.7"))
    assert moved.status == 301 and moved.headers["location"] == "http://big.example/"


def test_site_tables_are_checked() -> None:
    def world(**site: Any) -> Any:
        return scenario_from_dict({"zone": [{"origin": "."}],
                                   "site": [{"address": "127.20.201.8", "names": ["a.example"],
                                             **site}]})

    assert world().sites[0].status == 200
    for bad, message in [({"address": "10.0.0.1"}, "127.0.0.0/8"),
                         ({"status": 302}, "Location"),
                         ({"body": "x", "body_file": "y"}, "not both"),
                         ({"headers": {"X-A": "a\r\nb"}}, "one-line"),
                         ({"names": []}, "names")]:
        with pytest.raises(ScenarioError, match=message):
            world(**bad)


@pytest.mark.world
def test_missing_nginx_fails_naming_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOMAINWATCH_NGINX", "/nonexistent/nginx")
    world = scenario_from_dict({"zone": [{"origin": "."}],
                                "site": [{"address": "127.20.201.9", "names": ["a.example"]}]})
    net = LocalInternet(world)
    with pytest.raises(MissingBinaryError, match=r"apt-get install nginx"):
        net.start()
    assert not net.running


def _signature_cases() -> list[Any]:
    return [pytest.param(service, id=service.name) for service in load_services()]


def service_target(service: Service) -> str:
    """A CNAME target inside the service: its first fixed host, else a name under its
    first suffix (wildcards filled in)."""
    if service.cname_hosts:
        return service.cname_hosts[0]
    return "victim." + service.cname_suffixes[0].replace("*", "x1")


def unclaimed_answer(condition: dict[str, Any]) -> HttpAnswer:
    """The page an HTTP condition describes: its first status, its texts, title and
    headers."""
    statuses = condition.get("http_status", 404)
    status = statuses[0] if isinstance(statuses, list) else statuses
    title = f"<title>{condition['title']}</title>" if "title" in condition else ""
    page = answer(status, title + " ".join(condition.get("body", [])))
    page.headers.update(condition.get("header", {}))
    return page


@pytest.mark.parametrize("service", _signature_cases())
def test_every_signature_matches_its_own_evidence_and_nothing_else(service: Service) -> None:
    """Each entry of the data file, tested: a chain into it with the answer each condition
    describes matches it (unless it is not claimable), and the same answer through a chain
    outside the service, or with one of its negatives, does not."""
    everything = load_services()
    target = service_target(service)
    for condition in service.conditions:
        page: HttpAnswer | None = None
        tls: HttpAnswer | None = None
        chain_end = "ok"
        if condition.get("nxdomain"):
            chain_end = "nxdomain"
        elif "tls_error" in condition:
            tls = answer(None, "", error="tls: " + str(condition["tls_error"]))
            tls.phase = "tls"
        else:
            page = unclaimed_answer(condition)
        found = match([target], chain_end, page, everything, tls)
        if service.claimable:
            assert found is not None and found.service.name == service.name, condition
            assert found.condition == condition
        else:
            assert found is None
            assert unclaimable_service(target, everything) == service
        assert match(["victim.unrelated-hosting.example"], chain_end, page, everything,
                     tls) is None
        if page is not None:
            for negative in service.negative:
                denied = unclaimed_answer({**condition, **negative,
                                           "body": condition.get("body", [])
                                           + negative.get("body", [])})
                assert match([target], chain_end, denied, everything) is None


# -- the condition language ----------------------------------------------------------------


def test_title_header_tls_and_fixed_hosts(tmp_path: Path) -> None:
    services = load_services(write(tmp_path, [
        entry(service="Titled", cname_suffixes=["t.example"],
              conditions=[{"title": "No such site", "http_status": 404}]),
        entry(service="Headed", cname_suffixes=[], cname_hosts=["edge.h.example"],
              conditions=[{"http_status": 302, "header": {"Location": "error.h.example"}}],
              negative=[{"header": {"x-claimed": "yes"}}]),
        entry(service="Shaken", cname_suffixes=["s.example"],
              conditions=[{"tls_error": "UNRECOGNIZED_NAME"}]),
    ]))
    titled = answer(404, "<html><head><TITLE>\n  No such\tsite &amp; more</title>")
    found = match(["a.t.example"], "ok", titled, services)
    assert found is not None and found.evidence["title"] == "No such site & more"
    assert page_title("<title>No such site</title>") == "No such site"
    assert match(["a.t.example"], "ok", answer(404, "No such site"), services) is None

    moved = answer(302, "")
    moved.headers["location"] = "https://error.h.example/?host=x"
    found = match(["cdn.example", "edge.h.example"], "ok", moved, services)
    assert found is not None and found.evidence["suffix"] == "edge.h.example"
    assert found.evidence["headers"] == {"location": "https://error.h.example/?host=x"}
    # a fixed host is matched exactly: a name under it is not the service's
    assert match(["x.edge.h.example"], "ok", moved, services) is None
    moved.headers["X-Claimed"] = "yes"
    assert match(["edge.h.example"], "ok", moved, services) is None

    refused = answer(None, "", error="tls: TLSV1_UNRECOGNIZED_NAME")
    refused.phase = "tls"
    found = match(["b.s.example"], "ok", None, services, refused)
    assert found is not None and found.evidence["tls_error"] == "tls: TLSV1_UNRECOGNIZED_NAME"
    # a catalogue's text and OpenSSL's reason code are the same words
    services[2].conditions[0]["tls_error"] = "tlsv1 unrecognized name"
    assert match(["b.s.example"], "ok", None, services, refused) is not None
    services[2].conditions[0]["tls_error"] = "tlsv1 alert internal error"
    assert match(["b.s.example"], "ok", None, services, refused) is None
    timeout = answer(None, "", error="timeout")
    timeout.phase = "connect"
    assert match(["b.s.example"], "ok", None, services, timeout) is None
    assert match(["b.s.example"], "ok", None, services) is None


def test_unclaimable_services_are_listed_with_a_reason(services: list[Service]) -> None:
    elb = unclaimable_service("web-1234567890.cn-north-1.elb.amazonaws.com.cn", services)
    assert elb is None  # amazonaws.com.cn is not amazonaws.com
    elb = unclaimable_service("web-1234567890.us-east-1.elb.amazonaws.com", services)
    assert elb is not None and "id AWS generates" in elb.why_not_claimable
    assert unclaimable_service("www.jiuquan.gov.cn.w.kunlunsl.com", services) is not None
    assert unclaimable_service("victim.s3.amazonaws.com", services) is None
    assert unclaimable_service("gone.example.com", services) is None
    for service in services:
        assert service.claimable == (not service.why_not_claimable), service.name


def test_dangling_cname_into_an_unclaimable_service_is_lower() -> None:
    def finding(target: str, end: str = "nxdomain") -> Any:
        dns = {"status": "cname_dangling", "cname_chain": [target], "chain_end": end}
        [draft] = check_dns({"name": "www.jiuquan.gov.cn", "state": "active"}, dns).findings
        return draft

    elb = finding("web-1234567890.us-east-1.elb.amazonaws.com")
    assert elb.rule == "dangling.cname" and elb.severity == "medium"
    assert "AWS Elastic Load Balancing (Amazon Web Services) does not let anyone" in elb.summary
    assert elb.evidence["claimable"] is False and elb.evidence["service"] == (
        "AWS Elastic Load Balancing")
    assert elb.evidence["why_not_claimable"]
    cdn = finding("www.jiuquan.gov.cn.cdn.dnsv1.com", end="no_address")
    assert cdn.severity == "medium" and cdn.evidence["service"] == "Tencent Cloud CDN / EdgeOne"
    unknown = finding("gone.example.com")
    assert unknown.severity == "high" and "service" not in unknown.evidence
    azure = finding("jiuquan-gov.azurewebsites.net")  # claimable: dangling.service says more
    assert azure.severity == "high" and "service" not in azure.evidence


def test_the_services_page_is_the_catalogue(services: list[Service]) -> None:
    page = Path(__file__).parent.parent / "docs" / "cloud-services.md"
    assert page.read_text(encoding="utf-8") == catalogue_markdown(services), (
        "docs/cloud-services.md is out of date: run `make docs`")


def test_the_services_page_keeps_each_entry_in_one_row(tmp_path: Path) -> None:
    services = load_services(write(tmp_path, [
        entry(service="Piped | name", cname_suffixes=["p.example"],
              conditions=[{"http_status": [404, 410], "body": ["a|b", "c"]},
                          {"tls_error": "tlsv1 alert internal error"}],
              reference="line one\nline two"),
        entry(service="Closed", cname_suffixes=["c.example"], conditions=[{"nxdomain": True}],
              claimable=False, why_not_claimable="the owner's id is in the name"),
        entry(service="Quoted <bucket>", provider="A & B",
              cname_suffixes=["q.example", "cdn*.q.example"], cname_hosts=["h.q.example"],
              conditions=[{"title": "`x`", "body": ["a`b", "<b>gone</b>", "```x```", "a\\|b",
                                                   "a\\\\|b", "\\|"],
                           "header": {"x-error|y": "x`|"}}],
              reference="the <bucket> page \\| see </td> &amp;"),
    ]))
    page = catalogue_markdown(services)
    piped = next(line for line in page.splitlines() if line.startswith("| Piped"))
    assert piped == ("| Piped \\| name | Example | `p.example` | status 404/410 + `a\\|b` + `c` "
                     "*or* HTTPS handshake refused (`tlsv1 alert internal error`) | high | "
                     "line one line two |")
    closed = next(line for line in page.splitlines() if line.startswith("| Closed"))
    assert "| the target is NXDOMAIN | high | the owner's id is in the name |" in closed
    assert "3 services: 2 claimable" in page
    # Reference texts quote HTML; answers hold backticks, HTML and backslashes before pipes:
    # HTML is shown as text, a code span holds its text whole, no pipe leaves its cell.
    quoted = next(line for line in page.splitlines() if line.startswith("| Quoted"))
    assert quoted == (
        r"| Quoted &lt;bucket&gt; | A &amp; B | `q.example`, `cdn*.q.example`, `h.q.example` "
        r"(exactly) | title `` `x` `` + ``a`b`` + `<b>gone</b>` + ```` ```x``` ```` + `a\\\|b` "
        r"+ `a\\\|b` + `\\\|` + header x-error\|y: ``x`\|`` | high | the &lt;bucket&gt; page "
        r"\\\| see &lt;/td&gt; &amp;amp; |")
    cells = gfm_cells(quoted)
    assert len(cells) == 6
    assert cells[0] == "Quoted &lt;bucket&gt;" and cells[5].startswith("the &lt;bucket&gt;")


def gfm_cells(row: str) -> list[str]:
    """The cells of a table row as GitHub's reader (cmark-gfm) splits them: a backslash and
    the ASCII punctuation character after it are one character, any other pipe ends a
    cell; then each backslash before a pipe is dropped."""
    cells, current, index = [], "", 0
    while index < len(row):
        if row[index] == "\\" and row[index + 1:index + 2] in set(string.punctuation):
            current, index = current + row[index:index + 2], index + 2
        elif row[index] == "|":
            cells, current, index = [*cells, current], "", index + 1
        else:
            current, index = current + row[index], index + 1
    return [cell.replace("\\|", "|").strip() for cell in [*cells, current][1:-1]]


@pytest.mark.parametrize(("text", "shown"), [
    ("a|b", "a|b"), ("a\\|b", "a\\\\|b"), ("a\\\\|b", "a\\\\|b"), ("\\", "\\"), ("|", "|"),
    ("`|`", "`|`"), ("a\\", "a\\"), ("x\\\\\\|", "x\\\\\\\\|"), ("<td>&", "<td>&"),
])
def test_no_pipe_or_backslash_leaves_its_cell(tmp_path: Path, text: str, shown: str) -> None:
    [service] = load_services(write(tmp_path, [entry(
        service="S", reference=text, conditions=[{"http_status": 404, "body": [text]}])]))
    [row] = [line for line in catalogue_markdown([service]).splitlines()
             if line.startswith("| S ")]
    cells = gfm_cells(row)
    assert len(cells) == 6, row
    # The code span shows the text (an odd run of backslashes before a pipe, one longer); the
    # plain cell is Markdown that shows the text: backslash escapes and HTML entities.
    code = cells[3].removeprefix("status 404 + ")
    fence = len(code) - len(code.lstrip("`"))
    assert code[fence:-fence].removeprefix(" ").removesuffix(" ") == shown
    plain = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", cells[5])
    assert html.unescape(plain) == text and "<" not in plain
