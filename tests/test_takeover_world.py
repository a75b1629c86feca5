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

from domainwatch.testnet import LocalInternet
from domainwatch.testnet.scenario import scenario_from_dict
from domainwatch.testnet.takeover_world import (
    Case,
    build_world,
    register_csv,
    register_rows,
    service_cases,
)
from tests.helpers import dw, findings


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
