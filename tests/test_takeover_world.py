"""dangling.service and dangling.cname end to end: the CLI scanning a takeover world built
from the service catalogue. Each service gets one government name CNAMEd into it with the
service's "unclaimed" answer (or a target that no longer exists), a claimed control (the
service answering normally) and, for services judged by their page, a body-only control
(the unclaimed page served for a name that does not CNAME into the service). The world is
on 127.20.150.0/24 (every site on .10)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from domainwatch.takeover import Service, load_services
from domainwatch.testnet import LocalInternet
from domainwatch.testnet.scenario import scenario_from_dict
from tests.helpers import dw, findings

SITE = "127.20.150.10"
ZONE = "tko.gov.cn"
CLAIMED_PAGE = ("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                "<title>测试市政府信息公开</title></head><body><h1>测试市政府信息公开</h1>"
                "<p>2026年政府工作报告</p></body></html>")


@dataclass
class Case:
    """One service's names in the world and the CNAME targets they point at."""

    service: Service
    slug: str
    unclaimed_target: str
    claimed_target: str

    @property
    def unclaimed(self) -> str:
        return f"{self.slug}.{ZONE}"

    @property
    def claimed(self) -> str:
        return f"{self.slug}-ok.{ZONE}"

    @property
    def body_only(self) -> str:
        return f"{self.slug}-body.{ZONE}"

    @property
    def page_condition(self) -> dict[str, Any] | None:
        """The first condition judged on the page, if the service is judged by its page."""
        return next((c for c in self.service.conditions if "nxdomain" not in c
                     and "tls_error" not in c), None)

    @property
    def by_nxdomain(self) -> bool:
        return not self.service.claimable or self.page_condition is None


def _target(service: Service, label: str) -> str:
    """A fixed host of the service (shared by all its customers), else a name of its own
    under the first suffix. A service judged by NXDOMAIN gets a name of its own when it
    has suffixes: a shared host does not vanish with one customer."""
    by_page = service.claimable and any("nxdomain" not in c for c in service.conditions)
    if service.cname_hosts and (by_page or not service.cname_suffixes):
        return service.cname_hosts[0]
    return f"{label}." + service.cname_suffixes[0].replace("*", "x1")


def _cases() -> list[Case]:
    cases = []
    for service in load_services():
        slug = re.sub(r"[^a-z0-9]+", "-", service.name.lower()).strip("-")[:40].strip("-")
        cases.append(Case(service, slug, _target(service, f"{slug}-gone"),
                          _target(service, f"{slug}-live")))
    return cases


def _unclaimed_site(case: Case, condition: dict[str, Any]) -> dict[str, Any]:
    statuses = condition.get("http_status", 404)
    title = f"<title>{condition.get('title', 'Error')}</title>"
    site: dict[str, Any] = {
        "address": SITE, "names": [case.unclaimed, case.body_only],
        "status": statuses[0] if isinstance(statuses, list) else statuses,
        "body": f"<html><head>{title}</head><body><p>"
                + "</p><p>".join(condition.get("body", [])) + "</p></body></html>\n",
    }
    if condition.get("header"):
        site["headers"] = dict(condition["header"])
    return site


def _world(cases: list[Case]) -> dict[str, Any]:
    records: dict[str, list[str]] = {}
    city = []
    sites = []
    for case in cases:
        city.append(f"{case.unclaimed}. CNAME {case.unclaimed_target}.")
        city.append(f"{case.claimed}. CNAME {case.claimed_target}.")
        tld_of = case.claimed_target.rsplit(".", 1)[-1]
        records.setdefault(tld_of, []).append(f"{case.claimed_target}. A {SITE}")
        sites.append({"address": SITE, "names": [case.claimed], "body": CLAIMED_PAGE})
        condition = case.page_condition
        if case.by_nxdomain:
            continue
        assert condition is not None
        if case.unclaimed_target != case.claimed_target:
            records[tld_of].append(f"{case.unclaimed_target}. A {SITE}")
        city.append(f"{case.body_only}. A {SITE}")
        sites.append(_unclaimed_site(case, condition))
    zones: list[dict[str, Any]] = [{"origin": ".", "server": "root"},
                                   {"origin": "gov.cn", "server": "cnnic"},
                                   {"origin": ZONE, "server": "city", "records": "\n".join(city)}]
    for tld, lines in sorted(records.items()):
        server = "cnnic" if tld == "cn" else "tld"
        zones.append({"origin": tld, "server": server, "records": "\n".join(sorted(set(lines)))})
    if "cn" not in records:
        zones.append({"origin": "cn", "server": "cnnic"})
    return {"server": {"root": {}, "cnnic": {}, "city": {}, "tld": {}}, "zone": zones,
            "site": sites}


@dataclass
class Scanned:
    cases: list[Case]
    db: Path


@pytest.fixture(scope="module")
def takeover_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scanned]:
    directory = tmp_path_factory.mktemp("takeover")
    cases = _cases()
    register = directory / "register.csv"
    rows = ["name,owner,parent,state,site_code,networks,hosts,note"]
    for case in cases:
        for name in (case.unclaimed, case.claimed, case.body_only):
            rows.append(f"{name},测试市数据局,,active,,127.20.150.0/24,,{case.slug}")
    register.write_text("\n".join(rows) + "\n", encoding="utf-8")
    db = directory / "takeover.db"
    with LocalInternet(scenario_from_dict(_world(cases), base_dir=directory)) as net:
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
