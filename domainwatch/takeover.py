"""Cloud services behind a CNAME: the ``dangling.service`` rule, and which CNAME targets
``dangling.cname`` may judge less severely because nobody else can claim them.

A name CNAMEd into a hosting or storage service whose site, bucket or app was deleted
can be taken over by whoever creates one with the same name. The signatures are data
(``domainwatch/data/cloud-services.json``, a list of services):

``service``, ``provider``
    names for people.
``cname_suffixes``
    the service's customer endpoints a CNAME points at (``oss-*.aliyuncs.com``). A suffix
    is matched on label boundaries; a label may contain ``*`` (any characters within that
    one label: ``oss-*`` matches ``oss-cn-lanzhou``).
``cname_hosts``
    fixed host names every customer must CNAME to (``domains.tumblr.com``): the chain must
    pass through one of them exactly (not a name under it). An entry has suffixes, hosts or
    both; the chain *enters* the service when one of its targets is under a suffix or is a
    host.
``conditions``
    the service's "no such site" answer; any one condition that holds is a match. A
    condition is an object whose parts must all hold:

    - ``{"nxdomain": true}``, alone: the chain ended in NXDOMAIN at a target inside the
      service (the app or endpoint name itself is free again);
    - ``{"tls_error": true}`` or ``{"tls_error": "TEXT"}``, alone: the HTTPS request for the
      name failed in the TLS handshake (an alert, no certificate for the name), the error
      containing TEXT when given (in any case, ``_`` read as a space: OpenSSL's reason
      ``TLSV1_ALERT_INTERNAL_ERROR`` is the text ``tlsv1 alert internal error``);
    - an HTTP condition, from these parts, with at least one of ``body``, ``title`` or
      ``header`` (a status alone proves nothing):

      - ``"http_status": 404`` or ``[404, 410]``: the page's status (any, if absent);
      - ``"body": ["NoSuchBucket", ...]``: every text is in the body, case-sensitively;
      - ``"title": "TEXT"``: the page's ``<title>`` contains TEXT (case-sensitively);
      - ``"header": {"server": "Caddy", ...}``: each header (name in any case) is
        present and its value contains the text.
``negative``
    what rules a match out: a claimed resource or the service's generic error page. Each
    item is a body text, or an object of ``body``/``title``/``header``/``http_status``
    parts that must all hold.
``confidence``
    ``high`` | ``medium`` | ``low``.
``claimable``
    false for services whose names a stranger cannot re-create (the endpoint embeds the
    owner's account id or a random id, or the provider verifies domain ownership): such
    entries never match ``dangling.service``; a CNAME into them that no longer resolves
    is a ``dangling.cname`` of lower severity, saying why (:func:`unclaimable_service`).
``why_not_claimable``
    required when ``claimable`` is false, absent otherwise: the reason, for people.
``reference``
    where the fingerprint comes from.

:func:`match` is pure: a CNAME chain, how it ended and the HTTP answers in, a
:class:`ServiceMatch` or None out. A page alone never matches: the chain must enter the
service. The pages come from :func:`domainwatch.probes.http.fetch` (one address, the
customer's name as Host and SNI): ``answer`` over HTTP, ``tls_answer`` over HTTPS for the
services with ``tls_error`` conditions (:func:`needs_tls`).
"""

from __future__ import annotations

import fnmatch
import functools
import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domainwatch.names import is_under, registrable_domain
from domainwatch.probes.http import DEFAULT_MAX_BYTES, HttpAnswer, fetch

__all__ = ["DEFAULT_MAX_BYTES", "HttpAnswer", "Service", "ServiceDataError", "ServiceMatch",
           "catalogue", "catalogue_markdown", "fetch", "load_services", "match", "needs_tls",
           "page_title", "service_domains", "services_for", "unclaimable_service"]

SERVICES_FILE = Path(__file__).resolve().parent / "data" / "cloud-services.json"
CONFIDENCES = ("high", "medium", "low")
_SERVICE_KEYS = {"service", "provider", "cname_suffixes", "cname_hosts", "conditions",
                 "negative", "confidence", "claimable", "why_not_claimable", "reference"}
_REQUIRED_KEYS = {"service", "provider", "conditions", "confidence", "claimable", "reference"}
_PAGE_KEYS = {"http_status", "body", "title", "header"}
_LABEL = re.compile(r"^[a-z0-9*]([a-z0-9*_-]*[a-z0-9*])?$")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)


class ServiceDataError(ValueError):
    """The cloud-services data file is unreadable or an entry is malformed."""


@dataclass(frozen=True)
class Service:
    """One hosting service: claimable, or listed as not claimable by strangers."""

    name: str
    provider: str
    cname_suffixes: tuple[str, ...]
    conditions: tuple[dict[str, Any], ...]
    negative: tuple[dict[str, Any], ...]
    confidence: str
    claimable: bool
    reference: str
    cname_hosts: tuple[str, ...] = ()
    why_not_claimable: str = ""

    def entered_at(self, target: str) -> str | None:
        """The host ``target`` is, or the suffix it is equal to or under, if any."""
        name = _clean(target)
        if name in self.cname_hosts:
            return name
        for suffix in self.cname_suffixes:
            if _under(name, suffix):
                return suffix
        return None


@dataclass
class ServiceMatch:
    """A service whose "no such site" condition holds. ``evidence``: the chain, the
    target and suffix (or host) that entered the service, and what was seen: the status,
    the matched texts, title and headers, the TLS error, the address and URL asked."""

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


@functools.cache
def catalogue() -> list[Service]:
    """The packaged services, read once per process."""
    return load_services()


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
    why = entry.get("why_not_claimable")
    if entry["claimable"] and why is not None:
        raise ServiceDataError("why_not_claimable is only for services that are not claimable")
    if not entry["claimable"] and (not isinstance(why, str) or not why.strip()):
        raise ServiceDataError("a service that is not claimable needs why_not_claimable "
                               "(a non-empty string)")
    suffixes = tuple(_suffix(text) for text in
                     _strings(entry.get("cname_suffixes", []), "cname_suffixes"))
    hosts = tuple(_host(text) for text in _strings(entry.get("cname_hosts", []), "cname_hosts"))
    if not suffixes and not hosts:
        raise ServiceDataError("needs cname_suffixes or cname_hosts (the chain must enter "
                               "the service)")
    conditions = entry["conditions"]
    if not isinstance(conditions, list) or not conditions:
        raise ServiceDataError("conditions must be a non-empty list")
    negative = entry.get("negative", [])
    if not isinstance(negative, list):
        raise ServiceDataError("negative must be a list")
    return Service(
        name=entry["service"].strip(),
        provider=entry["provider"].strip(),
        cname_suffixes=suffixes,
        cname_hosts=hosts,
        conditions=tuple(_condition(item, n) for n, item in enumerate(conditions, 1)),
        negative=tuple(_negative(item, n) for n, item in enumerate(negative, 1)),
        confidence=entry["confidence"],
        claimable=entry["claimable"],
        why_not_claimable=(why or "").strip(),
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
    registrable = registrable_domain(suffix)  # below a public suffix such as com.cn or github.io
    if "*" in labels[-1] or "*" in labels[-2] or (registrable and "*" in registrable):
        raise ServiceDataError(f"cname suffix {text!r}: the registrable domain "
                               f"({registrable or '.'.join(labels[-2:])}) cannot hold a wildcard")
    return suffix


def _host(text: str) -> str:
    host = _clean(text)
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) and "*" not in label
                                  for label in labels):
        raise ServiceDataError(f"cname host {text!r} is not a host name of two or more "
                               "labels (no wildcards)")
    return host


def _condition(item: object, number: int) -> dict[str, Any]:
    where = f"condition {number}"
    if not isinstance(item, dict) or not item:
        raise ServiceDataError(f"{where} must be a non-empty object")
    if "nxdomain" in item:
        if item != {"nxdomain": True}:
            raise ServiceDataError(f'{where}: an NXDOMAIN condition is exactly {{"nxdomain": '
                                   "true}")
        return {"nxdomain": True}
    if "tls_error" in item:
        value = item["tls_error"]
        if len(item) != 1 or not (value is True or (isinstance(value, str) and value)):
            raise ServiceDataError(f'{where}: a TLS condition is exactly {{"tls_error": '
                                   'true}} or {"tls_error": "text of the error"}')
        return {"tls_error": value}
    unknown = sorted(set(item) - _PAGE_KEYS)
    if unknown:
        raise ServiceDataError(f"{where}: unknown keys {', '.join(unknown)}")
    condition = _page_parts(item, where)
    if not set(condition) - {"http_status"}:
        raise ServiceDataError(f"{where}: needs body, title or header besides http_status "
                               "(a status alone proves nothing)")
    return condition


def _negative(item: object, number: int) -> dict[str, Any]:
    where = f"negative {number}"
    if isinstance(item, str) and item:
        return {"body": [item]}
    if not isinstance(item, dict) or not item:
        raise ServiceDataError(f"{where} must be a body text or a non-empty object")
    unknown = sorted(set(item) - _PAGE_KEYS)
    if unknown:
        raise ServiceDataError(f"{where}: unknown keys {', '.join(unknown)}")
    return _page_parts(item, where)


def _page_parts(item: dict[str, Any], where: str) -> dict[str, Any]:
    parts: dict[str, Any] = {}
    if "http_status" in item:
        status = item["http_status"]
        statuses = status if isinstance(status, list) else [status]
        if not statuses or not all(isinstance(s, int) and not isinstance(s, bool)
                                   and 100 <= s <= 599 for s in statuses):
            raise ServiceDataError(f"{where}: http_status must be an HTTP status or a list "
                                   "of them")
        parts["http_status"] = status
    if "body" in item:
        body = _strings(item["body"], f"{where}: body")
        if not body:
            raise ServiceDataError(f"{where}: body must list at least one text")
        parts["body"] = body
    if "title" in item:
        if not isinstance(item["title"], str) or not item["title"]:
            raise ServiceDataError(f"{where}: title must be a non-empty string")
        parts["title"] = item["title"]
    if "header" in item:
        headers = item["header"]
        if not isinstance(headers, dict) or not headers or not all(
                isinstance(k, str) and k and isinstance(v, str) and v
                for k, v in headers.items()):
            raise ServiceDataError(f"{where}: header must map header names to non-empty "
                                   "texts their values contain")
        parts["header"] = {name.lower(): text for name, text in headers.items()}
    return parts


# --- matching ---------------------------------------------------------------------------


def _clean(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _under(name: str, suffix: str) -> bool:
    """``name`` equals ``suffix`` or lies under it, label by label (``*`` within a label)."""
    if "*" not in suffix:
        return is_under(name, suffix)
    pattern = suffix.split(".")
    labels = name.split(".")
    if len(labels) < len(pattern):
        return False
    tail = labels[len(labels) - len(pattern):]
    return all(fnmatch.fnmatchcase(label, want) for label, want in zip(tail, pattern,
                                                                           strict=True))


def services_for(cname_chain: list[str], services: list[Service]) -> list[Service]:
    """The services some target of the chain enters (a suffix it is under, or a host)."""
    return [s for s in services if any(s.entered_at(target) for target in cname_chain)]


def needs_tls(cname_chain: list[str], services: list[Service]) -> bool:
    """Whether a claimable service the chain enters has a ``tls_error`` condition, so the
    name's HTTPS answer should be fetched too."""
    return any(service.claimable and any("tls_error" in c for c in service.conditions)
               for service in services_for(cname_chain, services))


def service_domains(services: list[Service]) -> dict[str, Service]:
    """The registrable domains the services serve their customers from (``aliyuncs.com``
    for ``oss-*.aliyuncs.com``), each with the first service that uses it."""
    held: dict[str, Service] = {}
    for service in services:
        for suffix in (*service.cname_suffixes, *service.cname_hosts):
            domain = registrable_domain(suffix.replace("*", "x"))
            if domain is not None:
                held.setdefault(domain, service)
    return held


def catalogue_markdown(services: list[Service]) -> str:
    """The catalogue as a Markdown page for people (``docs/cloud-services.md``): every
    service, where its customers point, what its unclaimed answer is, whether a stranger
    can claim it and where the fingerprint comes from."""
    claimable = [s for s in services if s.claimable]
    lines = [
        "# Cloud services domainwatch knows",
        "",
        "Generated from `domainwatch/data/cloud-services.json` by `make docs`; do not edit.",
        f"{len(services)} services: {len(claimable)} claimable (`dangling.service` when the "
        "name's CNAME chain enters the service and the service gives its unclaimed answer), "
        f"{len(services) - len(claimable)} not claimable (a CNAME into them that no longer "
        "resolves is `dangling.cname`, medium, saying why nobody else can claim it).",
        "",
        "CNAME targets: the chain must pass through a name under a suffix (`*` stands for "
        "any characters within one label) or through a fixed host exactly. Unclaimed answer: "
        "the conditions, any one of which is a match (`+`: all of its parts), always with "
        "none of the service's negative answers.",
        "",
    ]
    for title, group in (("Claimable", claimable),
                         ("Not claimable", [s for s in services if not s.claimable])):
        lines += [f"## {title}", "",
                  "| service | provider | CNAME targets | unclaimed answer | confidence | "
                  + ("source |" if title == "Claimable" else "why not claimable | source |"),
                  "|---|---|---|---|---|---|" + ("" if title == "Claimable" else "---|")]
        for service in group:
            targets = [_code(suffix) for suffix in service.cname_suffixes]
            targets += [f"{_code(host)} (exactly)" for host in service.cname_hosts]
            cells = [_plain(service.name), _plain(service.provider), ", ".join(targets),
                     " *or* ".join(_described(c) for c in service.conditions),
                     _plain(service.confidence)]
            if not service.claimable:
                cells.append(_plain(service.why_not_claimable))
            cells.append(_plain(service.reference))
            lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _described(condition: dict[str, Any]) -> str:
    """One condition as Markdown: the service's texts in code spans, the rest plain."""
    if condition.get("nxdomain"):
        return "the target is NXDOMAIN"
    if "tls_error" in condition:
        wanted = condition["tls_error"]
        return "HTTPS handshake refused" + (f" ({_code(wanted)})" if isinstance(wanted, str)
                                            else "")
    parts = []
    if "http_status" in condition:
        statuses = condition["http_status"]
        parts.append("status " + "/".join(_plain(str(s)) for s in (
            statuses if isinstance(statuses, list) else [statuses])))
    if "title" in condition:
        parts.append(f"title {_code(condition['title'])}")
    parts += [_code(text) for text in condition.get("body", [])]
    parts += [f"header {_plain(name)}: {_code(value)}"
              for name, value in condition.get("header", {}).items()]
    return " + ".join(parts)


def _plain(text: str) -> str:
    """``text`` as Markdown table-cell text shown as it is: no HTML (``& < >`` escaped), no
    Markdown escape taken (``\\`` doubled) and no cell boundary (``|`` escaped)."""
    return html.escape(text, quote=False).replace("\\", "\\\\").replace("|", "\\|")


_PIPE = re.compile(r"(\\*)\|")
_BACKTICKS = re.compile(r"`+")


def _code(text: str) -> str:
    """``text`` as a Markdown code span inside a table cell. The fence is one backtick longer
    than the longest run of backticks inside, padded with a space on each side when the text
    starts or ends with a backtick (or with a space at both ends). Every pipe is escaped,
    code span or not, or it ends the cell; and since GitHub's table reader takes ``\\x`` as one
    escaped character, a pipe must follow an odd run of backslashes: an even run before a
    pipe (none, two …) gets one backslash, its escape, and is shown as it is; an odd run gets
    two and is shown with one backslash more, the only way to keep the cell whole."""
    text = re.sub(r"\s+", " ", text)
    text = _PIPE.sub(lambda found: found[1] + "\\" * (1 if len(found[1]) % 2 == 0 else 2)
                     + "|", text)
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    if text[:1] == "`" or text[-1:] == "`" or (text[:1] == text[-1:] == " " and text.strip()):
        text = f" {text} "
    return f"{fence}{text or ' '}{fence}"


def _cell(markdown: str) -> str:
    """A cell's Markdown (already escaped) on one line."""
    return " ".join(markdown.split())


def unclaimable_service(target: str, services: list[Service]) -> Service | None:
    """The first service listed as not claimable that ``target`` is inside, if any."""
    return next((s for s in services if not s.claimable and s.entered_at(target)), None)


def page_title(body: str) -> str:
    """The text of the page's first ``<title>``, entities decoded, blanks collapsed."""
    found = _TITLE.search(body)
    return " ".join(html.unescape(found.group(1)).split()) if found else ""


def match(cname_chain: list[str], chain_end: str, answer: HttpAnswer | None,
          services: list[Service], tls_answer: HttpAnswer | None = None
          ) -> ServiceMatch | None:
    """The first claimable service (in file order) the chain enters and whose condition
    holds, or None.

    ``cname_chain`` is the chain of CNAME targets (without the name itself), ``chain_end``
    how it ended (``ok``, ``nxdomain``, ...), ``answer`` the page fetched for the name over
    HTTP, ``tls_answer`` the one over HTTPS (only ``tls_error`` conditions read it). An
    NXDOMAIN condition needs ``chain_end == "nxdomain"`` and the last target inside the
    service; a TLS condition an HTTPS answer that failed in the handshake; an HTTP
    condition an answer without error whose status, body, title and headers hold. A
    negative that holds on the answer rules the service out.
    """
    chain = [_clean(target) for target in cname_chain]
    if not chain:
        return None
    for service in services_for(chain, services):
        if not service.claimable:
            continue
        if answer is not None and answer.error is None and any(
                _page_holds(negative, answer) for negative in service.negative):
            continue
        for condition in service.conditions:
            evidence = _holds(service, condition, chain, chain_end, answer, tls_answer)
            if evidence is not None:
                return ServiceMatch(service, condition, evidence)
    return None


def _holds(service: Service, condition: dict[str, Any], chain: list[str], chain_end: str,
           answer: HttpAnswer | None, tls_answer: HttpAnswer | None) -> dict[str, Any] | None:
    evidence: dict[str, Any] = {"cname_chain": chain, "chain_end": chain_end}
    if condition.get("nxdomain"):
        suffix = service.entered_at(chain[-1])
        if chain_end != "nxdomain" or suffix is None:
            return None
        return {**evidence, "target": chain[-1], "suffix": suffix}
    target, suffix = next((t, s) for t in chain if (s := service.entered_at(t)) is not None)
    evidence.update(target=target, suffix=suffix)
    if "tls_error" in condition:
        if tls_answer is None or tls_answer.phase != "tls" or not tls_answer.error:
            return None
        wanted = condition["tls_error"]
        if isinstance(wanted, str) and _tls_words(wanted) not in _tls_words(tls_answer.error):
            return None
        return {**evidence, "tls_error": tls_answer.error, "address": tls_answer.address,
                "url": tls_answer.url}
    if answer is None or answer.error is not None or answer.status is None:
        return None
    if not _page_holds(condition, answer):
        return None
    seen: dict[str, Any] = {"status": answer.status, "address": answer.address,
                            "url": answer.url}
    if "body" in condition:
        seen["matched"] = list(condition["body"])
    if "title" in condition:
        seen["title"] = page_title(answer.body)
    if "header" in condition:
        seen["headers"] = {name: _header(answer, name) for name in condition["header"]}
    return {**evidence, **seen}


def _tls_words(text: str) -> str:
    """OpenSSL's reason code and its text as the same words: ``TLSV1_ALERT_INTERNAL_ERROR``
    and ``tlsv1 alert internal error``."""
    return " ".join(text.lower().replace("_", " ").split())


def _header(answer: HttpAnswer, name: str) -> str | None:
    return next((value for key, value in answer.headers.items() if key.lower() == name),
                None)


def _page_holds(parts: dict[str, Any], answer: HttpAnswer) -> bool:
    """Every part (status, body texts, title, headers) holds on ``answer``."""
    if "http_status" in parts:
        status = parts["http_status"]
        if answer.status not in (status if isinstance(status, list) else [status]):
            return False
    if not all(text in answer.body for text in parts.get("body", [])):
        return False
    if "title" in parts and parts["title"] not in page_title(answer.body):
        return False
    for name, text in parts.get("header", {}).items():
        value = _header(answer, name)
        if value is None or text not in value:
            return False
    return True
