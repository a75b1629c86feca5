"""The delegations stage: the name servers, mail servers and cloud services the scanned
names depend on (:mod:`domainwatch.checks.delegation`).

For each name this run resolved: its zone's delegation at the parent (lame or missing
servers), its mail hosts' addresses, and, when its CNAME chain enters a service of the
takeover catalogue (:mod:`domainwatch.takeover`), whether the service answers as for an
unclaimed name. It hands on every name's dependencies for the registration stage: the
domains of its name servers (from the delegation too, when the name itself did not resolve),
mail hosts and CNAME targets.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from domainwatch.checks import CheckResult
from domainwatch.checks.delegation import check_mx, check_ns, check_service
from domainwatch.checks.registration import Dependency, dependencies
from domainwatch.names import registrable_domain
from domainwatch.probes.delegation import Delegation, HostAnswer, Resolve, check_delegation
from domainwatch.probes.dns import DNSObservation, DNSProbe, HostLookups, ResolverConfig
from domainwatch.stages import Fingerprint, ScanContext
from domainwatch.store import utcnow
from domainwatch.takeover import (
    HttpAnswer,
    Service,
    fetch,
    load_services,
    match,
    needs_tls,
    page_title,
    services_for,
)

#: The observations this stage records: a zone's delegation (under the zone), a name's
#: mail hosts' answers and the pages its cloud service answered (under the name).
DELEGATION_PROBE = "delegation"
MAIL_PROBE = "mail"
SERVICE_PROBE = "service"


async def check_delegations(context: ScanContext, probe: DNSProbe, config: ResolverConfig,
                            fingerprints: Mapping[str, Fingerprint | None]
                            ) -> dict[str, list[Dependency]]:
    """Judge the mail servers, delegations and services of the names in ``fingerprints``
    (None: a name that did not resolve); return each name's dependencies."""
    hosts_config = dataclasses.replace(config, record_types=("A", "AAAA"))
    async with DNSProbe(hosts_config) as host_probe:
        lookups = HostLookups(host_probe)

        async def resolve(host: str) -> HostAnswer:
            return host_answer(await lookups.observation(host))

        parents: dict[str, asyncio.Task[DNSObservation]] = {}

        async def parent_of(zone: str) -> DNSObservation:
            parent = zone.split(".", 1)[1] if "." in zone else "."
            if parent not in parents:
                parents[parent] = asyncio.ensure_future(probe.probe(parent))
            return await parents[parent]

        zones_of = {name: zones(name, fingerprint)
                    for name, fingerprint in fingerprints.items()}
        every_zone = sorted({zone for found in zones_of.values() for zone in found})
        delegations = dict(zip(every_zone, await asyncio.gather(
            *(_delegation(zone, parent_of, resolve, config.timeout) for zone in every_zone)),
            strict=True))
        mail_hosts = {name: [record.split()[-1] for record in (fingerprint or {}).get("mx", [])
                             if record.split()]
                      for name, fingerprint in fingerprints.items()}
        resolved = {host: await resolve(host)
                    for host in sorted({h for hosts in mail_hosts.values() for h in hosts})}
    needs = dependencies_of(fingerprints, {zone: delegation.ns
                                           for zone, delegation in delegations.items()})
    services = load_services()
    answers = {name: await _service_answers(name, fingerprint, services, config.timeout)
               for name, fingerprint in fingerprints.items() if fingerprint is not None}
    at = utcnow()
    with context.store.transaction():
        for zone, delegation in delegations.items():
            stored = delegation.as_dict()
            context.record(zone, DELEGATION_PROBE, stored, stored, at)
        for name, fingerprint in fingerprints.items():
            hosts = {host: {"addresses": resolved[host][0], "status": resolved[host][1]}
                     for host in mail_hosts[name]}
            if hosts:
                context.record(name, MAIL_PROBE, hosts, hosts, at)
            service = answers.get(name)
            if service is not None:
                context.record(name, SERVICE_PROBE, service_fingerprint(service, services),
                               service, at)
            result = judge_delegations(
                name, fingerprint, [delegations[zone].as_dict() for zone in zones_of[name]],
                hosts, service, services)
            context.reconcile(name, result, at)
    return needs


def judge_delegations(name: str, fingerprint: Fingerprint | None,
                      delegations: list[dict[str, Any]], mail_hosts: Mapping[str, Any],
                      service: dict[str, Any] | None, services: list[Service]) -> CheckResult:
    """``dangling.ns``, ``dangling.mx`` and ``dangling.service`` from what was stored: the
    delegations of the name's zones, its mail hosts' answers (``{host: {"addresses": …,
    "status": …}}``) and the pages its cloud service answered (None: its CNAME chain enters
    no service of the catalogue). ``fingerprint`` None: the name did not resolve."""
    result = check_ns(name, delegations)
    if fingerprint is None:
        return result
    mail = {host: (list(answer["addresses"]), answer["status"])
            for host, answer in mail_hosts.items()}
    targets = [record.split()[-1] for record in fingerprint.get("mx", []) if record.split()]
    if all(host in mail for host in targets):
        result.add(check_mx(name, fingerprint.get("mx", []), mail))
    chain = fingerprint.get("cname_chain", [])
    if service is None:
        if not services_for(chain, services):
            result.add(check_service(name, None))
        return result
    http, https = (_answer(service.get(scheme)) for scheme in ("http", "https"))
    if http is not None and http.error:
        return result  # a fetch that failed proves nothing
    result.add(check_service(name, match(chain, fingerprint.get("chain_end", "ok"), http,
                                         services, https)))
    return result


def dependencies_of(fingerprints: Mapping[str, Fingerprint | None],
                    name_servers: Mapping[str, list[str]]) -> dict[str, list[Dependency]]:
    """Each name's dependencies: from its fingerprint, and a name server known only from
    its zones' delegations (``name_servers``: zone → NS hosts; the name itself did not
    resolve, or its zone's NS set was not in the answer) all the same. A name that did not
    resolve and has none is left out: nothing about its registration can be judged."""
    needs: dict[str, list[Dependency]] = {}
    for name, fingerprint in fingerprints.items():
        found = dependencies(name, fingerprint) if fingerprint is not None else []
        known = {(need.domain, need.role) for need in found}
        extra = False
        for zone in zones(name, fingerprint):
            for host in name_servers.get(zone, []):
                domain = registrable_domain(host)
                if domain is not None and (domain, "name server") not in known:
                    known.add((domain, "name server"))
                    found.append(Dependency(domain, host, "name server"))
                    extra = True
        if fingerprint is not None or extra:
            needs[name] = found
    return needs


async def _service_answers(name: str, fingerprint: Fingerprint, services: list[Service],
                           timeout: float) -> dict[str, Any] | None:
    """What the name's cloud service answers, when its CNAME chain enters one of the
    catalogue: the page over HTTP, and over HTTPS for a service whose unclaimed answer is a
    failed TLS handshake (``{"http": …, "https": …}``, each an answer's stored form or
    None). None when it enters none."""
    chain = fingerprint.get("cname_chain", [])
    if not services_for(chain, services):
        return None
    addresses = fingerprint.get("a", []) + fingerprint.get("aaaa", [])
    if not addresses:
        return {"http": None, "https": None}
    http = await fetch(name, addresses[0], timeout=timeout)
    https = (await fetch(name, addresses[0], scheme="https", timeout=timeout)
             if http.error is None and needs_tls(chain, services) else None)
    return {"http": _stored(http), "https": _stored(https)}


def service_fingerprint(stored: dict[str, Any], services: list[Service]) -> dict[str, Any]:
    """What decides whether a cloud service's answers changed: what the catalogue's
    conditions read (status, failure, title, the headers they name), and the body with the
    runs of digits and hex a service varies per request (request ids, times) left out."""
    headers = {name for service in services for condition in (*service.conditions,
                                                               *service.negative)
               for name in condition.get("header") or {}}
    shape: dict[str, Any] = {}
    for scheme, answer in stored.items():
        if answer is None:
            shape[scheme] = None
            continue
        body = _VARYING.sub("#", answer["body"] or "")
        shape[scheme] = {
            "status": answer["status"], "error": answer["error"], "phase": answer["phase"],
            "title": page_title(body),
            "headers": {key.lower(): value for key, value in answer["headers"].items()
                        if key.lower() in headers},
            "body": hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()}
    return shape


_VARYING = re.compile(r"[0-9A-Fa-f][0-9A-Fa-f:.TZ-]{5,}")
_ANSWER_FIELDS = ("url", "address", "status", "headers", "body", "error", "truncated",
                  "encoding", "phase")


def _stored(answer: HttpAnswer | None) -> dict[str, Any] | None:
    return None if answer is None else {key: getattr(answer, key) for key in _ANSWER_FIELDS}


def _answer(stored: dict[str, Any] | None) -> HttpAnswer | None:
    return None if stored is None else HttpAnswer(**{key: stored.get(key)
                                                    for key in _ANSWER_FIELDS})


def zones(name: str, fingerprint: Fingerprint | None) -> list[str]:
    """The delegated zones a name depends on: its government's domain, and the name itself
    when it is a delegation of its own."""
    zones = []
    domain = registrable_domain(name)
    if domain is not None:
        zones.append(domain)
    if fingerprint and fingerprint.get("ns_owner") == name and name != domain:
        zones.append(name)
    return zones


async def _delegation(zone: str, parent_of: Callable[[str], Awaitable[DNSObservation]],
                      resolve: Resolve, timeout: float) -> Delegation:
    """The NS set of the zone's parent name is the one that holds the delegation."""
    above = await parent_of(zone)
    addresses = [address for host in above.ns for address in (await resolve(host))[0]]
    parent = above.ns_owner or above.name
    if not addresses:
        return Delegation(zone=zone, parent=parent, status="unknown",
                          detail=f"the servers of {parent} could not be found")
    return await check_delegation(zone, parent, addresses, resolve, timeout=timeout)


def host_answer(observation: DNSObservation) -> HostAnswer:
    """A host's addresses and how its lookup went: ``ok``, ``nxdomain``, ``no_address`` or
    the failure of a query that did not get an answer."""
    addresses = observation.a + observation.aaaa
    if addresses:
        return addresses, "ok"
    if observation.status == "unresolved":
        return [], next(iter(observation.failures().values()), "error")
    if observation.status == "nxdomain" or observation.chain_end == "nxdomain":
        return [], "nxdomain"
    return [], "no_address"
