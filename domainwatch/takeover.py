"""Claimable cloud services behind a CNAME (the ``dangling.service`` rule).

A name CNAMEd into a hosting or storage service whose site, bucket or app was deleted
can be taken over by whoever creates one with the same name. The signatures are data
(``domainwatch/data/cloud-services.json``, a list of services):

``service``, ``provider``
    names for people.
``cname_suffixes``
    the service's customer endpoints a CNAME points at (``oss-*.aliyuncs.com``). A suffix
    is matched on label boundaries; a label may contain ``*`` (any characters within that
    one label: ``oss-*`` matches ``oss-cn-lanzhou``).
``conditions``
    any of ``{"nxdomain": true}`` (the CNAME target inside the service does not exist) or
    ``{"http_status": 404, "body": ["NoSuchBucket", ...]}`` (the page fetched with the
    customer's name as Host has that status — an integer or a list of them — and contains
    every body string, case-sensitively).
``negative``
    texts that rule a match out (the page says the bucket exists but is private).
``confidence``
    ``high`` | ``medium`` | ``low``.
``claimable``
    false for services that say "not found" but cannot be claimed by a stranger (the
    endpoint embeds the owner's account id, or the provider verifies domain ownership);
    such services never match, they are listed so nobody adds them again by mistake.
``reference``
    where the fingerprint comes from.

:func:`match` is pure: a CNAME chain, how it ended and at most one HTTP answer in,
a :class:`ServiceMatch` or None out. A body string alone never matches: the chain must
enter one of the service's suffixes. The page comes from
:func:`domainwatch.probes.http.fetch` (one address, the customer's name as Host and SNI).
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domainwatch.probes.http import DEFAULT_MAX_BYTES, HttpAnswer, fetch

__all__ = ["DEFAULT_MAX_BYTES", "HttpAnswer", "Service", "ServiceDataError", "ServiceMatch",
           "fetch", "load_services", "match", "services_for"]

SERVICES_FILE = Path(__file__).resolve().parent / "data" / "cloud-services.json"
CONFIDENCES = ("high", "medium", "low")
_SERVICE_KEYS = {"service", "provider", "cname_suffixes", "conditions", "negative",
                 "confidence", "claimable", "reference"}
_REQUIRED_KEYS = _SERVICE_KEYS - {"negative"}
_LABEL = re.compile(r"^[a-z0-9*]([a-z0-9*-]*[a-z0-9*])?$")


class ServiceDataError(ValueError):
    """The cloud-services data file is unreadable or an entry is malformed."""


@dataclass(frozen=True)
class Service:
    """One claimable (or explicitly non-claimable) hosting service."""

    name: str
    provider: str
    cname_suffixes: tuple[str, ...]
    conditions: tuple[dict[str, Any], ...]
    negative: tuple[str, ...]
    confidence: str
    claimable: bool
    reference: str

    def entered_at(self, target: str) -> str | None:
        """The suffix ``target`` is equal to or under, if any."""
        name = _clean(target)
        for suffix in self.cname_suffixes:
            if _under(name, suffix):
                return suffix
        return None


@dataclass
class ServiceMatch:
    """A service whose "no such site" condition holds. ``evidence``: the chain, the
    target and suffix that entered the service, the status, the matched texts, the
    address and URL asked."""

    service: Service
    condition: dict[str, Any]
    evidence: dict[str, Any] = field(default_factory=dict)


# --- the data file ----------------------------------------------------------------------


def load_services(path: Path | None = None) -> list[Service]:
    """Read and validate the services file (default: the packaged cloud-services.json)."""
    source = path or SERVICES_FILE
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ServiceDataError(f"cannot read {source}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ServiceDataError(f"{source.name}: invalid JSON: {exc}") from exc
    if not isinstance(data, list):
        raise ServiceDataError(f"{source.name}: must be a JSON list of services")
    services: list[Service] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(data, start=1):
        label = f"entry {index}"
        if isinstance(entry, dict) and isinstance(entry.get("service"), str):
            label += f" ({entry['service']})"
        try:
            service = _service(entry)
        except ServiceDataError as exc:
            raise ServiceDataError(f"{source.name}: {label}: {exc}") from None
        if service.name in seen:
            raise ServiceDataError(f"{source.name}: {label}: service name already used by "
                                   f"entry {seen[service.name]}")
        seen[service.name] = index
        services.append(service)
    return services


def _service(entry: object) -> Service:
    if not isinstance(entry, dict):
        raise ServiceDataError("must be an object")
    unknown = sorted(set(entry) - _SERVICE_KEYS)
    if unknown:
        raise ServiceDataError(f"unknown keys {', '.join(unknown)}")
    missing = sorted(_REQUIRED_KEYS - set(entry))
    if missing:
        raise ServiceDataError(f"missing {', '.join(missing)}")
    for key in ("service", "provider", "reference"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise ServiceDataError(f"{key} must be a non-empty string")
    if entry["confidence"] not in CONFIDENCES:
        raise ServiceDataError(f"confidence {entry['confidence']!r} is not one of "
                               f"{', '.join(CONFIDENCES)}")
    if not isinstance(entry["claimable"], bool):
        raise ServiceDataError("claimable must be true or false")
    suffixes = _strings(entry["cname_suffixes"], "cname_suffixes")
    if not suffixes:
        raise ServiceDataError("cname_suffixes must not be empty")
    cleaned = tuple(_suffix(text) for text in suffixes)
    conditions = entry["conditions"]
    if not isinstance(conditions, list) or not conditions:
        raise ServiceDataError("conditions must be a non-empty list")
    return Service(
        name=entry["service"].strip(),
        provider=entry["provider"].strip(),
        cname_suffixes=cleaned,
        conditions=tuple(_condition(item, n) for n, item in enumerate(conditions, 1)),
        negative=tuple(_strings(entry.get("negative", []), "negative")),
        confidence=entry["confidence"],
        claimable=entry["claimable"],
        reference=entry["reference"].strip(),
    )


def _strings(value: object, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ServiceDataError(f"{key} must be a list of non-empty strings")
    return list(value)


def _suffix(text: str) -> str:
    suffix = _clean(text)
    labels = suffix.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ServiceDataError(f"cname suffix {text!r} is not a domain name of two or more "
                               "labels (letters, digits, -, * within a label)")
    if "*" in labels[-1] or "*" in labels[-2]:
        raise ServiceDataError(f"cname suffix {text!r}: the registrable domain cannot "
                               "hold a wildcard")
    return suffix


def _condition(item: object, number: int) -> dict[str, Any]:
    where = f"condition {number}"
    if not isinstance(item, dict) or not item:
        raise ServiceDataError(f"{where} must be a non-empty object")
    if "nxdomain" in item:
        if item != {"nxdomain": True}:
            raise ServiceDataError(f'{where}: an NXDOMAIN condition is exactly {{"nxdomain": '
                                   "true}")
        return {"nxdomain": True}
    unknown = sorted(set(item) - {"http_status", "body"})
    if unknown:
        raise ServiceDataError(f"{where}: unknown keys {', '.join(unknown)}")
    status = item.get("http_status")
    statuses = status if isinstance(status, list) else [status]
    if not statuses or not all(
        isinstance(s, int) and not isinstance(s, bool) and 100 <= s <= 599 for s in statuses
    ):
        raise ServiceDataError(f"{where}: http_status must be an HTTP status or a list of them")
    body = _strings(item.get("body"), f"{where}: body")
    if not body:
        raise ServiceDataError(f"{where}: body must list at least one text (a status alone "
                               "proves nothing)")
    return {"http_status": status, "body": body}


# --- matching ---------------------------------------------------------------------------


def _clean(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _under(name: str, suffix: str) -> bool:
    """``name`` equals ``suffix`` or lies under it, label by label (``*`` within a label)."""
    if "*" not in suffix:
        return name == suffix or name.endswith("." + suffix)
    pattern = suffix.split(".")
    labels = name.split(".")
    if len(labels) < len(pattern):
        return False
    tail = labels[len(labels) - len(pattern):]
    return all(fnmatch.fnmatchcase(label, want) for label, want in zip(tail, pattern,
                                                                           strict=True))


def services_for(cname_chain: list[str], services: list[Service]) -> list[Service]:
    """The services whose suffixes some target of the chain is equal to or under."""
    return [s for s in services if any(s.entered_at(target) for target in cname_chain)]


def _statuses(condition: dict[str, Any]) -> list[int]:
    status = condition["http_status"]
    return list(status) if isinstance(status, list) else [status]


def match(cname_chain: list[str], chain_end: str, answer: HttpAnswer | None,
          services: list[Service]) -> ServiceMatch | None:
    """The first claimable service (in file order) the chain enters and whose condition
    holds, or None.

    ``cname_chain`` is the chain of CNAME targets (without the name itself), ``chain_end``
    how it ended (``ok``, ``nxdomain``, ...), ``answer`` the page fetched for the name.
    An NXDOMAIN condition needs ``chain_end == "nxdomain"`` and the last target inside
    the service; an HTTP condition needs an answer without error, one of its statuses
    and every body text. Any negative text in the body rules the service out.
    """
    chain = [_clean(target) for target in cname_chain]
    if not chain:
        return None
    body = answer.body if answer is not None else ""
    for service in services_for(chain, services):
        if not service.claimable:
            continue
        if any(text in body for text in service.negative):
            continue
        for condition in service.conditions:
            evidence = _holds(service, condition, chain, chain_end, answer)
            if evidence is not None:
                return ServiceMatch(service, condition, evidence)
    return None


def _holds(service: Service, condition: dict[str, Any], chain: list[str], chain_end: str,
           answer: HttpAnswer | None) -> dict[str, Any] | None:
    evidence: dict[str, Any] = {"cname_chain": chain, "chain_end": chain_end}
    if condition.get("nxdomain"):
        suffix = service.entered_at(chain[-1])
        if chain_end != "nxdomain" or suffix is None:
            return None
        return {**evidence, "target": chain[-1], "suffix": suffix}
    if answer is None or answer.error is not None or answer.status is None:
        return None
    if answer.status not in _statuses(condition):
        return None
    if not all(text in answer.body for text in condition["body"]):
        return None
    target, suffix = next((t, s) for t in chain if (s := service.entered_at(t)) is not None)
    return {**evidence, "target": target, "suffix": suffix, "status": answer.status,
            "matched": list(condition["body"]), "address": answer.address,
            "url": answer.url}
