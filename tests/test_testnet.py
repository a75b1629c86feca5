"""The local test internet itself: real Knot DNS + Unbound, queried with dnspython."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.tsig
import dns.xfr
import dns.zone
import pytest

from domainwatch.names import site_code_problem
from domainwatch.testnet import (
    DEMO_REGISTER,
    DEMO_WORLD,
    LocalInternet,
    MissingBinaryError,
    ScenarioError,
    load_scenario,
    synthetic_register_rows,
    synthetic_scenario,
)
from domainwatch.testnet.scenario import TsigKey, scenario_from_dict
from domainwatch.testnet.synthetic import (
    KIND_ABSENT,
    KIND_ADDRESS,
    KIND_CNAME,
    KIND_CNAME_CHAIN,
    KIND_DANGLING,
)


def ask(
    address: tuple[str, int] | str,
    name: str,
    rdtype: str = "A",
    *,
    tcp: bool = False,
    edns: bool = True,
    timeout: float = 10.0,
) -> dns.message.Message:
    ip, port = _split(address)
    query = dns.message.make_query(name, rdtype, use_edns=0 if edns else False)
    if tcp:
        return dns.query.tcp(query, ip, port=port, timeout=timeout)
    return dns.query.udp(query, ip, port=port, timeout=timeout)


def _split(address: tuple[str, int] | str) -> tuple[str, int]:
    if isinstance(address, tuple):
        return address
    ip, _, port = address.rpartition(":")
    return ip, int(port)


def addresses(response: dns.message.Message, rdtype: str = "A") -> set[str]:
    wanted = dns.rdatatype.from_text(rdtype)
    return {rd.to_text() for rrset in response.answer if rrset.rdtype == wanted for rd in rrset}


def cname_chain(response: dns.message.Message) -> list[tuple[str, str]]:
    return [
        (rrset.name.to_text(), rd.target.to_text())
        for rrset in response.answer
        if rrset.rdtype == dns.rdatatype.CNAME
        for rd in rrset
    ]


def pids_alive(pids: list[int]) -> list[int]:
    return [pid for pid in pids if Path(f"/proc/{pid}").exists()]


def axfr(
    server: str, origin: str, keyring: dict[dns.name.Name, dns.tsig.Key] | None = None
) -> dns.zone.Zone:
    return dns.zone.from_xfr(
        dns.query.xfr(server, origin, keyring=keyring, timeout=3, lifetime=5)
    )


def owners(zone: dns.zone.Zone) -> set[str]:
    return {name.to_unicode() for name in zone.nodes}


# -- the demo world --------------------------------------------------------------------


@pytest.mark.world
def test_demo_world_starts_on_one_loopback_block(local_internet: LocalInternet) -> None:
    # how long it takes is measured by bench/bench_dns.py (world_startup_s), not here
    assert local_internet.started_in is not None
    ip, port = local_internet.resolver_address
    assert local_internet.resolver == f"{ip}:{port}"
    assert ip.startswith("127.") and not ip.startswith("127.0.0.")
    for address in (local_internet.blackhole, local_internet.dead_address):
        assert address.rsplit(".", 1)[0] == ip.rsplit(".", 1)[0]
        assert address.endswith(":53")
    assert (local_internet.workdir / "unbound.conf").exists()


@pytest.mark.world
def test_portal_resolves(local_internet: LocalInternet) -> None:
    response = ask(local_internet.resolver_address, "www.gansu.gov.cn")
    assert response.rcode() == dns.rcode.NOERROR
    assert addresses(response) == {"127.20.0.10"}


@pytest.mark.world
def test_dns_python_resolver_uses_it(local_internet: LocalInternet) -> None:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [local_internet.resolver_address[0]]
    resolver.port = local_internet.resolver_address[1]
    answer = resolver.resolve("www.jiuquan.gov.cn", "AAAA")
    assert {rd.to_text() for rd in answer} == {"2001:db8::10"}
    mx = resolver.resolve("jiuquan.gov.cn", "MX")
    assert [rd.exchange.to_text() for rd in mx] == ["mail.jiuquan.gov.cn."]


@pytest.mark.world
def test_absent_name_is_nxdomain(local_internet: LocalInternet) -> None:
    response = ask(local_internet.resolver_address, "jyj.jiuquan.gov.cn")
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert addresses(ask(local_internet.resolver_address, "jyj.lanzhou.gov.cn")) == {"127.20.2.11"}


@pytest.mark.world
def test_name_with_only_txt_has_no_address(local_internet: LocalInternet) -> None:
    response = ask(local_internet.resolver_address, "wsj.jiuquan.gov.cn")
    assert response.rcode() == dns.rcode.NOERROR
    assert response.answer == []


@pytest.mark.world
def test_offline_and_deregistered_names_still_resolve(local_internet: LocalInternet) -> None:
    assert addresses(ask(local_internet.resolver_address, "gsj.jiuquan.gov.cn")) == {"127.20.1.12"}
    old = ask(local_internet.resolver_address, "old.jiuquan.gov.cn")
    assert cname_chain(old) == [("old.jiuquan.gov.cn.", "www.jiuquan.gov.cn.")]
    assert addresses(old) == {"127.20.1.10"}


@pytest.mark.world
def test_dangling_cname_across_zones(local_internet: LocalInternet) -> None:
    response = ask(local_internet.resolver_address, "cdn.jiuquan.gov.cn")
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert cname_chain(response) == [("cdn.jiuquan.gov.cn.", "jiuquan-gov.cdn.example-cloud.com.")]


@pytest.mark.world
def test_cname_chain_across_zones_resolves(local_internet: LocalInternet) -> None:
    response = ask(local_internet.resolver_address, "lyj.jiuquan.gov.cn")
    assert response.rcode() == dns.rcode.NOERROR
    assert cname_chain(response) == [
        ("lyj.jiuquan.gov.cn.", "lyj-jiuquan.site.example-cloud.com."),
        ("lyj-jiuquan.site.example-cloud.com.", "edge1.example-cloud.com."),
    ]
    assert addresses(response) == {"127.20.100.1"}


@pytest.mark.world
def test_cname_loop_is_servfail(local_internet: LocalInternet) -> None:
    response = ask(local_internet.resolver_address, "loop1.jiuquan.gov.cn")
    assert response.rcode() == dns.rcode.SERVFAIL


@pytest.mark.world
def test_lame_delegation_is_servfail(local_internet: LocalInternet) -> None:
    response = ask(local_internet.resolver_address, "www.zhangye.gov.cn")
    assert response.rcode() == dns.rcode.SERVFAIL
    city = local_internet.server_address("city")
    direct = ask((city, 53), "www.zhangye.gov.cn")
    assert direct.rcode() == dns.rcode.REFUSED


@pytest.mark.world
def test_silent_server_is_servfail_within_seconds(local_internet: LocalInternet) -> None:
    local_internet.flush_resolver_cache()
    dead = local_internet.server_address("dead")
    before = local_internet.received_by(dead)
    # Unbound gives up on its own, within the 15 s this client would wait
    response = ask(local_internet.resolver_address, "www.jiayuguan.gov.cn", timeout=15)
    assert response.rcode() == dns.rcode.SERVFAIL
    tried = local_internet.received_by(dead) - before
    assert tried > 0, "after asking the silent server"
    again = ask(local_internet.resolver_address, "other.jiayuguan.gov.cn", timeout=15)
    assert again.rcode() == dns.rcode.SERVFAIL
    assert local_internet.received_by(dead) - before == tried, \
        "then it knows the server is silent, and answers without asking it again"
    with pytest.raises(dns.exception.Timeout):
        ask((dead, 53), "www.jiayuguan.gov.cn", timeout=0.3)


@pytest.mark.world
def test_authoritative_servers_answer_directly(local_internet: LocalInternet) -> None:
    city = local_internet.server_address("city")
    response = ask((city, 53), "www.jiuquan.gov.cn")
    assert response.flags & dns.flags.AA
    assert addresses(response) == {"127.20.1.10"}
    assert city.rsplit(".", 1)[0] == local_internet.resolver_address[0].rsplit(".", 1)[0]
    with pytest.raises(KeyError):
        local_internet.server_address("nope")


@pytest.mark.world
def test_big_answer_is_truncated_over_udp_and_complete_over_tcp(
    local_internet: LocalInternet,
) -> None:
    udp = ask(local_internet.resolver_address, "bigtxt.jiuquan.gov.cn", "TXT", edns=False)
    assert udp.flags & dns.flags.TC
    tcp = ask(local_internet.resolver_address, "bigtxt.jiuquan.gov.cn", "TXT", tcp=True)
    assert not tcp.flags & dns.flags.TC
    [txt] = tcp.answer
    assert len(txt) == 30
    assert all(len(b"".join(rd.strings)) == 200 for rd in txt)


@pytest.mark.world
def test_unicode_name_under_zhengwu_resolves(local_internet: LocalInternet) -> None:
    response = ask(local_internet.resolver_address, "酒泉.政务")
    assert response.question[0].name.to_text() == "xn--bww729e.xn--zfr164b."
    assert addresses(response) == {"127.20.1.10"}


@pytest.mark.world
def test_legacy_com_domain_resolves(local_internet: LocalInternet) -> None:
    assert addresses(ask(local_internet.resolver_address, "www.jqtz.com")) == {"127.20.5.10"}


@pytest.mark.world
def test_blackhole_never_answers(local_internet: LocalInternet) -> None:
    with pytest.raises(dns.exception.Timeout):
        ask(local_internet.blackhole, "www.gansu.gov.cn", timeout=0.5)
    with pytest.raises(dns.exception.Timeout):
        ask(local_internet.blackhole, "www.gansu.gov.cn", tcp=True, timeout=0.5)


@pytest.mark.world
def test_dead_address_refuses(local_internet: LocalInternet) -> None:
    ip, port = _split(local_internet.dead_address)
    with pytest.raises(ConnectionRefusedError):
        ask(local_internet.dead_address, "www.gansu.gov.cn", tcp=True, timeout=2)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.connect((ip, port))
        sock.send(dns.message.make_query("www.gansu.gov.cn", "A").to_wire())
        with pytest.raises(ConnectionRefusedError):
            sock.recv(512)


def test_demo_scenario_names_are_the_register() -> None:
    scenario = load_scenario(DEMO_WORLD)
    assert scenario.register == DEMO_REGISTER
    lines = DEMO_REGISTER.read_text(encoding="utf-8").splitlines()
    assert len(scenario.names) == len(lines) - 1
    assert "xn--bww729e.xn--zfr164b" in scenario.names
    assert {"jyj.jiuquan.gov.cn", "www.jqtz.com", "nyj.zhangye.gov.cn"} <= set(scenario.names)
    assert scenario.zone("政务").origin == "xn--zfr164b"
    assert not scenario.zone("zhangye.gov.cn").serve
    assert scenario.servers["dead"].behaviour == "silent"
    assert not {"tzcj.jiuquan.gov.cn", "bak.jiuquan.gov.cn", "xn--5rtw95l.xn--zfr164b"} & set(
        scenario.names
    )
    assert scenario.zone("lanzhou.gov.cn").transfer == "tsig"
    assert scenario.zone("gansu.gov.cn").transfer is None
    assert scenario.tsig is not None and scenario.tsig.name == "dw-transfer"


# -- zone transfers ------------------------------------------------------------------


@pytest.mark.world
def test_open_zone_transfer_shows_names_missing_from_the_register(
    local_internet: LocalInternet,
) -> None:
    zone = axfr(local_internet.server_address("city"), "jiuquan.gov.cn")
    assert {"tzcj", "bak", "www", "gsj", "old", "@"} <= owners(zone)
    assert zone.find_rdataset("tzcj", "A").to_text().endswith("127.20.1.30")
    assert zone.find_rdataset("bak", "CNAME")[0].target.to_text() == "www"
    zhengwu = axfr(local_internet.server_address("cnnic"), "政务")
    assert owners(zhengwu) == {"@", "ns1", "酒泉", "甘肃"}
    spider = axfr(local_internet.server_address("city"), "tianshui.gov.cn")
    assert {"*", "www"} <= owners(spider)


@pytest.mark.world
def test_closed_zone_transfer_is_notauth(local_internet: LocalInternet) -> None:
    gansu = local_internet.server_address("gansu")
    with pytest.raises(dns.xfr.TransferError, match="NOTAUTH") as info:
        axfr(gansu, "gansu.gov.cn")
    assert info.value.rcode == dns.rcode.NOTAUTH
    query = dns.message.make_query("gansu.gov.cn", "AXFR")
    response = dns.query.tcp(query, gansu, timeout=3)
    assert response.rcode() == dns.rcode.NOTAUTH and not response.answer
    # a zone the server does not load: NOTAUTH too (a plain query gets REFUSED)
    with pytest.raises(dns.xfr.TransferError, match="NOTAUTH"):
        axfr(local_internet.server_address("city"), "zhangye.gov.cn")


@pytest.mark.world
def test_tsig_zone_transfers_only_with_the_key(local_internet: LocalInternet) -> None:
    city = local_internet.server_address("city")
    key = load_scenario(DEMO_WORLD).tsig
    assert key is not None
    with pytest.raises(dns.xfr.TransferError) as info:
        axfr(city, "lanzhou.gov.cn")
    assert info.value.rcode == dns.rcode.NOTAUTH
    assert {"www", "jyj", "rsj"} <= owners(axfr(city, "lanzhou.gov.cn", key.keyring()))
    wrong = TsigKey(key.name, key.algorithm, "c2VjcmV0LWJ1dC1ub3QtdGhlLXJpZ2h0LW9uZQ==")
    with pytest.raises(dns.tsig.PeerBadSignature):
        axfr(city, "lanzhou.gov.cn", wrong.keyring())
    unknown = TsigKey("other-key", key.algorithm, key.secret)
    with pytest.raises(dns.tsig.PeerBadKey):
        axfr(city, "lanzhou.gov.cn", unknown.keyring())
    # Knot: an ACL without a key matches unsigned requests only
    with pytest.raises(dns.tsig.PeerBadKey):
        axfr(city, "jiuquan.gov.cn", key.keyring())


@pytest.mark.world
def test_broken_transfer_ends_with_eof_at_once(local_internet: LocalInternet) -> None:
    broken = local_internet.server_address("broken")
    # an end of stream, never the timeout a server that stops sending would run into
    with pytest.raises(EOFError):
        axfr(broken, "broken.gov.cn")
    with pytest.raises(EOFError):
        dns.query.inbound_xfr(broken, dns.zone.Zone("broken.gov.cn"), timeout=3, lifetime=5)
    query = dns.message.make_query("broken.gov.cn", "AXFR")
    first = dns.query.tcp(query, broken, timeout=3)
    assert first.id == query.id and first.question == query.question
    assert first.rcode() == dns.rcode.NOERROR and first.flags & dns.flags.AA
    assert first.answer[0].rdtype == dns.rdatatype.SOA
    assert [rrset.rdtype for rrset in first.answer].count(dns.rdatatype.SOA) == 1
    assert len(first.answer) > 1
    with pytest.raises(dns.xfr.TransferError, match="REFUSED"):
        axfr(broken, "gansu.gov.cn")
    with pytest.raises(dns.exception.Timeout):
        ask((broken, 53), "www.broken.gov.cn", timeout=0.3)
    assert ask(local_internet.resolver_address, "www.broken.gov.cn").rcode() == dns.rcode.NXDOMAIN


@pytest.mark.world
def test_wildcard_answers_any_name(local_internet: LocalInternet) -> None:
    resolver = local_internet.resolver_address
    random_name = f"x{os.urandom(6).hex()}.tianshui.gov.cn"
    assert addresses(ask(resolver, random_name)) == {"127.20.6.66"}
    assert addresses(ask(resolver, "www.tianshui.gov.cn")) == {"127.20.6.10"}


@pytest.mark.world
def test_unregistered_unicode_name_resolves(local_internet: LocalInternet) -> None:
    assert addresses(ask(local_internet.resolver_address, "甘肃.政务")) == {"127.20.0.10"}


def test_tsig_table_is_normalised() -> None:
    world = scenario_from_dict(_tsig_world(algorithm="HMAC-SHA512", name="DW-Transfer."))
    assert world.tsig == TsigKey("dw-transfer", "hmac-sha512", "c2VjcmV0")
    assert world.zone("lanzhou.gov.cn").transfer == "tsig"


def test_tsig_key_builds_a_dnspython_keyring() -> None:
    key = TsigKey("dw-transfer", "hmac-md5", "c2VjcmV0")
    [(name, built)] = key.keyring().items()
    assert name == dns.name.from_text("dw-transfer") == built.name
    assert built.algorithm == dns.tsig.HMAC_MD5
    assert TsigKey("k", "hmac-sha256", "c2VjcmV0").dns_key().algorithm == dns.tsig.HMAC_SHA256


# -- other worlds --------------------------------------------------------------------


@pytest.mark.world
def test_synthetic_world_starts_resolves_and_stops_cleanly() -> None:
    scenario = synthetic_scenario(200, seed=7)
    assert len(scenario.names) == 200
    with LocalInternet(scenario) as net:
        pids = net.pids
        workdir = net.workdir
        assert len(pids_alive(pids)) == len(pids) > 1
        samples: dict[str, str] = {}
        for name, kind in scenario.expected.items():
            samples.setdefault(kind, name)
        assert set(samples) == {
            KIND_ADDRESS,
            KIND_CNAME,
            KIND_CNAME_CHAIN,
            KIND_DANGLING,
            KIND_ABSENT,
        }
        for kind, name in samples.items():
            response = ask(net.resolver_address, name)
            chain = cname_chain(response)
            if kind == KIND_ADDRESS:
                assert response.rcode() == dns.rcode.NOERROR and addresses(response)
            elif kind in (KIND_CNAME, KIND_CNAME_CHAIN):
                assert len(chain) == (1 if kind == KIND_CNAME else 2)
                assert addresses(response)
            elif kind == KIND_DANGLING:
                assert response.rcode() == dns.rcode.NXDOMAIN and len(chain) == 1
            else:
                assert response.rcode() == dns.rcode.NXDOMAIN and not chain
    assert pids_alive(pids) == []
    assert not workdir.exists()
    assert not net.running


def test_synthetic_worlds_are_deterministic_with_a_realistic_mix() -> None:
    first = synthetic_scenario(10_000, seed=3)
    again = synthetic_scenario(10_000, seed=3)
    assert first.expected == again.expected
    assert [z.records for z in first.zones] == [z.records for z in again.zones]
    assert synthetic_scenario(10_000, seed=4).expected != first.expected
    kinds = list(first.expected.values())
    share = {kind: kinds.count(kind) / len(kinds) for kind in set(kinds)}
    assert 0.77 < share[KIND_ADDRESS] < 0.83
    assert 0.08 < share[KIND_CNAME] + share[KIND_CNAME_CHAIN] < 0.12
    assert 0.03 < share[KIND_DANGLING] < 0.07
    assert 0.03 < share[KIND_ABSENT] < 0.07
    assert len(first.zones) == 5 + 40
    big = synthetic_scenario(100_000)
    assert len(set(big.names)) == 100_000
    assert len(big.zones) == 5 + 400 and len(big.servers) == 7


def test_synthetic_register_rows() -> None:
    scenario = synthetic_scenario(600)
    rows = synthetic_register_rows(scenario)
    assert [row["name"] for row in rows] == scenario.names
    assert len({row["site_code"] for row in rows}) == len(rows)
    assert all(site_code_problem(row["site_code"]) is None for row in rows)
    portal = rows[0]
    assert portal["name"] == "www.city0001.gov.cn" and portal["parent"] == ""
    assert rows[1]["parent"] == "www.city0001.gov.cn"


@pytest.mark.world
def test_name_server_planting() -> None:
    world = scenario_from_dict(
        {
            "server": {"main": {}, "other": {}, "third": {}, "no": {"behaviour": "refuse"}},
            "zone": [
                {"origin": ".", "server": "main"},
                {"origin": "cn", "server": "main"},
                {"origin": "a.cn", "server": "other", "records": "www A 127.20.9.1"},
                {"origin": "b.cn", "server": "other", "ns": "ns1.a.cn", "records": "www A 1.1.1.1"},
                {"origin": "c.cn", "server": "third", "ns": "ns1.a.cn"},
                {"origin": "d.cn", "server": "other", "ns": ["ns.gone.cn"]},
                {"origin": "e.cn", "server": "no", "ns": ["ns1.e.cn", "ns2.e.cn"]},
            ],
        }
    )
    with LocalInternet(world) as net:
        resolver = net.resolver_address
        assert addresses(ask(resolver, "ns1.a.cn")) == {net.server_address("other")}
        assert addresses(ask(resolver, "www.b.cn")) == {"1.1.1.1"}
        assert ask(resolver, "www.c.cn").rcode() == dns.rcode.SERVFAIL
        assert ask(resolver, "ns.gone.cn").rcode() == dns.rcode.NXDOMAIN
        assert ask(resolver, "www.d.cn").rcode() == dns.rcode.SERVFAIL
        assert ask(resolver, "www.e.cn").rcode() == dns.rcode.SERVFAIL
        referral = ask((net.server_address("main"), 53), "www.e.cn")
        assert {rrset.name.to_text() for rrset in referral.additional} == {
            "ns1.e.cn.",
            "ns2.e.cn.",
        }
        assert ask((net.server_address("no"), 53), "www.e.cn").rcode() == dns.rcode.REFUSED


@pytest.mark.world
def test_explicit_workdir_is_kept(tmp_path: Path) -> None:
    world = scenario_from_dict({"zone": [{"origin": "."}, {"origin": "cn"}]})
    net = LocalInternet(world, workdir=tmp_path / "net")
    net.start()
    try:
        assert addresses(ask(net.resolver_address, "ns1.cn")) == {net.server_address("default")}
    finally:
        net.stop()
    assert (tmp_path / "net" / "unbound.conf").exists()


def _world(**zone: object) -> dict[str, object]:
    return {
        "server": {"main": {}},
        "zone": [{"origin": ".", "server": "main"}, {"server": "main", **zone}],
    }


_TSIG = {"name": "dw-transfer", "algorithm": "hmac-sha256", "secret": "c2VjcmV0"}


def _tsig_world(**tsig: object) -> dict[str, object]:
    return {**_world(origin="lanzhou.gov.cn", transfer="tsig"), "tsig": {**_TSIG, **tsig}}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_world(origin="jiuquan.gov.cn", server="nowhere"), "zone jiuquan.gov.cn: unknown server"),
        (_world(origin="jiuquan.gov.cn", records="www A 999.1.1.1"), "zone jiuquan.gov.cn"),
        (_world(origin="jiuquan.gov.cn", records="www BOGUS x"), "zone jiuquan.gov.cn"),
        (_world(origin="jiuquan.gov.cn", records="a.other. A 1.2.3.4"), "outside the zone"),
        (_world(origin="jiuquan.gov.cn", records="x CNAME y\nx A 1.2.3.4"), "jiuquan.gov.cn"),
        (_world(origin="gov.cn", colour="red"), "zone gov.cn: unknown keys colour"),
        ({"zone": [{"origin": "gov.cn"}]}, "zone gov.cn: no parent zone"),
        ({"world": {"description": "empty"}}, "no root zone"),
        ({"server": {"s": {"behaviour": "sleepy"}}, "zone": [{"origin": "."}]}, "sleepy"),
        (_world(origin="lanzhou.gov.cn", transfer="tsig"), r"needs a \[tsig\] table"),
        (_world(origin="lanzhou.gov.cn", transfer="yes"), "transfer 'yes' is not one of"),
        (_tsig_world(algorithm="hmac-sha3"), r"\[tsig\]: algorithm 'hmac-sha3' is not one"),
        (_tsig_world(secret="not base64!"), r"\[tsig\]: secret is not valid base64"),
        (_tsig_world(secret=""), r"\[tsig\]: secret must not be empty"),
        (_tsig_world(secret=42), r"\[tsig\]: name, algorithm and secret must be strings"),
        (_tsig_world(colour="red"), r"\[tsig\]: unknown keys colour"),
        ({**_world(origin="cn"), "tsig": {"name": "k"}}, r"\[tsig\]: missing algorithm, secret"),
        ({**_world(origin="cn"), "tsig": "key"}, r"\[tsig\] must be a table"),
        (
            {
                "server": {"main": {}, "dead": {"behaviour": "silent"}},
                "zone": [
                    {"origin": ".", "server": "main"},
                    {"origin": "cn", "server": "dead", "transfer": "allow"},
                ],
            },
            "zone cn: transfer needs a zone served by a normal server",
        ),
    ],
)
def test_bad_scenarios_are_rejected(data: dict[str, object], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        scenario_from_dict(data)


def test_zone_parents_come_from_the_scenario(tmp_path: Path) -> None:
    path = tmp_path / "world.toml"
    zones = '[[zone]]\norigin = "jiuquan.gov.cn"\n[[zone]]\norigin = "cn"\n'
    path.write_text('[[zone]]\norigin = "."\n' + zones, encoding="utf-8")
    assert load_scenario(path).zone("jiuquan.gov.cn").parent == "cn"
    assert load_scenario(path).zone("cn").parent == "."
    path.write_text(zones, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"zone cn: no parent zone"):
        load_scenario(path)
    path.write_text("[[zone]\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="invalid TOML"):
        load_scenario(path)


@pytest.mark.world
@pytest.mark.parametrize("variable", ["DOMAINWATCH_KNOTD", "DOMAINWATCH_UNBOUND"])
def test_missing_binary_names_the_packages(variable: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(os.environ, variable, "/nonexistent/server")
    net = LocalInternet(scenario_from_dict({"zone": [{"origin": "."}]}))
    with pytest.raises(MissingBinaryError, match=r"apt-get install knot unbound"):
        net.start()
    assert not net.running


@pytest.mark.world
def test_replace_records_changes_a_zone_between_two_scans() -> None:
    world = scenario_from_dict({
        "server": {"root": {}, "gtld": {}},
        "zone": [{"origin": ".", "server": "root"},
                 {"origin": "com", "server": "gtld",
                  "records": "www.lapsing.com. A 127.20.216.1\n"}],
        "whois": {"answers": {"lapsing.com": {"status": "registered"}}},
    })
    with LocalInternet(world) as net:
        assert addresses(ask(net.resolver, "www.lapsing.com")) == {"127.20.216.1"}
        net.replace_records("com", "")  # the registry drops the lapsed domain
        lapsed = ask(net.resolver, "www.lapsing.com")
        assert lapsed.rcode() == dns.rcode.NXDOMAIN, "the resolver's cache was emptied"
        net.replace_records("com", "www.lapsing.com. A 127.20.216.2\n")  # a new owner
        assert addresses(ask(net.resolver, "www.lapsing.com")) == {"127.20.216.2"}
        soa = ask(net.server_address("gtld") + ":53", "com", "SOA")
        assert soa.answer[0][0].serial == 3, "every change is a new serial"
        with pytest.raises(ScenarioError, match="bad records"):
            net.replace_records("com", "www.lapsing.com. A not-an-address\n")
        assert addresses(ask(net.resolver, "www.lapsing.com")) == {"127.20.216.2"}
        net.whois_answers["lapsing.com"] = {"status": "unregistered"}
        assert _whois(net.whois, "lapsing.com").startswith('No match for "LAPSING.COM".')


def _whois(address: str, domain: str) -> str:
    host, _, port = address.rpartition(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(domain.encode() + b"\r\n")
        chunks = []
        while chunk := connection.recv(4096):
            chunks.append(chunk)
    return b"".join(chunks).decode()
