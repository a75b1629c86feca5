"""dangling.service and dangling.cname end to end: the CLI scanning a takeover world built
from the service catalogue. Each service gets one government name CNAMEd into it with the
service's "unclaimed" answer (or a target that no longer exists), a claimed control (the
service answering normally) and, for services judged by their page, a body-only control
(the unclaimed page served for a name that does not CNAME into the service). The world is
on 127.20.150.0/24 (every site on .10); it is built by
``domainwatch/testnet/takeover_world.py``, which the takeover benchmark shares."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from domainwatch.names import registrable_domain
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


def test_a_services_own_domain_is_asked_about_only_when_dns_does_not_show_it(
        tmp_path: Path) -> None:
    """The services' own domains are not asked over WHOIS while they are delegated (their
    expiry and owner are the service's business); one gone from DNS is asked like any
    other, and a lapsed one is unregistered.domain for the names CNAMEd into it."""
    by_domain: dict[str, Case] = {}
    for case in service_cases():
        domain = registrable_domain(case.claimed_target)
        if domain is not None and domain.endswith(".com"):
            by_domain.setdefault(domain, case)
    (live_domain, live), (lapsed_domain, lapsed) = list(by_domain.items())[:2]
    world = build_world([live, lapsed])
    world["zone"] = [zone for zone in world["zone"] if zone["origin"] != lapsed_domain]
    register = tmp_path / "register.csv"
    register.write_text(register_csv(register_rows([live, lapsed])), encoding="utf-8")
    db = tmp_path / "dw.db"
    answers = {lapsed_domain: {"status": "unregistered"}}
    with (LocalInternet(scenario_from_dict(world, base_dir=tmp_path)) as net,
          WhoisServer(answers, default="registered") as whois):
        assert dw(db, "register", "import", str(register)).returncode == 0
        host, port = whois.address
        config = tmp_path / "dw.toml"
        config.write_text("[whois]\nmin_interval = 0.0\ntimeout = 1.0\nretries = 1\n")
        scanned = dw(db, "--config", str(config), "scan", "--resolver", net.resolver,
                     "--ca-file", str(net.ca_file), "--no-web", "--timeout", "1",
                     "--retries", "1", "--whois-server", f"{host}:{port}")
        asked = {query for _, query in whois.queries}
    assert scanned.returncode == 0, scanned.stderr
    assert "1 not asked (cloud services' own domains, delegated)" in scanned.stdout
    assert live_domain not in asked and lapsed_domain in asked
    found = {f["name"]: f for f in findings(db, "--rule", "unregistered.domain",
                                            "--format", "json")}
    assert set(found) == {lapsed.claimed, lapsed.unclaimed}
    assert {f["subject"] for f in found.values()} == {lapsed_domain}
