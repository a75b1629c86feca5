"""Discovering names: zone files, zone transfers (AXFR) and certificate-transparency exports.

A source is read whole into a :class:`SourceSnapshot` before anything is stored, so a bad
file or a transfer that breaks off half-way changes nothing. Discovered names are kept apart
from the register (see ``store.record_source``); they reach it only when accepted.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.exception
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.xfr
import dns.zone

from domainwatch import clock
from domainwatch.names import InvalidName, normalize_name
from domainwatch.settings import TsigKey

ZONE = "zone"
CT = "ct"
CT_LABEL = "certificate transparency"


class DiscoveryError(Exception):
    """A source that could not be read: the message says what and where."""


class TransferFailed(DiscoveryError):
    """A zone transfer that was refused, broke off or got no answer."""


@dataclass
class SourceSnapshot:
    """Everything one source says now.

    ``names`` maps each discovered name to what the source knows of it: record types for a
    zone (and its ``role`` when it is the zone's apex, one of its name servers or mail
    servers: infrastructure, not a site), certificate dates and issuer for a CT export.
    ``wildcards`` are wildcard owners (``*.x.gov.cn``) or wildcard certificate names;
    ``skipped`` are owner names that are not host names (``_dmarc``) or not names at all.
    """

    kind: str
    label: str
    via: str
    origin: str | None = None
    serial: int | None = None
    names: dict[str, dict[str, Any]] = field(default_factory=dict)
    wildcards: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def read_zone_file(path: Path, origin: str | None = None) -> SourceSnapshot:
    """A BIND-format zone file; ``origin`` is needed when the file has no ``$ORIGIN``."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DiscoveryError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DiscoveryError(f"{path}: cannot read: {error}") from None
    zone_origin = None
    if origin is not None:
        try:
            zone_origin = normalize_name(origin) + "."
        except InvalidName as error:
            raise DiscoveryError(f"--origin {origin!r}: {error}") from None
    try:
        zone = dns.zone.from_text(text, origin=zone_origin, relativize=False,
                                  filename=str(path), allow_include=False)
    except dns.zone.UnknownOrigin:
        raise DiscoveryError(f"{path}: the file has no $ORIGIN; give the zone with "
                             "--origin ZONE") from None
    except dns.zone.NoSOA:
        raise DiscoveryError(f"{path}: the zone has no SOA record at its origin") from None
    except dns.zone.NoNS:
        raise DiscoveryError(f"{path}: the zone has no NS records at its origin") from None
    except dns.exception.SyntaxError as error:
        raise DiscoveryError(f"{error}") from None
    except dns.exception.DNSException as error:
        raise DiscoveryError(f"{path}: not a valid zone file: {error}") from None
    return _snapshot_of_zone(zone, via=f"file {path.name}")


def transfer_zone(origin: str, server: tuple[str, int], *, timeout: float = 10.0,
                  tsig: TsigKey | None = None) -> SourceSnapshot:
    """The whole zone by AXFR from ``server``; raises DiscoveryError with the reason."""
    try:
        zone_name = normalize_name(origin)
    except InvalidName as error:
        raise DiscoveryError(f"zone {origin!r}: {error}") from None
    host, port = server
    where = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"
    zone = dns.zone.Zone(zone_name + ".", relativize=False)
    keyring = keyname = None
    algorithm = "hmac-sha256"
    if tsig is not None:
        keyring, keyname, algorithm = _keyring(tsig)
    query, _ = dns.xfr.make_query(zone, serial=None, keyring=keyring, keyname=keyname,
                                  keyalgorithm=algorithm)
    try:
        dns.query.inbound_xfr(host, zone, query=query, port=port, timeout=timeout,
                              lifetime=timeout * 6)
    except dns.xfr.TransferError as error:
        rcode = dns.rcode.to_text(error.rcode)
        hint = "" if tsig else "; if the server wants a TSIG key, set [tsig] in the config file"
        raise TransferFailed(f"zone transfer of {zone_name} from {where} refused ({rcode})"
                             f"{hint}") from None
    except dns.tsig.PeerBadKey:
        raise TransferFailed(f"zone transfer of {zone_name} from {where}: the server does not "
                             f"know the TSIG key {tsig.name if tsig else ''!r} (BADKEY); for "
                             "a zone open to unsigned transfers use --no-tsig") from None
    except dns.tsig.PeerBadSignature:
        raise TransferFailed(f"zone transfer of {zone_name} from {where}: the TSIG secret does "
                             "not match the server's (BADSIG)") from None
    except dns.exception.Timeout:
        raise TransferFailed(f"zone transfer of {zone_name} from {where}: no answer within "
                             f"{timeout:g}s") from None
    except (dns.exception.DNSException, EOFError, ConnectionError) as error:
        reason = str(error) or type(error).__name__
        raise TransferFailed(f"zone transfer of {zone_name} from {where} failed: {reason}; "
                             "nothing was changed") from None
    except OSError as error:
        raise TransferFailed(f"zone transfer of {zone_name} from {where}: "
                             f"{error.strerror or error}") from None
    try:
        zone.check_origin()
    except dns.exception.DNSException as error:
        raise TransferFailed(f"zone transfer of {zone_name} from {where} is incomplete: "
                             f"{error}; nothing was changed") from None
    return _snapshot_of_zone(zone, via=f"AXFR from {where}")


def _keyring(tsig: TsigKey) -> tuple[Any, dns.name.Name, str]:
    secret = tsig.secret.reveal()
    try:
        base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        raise DiscoveryError(f"TSIG key {tsig.name}: the secret is not valid base64") from None
    keyring = dns.tsigkeyring.from_text({tsig.name: (tsig.algorithm, secret)})
    return keyring, dns.name.from_text(tsig.name), tsig.algorithm


def _snapshot_of_zone(zone: dns.zone.Zone, via: str) -> SourceSnapshot:
    origin = zone.origin.to_text(omit_final_dot=True).lower()
    soa = zone.get_rdataset(zone.origin, "SOA")
    snapshot = SourceSnapshot(kind=ZONE, label=origin, via=via, origin=origin,
                              serial=soa[0].serial if soa else None)
    delegations = [owner for owner, node in zone.nodes.items()
                   if owner != zone.origin and node.get_rdataset(dns.rdataclass.IN,
                                                                  dns.rdatatype.NS)]
    roles = {zone.origin: "zone apex"}
    for _owner, rdataset in zone.iterate_rdatasets():
        for rdata in rdataset:
            if rdataset.rdtype == dns.rdatatype.MX:
                roles.setdefault(rdata.exchange, "mail server")
            elif rdataset.rdtype == dns.rdatatype.NS:
                roles.setdefault(rdata.target, "name server")
    for owner, node in zone.nodes.items():
        if any(owner.is_subdomain(cut) and owner != cut for cut in delegations):
            continue  # glue: the delegated zone's data, not this zone's
        text = owner.to_text(omit_final_dot=True)
        types = sorted(dns.rdatatype.to_text(rdataset.rdtype) for rdataset in node.rdatasets)
        if text.startswith("*."):
            snapshot.wildcards.append(text.lower())
            continue
        try:
            name = normalize_name(text)
        except InvalidName:
            snapshot.skipped.append(text)
            continue
        snapshot.names[name] = {"types": types}
        if owner in roles:
            snapshot.names[name]["role"] = roles[owner]
    snapshot.wildcards.sort()
    return snapshot


def read_ct_export(path: Path) -> SourceSnapshot:
    """A crt.sh JSON export: an array of certificates whose ``name_value`` lists names."""
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise DiscoveryError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DiscoveryError(f"{path}: cannot read: {error}") from None
    except json.JSONDecodeError as error:
        raise DiscoveryError(f"{path}: not valid JSON: {error}") from None
    if not isinstance(document, list):
        raise DiscoveryError(f"{path}: expected a JSON array of certificates (crt.sh's "
                             "output=json format)")
    snapshot = SourceSnapshot(kind=CT, label=CT_LABEL, via=f"file {path.name}")
    problems: list[str] = []
    wildcards: set[str] = set()
    for number, item in enumerate(document, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("name_value"), str):
            problems.append(f"certificate {number}: no name_value")
            continue
        certificate = {
            "not_before": _ct_time(item.get("not_before")),
            "not_after": _ct_time(item.get("not_after")),
            "issuer": str(item.get("issuer_name") or ""),
            "crtsh_id": item.get("id"),
        }
        for raw in item["name_value"].split("\n"):
            raw = raw.strip()
            if not raw or "@" in raw:
                continue
            if raw.startswith("*."):
                wildcards.add(raw.lower())
                continue
            try:
                name = normalize_name(raw)
            except InvalidName:
                snapshot.skipped.append(raw)
                continue
            known = snapshot.names.get(name)
            if known is None or (certificate["not_before"] or "") > (known["not_before"] or ""):
                snapshot.names[name] = dict(certificate)
    if problems:
        raise DiscoveryError(f"{path}: " + "; ".join(problems[:10]))
    snapshot.wildcards = sorted(wildcards)
    return snapshot


def _ct_time(value: object) -> str | None:
    """crt.sh times are UTC without a zone; stored as our usual ISO-8601 with Z."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return clock.iso(clock.parse(value))
    except (ValueError, OverflowError):
        return None
