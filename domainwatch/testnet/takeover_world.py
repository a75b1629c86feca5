"""The takeover world: government names CNAMEd into the services of
``data/cloud-services.json``, for the ``dangling.service`` / ``dangling.cname`` tests
(``tests/test_takeover_world.py``) and the takeover benchmark (``bench/bench_takeover.py``).

Each service gets one :class:`Case`: a government name CNAMEd into it with the service's
"unclaimed" answer (or a target that no longer exists), a claimed control (the service
answering normally) and, for services judged by their page, a body-only control (the
unclaimed page served for a name that does not CNAME into the service). Every name lies
in :data:`ZONE`, every site on :data:`SITE` (127.20.150.0/24: :data:`NETWORK`).

:func:`build_world` returns the scenario document (``scenario_from_dict``); ``extra``
adds CNAMEs from names of the zone to hosts outside the catalogue (a vendor's site), each
answered by the claimed page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from domainwatch.names import registrable_domain
from domainwatch.takeover import Service, load_services

SITE = "127.20.150.10"
NETWORK = "127.20.150.0/24"
ZONE = "tko.gov.cn"
CLAIMED_PAGE = ("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                "<title>测试市政府信息公开</title></head><body><h1>测试市政府信息公开</h1>"
                "<p>2026年政府工作报告</p></body></html>")
REGISTER_HEADER = "name,owner,parent,state,site_code,networks,hosts,note"
OWNER = "测试市数据局"


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
    def by_tls(self) -> bool:
        """Judged by a refused HTTPS handshake (a claimable service with a ``tls_error``
        condition and none on the page): the unclaimed and body-only names are served
        with no certificate, so nginx refuses their handshakes."""
        return (self.service.claimable and self.page_condition is None
                and any("tls_error" in c for c in self.service.conditions))

    @property
    def by_nxdomain(self) -> bool:
        """Judged by its target's NXDOMAIN (not claimable, or no page or TLS condition): no
        body-only control, and the unclaimed target does not resolve."""
        return not self.service.claimable or (self.page_condition is None
                                              and not self.by_tls)

    @property
    def names(self) -> list[str]:
        """The case's names in the world: unclaimed, claimed and (judged by the page)
        body-only."""
        return [self.unclaimed, self.claimed] + ([] if self.by_nxdomain else [self.body_only])

    @property
    def expects_service(self) -> bool:
        """The unclaimed name must raise ``dangling.service``."""
        return self.service.claimable

    @property
    def expects_cname(self) -> bool:
        """The unclaimed name must raise ``dangling.cname`` (its target is gone)."""
        return self.by_nxdomain and self.unclaimed_target != self.claimed_target


def service_target(service: Service, label: str) -> str:
    """A fixed host of the service (shared by all its customers), else a name of its own
    under the first suffix. A service judged by NXDOMAIN gets a name of its own when it
    has suffixes: a shared host does not vanish with one customer."""
    by_page = service.claimable and any("nxdomain" not in c for c in service.conditions)
    if service.cname_hosts and (by_page or not service.cname_suffixes):
        return service.cname_hosts[0]
    return f"{label}." + service.cname_suffixes[0].replace("*", "x1")


def service_cases(services: Iterable[Service] | None = None) -> list[Case]:
    """One :class:`Case` per service (default: every service of the catalogue)."""
    cases = []
    for service in load_services() if services is None else services:
        slug = re.sub(r"[^a-z0-9]+", "-", service.name.lower()).strip("-")[:40].strip("-")
        cases.append(Case(service, slug, service_target(service, f"{slug}-gone"),
                          service_target(service, f"{slug}-live")))
    return cases


def unclaimed_site(case: Case, condition: Mapping[str, Any]) -> dict[str, Any]:
    """The web site answering the unclaimed and body-only names with ``condition``'s
    status, title, body texts and headers."""
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


def _domain(host: str) -> str:
    domain = registrable_domain(host)
    assert domain is not None, host
    return domain


def build_world(cases: Iterable[Case], extra: Mapping[str, str] | None = None
                   ) -> dict[str, Any]:
    """The scenario document of ``cases`` (``scenario_from_dict``); ``extra`` maps more
    names of :data:`ZONE` to the hosts they CNAME to, each resolving to :data:`SITE` and
    serving the claimed page.

    Every target's registrable domain (the service's, the vendor's) is a zone of its own,
    delegated from its TLD, as on the internet: a deleted app's name is NXDOMAIN from the
    service's own servers."""
    records: dict[str, list[str]] = {}
    city = []
    sites = []
    for case in cases:
        city.append(f"{case.unclaimed}. CNAME {case.unclaimed_target}.")
        city.append(f"{case.claimed}. CNAME {case.claimed_target}.")
        records.setdefault(_domain(case.unclaimed_target), [])
        records.setdefault(_domain(case.claimed_target), []).append(
            f"{case.claimed_target}. A {SITE}")
        sites.append({"address": SITE, "names": [case.claimed], "body": CLAIMED_PAGE})
        condition = case.page_condition
        if case.by_nxdomain:
            continue
        if case.by_tls:
            city.append(f"{case.body_only}. A {SITE}")
            sites.append({"address": SITE, "names": [case.unclaimed, case.body_only],
                          "http": False, "certificate": {"issuer": "none"}})
            continue
        assert condition is not None
        if case.unclaimed_target != case.claimed_target:
            records[_domain(case.unclaimed_target)].append(f"{case.unclaimed_target}. A {SITE}")
        city.append(f"{case.body_only}. A {SITE}")
        sites.append(unclaimed_site(case, condition))
    for name, target in (extra or {}).items():
        city.append(f"{name}. CNAME {target}.")
        records.setdefault(_domain(target), []).append(f"{target}. A {SITE}")
        sites.append({"address": SITE, "names": [name], "body": CLAIMED_PAGE})
    zones: list[dict[str, Any]] = [{"origin": ".", "server": "root"},
                                   {"origin": "gov.cn", "server": "cnnic"},
                                   {"origin": ZONE, "server": "city", "records": "\n".join(city)}]
    suffixes = {domain.split(".", 1)[1] for domain in records}
    for suffix in sorted(suffixes | {"cn"}):
        zones.append({"origin": suffix, "server": "cnnic" if suffix.endswith("cn") else "tld"})
    for domain, lines in sorted(records.items()):
        zones.append({"origin": domain, "server": "cloud",
                      "records": "\n".join(sorted(set(lines)))})
    return {"server": {"root": {}, "cnnic": {}, "city": {}, "tld": {}, "cloud": {}},
            "zone": zones, "site": sites}


def register_rows(cases: Iterable[Case], *, existing_only: bool = False
                  ) -> list[tuple[str, str]]:
    """``(name, note)`` of every name of ``cases`` (the note: its service's slug): the
    unclaimed, claimed and body-only names, or with ``existing_only`` only those the world
    has (:attr:`Case.names`)."""
    return [(name, case.slug) for case in cases for name in
            (case.names if existing_only else [case.unclaimed, case.claimed, case.body_only])]


def register_csv(rows: Iterable[tuple[str, str]]) -> str:
    """A register (CSV text) of ``(name, note)`` rows: every name active, owned by
    :data:`OWNER`, on :data:`NETWORK`."""
    lines = [REGISTER_HEADER]
    lines += [f"{name},{OWNER},,active,,{NETWORK},,{note}" for name, note in rows]
    return "\n".join(lines) + "\n"
