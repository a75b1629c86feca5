"""Delegation probe: ask a zone's parent who serves it, then ask each of those servers
directly whether it does.

A lame delegation cannot be judged through a recursive resolver (it answers SERVFAIL and
hides why), so this probe walks it itself: the parent zone's servers (found through the
resolver) are asked for the zone's NS records without recursion, each NS host is resolved,
and each address is asked for the zone's SOA without recursion. Anything but an
authoritative SOA answer — REFUSED, SERVFAIL, a referral, silence — makes that server lame.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

from domainwatch.names import is_under

#: What resolving a host gave: its addresses, or why there are none
#: ("nxdomain", "no_address", or a failure such as "servfail" / "timeout").
HostAnswer = tuple[list[str], str]
Resolve = Callable[[str], Awaitable[HostAnswer]]


@dataclass
class ServerAnswer:
    host: str
    address: str | None
    outcome: str       # "authoritative", "refused", "servfail", "not_authoritative",
                       # "timeout", "error", or the host's resolution failure


@dataclass
class Delegation:
    zone: str
    parent: str
    status: str                      # "ok", "lame", "unknown" (the parent could not be asked)
    ns: list[str] = field(default_factory=list)
    servers: list[ServerAnswer] = field(default_factory=list)
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"zone": self.zone, "parent": self.parent, "status": self.status, "ns": self.ns,
                "servers": [vars(server) for server in self.servers], "detail": self.detail}


async def ask(address: str, name: str, rdtype: str, timeout: float,
              port: int = 53) -> dns.message.Message | str:
    """One non-recursive query; the answer, or why there is none."""
    query = dns.message.make_query(name, rdtype)
    query.flags &= ~dns.flags.RD
    try:
        answer, _ = await dns.asyncquery.udp_with_fallback(query, address, timeout=timeout,
                                                           port=port)
    except dns.exception.Timeout:
        return "timeout"
    except (dns.exception.DNSException, OSError) as error:
        return f"error: {error}"
    return answer


async def check_delegation(zone: str, parent: str, parent_servers: list[str], resolve: Resolve,
                           *, timeout: float = 2.0, port: int = 53) -> Delegation:
    """The delegation of ``zone`` as ``parent``'s servers (addresses) publish it."""
    result = Delegation(zone=zone, parent=parent, status="unknown")
    ns: list[str] = []
    glue: dict[str, list[str]] = {}
    for address in parent_servers:
        answer = await ask(address, zone, "NS", timeout, port)
        if isinstance(answer, str):
            result.detail = f"parent server {address}: {answer}"
            continue
        for section in (answer.answer, answer.authority):
            for rrset in section:
                if rrset.rdtype == dns.rdatatype.NS and rrset.name == dns.name.from_text(zone):
                    ns += [rdata.target.to_text(omit_final_dot=True).lower() for rdata in rrset]
        for rrset in answer.additional:
            if rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                host = rrset.name.to_text(omit_final_dot=True).lower()
                glue.setdefault(host, []).extend(rdata.address for rdata in rrset)
        if ns or answer.rcode() == dns.rcode.NXDOMAIN:
            break
    if not ns:
        if not result.detail:
            result.detail = f"{parent} publishes no delegation for {zone}"
        return result
    result.ns = sorted(set(ns))
    # A name server inside the zone it serves can only be found through the parent's glue.
    answers = await asyncio.gather(*(
        _glued(glue[host]) if host in glue and is_under(host, zone) else resolve(host)
        for host in result.ns))
    checks: list[Awaitable[ServerAnswer]] = []
    for host, (addresses, why) in zip(result.ns, answers, strict=True):
        if not addresses:
            result.servers.append(ServerAnswer(host, None, why))
        for address in addresses:
            checks.append(_check_server(zone, host, address, timeout, port))
    result.servers += await asyncio.gather(*checks)
    result.servers.sort(key=lambda server: (server.host, server.address or ""))
    result.status = ("ok" if all(s.outcome == "authoritative" for s in result.servers)
                     else "lame")
    return result


async def _glued(addresses: list[str]) -> HostAnswer:
    return sorted(set(addresses)), "ok"


async def _check_server(zone: str, host: str, address: str, timeout: float,
                        port: int) -> ServerAnswer:
    answer = await ask(address, zone, "SOA", timeout, port)
    if isinstance(answer, str):
        return ServerAnswer(host, address, "timeout" if answer == "timeout" else "error")
    rcode = answer.rcode()
    if rcode == dns.rcode.REFUSED:
        return ServerAnswer(host, address, "refused")
    if rcode != dns.rcode.NOERROR:
        return ServerAnswer(host, address, dns.rcode.to_text(rcode).lower())
    has_soa = any(rrset.rdtype == dns.rdatatype.SOA for rrset in answer.answer)
    if not (answer.flags & dns.flags.AA) or not has_soa:
        return ServerAnswer(host, address, "not_authoritative")
    return ServerAnswer(host, address, "authoritative")
