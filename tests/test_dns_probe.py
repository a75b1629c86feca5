"""The DNS probe against the local demo internet (real Unbound + Knot on loopback)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

from domainwatch.probes.dns import (
    FAILURES,
    DNSObservation,
    DNSProbe,
    HostLookups,
    ResolverConfig,
    ResolverUnreachable,
    parse_resolver,
)
from domainwatch.testnet import LocalInternet

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def config(net: LocalInternet, **kwargs: Any) -> ResolverConfig:
    kwargs.setdefault("timeout", 1.0)
    kwargs.setdefault("retries", 1)
    return ResolverConfig(resolvers=[net.resolver_address], **kwargs)


async def probe_all(cfg: ResolverConfig, names: list[str]) -> dict[str, DNSObservation]:
    async with DNSProbe(cfg) as probe:
        found = await asyncio.gather(*(probe.probe(name) for name in names))
    return {obs.name: obs for obs in found}


@pytest.fixture(scope="module")
def demo(local_internet: LocalInternet) -> dict[str, DNSObservation]:
    names = [
        "www.gansu.gov.cn",
        "jyj.jiuquan.gov.cn",
        "cdn.jiuquan.gov.cn",
        "lyj.jiuquan.gov.cn",
        "loop1.jiuquan.gov.cn",
        "wsj.jiuquan.gov.cn",
        "www.zhangye.gov.cn",
        "酒泉.政务",
        "jiuquan.gov.cn",
        "www.jiuquan.gov.cn",
    ]
    return run(probe_all(config(local_internet), names))


@pytest.mark.world
def test_resolves(demo: dict[str, DNSObservation]) -> None:
    obs = demo["www.gansu.gov.cn"]
    assert obs.status == "resolves"
    assert obs.a == ["127.20.0.10"]
    assert obs.cname_chain == []
    assert obs.zone == "gansu.gov.cn"
    assert obs.ns_owner == "gansu.gov.cn" and obs.ns
    assert obs.statuses["A"] == "ok"
    assert obs.failures() == {}
    www = demo["www.jiuquan.gov.cn"]
    assert www.aaaa == ["2001:db8::10"]


@pytest.mark.world
def test_zone_apex_records(demo: dict[str, DNSObservation]) -> None:
    obs = demo["jiuquan.gov.cn"]
    assert obs.status == "no_address"
    assert obs.zone == "jiuquan.gov.cn"
    assert obs.ns_owner == "jiuquan.gov.cn"  # its own NS set
    assert "NS@zone" not in obs.statuses
    assert obs.mx == ["10 mail.jiuquan.gov.cn"]
    assert obs.soa_mname


@pytest.mark.world
def test_nxdomain(demo: dict[str, DNSObservation]) -> None:
    obs = demo["jyj.jiuquan.gov.cn"]
    assert obs.status == "nxdomain"
    assert obs.chain_end == "nxdomain"
    assert obs.zone == "jiuquan.gov.cn"
    assert obs.ns_owner == "jiuquan.gov.cn" and obs.ns


@pytest.mark.world
def test_dangling_cname_across_zones(demo: dict[str, DNSObservation]) -> None:
    obs = demo["cdn.jiuquan.gov.cn"]
    assert obs.status == "cname_dangling"
    assert obs.cname_chain == ["jiuquan-gov.cdn.example-cloud.com"]
    assert obs.chain_end == "nxdomain"
    assert obs.zone == "jiuquan.gov.cn"  # the alias's own zone, not the target's


@pytest.mark.world
def test_cname_chain_that_resolves(demo: dict[str, DNSObservation]) -> None:
    obs = demo["lyj.jiuquan.gov.cn"]
    assert obs.status == "resolves"
    assert obs.cname_chain == ["lyj-jiuquan.site.example-cloud.com", "edge1.example-cloud.com"]
    assert obs.a == ["127.20.100.1"]
    assert obs.zone == "jiuquan.gov.cn"


@pytest.mark.world
def test_cname_loop(demo: dict[str, DNSObservation]) -> None:
    obs = demo["loop1.jiuquan.gov.cn"]
    assert obs.status == "cname_loop"
    assert obs.chain_end == "loop"
    assert obs.cname_chain == ["loop2.jiuquan.gov.cn", "loop1.jiuquan.gov.cn"]
    # Unbound answers SERVFAIL for a loop; the chain was walked with CNAME queries
    assert obs.statuses["A"] == "servfail"
    assert obs.statuses["CNAME"] == "ok"


@pytest.mark.world
def test_no_address(demo: dict[str, DNSObservation]) -> None:
    obs = demo["wsj.jiuquan.gov.cn"]
    assert obs.status == "no_address"
    assert obs.statuses["A"] == obs.statuses["AAAA"] == "nodata"
    assert obs.txt == ["jiuquan health commission site moved to wsjkw"]


@pytest.mark.world
def test_lame_delegation_is_unresolved_not_nxdomain(demo: dict[str, DNSObservation]) -> None:
    obs = demo["www.zhangye.gov.cn"]
    assert obs.status == "unresolved"
    assert obs.chain_end == "servfail"
    assert obs.statuses["A"] == "servfail"
    assert "nxdomain" not in obs.statuses.values()
    assert obs.failures()["A"] == "servfail"


@pytest.mark.world
def test_idn(demo: dict[str, DNSObservation]) -> None:
    obs = demo["xn--bww729e.xn--zfr164b"]
    assert obs.status == "resolves"
    assert obs.a == ["127.20.1.10"]


@pytest.mark.world
def test_fingerprint_is_stable_and_json(demo: dict[str, DNSObservation]) -> None:
    import json

    for obs in demo.values():
        fp = obs.fingerprint()
        assert "ttls" not in fp
        assert json.loads(json.dumps(fp)) == fp
        assert list(fp["statuses"]) == sorted(fp["statuses"])


@pytest.mark.world
def test_silent_servers_time_out_as_unresolved(local_internet: LocalInternet) -> None:
    cfg = config(local_internet, timeout=0.5, retries=0)
    obs = run(probe_all(cfg, ["www.jiayuguan.gov.cn"]))["www.jiayuguan.gov.cn"]
    assert obs.status == "unresolved"
    assert obs.chain_end in FAILURES
    assert set(obs.failures()) >= {"A", "AAAA"}
    assert "nxdomain" not in obs.statuses.values()


@pytest.mark.world
def test_truncated_answer_is_retried_over_tcp(local_internet: LocalInternet) -> None:
    async def go() -> tuple[DNSObservation, dict[str, int]]:
        async with DNSProbe(config(local_internet, edns=False)) as probe:
            return await probe.probe("bigtxt.jiuquan.gov.cn"), probe.stats

    obs, stats = run(go())
    assert stats["tcp_fallbacks"] >= 1
    assert obs.statuses["TXT"] == "ok"
    assert len(obs.txt) == 30
    assert obs.a == ["127.20.1.13"]


@pytest.mark.world
def test_ns_of_zone_is_asked_once_per_zone(local_internet: LocalInternet) -> None:
    async def go() -> tuple[list[DNSObservation], int, int]:
        async with DNSProbe(config(local_internet)) as probe:
            first = await probe.probe("www.jiuquan.gov.cn")
            before = probe.stats["queries"]
            second = await probe.probe("fgw.jiuquan.gov.cn")
            return [first, second], before, probe.stats["queries"]

    (first, second), before, after = run(go())
    for obs in (first, second):
        assert obs.ns_owner == "jiuquan.gov.cn"
        assert obs.statuses["NS@zone"] == "ok"
    assert first.ns == second.ns
    assert after - before == 6  # A AAAA NS MX TXT SOA, no second NS@zone


@pytest.mark.world
def test_probe_many_returns_each_name_once(local_internet: LocalInternet) -> None:
    real = ["www.gansu.gov.cn", "www.lanzhou.gov.cn", "lyj.jiuquan.gov.cn", "wsj.jiuquan.gov.cn"]
    names = real + [f"x{i:03d}.lanzhou.gov.cn" for i in range(300)]

    async def go() -> list[DNSObservation]:
        cfg = config(local_internet, concurrency=40, record_types=("A", "AAAA"))
        async with DNSProbe(cfg) as probe:
            return [obs async for obs in probe.probe_many(iter(names))]

    found = run(go())
    assert sorted(obs.name for obs in found) == sorted(names)
    by_name = {obs.name: obs for obs in found}
    assert by_name["x123.lanzhou.gov.cn"].status == "nxdomain"
    assert by_name["www.lanzhou.gov.cn"].status == "resolves"


@pytest.mark.world
def test_invalid_name_is_reported_not_raised(local_internet: LocalInternet) -> None:
    obs = run(probe_all(config(local_internet), ["bad..name.gov.cn"]))["bad..name.gov.cn"]
    assert obs.status == "unresolved"
    assert obs.error and obs.statuses == {}


@pytest.mark.world
def test_blackhole_resolver_is_unreachable(local_internet: LocalInternet) -> None:
    async def go() -> None:
        cfg = ResolverConfig(
            resolvers=[parse_resolver(local_internet.blackhole)], timeout=0.3, retries=1
        )
        async with DNSProbe(cfg) as probe:
            await probe.check_resolvers()

    hole, _ = parse_resolver(local_internet.blackhole)
    before = local_internet.received_by(hole)
    with pytest.raises(ResolverUnreachable) as info:
        run(go())
    assert local_internet.received_by(hole) - before == 2, "asked, asked again, given up"
    message = str(info.value)
    assert local_internet.blackhole in message
    assert "no answer within 0.3s (2 attempts)" in message
    assert "\n" not in message


@pytest.mark.world
def test_dead_address_is_unreachable(local_internet: LocalInternet) -> None:
    async def go() -> None:
        cfg = ResolverConfig(resolvers=[parse_resolver(local_internet.dead_address)], timeout=0.5)
        async with DNSProbe(cfg) as probe:
            await probe.check_resolvers()

    with pytest.raises(ResolverUnreachable) as info:
        run(go())
    message = str(info.value)
    assert local_internet.dead_address in message
    assert "nothing listening" in message and "no answer" not in message, \
        "the port's refusal ends it at once, not the timeout"


@pytest.mark.world
def test_dead_resolver_is_taken_out_of_rotation(local_internet: LocalInternet) -> None:
    async def go() -> DNSObservation:
        resolvers = [parse_resolver(local_internet.dead_address), local_internet.resolver_address]
        async with DNSProbe(ResolverConfig(resolvers=resolvers, timeout=0.5)) as probe:
            await probe.check_resolvers()
            return await probe.probe("www.gansu.gov.cn")

    assert run(go()).status == "resolves"


def test_parse_resolver() -> None:
    assert parse_resolver("127.0.0.1") == ("127.0.0.1", 53)
    assert parse_resolver("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert parse_resolver("[::1]:5353") == ("::1", 5353)
    assert parse_resolver("::1") == ("::1", 53)
    for bad in ("", "localhost", "1.2.3.4:0", "1.2.3.4:99999", "[1.2.3.4]:53", "[::1]:", "1.2.3:4"):
        with pytest.raises(ValueError, match="resolver"):
            parse_resolver(bad)


@pytest.mark.world
def test_host_lookups_ask_each_host_once(local_internet: LocalInternet) -> None:
    async def look() -> tuple[list[str], list[list[str]], DNSObservation]:
        async with DNSProbe(config(local_internet, record_types=("A", "AAAA"))) as probe:
            asked: list[str] = []
            ask = probe.probe

            async def counted(name: str) -> DNSObservation:
                asked.append(name)
                return await ask(name)

            probe.probe = counted  # type: ignore[method-assign]
            lookups = HostLookups(probe)
            answers = await asyncio.gather(*(lookups.addresses("www.gansu.gov.cn")
                                             for _ in range(5)))
            later = await lookups.observation("www.gansu.gov.cn")
            await lookups.addresses("jiuquan.gov.cn")
            return asked, answers, later

    asked, answers, later = run(look())
    assert asked == ["www.gansu.gov.cn", "jiuquan.gov.cn"], "once each, even when asked at once"
    assert all(answer == later.a + later.aaaa and answer for answer in answers)
