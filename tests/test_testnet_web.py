"""The test internet's web part: HTTPS with the world's CA, legacy TLS, cloaking, faults,
reloading sites, and synthetic worlds full of portals. Real nginx, real TLS handshakes."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import http.client
import socket
import ssl
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import PolicyBuilder, Store

from domainwatch.testnet import LocalInternet, ScenarioError, synthetic_scenario
from domainwatch.testnet.ca import INTERMEDIATE_CA_NAME, OTHER_CA_NAME, ROOT_CA_NAME
from domainwatch.testnet.faulty_web import huge_body
from domainwatch.testnet.scenario import (
    CRAWLERS,
    SEARCH_ENGINES,
    Site,
    SiteCertificate,
    scenario_from_dict,
)
from domainwatch.testnet.synthetic import KIND_ABSENT, KIND_ADDRESS, KIND_DANGLING

# Addresses 127.20.210.x–127.20.214.x belong to this module's worlds.
MAIN = "127.20.210.1"
LEGACY = "127.20.210.2"
SECURE_ONLY = "127.20.210.3"
CLOAK = "127.20.210.4"
CHOSEN = "127.20.210.5"
HANG = "127.20.211.1"
RESET = "127.20.211.2"
HUGE = "127.20.211.3"
RELOAD = "127.20.212.1"
RELOAD_FAULT = "127.20.212.2"
GAMBLING = "<title>澳门新葡京 在线娱乐</title><p>注册送彩金</p>"
CRAWLER_AGENTS = [
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
    "Mozilla/5.0 (compatible; 360Spider)",
    "YisouSpider",
    "Mozilla/5.0 (compatible; Bytespider; spider-feedback@bytedance.com)",
    "mozilla/5.0 (compatible; BAIDUSPIDER/2.0)",
]
#: One real User-Agent per crawler that ``Site.crawler_agents`` names.
AGENT_OF = {
    "Baiduspider": "Mozilla/5.0 (compatible; Baiduspider/2.0; "
                   "+http://www.baidu.com/search/spider.html)",
    "Sogou": "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
    "360Spider": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                 "Gecko) Chrome/50.0.2661.102 Safari/537.36; 360Spider",
    "YisouSpider": "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                   "Gecko) Chrome/69.0.3497.81 YisouSpider/5.0 Safari/537.36",
    "Bytespider": "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
    "Googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "bingbot": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
}
#: One search-result Referer per search engine that ``Site.referer_engines`` names.
REFERER_OF = {
    "baidu.com": "https://www.baidu.com/s?wd=www.chosen.web.test",
    "sogou.com": "https://www.sogou.com/web?query=www.chosen.web.test",
    "so.com": "https://www.so.com/s?q=www.chosen.web.test",
    "sm.cn": "https://m.sm.cn/s?q=www.chosen.web.test",
    "toutiao.com": "https://so.toutiao.com/search?keyword=www.chosen.web.test",
    "google": "https://www.google.com.hk/search?q=www.chosen.web.test",
    "bing.com": "https://cn.bing.com/search?q=www.chosen.web.test",
}
GBK_GAMBLING = "<title>澳门威尼斯人 百家乐</title>"


def _world_sites() -> list[dict[str, Any]]:
    return [
        {"address": MAIN, "names": ["www.web.test", "web.test"], "body": "<p>门户 $x</p>",
         "headers": {"X-Site": "main"}},
        {"address": MAIN, "names": ["other.web.test"], "body": "other",
         "certificate": {"issuer": "other", "key": "swapped"}},
        {"address": MAIN, "names": ["self.web.test"], "certificate": {"issuer": "self-signed"}},
        {"address": MAIN, "names": ["refused.web.test"], "http": False,
         "certificate": {"issuer": "none"}},
        {"address": MAIN, "names": ["expired.web.test"], "certificate": {"expired": True}},
        {"address": MAIN, "names": ["mismatch.web.test"],
         "certificate": {"names": ["elsewhere.web.test", "*.elsewhere.web.test"]}},
        {"address": MAIN, "names": ["soon.web.test"], "certificate": {"days": 10}},
        {"address": MAIN, "names": ["plain.web.test"], "https": False, "body": "plain"},
        # the same name: HTTP redirects to HTTPS, HTTPS serves the page
        {"address": MAIN, "names": ["both.web.test"], "https": False, "status": 301,
         "headers": {"Location": "https://both.web.test/"}},
        {"address": MAIN, "names": ["both.web.test"], "http": False, "body": "secure page"},
        {"address": LEGACY, "names": ["legacy.web.test"], "tls": "legacy", "body": "old"},
        {"address": SECURE_ONLY, "names": ["secure.web.test"], "http": False, "body": "tls"},
        {"address": CLOAK, "names": ["cloak.web.test"], "body": "<title>某市人民政府</title>",
         "crawler_body": GAMBLING, "referer_location": "https://bet.example/?from=search"},
        {"address": CLOAK, "names": ["cloak2.web.test"], "body": "normal",
         "referer_status": 200, "referer_body": GAMBLING},
        {"address": HANG, "names": ["hang.web.test"], "behaviour": "hang"},
        {"address": RESET, "names": ["reset.web.test"], "behaviour": "reset"},
        {"address": HUGE, "names": ["huge.web.test"], "behaviour": "huge"},
        {"address": MAIN, "names": ["pages.web.test"], "body": "首页", "charset": "gbk",
         "content_type": "text/html; charset=gbk",
         "pages": {"/zwgk/": "政务公开", "/zwgk/tzgg/": "通知公告",
                   "/go/": {"status": 302, "location": "http://www.partner.example/"}}},
        # crawler- and search-engine-specific cloaking
        {"address": CHOSEN, "names": ["sogou.web.test"], "body": "normal",
         "crawler_body": GAMBLING, "crawler_agents": ["Sogou"]},
        {"address": CHOSEN, "names": ["pair.web.test"], "body": "normal",
         "crawler_body": GAMBLING, "crawler_agents": ["360Spider", "YisouSpider"]},
        {"address": CHOSEN, "names": ["fromsogou.web.test"], "body": "normal",
         "referer_location": "https://bet.example/?from=sogou", "referer_engines": "sogou.com"},
        {"address": CHOSEN, "names": ["both.chosen.web.test"], "body": "normal",
         "crawler_body": GAMBLING, "crawler_agents": ["Bytespider"],
         "referer_body": GAMBLING, "referer_engines": ["toutiao.com", "sm.cn"]},
        {"address": CHOSEN, "names": ["gbk.chosen.web.test"], "body": "首页", "charset": "gbk",
         "content_type": "text/html; charset=gbk", "crawler_body": GBK_GAMBLING,
         "crawler_agents": ["YisouSpider"], "referer_body": GBK_GAMBLING},
    ]


@pytest.fixture(scope="module")
def web_world() -> Iterator[LocalInternet]:
    world = scenario_from_dict({"zone": [{"origin": "."}], "site": _world_sites()})
    with LocalInternet(world) as net:
        yield net


# -- clients -------------------------------------------------------------------------


def verifying(net: LocalInternet, cafile: Path | None = None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cafile or net.ca_file))


def legacy_client(net: LocalInternet) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(net.ca_file)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLSVersion.TLSv1
        context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def unverified() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def handshake(address: str, name: str, context: ssl.SSLContext,
              timeout: float = 5) -> ssl.SSLSocket:
    sock = socket.create_connection((address, 443), timeout=timeout)
    try:
        return context.wrap_socket(sock, server_hostname=name)
    except BaseException:
        sock.close()
        raise


def peer_certificate(address: str, name: str) -> x509.Certificate:
    with handshake(address, name, unverified()) as tls:
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


def get(address: str, name: str, *, tls: ssl.SSLContext | None = None,
        headers: dict[str, str] | None = None, timeout: float = 5,
        path: str = "/", charset: str = "utf-8") -> tuple[int, dict[str, str], str]:
    """One request to ``address`` with Host (and SNI) ``name``: status, headers, body."""
    if tls is not None:
        sock: socket.socket = handshake(address, name, tls, timeout)
    else:
        sock = socket.create_connection((address, 80), timeout=timeout)
    with sock:
        lines = [f"GET {path} HTTP/1.1", f"Host: {name}", "Connection: close",
                 *(f"{key}: {value}" for key, value in (headers or {}).items())]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read().decode(charset)
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def served_chain(address: str, name: str) -> list[x509.Certificate]:
    """The certificates the server sent, leaf first."""
    with handshake(address, name, unverified()) as tls:
        sslobj: Any = tls._sslobj  # type: ignore[attr-defined]
        getter = getattr(tls, "get_unverified_chain", None) or sslobj.get_unverified_chain
        chain = getter()
    return [x509.load_der_x509_certificate(
        item if isinstance(item, bytes) else item.public_bytes(ssl._ssl.ENCODING_DER))  # type: ignore[attr-defined]
        for item in chain]


def sans(cert: x509.Certificate) -> list[str]:
    extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return extension.value.get_values_for_type(x509.DNSName)


def common_name(name: x509.Name) -> str:
    return str(name.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def public_key(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


# -- HTTPS and the world's CA --------------------------------------------------------


@pytest.mark.world
def test_ca_file_holds_only_the_root(web_world: LocalInternet) -> None:
    pem = web_world.ca_file.read_bytes()
    assert pem.count(b"BEGIN CERTIFICATE") == 1
    root = x509.load_pem_x509_certificate(pem)
    assert common_name(root.subject) == common_name(root.issuer) == ROOT_CA_NAME
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    other = x509.load_pem_x509_certificate(web_world.other_ca_file.read_bytes())
    assert common_name(other.subject) == OTHER_CA_NAME
    assert web_world.ca_file.parent == web_world.workdir / "tls"


@pytest.mark.world
def test_https_verifies_with_the_world_ca(web_world: LocalInternet) -> None:
    status, headers, body = get(MAIN, "www.web.test", tls=verifying(web_world))
    assert (status, body, headers["x-site"]) == (200, "<p>门户 $x</p>", "main")
    assert get(MAIN, "web.test", tls=verifying(web_world))[2] == "<p>门户 $x</p>"
    with handshake(MAIN, "www.web.test", verifying(web_world)) as tls:
        chain = tls.getpeercert()
        assert tls.version() in ("TLSv1.3", "TLSv1.2")
    assert dict(item[0] for item in chain["subject"])["commonName"] == "www.web.test"
    assert dict(item[0] for item in chain["issuer"])["commonName"] == INTERMEDIATE_CA_NAME
    cert = peer_certificate(MAIN, "web.test")
    assert sans(cert) == ["www.web.test", "web.test"]
    assert common_name(cert.subject) == "www.web.test"
    now = datetime.datetime.now(datetime.UTC)
    assert now - datetime.timedelta(days=2) < cert.not_valid_before_utc < now
    assert 364 <= (cert.not_valid_after_utc - now).days <= 365
    # an unrelated CA does not verify it
    with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer"):
        handshake(MAIN, "www.web.test", verifying(web_world, web_world.other_ca_file))


@pytest.mark.world
def test_a_site_without_a_certificate_refuses_the_handshake(web_world: LocalInternet) -> None:
    with pytest.raises(ssl.SSLError, match="TLSV1_ALERT_INTERNAL_ERROR"):
        handshake(MAIN, "refused.web.test", verifying(web_world))
    handshake(MAIN, "www.web.test", verifying(web_world)).close()  # the others still serve


@pytest.mark.world
@pytest.mark.parametrize(("name", "issuers"), [
    ("www.web.test", [INTERMEDIATE_CA_NAME, ROOT_CA_NAME]),
    ("other.web.test", [OTHER_CA_NAME]),
])
def test_chains_pass_a_strict_webpki_verifier(web_world: LocalInternet, name: str,
                                              issuers: list[str]) -> None:
    """nginx sends leaf + intermediate; cryptography's RFC 5280 / CA/B verifier accepts."""
    chain = served_chain(MAIN, name)
    assert len(chain) == len(issuers)
    cafile = web_world.ca_file if issuers[-1] == ROOT_CA_NAME else web_world.other_ca_file
    store = Store(x509.load_pem_x509_certificates(cafile.read_bytes()))
    verifier = (PolicyBuilder().store(store).time(datetime.datetime.now(datetime.UTC))
                .build_server_verifier(x509.DNSName(name)))
    path = verifier.verify(chain[0], chain[1:])
    assert [common_name(cert.subject) for cert in path] == [name, *issuers]


@pytest.mark.world
def test_sites_share_the_world_leaf_key_unless_labelled(web_world: LocalInternet) -> None:
    main = peer_certificate(MAIN, "www.web.test")
    assert public_key(peer_certificate(MAIN, "soon.web.test")) == public_key(main)
    other = peer_certificate(MAIN, "other.web.test")
    assert public_key(other) != public_key(main)
    assert common_name(other.issuer) == OTHER_CA_NAME
    with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer"):
        handshake(MAIN, "other.web.test", verifying(web_world))
    status, _, body = get(MAIN, "other.web.test",
                          tls=verifying(web_world, web_world.other_ca_file))
    assert (status, body) == (200, "other")


@pytest.mark.world
@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("self.web.test", "self-signed certificate"),
        ("expired.web.test", "certificate has expired"),
        ("mismatch.web.test", "Hostname mismatch"),
        ("plain.web.test", "Hostname mismatch"),  # no HTTPS site: the default server's
        ("nosuch.web.test", "Hostname mismatch"),
    ],
)
def test_broken_certificates_fail_verification(web_world: LocalInternet, name: str,
                                                error: str) -> None:
    with pytest.raises(ssl.SSLCertVerificationError, match=error):
        handshake(MAIN, name, verifying(web_world))


@pytest.mark.world
def test_certificate_variants(web_world: LocalInternet) -> None:
    now = datetime.datetime.now(datetime.UTC)
    selfsigned = peer_certificate(MAIN, "self.web.test")
    assert selfsigned.issuer == selfsigned.subject
    expired = peer_certificate(MAIN, "expired.web.test")
    assert expired.not_valid_after_utc < now
    mismatch = peer_certificate(MAIN, "mismatch.web.test")
    assert sans(mismatch) == ["elsewhere.web.test", "*.elsewhere.web.test"]
    assert common_name(mismatch.subject) == "elsewhere.web.test"
    soon = peer_certificate(MAIN, "soon.web.test")
    assert 9 <= (soon.not_valid_after_utc - now).days <= 10
    default = peer_certificate(MAIN, "nosuch.web.test")
    assert sans(default) == ["no-site.invalid"]
    status, _, body = get(MAIN, "nosuch.web.test", tls=unverified())
    assert (status, body) == (404, "no site\n")


@pytest.mark.world
def test_http_and_https_can_be_turned_off(web_world: LocalInternet) -> None:
    status, headers, _ = get(MAIN, "both.web.test")
    assert (status, headers["location"]) == (301, "https://both.web.test/")
    assert get(MAIN, "both.web.test", tls=verifying(web_world))[::2] == (200, "secure page")
    assert get(MAIN, "plain.web.test")[::2] == (200, "plain")
    assert get(SECURE_ONLY, "secure.web.test", tls=verifying(web_world))[::2] == (200, "tls")
    with pytest.raises(ConnectionRefusedError):
        get(SECURE_ONLY, "secure.web.test")


@pytest.mark.world
def test_legacy_tls_only_for_legacy_clients(web_world: LocalInternet) -> None:
    with pytest.raises(ssl.SSLError, match=r"PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL"):
        handshake(LEGACY, "legacy.web.test", verifying(web_world))
    with handshake(LEGACY, "legacy.web.test", legacy_client(web_world)) as tls:
        assert tls.version() in ("TLSv1", "TLSv1.1")
        cipher, _, _ = tls.cipher()
        assert "SHA" in cipher and "GCM" not in cipher
    assert get(LEGACY, "legacy.web.test", tls=legacy_client(web_world))[::2] == (200, "old")
    # modern sites refuse the legacy protocols
    legacy_only = legacy_client(web_world)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        legacy_only.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises(ssl.SSLError):
        handshake(MAIN, "www.web.test", legacy_only)


# -- cloaking ------------------------------------------------------------------------


@pytest.mark.world
@pytest.mark.parametrize("agent", CRAWLER_AGENTS)
def test_crawlers_get_the_crawler_body(web_world: LocalInternet, agent: str) -> None:
    status, _, body = get(CLOAK, "cloak.web.test", headers={"User-Agent": agent})
    assert (status, body) == (200, GAMBLING)


@pytest.mark.world
def test_people_get_the_normal_body(web_world: LocalInternet) -> None:
    browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0"
    for headers in ({}, {"User-Agent": browser},
                    {"User-Agent": browser, "Referer": "https://www.example.com/?q=baidu.com"},
                    {"Referer": "https://baidu.com.evil.example/"},
                    {"Referer": "https://notso.com/"}):
        status, _, body = get(CLOAK, "cloak.web.test", headers=headers)
        assert (status, body) == (200, "<title>某市人民政府</title>"), headers
    tls = verifying(web_world)
    status, _, body = get(CLOAK, "cloak.web.test", tls=tls,
                          headers={"User-Agent": "Googlebot/2.1"})
    assert (status, body) == (200, GAMBLING)


@pytest.mark.world
@pytest.mark.parametrize(
    "referer",
    [
        "https://www.baidu.com/s?wd=%E9%85%92%E6%B3%89",
        "http://m.baidu.com/from=844b/s?word=x",
        "https://www.so.com/s?q=x",
        "https://www.sogou.com/web?query=x",
        "https://www.google.com/",
        "https://www.google.com.hk/search?q=x",
        "https://cn.bing.com/search?q=x",
        "https://m.sm.cn/s?q=x",
        "https://so.toutiao.com/search?keyword=x",
        "HTTPS://WWW.BAIDU.COM/",
    ],
)
def test_visitors_from_search_engines_are_redirected(web_world: LocalInternet,
                                                     referer: str) -> None:
    status, headers, _ = get(CLOAK, "cloak.web.test", headers={"Referer": referer})
    assert (status, headers["location"]) == (302, "https://bet.example/?from=search")
    status, _, body = get(CLOAK, "cloak2.web.test", headers={"Referer": referer})
    assert (status, body) == (200, GAMBLING)
    assert get(CLOAK, "cloak2.web.test")[::2] == (200, "normal")


@pytest.mark.world
@pytest.mark.parametrize("crawler", sorted(AGENT_OF))
def test_only_the_chosen_crawlers_get_the_crawler_body(web_world: LocalInternet,
                                                       crawler: str) -> None:
    headers = {"User-Agent": AGENT_OF[crawler]}
    chosen = {"sogou.web.test": {"Sogou"}, "pair.web.test": {"360Spider", "YisouSpider"},
              "both.chosen.web.test": {"Bytespider"}}
    for name, crawlers in chosen.items():
        for tls in (None, verifying(web_world)):
            status, _, body = get(CHOSEN, name, headers=headers, tls=tls)
            assert (status, body) == (200, GAMBLING if crawler in crawlers else "normal"), name
    # every crawler by default
    assert get(CLOAK, "cloak.web.test", headers=headers)[::2] == (200, GAMBLING)


@pytest.mark.world
@pytest.mark.parametrize("engine", sorted(REFERER_OF))
def test_only_visitors_from_the_chosen_search_engines_get_the_referer_answer(
        web_world: LocalInternet, engine: str) -> None:
    headers = {"Referer": REFERER_OF[engine]}
    status, answer, body = get(CHOSEN, "fromsogou.web.test", headers=headers)
    if engine == "sogou.com":
        assert (status, answer["location"]) == (302, "https://bet.example/?from=sogou")
    else:
        assert (status, body) == (200, "normal")
    status, _, body = get(CHOSEN, "both.chosen.web.test", headers=headers,
                          tls=verifying(web_world))
    assert (status, body) == (200, GAMBLING if engine in ("toutiao.com", "sm.cn") else "normal")
    # every search engine by default
    assert get(CLOAK, "cloak2.web.test", headers=headers)[::2] == (200, GAMBLING)


@pytest.mark.world
def test_cloaked_answers_are_served_in_the_site_charset(web_world: LocalInternet) -> None:
    yisou = {"User-Agent": AGENT_OF["YisouSpider"]}
    assert get(CHOSEN, "gbk.chosen.web.test", headers=yisou, charset="gbk")[::2] == (
        200, GBK_GAMBLING)
    assert get(CHOSEN, "gbk.chosen.web.test", charset="gbk",
               headers={"User-Agent": AGENT_OF["Sogou"]})[::2] == (200, "首页")
    assert get(CHOSEN, "gbk.chosen.web.test", charset="gbk",
               headers={"Referer": REFERER_OF["so.com"]})[::2] == (200, GBK_GAMBLING)


# -- pages ---------------------------------------------------------------------------


@pytest.mark.world
def test_pages_answer_their_paths_and_everything_below(web_world: LocalInternet) -> None:
    def page(path: str, tls: ssl.SSLContext | None = None) -> tuple[int, str]:
        status, headers, body = get(MAIN, "pages.web.test", path=path, tls=tls, charset="gbk")
        return status, headers.get("location") or body

    assert page("/") == (200, "首页")
    assert page("/elsewhere/x.html") == (200, "首页"), "the body answers every other path"
    assert page("/zwgk/") == (200, "政务公开")
    assert page("/zwgk/2026/1.html", verifying(web_world)) == (200, "政务公开")
    assert page("/zwgk/tzgg/") == (200, "通知公告"), "the longest matching path wins"
    assert page("/go/?url=x") == (302, "http://www.partner.example/")


# -- faults --------------------------------------------------------------------------


@pytest.mark.world
@pytest.mark.parametrize("https", [False, True])
def test_hanging_site_times_out(web_world: LocalInternet, https: bool) -> None:
    with pytest.raises(TimeoutError):
        get(HANG, "hang.web.test", tls=verifying(web_world) if https else None, timeout=0.5)


@pytest.mark.world
@pytest.mark.parametrize("https", [False, True])
def test_resetting_site_resets(web_world: LocalInternet, https: bool) -> None:
    with pytest.raises(ConnectionResetError):
        get(RESET, "reset.web.test", tls=verifying(web_world) if https else None)


@pytest.mark.world
def test_huge_site_streams_megabytes(web_world: LocalInternet) -> None:
    for tls in (None, verifying(web_world)):
        sock: socket.socket = (handshake(HUGE, "huge.web.test", tls) if tls is not None
                               else socket.create_connection((HUGE, 80), timeout=5))
        with sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: huge.web.test\r\n\r\n")
            response = http.client.HTTPResponse(sock)
            response.begin()
            assert response.status == 200
            assert response.getheader("content-length") == "50000000"
            assert response.getheader("content-type") == "text/html; charset=utf-8"
            received = 0
            while received < 20_000_000:
                chunk = response.read(1 << 20)
                assert chunk
                received += len(chunk)
    assert sum(len(chunk) for chunk in huge_body(123_457)) == 123_457
    assert b"".join(huge_body(1_000_000)).decode().endswith("</html>\n")


@pytest.mark.world
def test_fault_servers_stop_with_the_world() -> None:
    world = scenario_from_dict({"zone": [{"origin": "."}], "site": [
        {"address": "127.20.213.1", "names": ["hang.stop.test"], "behaviour": "hang"},
        {"address": "127.20.213.2", "names": ["huge.stop.test"], "behaviour": "huge"},
    ]})
    net = LocalInternet(world)
    net.start()
    try:
        assert net.nginx_pid is None  # nothing for nginx
        held = socket.create_connection(("127.20.213.1", 80), timeout=5)
        streaming = socket.create_connection(("127.20.213.2", 80), timeout=5)
        streaming.sendall(b"GET / HTTP/1.1\r\nHost: huge.stop.test\r\n\r\n")
        assert streaming.recv(100).startswith(b"HTTP/1.1 200")
    finally:
        net.stop()
    # every server thread ended (a join that timed out would leave it running)
    assert [thread.name for thread in threading.enumerate()
            if thread.name.startswith("faulty-web-") and "127.20.213." in thread.name] == []
    with held, streaming:
        held.settimeout(2)
        assert held.recv(10) == b""  # closed at stop
        streaming.settimeout(2)
        with contextlib.suppress(ConnectionResetError):  # the stream ends (no TimeoutError)
            while streaming.recv(1 << 20):
                pass
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.20.213.1", 80), timeout=2)


# -- reloading -----------------------------------------------------------------------


@pytest.mark.world
def test_replace_sites_swaps_content_and_certificate() -> None:
    portal = Site(RELOAD, ("www.reload.test",), body="<title>某县人民政府</title>")
    other = Site(RELOAD, ("other.reload.test",), body="unchanged")
    world = scenario_from_dict({"zone": [{"origin": "."}]})
    world.sites = [portal, other]
    with LocalInternet(world) as net:
        tls = verifying(net)
        before = peer_certificate(RELOAD, "www.reload.test")
        unchanged = peer_certificate(RELOAD, "other.reload.test")
        master = net.nginx_pid
        swapped = dataclasses.replace(
            portal, body=GAMBLING, certificate=SiteCertificate(issuer="other", key="attacker"))
        net.replace_sites([swapped, other])
        # in effect as soon as replace_sites returns
        assert get(RELOAD, "www.reload.test")[::2] == (200, GAMBLING)
        after = peer_certificate(RELOAD, "www.reload.test")
        assert common_name(after.issuer) == OTHER_CA_NAME
        assert common_name(before.issuer) == INTERMEDIATE_CA_NAME
        assert public_key(after) != public_key(before)
        with pytest.raises(ssl.SSLCertVerificationError):
            handshake(RELOAD, "www.reload.test", tls)
        assert peer_certificate(RELOAD, "other.reload.test") == unchanged
        assert get(RELOAD, "other.reload.test", tls=tls)[::2] == (200, "unchanged")
        assert net.nginx_pid == master
        assert net.sites == [swapped, other] and world.sites == [portal, other]
        # invalid sites change nothing
        with pytest.raises(ScenarioError, match="defined twice"):
            net.replace_sites([portal, portal])
        assert get(RELOAD, "www.reload.test")[::2] == (200, GAMBLING)
        # back again, plus a fault site; then nginx sites only
        hang = Site(RELOAD_FAULT, ("hang.reload.test",), behaviour="hang")
        net.replace_sites([portal, other, hang])
        assert get(RELOAD, "www.reload.test", tls=tls)[::2] == (200, "<title>某县人民政府</title>")
        with pytest.raises(TimeoutError):
            get(RELOAD_FAULT, "hang.reload.test", timeout=0.3)
        net.replace_sites([portal])
        with pytest.raises(ConnectionRefusedError):
            get(RELOAD_FAULT, "hang.reload.test")
        assert get(RELOAD, "other.reload.test")[::2] == (404, "no site\n")
        net.replace_sites([])
        assert net.nginx_pid is None
        with pytest.raises(ConnectionRefusedError):
            get(RELOAD, "www.reload.test")
        net.replace_sites([portal])  # nginx starts again
        assert get(RELOAD, "www.reload.test", tls=tls)[0] == 200


@pytest.mark.world
def test_replace_sites_waits_for_every_new_address() -> None:
    world = scenario_from_dict({"zone": [{"origin": "."}],
                                "site": [{"address": "127.20.214.1", "names": ["a.test"]}]})
    with LocalInternet(world) as net:
        sites = [Site(f"127.20.214.{host}", (f"h{host}.test",), body=str(host))
                 for host in range(1, 40)]
        for _ in range(3):
            net.replace_sites(sites)
            assert all(get(site.address, site.names[0])[2] == site.body for site in sites)
            sites = [dataclasses.replace(site, body=site.body + "+") for site in sites]


# -- the scenario keys ---------------------------------------------------------------


def test_site_is_frozen_hashable_and_replaceable() -> None:
    world = scenario_from_dict({"zone": [{"origin": "."}], "site": _world_sites()})
    assert len(set(world.sites)) == len(world.sites)
    cloak = next(site for site in world.sites if site.names == ("cloak.web.test",))
    assert cloak.referer_answer == (302, "https://bet.example/?from=search", "")
    assert cloak.crawler_body == GAMBLING and cloak.https and cloak.http
    legacy = next(site for site in world.sites if site.tls == "legacy")
    assert legacy.names == ("legacy.web.test",)
    mismatch = next(site for site in world.sites if site.names == ("mismatch.web.test",))
    assert mismatch.certificate == SiteCertificate(
        names=("elsewhere.web.test", "*.elsewhere.web.test"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        cloak.body = "x"  # type: ignore[misc]
    changed = dataclasses.replace(cloak, crawler_body=None, referer_location=None)
    assert changed.referer_answer is None and hash(changed) != hash(cloak)
    huge = next(site for site in world.sites if site.behaviour == "huge")
    assert huge.size == 50_000_000 and huge.faulty
    assert cloak.crawler_agents == CRAWLERS and cloak.referer_engines == SEARCH_ENGINES
    assert set(AGENT_OF) == set(CRAWLERS) and set(REFERER_OF) == set(SEARCH_ENGINES)
    chosen = {site.names[0]: site for site in world.sites if site.address == CHOSEN}
    assert chosen["sogou.web.test"].crawler_agents == ("Sogou",)
    assert chosen["fromsogou.web.test"].referer_engines == ("sogou.com",)
    assert chosen["fromsogou.web.test"].crawler_agents == CRAWLERS
    narrowed = dataclasses.replace(cloak, crawler_agents=("Sogou",))
    assert hash(narrowed) != hash(cloak) and narrowed.crawler_agents == ("Sogou",)


def _site_world(*sites: dict[str, Any]) -> dict[str, Any]:
    return {"zone": [{"origin": "."}],
            "site": [{"address": "127.20.215.1", "names": ["a.test"], **site}
                     for site in sites]}


@pytest.mark.parametrize(
    ("sites", "message"),
    [
        ([{"certificate": {"issuer": "letsencrypt"}}], "issuer 'letsencrypt' is not one of"),
        ([{"certificate": {"colour": "red"}}], "certificate: unknown keys colour"),
        ([{"certificate": {"expired": True, "days": 3}}], "expired or days, not both"),
        ([{"certificate": {"days": -1}}], "days must be from 0"),
        ([{"certificate": {"days": "10"}}], "days must be an integer"),
        ([{"certificate": {"names": []}}], "names must not be empty"),
        ([{"certificate": "local"}], "certificate must be a table"),
        ([{"tls": "ancient"}], "tls 'ancient' is not one of"),
        ([{"tls": "legacy", "https": False}], "needs https"),
        ([{"http": False, "https": False}], "serves nothing"),
        ([{"https": "yes"}], "https must be true or false"),
        ([{"behaviour": "slow"}], "behaviour 'slow' is not one of"),
        ([{"size": 10}], 'size goes only with behaviour = "huge"'),
        ([{"behaviour": "huge", "size": -1}], "size must be a non-negative"),
        ([{"behaviour": "hang", "body": "x"}], "has no body, cloaking"),
        ([{"behaviour": "reset", "crawler_body": "x"}], "has no body, cloaking"),
        ([{"referer_status": 302}], "with a referer_location"),
        ([{"referer_location": "https://x/", "referer_status": 200}], "needs a 3xx"),
        ([{"referer_location": "https://x/", "referer_body": "x"}], "cannot go with a redirect"),
        ([{"referer_status": 700}], "referer_status must be an HTTP status"),
        ([{"crawler_body": 3}], "crawler_body must be a string"),
        ([{"crawler_agents": ["Sogou"]}], "chooses who gets the crawler_body, but the site"),
        ([{"crawler_body": "x", "crawler_agents": ["sogou"]}],
         "crawler_agents: unknown 'sogou' .known: Baiduspider, Sogou, 360Spider"),
        ([{"crawler_body": "x", "crawler_agents": ["Slurp"]}], "unknown 'Slurp'"),
        ([{"crawler_body": "x", "crawler_agents": []}], "crawler_agents is empty"),
        ([{"crawler_body": "x", "crawler_agents": ["Sogou", "Sogou"]}], "names one twice"),
        ([{"crawler_body": "x", "crawler_agents": [360]}], "crawler_agents must be a list of"),
        ([{"referer_engines": ["sogou.com"]}], "chooses who gets the referer answer"),
        ([{"referer_body": "x", "referer_engines": ["www.sogou.com"]}],
         "referer_engines: unknown 'www.sogou.com'"),
        ([{"referer_body": "x", "referer_engines": {"sogou.com": 1}}],
         "referer_engines must be a list of"),
        ([{"behaviour": "hang", "crawler_agents": ["Sogou"]}], "chooses who gets the crawler"),
        ([{}, {"names": ["b.test"], "behaviour": "hang"}], "needs an address of its own"),
        ([{}, {"names": ["b.test"], "tls": "legacy"}], "mix tls profiles"),
        ([{"certificate": {"issuer": "none", "days": 3}}], 'issuer = "none" takes no other'),
        ([{}, {"names": ["A.test"]}], "defined twice on 127.20.215.1 port 80"),
        ([{"http": False}, {"http": False}], "defined twice on 127.20.215.1 port 443"),
        ([{"colour": "red"}], "unknown keys colour"),
        ([{"pages": {"zwgk": "x"}}], "a path is '/' and printable ASCII"),
        ([{"pages": {"/a b/": "x"}}], "a path is '/' and printable ASCII"),
        ([{"pages": {"/": "x"}}], "not '/' alone"),
        ([{"pages": {"/go/": {"status": 302}}}], "a redirect is a status from"),
        ([{"pages": {"/go/": {"status": 200, "location": "http://x/"}}}],
         "a redirect is a status from"),
        ([{"pages": {"/go/": {"colour": "red"}}}], "unknown keys colour"),
        ([{"pages": {"/go/": 3}}], "must be a body or a table"),
        ([{"pages": "x"}], "pages must be a table"),
        ([{"charset": "ascii", "pages": {"/a/": "中文"}}], "cannot be written in ascii"),
        ([{"behaviour": "hang", "pages": {"/a/": "x"}}], "has no pages"),
    ],
)
def test_bad_site_tables_are_rejected(sites: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        scenario_from_dict(_site_world(*sites))


@pytest.mark.world
def test_sites_built_in_code_are_checked() -> None:
    world = scenario_from_dict({"zone": [{"origin": "."}]})
    with LocalInternet(world) as net:
        for bad, message in [
            (Site("127.20.215.2", ("Upper.test",)), "must be ASCII, lower case"),
            (Site("10.1.1.1", ("a.test",)), "127.0.0.0/8"),
            (Site("127.20.215.2", ("a.test",), body="x", body_parts=("y",)), "not both"),
            (Site("127.20.215.2", ("a.test",), certificate=SiteCertificate(names=("A",))),
             "ASCII host names"),
            (Site("127.20.215.2", ("a.test",), crawler_body="x",
                  crawler_agents=["Sogou"]),  # type: ignore[arg-type]
             "crawler_agents must be a tuple of names"),
            (Site("127.20.215.2", ("a.test",), referer_body="x", referer_engines=("so",)),
             "referer_engines: unknown 'so'"),
        ]:
            with pytest.raises(ScenarioError, match=message):
                net.replace_sites([bad])
        assert net.sites == []
        assert net.ca_file.exists()  # every running world has its CA


@pytest.mark.world
def test_demo_world_serves_https_with_its_ca(local_internet: LocalInternet) -> None:
    tls = verifying(local_internet)
    status, headers, body = get("127.20.200.10", "files.jiuquan.gov.cn", tls=tls)
    assert status == 200 and "酒泉市政府信息公开" in body
    assert headers["x-oss-object-type"] == "Normal"
    assert get("127.20.200.10", "static.jiuquan.gov.cn", tls=tls)[0] == 404


# -- synthetic worlds with web sites -------------------------------------------------


def resolve(net: LocalInternet, name: str) -> list[str]:
    response = dns.query.udp(dns.message.make_query(name, "A"), net.resolver_address[0],
                             port=net.resolver_address[1], timeout=5)
    return [rd.address for rrset in response.answer if rrset.rdtype == 1 for rd in rrset]


@pytest.mark.world
def test_synthetic_world_with_web_sites() -> None:
    scenario = synthetic_scenario(400, seed=5, web=True)
    plain = synthetic_scenario(400, seed=5)
    assert scenario.expected == plain.expected and not plain.sites
    named = {site.names[0]: site for site in scenario.sites}
    resolving = {n for n, kind in scenario.expected.items()
                 if kind not in (KIND_DANGLING, KIND_ABSENT)}
    assert set(named) == resolving
    sizes = [len(site.full_body.encode()) for site in scenario.sites]
    assert min(sizes) >= 20_000 and max(sizes) <= 40_000
    assert len({site.full_body for site in scenario.sites}) == len(scenario.sites)
    assert synthetic_scenario(400, seed=5, web=True).sites == scenario.sites
    with LocalInternet(scenario) as net:
        tls = verifying(net)
        blocks = (net.workdir / "nginx" / "nginx.conf").read_text().count("ssl_certificate ")
        assert blocks < len(scenario.sites) / 4  # one server block per address
        checked = 0
        for name, kind in scenario.expected.items():
            if name not in named or checked >= 12:
                continue
            site = named[name]
            address = resolve(net, name)[-1]
            assert address == site.address
            if kind == KIND_ADDRESS:
                assert address.startswith("127.20.1")
            status, headers, body = get(address, name, tls=tls)
            assert status == 200 and body == site.full_body
            assert headers["content-type"] == "text/html; charset=utf-8"
            assert "人民政府" in body and name in body
            assert get(address, name)[2] == body
            checked += 1
        cert = peer_certificate(named["www.city0001.gov.cn"].address, "www.city0001.gov.cn")
        assert "www.city0001.gov.cn" in sans(cert) and len(sans(cert)) > 1
    per_site = synthetic_scenario(40, web=True, site_certificates="per-site")
    assert all(not site.certificate.names for site in per_site.sites)
    with pytest.raises(ValueError, match="at most"):
        synthetic_scenario(200_000, web=True)
