"""dangling.service and dangling.cname end to end: the CLI scanning a takeover world built
from the service catalogue. Each service gets one government name CNAMEd into it with the
service's "unclaimed" answer (or a target that no longer exists), a claimed control (the
service answering normally) and, for services judged by their page, a body-only control
(the unclaimed page served for a name that does not CNAME into the service). The world is
on 127.20.150.0/24 (every site on .10); it is built by
``domainwatch/testnet/takeover_world.py``, which the takeover benchmark shares."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from domainwatch.names import registrable_domain
from domainwatch.probes.dns import parse_resolver
from domainwatch.settings import ResolverConfig
from domainwatch.stages.registration import delegated_name_servers
from domainwatch.testnet import LocalInternet
from domainwatch.testnet.scenario import scenario_from_dict
from domainwatch.testnet.takeover_world import (
    Case,
    build_world,
    register_csv,
    register_rows,
    service_cases,
)
from domainwatch.testnet.whois_server import WhoisServer
from tests.helpers import dw, findings

pytestmark = pytest.mark.world


@dataclass
class Scanned:
    cases: list[Case]
    db: Path


@pytest.fixture(scope="module")
def takeover_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scanned]:
    directory = tmp_path_factory.mktemp("takeover")
    cases = service_cases()
    register = directory / "register.csv"
    register.write_text(register_csv(register_rows(cases)), encoding="utf-8")
    db = directory / "takeover.db"
    with LocalInternet(scenario_from_dict(build_world(cases), base_dir=directory)) as net:
        imported = dw(db, "register", "import", str(register))
        assert imported.returncode == 0, imported.stderr
        scanned = dw(db, "scan", "--resolver", net.resolver, "--ca-file", str(net.ca_file),
                     "--no-web", "--no-whois", "--timeout", "1", "--retries", "1")
        assert scanned.returncode == 0, scanned.stderr
        yield Scanned(cases, db)


def _rule(scanned: Scanned, rule: str) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in findings(scanned.db, "--rule", rule, "--format", "json")}


def test_exactly_the_unclaimed_names_are_dangling_services(takeover_world: Scanned) -> None:
    found = _rule(takeover_world, "dangling.service")
    assert found, "the world has unclaimed names on claimable services"
    expected = {case.unclaimed: case.service.name for case in takeover_world.cases
                if case.service.claimable}
    assert {name: f["evidence"]["service"] for name, f in found.items()} == expected
    for case in takeover_world.cases:
        if case.unclaimed in found:
            evidence = found[case.unclaimed]["evidence"]
            assert evidence["cname_chain"] == [case.unclaimed_target]
            assert evidence["target"] == case.unclaimed_target


def test_dangling_cnames_say_whether_they_can_be_claimed(takeover_world: Scanned) -> None:
    found = _rule(takeover_world, "dangling.cname")
    assert found, "the world has CNAMEs into names that do not exist"
    expected = {case.unclaimed for case in takeover_world.cases
                if case.by_nxdomain and case.unclaimed_target != case.claimed_target}
    assert set(found) == expected
    for case in takeover_world.cases:
        if case.unclaimed not in found:
            continue
        finding = found[case.unclaimed]
        if case.service.claimable:
            assert finding["severity"] == "high" and "service" not in finding["evidence"]
        else:
            assert finding["severity"] == "medium"
            assert finding["evidence"]["service"] == case.service.name
            assert finding["evidence"]["why_not_claimable"] == case.service.why_not_claimable
            assert "does not let anyone else claim it" in finding["summary"]


def test_claimed_and_body_only_controls_raise_nothing(takeover_world: Scanned) -> None:
    controls = {name for case in takeover_world.cases
                for name in (case.claimed, case.body_only)}
    dangling = [f for f in findings(takeover_world.db, "--format", "json")
                if f["rule"].startswith("dangling.") and f["name"] in controls]
    assert dangling == []


def test_services_own_domains_are_asked_in_turn_and_at_once_when_their_servers_change(
        tmp_path: Path) -> None:
    """A service's own domain DNS shows delegated is asked when never asked before, then
    left alone while its record is recent — unless its name servers in DNS share none with
    the record's. One gone from DNS (lapsed) or whose servers do not answer is asked every
    run (its answer reused while fresh), and a lapsed one is unregistered.domain for the
    names CNAMEd into it."""
    by_domain: dict[str, Case] = {}
    for case in service_cases():
        domain = registrable_domain(case.claimed_target)
        if domain is not None and domain.endswith(".com"):
            by_domain.setdefault(domain, case)
    (live_domain, live), (lapsed_domain, lapsed), (mute_domain, mute) = \
        list(by_domain.items())[:3]
    world = build_world([live, lapsed, mute])
    world["zone"] = [zone for zone in world["zone"] if zone["origin"] != lapsed_domain]
    for zone in world["zone"]:
        if zone["origin"] == mute_domain:
            zone["server"] = "mute"
    world["server"]["mute"] = {"behaviour": "silent"}
    register = tmp_path / "register.csv"
    register.write_text(register_csv(register_rows([live, lapsed, mute])), encoding="utf-8")
    db = tmp_path / "dw.db"
    config = tmp_path / "dw.toml"
    config.write_text("[whois]\nmin_interval = 0.0\ntimeout = 1.0\nretries = 1\n")
    # the record first lists another host's servers: DNS shares none of them
    answers = {lapsed_domain: {"status": "unregistered"},
               live_domain: {"status": "registered", "name_servers": ["dns1.hichina.com"]}}
    with (LocalInternet(scenario_from_dict(world, base_dir=tmp_path)) as net,
          WhoisServer(answers, default="registered") as whois):
        assert dw(db, "register", "import", str(register)).returncode == 0
        host, port = whois.address

        def scan() -> tuple[str, set[str]]:
            whois.queries.clear()
            scanned = dw(db, "--config", str(config), "scan", "--resolver", net.resolver,
                         "--no-web", "--timeout", "1", "--retries", "1",
                         "--whois-server", f"{host}:{port}")
            assert scanned.returncode == 0, scanned.stderr
            return scanned.stdout, {query for _, query in whois.queries}

        # servers that do not answer prove nothing: not delegated, so asked every run
        resolver = ResolverConfig(resolvers=[parse_resolver(net.resolver)], timeout=1.0,
                                  retries=1)
        delegated = asyncio.run(delegated_name_servers([live_domain, mute_domain], resolver))
        first, asked_first = scan()
        whois.answers[live_domain] = {"status": "registered",
                                      "name_servers": [f"ns1.{live_domain}"]}
        second, asked_second = scan()
        third, asked_third = scan()
    assert set(delegated) == {live_domain}
    assert delegated[live_domain] == {f"ns1.{live_domain}"}
    assert {live_domain, lapsed_domain} <= asked_first  # never asked before; not delegated
    assert "not asked" not in first
    assert live_domain in asked_second  # DNS shares no server with the record: at once
    assert "not asked" not in second
    assert live_domain not in asked_third  # recent, its servers as recorded
    assert "1 not asked (cloud services' own domains, delegated)" in third
    assert lapsed_domain in asked_first  # not delegated: asked whenever its answer is stale
    found = {f["name"]: f for f in findings(db, "--rule", "unregistered.domain",
                                            "--format", "json")}
    assert set(found) == {lapsed.claimed, lapsed.unclaimed}
    assert {f["subject"] for f in found.values()} == {lapsed_domain}
