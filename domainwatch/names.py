"""Names: normalisation to IDNA form, display in Unicode, and the government naming rules.

Every name domainwatch stores is lower-case, IDNA (punycode) form, without a trailing dot.
The naming rules come from the State Council General Office letter 国办函〔2018〕55号:
only ``.gov.cn`` and ``.政务`` for government sites, portals at ``www.<name>.gov.cn``,
departments at ``<dept>.<name>.gov.cn`` under their own government's domain. Which entries
are departments the register tells by their site code (网站标识码) and owner (主办单位).
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import idna
from publicsuffixlist import PublicSuffixList

MAX_NAME_OCTETS = 253
MAX_LABEL_OCTETS = 63

#: The ``.政务`` top-level domain in IDNA form.
ZHENGWU = "xn--zfr164b"
GOVERNMENT_SUFFIXES = ("gov.cn", ZHENGWU)

_LDH_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")

#: 省级行政区划代码: the first two digits of every administrative division code.
PROVINCE_CODES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
     "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
     "65", "71", "81", "82"}
)
_SITE_CODE = re.compile(r"^(?:(\d{6})\d{4}|bm\d{8})$")
#: 主办单位 that are a government itself: its portal's owner.
GOVERNMENT_OWNERS = ("人民政府", "政府办公厅", "政府办公室", "政府办", "行政公署",
                     "行政公署办公室")
#: 主办单位 that are one of a government's departments (after GOVERNMENT_OWNERS: 人民政府办公厅
#: ends in 厅 too).
DEPARTMENT_OWNERS = ("局", "委", "委员会", "办", "厅", "中心", "院", "所", "站", "队", "处", "室",
                     "馆")
#: 主办单位 of central bodies, which hold second-level domains of their own by right
#: (国家统计局 at stats.gov.cn).
CENTRAL_OWNERS = ("中华人民共和国", "中国", "国家", "国务院", "中央", "中共中央", "全国",
                  "最高人民")
#: The central government's portal: entries under it are central departments.
CENTRAL_PORTAL = "www.gov.cn"
_OWNER_NOTE = re.compile(r"[（(][^（）()]*[）)]$")


class InvalidName(ValueError):
    """A name that cannot be a fully qualified domain name."""


def normalize_name(text: str) -> str:
    """Return ``text`` as a stored name: lower-case IDNA, no trailing dot.

    Accepts Unicode (``酒泉.政务``), mixed case and one trailing dot. Raises
    :class:`InvalidName` with a message a user can act on.
    """
    raw = text.strip()
    if raw.endswith("."):
        raw = raw[:-1]
    if not raw:
        raise InvalidName("empty name")
    labels = raw.split(".")
    for position, label in enumerate(labels, start=1):
        if not label:
            raise InvalidName(f"empty label (label {position}) in {text.strip()!r}")
    encoded: list[str] = []
    for label in labels:
        if label.isascii():
            ascii_label = label.lower()
        else:
            try:
                ascii_label = idna.encode(label, uts46=True).decode("ascii")
            except idna.IDNAError as error:
                raise InvalidName(f"label {label!r} is not a valid internationalised label: "
                                  f"{error}") from None
        if len(ascii_label) > MAX_LABEL_OCTETS:
            raise InvalidName(f"label {label!r} is {len(ascii_label)} octets long "
                              f"(at most {MAX_LABEL_OCTETS})")
        if not _LDH_LABEL.match(ascii_label):
            bad = sorted({c for c in ascii_label if not (c.isalnum() or c == "-")})
            if bad:
                shown = " ".join(repr(c) for c in bad)
                raise InvalidName(f"label {label!r} contains characters not allowed in a "
                                  f"host name: {shown}")
            raise InvalidName(f"label {label!r} must not start or end with a hyphen")
        if ascii_label.startswith("xn--"):
            try:
                idna.decode(ascii_label)
            except idna.IDNAError:
                raise InvalidName(f"label {label!r} is not valid punycode") from None
        encoded.append(ascii_label)
    name = ".".join(encoded)
    if len(name) > MAX_NAME_OCTETS:
        raise InvalidName(f"name is {len(name)} octets long (at most {MAX_NAME_OCTETS})")
    return name


def display_name(name: str) -> str:
    """The name in Unicode where any label is punycode (``xn--bww729e.xn--zfr164b`` → 酒泉.政务)."""
    if "xn--" not in name:
        return name
    labels = []
    for label in name.split("."):
        if label.startswith("xn--"):
            with contextlib.suppress(idna.IDNAError):
                label = idna.decode(label)
        labels.append(label)
    return ".".join(labels)


def is_under(name: str, domain: str) -> bool:
    """True when ``name`` is ``domain`` or a sub-domain of it (label by label: ``xgov.cn`` is
    not under ``gov.cn``). Both are taken as they are: compare names of the same form."""
    return name == domain or name.endswith("." + domain)


def ascii_host(text: str) -> str:
    """The ASCII (IDNA) form of a host name to ask for on the wire (a DNS query, a Host
    header, SNI, a WHOIS query): surrounding space and trailing dots dropped, lower-case. An
    ASCII name is taken as it is (``_dmarc`` labels and all); a Unicode one goes through
    :func:`normalize_name` and raises :class:`InvalidName` (a ``ValueError``) when it cannot
    be a host name. ``""`` stays ``""``."""
    text = text.strip().rstrip(".")
    if text.isascii():
        return text.lower()
    return normalize_name(text)


@functools.lru_cache(maxsize=1024)
def url_host(url: str) -> str | None:
    """The host of ``url`` in lower-case ASCII without a trailing dot, or None when the URL
    has none or cannot be read. A Unicode host goes through Python's ``idna`` codec (IDNA
    2003, as lenient as a browser: ``a_b.酒泉`` and ``☃.com`` have hosts), not through
    :func:`normalize_name`: a link a browser follows must not be lost for a stricter rule."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".").lower()
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    return host


def government_suffix(name: str) -> str | None:
    """The government suffix (``gov.cn`` or ``.政务``) the name sits under, or None."""
    for suffix in GOVERNMENT_SUFFIXES:
        if name != suffix and is_under(name, suffix):
            return suffix
    return None


@functools.cache
def _suffix_list() -> PublicSuffixList:
    # Registration is about the ICANN section only: x.github.io is GitHub's github.io.
    return PublicSuffixList(only_icann=True)


@functools.lru_cache(maxsize=65_536)
def registrable_domain(name: str) -> str | None:
    """The name one level below its public suffix (``x.jiuquan.gov.cn`` → ``jiuquan.gov.cn``),
    from the Public Suffix List the ``publicsuffixlist`` package ships (never downloaded).

    None when the name is itself a public suffix (``gov.cn``, ``com.cn``, ``政务``).
    """
    result: str | None = _suffix_list().privatesuffix(name)
    return result


def is_public_suffix(name: str) -> bool:
    """True when ``name`` is itself a public suffix the list knows (``cn``, ``gov.cn``,
    ``com.cn``, ``政务``): no one holds it, so it is never a register entry."""
    return bool(_suffix_list().publicsuffix(name, accept_unknown=False) == name)


def site_code_problem(code: str) -> str | None:
    """Why ``code`` is not a valid 网站标识码, or None when it is."""
    match = _SITE_CODE.match(code)
    if not match:
        return (f"site code {code!r} must be 10 characters: a 6-digit division code and a "
                "4-digit serial (6209000001), or 'bm' and 8 digits for central departments")
    division = match.group(1)
    if division is not None and division[:2] not in PROVINCE_CODES:
        return f"site code {code!r} starts with {division[:2]!r}, which is no province's code"
    return None


def site_division(code: str) -> str | None:
    """The 6-digit administrative division code a local site code starts with (None for a
    central department's ``bm`` code, an empty or an invalid code)."""
    match = _SITE_CODE.match(code)
    return match.group(1) if match else None


def owner_kind(owner: str) -> str | None:
    """What a 主办单位 name says its site is: ``central`` (国家…, 中华人民共和国…: a central
    body), ``government`` (人民政府, 政府办公厅, 政府办公室…: the government's own portal),
    ``department`` (…局, …委员会, …办, …中心…), or None (empty, or a name that says
    neither). A note in brackets at the end is ignored."""
    text = _OWNER_NOTE.sub("", "".join(owner.split()))
    if not text:
        return None
    if text.startswith(CENTRAL_OWNERS):
        return "central"
    if text.endswith(GOVERNMENT_OWNERS):
        return "government"
    if text.endswith(DEPARTMENT_OWNERS):
        return "department"
    return None


def governments_by_division(entries: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The register's government portals by the division code of their site code: entries
    under ``gov.cn`` whose owner is a government. A division claimed by two different
    domains is left out (the register cannot tell which is the government's)."""
    found: dict[str, Mapping[str, Any]] = {}
    ambiguous: set[str] = set()
    for entry in entries:
        division = site_division(entry.get("site_code") or "")
        if (division is None or government_suffix(entry["name"]) != "gov.cn"
                or owner_kind(entry.get("owner") or "") != "government"):
            continue
        other = found.get(division)
        if other is not None and registrable_domain(other["name"]) != registrable_domain(
                entry["name"]):
            ambiguous.add(division)
        elif other is None or _is_portal_form(entry["name"], "gov.cn"):
            found[division] = entry
    return {division: entry for division, entry in found.items() if division not in ambiguous}


@dataclass(frozen=True)
class NamingProblem:
    """One way an entry breaks the naming rules; ``code`` is stable (the finding's subject)."""

    code: str
    severity: str
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)


def _is_portal_form(name: str, suffix: str) -> bool:
    labels = name[: -len(suffix) - 1].split(".")
    return len(labels) == 1 or (len(labels) == 2 and labels[0] == "www")


def naming_problems(name: str, parent: str | None, *, owner: str = "", site_code: str = "",
                    parent_site_code: str = "",
                    governments: Mapping[str, Mapping[str, Any]] | None = None,
                    ) -> list[NamingProblem]:
    """The naming-rule problems of a register entry ``name`` whose parent entry is ``parent``.

    A government's own portal (``www.<name>.gov.cn``) may sit under any parent: a city portal
    under the province. Anything else with a parent is a department and belongs under its
    parent government's domain. A site of that portal form is a department all the same (a
    department holding a second-level domain of its own) when its ``owner`` names a
    department, or, its owner saying nothing either way, when its ``site_code`` has the
    division code of its parent's (``parent_site_code``) or of a government in
    ``governments`` (:func:`governments_by_division`) at another domain. Central
    departments (``bm`` site codes, central owners, entries under www.gov.cn) hold their
    own domains by right; ``.政务`` names are registered per body and are left alone.
    """
    problems: list[NamingProblem] = []
    suffix = government_suffix(name)
    shown = display_name(name)
    if suffix is None:
        problems.append(NamingProblem(
            "non_government_suffix", "medium",
            f"{shown} is a government site outside .gov.cn and .政务",
            {"name": name, "allowed_suffixes": ["gov.cn", "政务"]},
        ))
    portal = suffix is not None and _is_portal_form(name, suffix)
    if portal:
        own = _department_own_domain(name, parent, owner, site_code, parent_site_code,
                                     governments or {})
        return [*problems, *([own] if own else [])]
    if parent is None:
        if suffix is not None:
            problems.append(NamingProblem(
                "portal_form", "low",
                f"{shown} has no parent entry but is not of the form "
                f"www.<name>.{display_name(suffix)}",
                {"name": name, "expected": f"www.<name>.{display_name(suffix)}"},
            ))
        return problems
    government = registrable_domain(parent)
    if government is None or government_suffix(parent) is None:
        return problems
    if not is_under(name, government):
        problems.append(NamingProblem(
            "not_under_parent", "medium",
            f"{shown} is not under {display_name(government)}, the domain of its parent "
            f"{display_name(parent)}",
            {"name": name, "parent": parent, "parent_domain": government},
        ))
    elif suffix is not None:
        below = name[: -len(government) - 1].split(".") if name != government else []
        if len(below) > 2 or (len(below) == 2 and below[0] != "www"):
            problems.append(NamingProblem(
                "too_deep", "low",
                f"{shown} is more than one level below {display_name(government)}; "
                f"departments use <dept>.{display_name(government)}",
                {"name": name, "parent_domain": government},
            ))
    return problems


def _department_own_domain(name: str, parent: str | None, owner: str, site_code: str,
                           parent_site_code: str,
                           governments: Mapping[str, Mapping[str, Any]],
                           ) -> NamingProblem | None:
    """``department_own_domain`` for an entry of portal form under ``gov.cn``, or None."""
    domain = registrable_domain(name)
    says = owner_kind(owner)
    if (government_suffix(name) != "gov.cn" or domain is None
            or says in ("government", "central")
            or site_code.startswith("bm") or parent_site_code.startswith("bm")
            or (parent is not None and (parent == CENTRAL_PORTAL
                                        or government_suffix(parent) != "gov.cn"))):
        return None
    division = site_division(site_code)
    parent_domain = registrable_domain(parent) if parent is not None else None
    same_as_parent = (division is not None and division == site_division(parent_site_code)
                      and site_code != parent_site_code)
    government = governments.get(division) if division is not None else None
    if government is not None and (government.get("site_code") == site_code
                                   or registrable_domain(government["name"]) == domain):
        government = None  # the government's own site (or the same site under another name)
    if says != "department" and not same_as_parent and government is None:
        return None
    if same_as_parent or (parent_domain is not None
                          and (division is None or site_division(parent_site_code) is None)):
        should = parent_domain
    else:
        should = registrable_domain(government["name"]) if government is not None else None
    if should == domain:
        return None
    reasons: list[str] = []
    if says == "department":
        reasons.append(f"owner {owner.strip()} is a department")
    if same_as_parent and parent is not None:
        reasons.append(f"site code {site_code} has the division code {division} of its parent "
                       f"{display_name(parent)}")
    elif government is not None:
        reasons.append(f"site code {site_code} has the division code {division} of "
                       f"{display_name(government['name'])}")
    expected = f"<dept>.{display_name(should)}" if should else "<dept>.<its government's domain>"
    return NamingProblem(
        "department_own_domain", "medium",
        f"{display_name(name)} is a department's site on {display_name(domain)}, a second-level "
        f"domain of its own ({'; '.join(reasons)}); a department uses {expected}",
        {"name": name, "domain": domain, "owner": owner, "owner_says": says,
         "site_code": site_code or None, "division": division, "parent": parent,
         "parent_site_code": parent_site_code or None,
         "government": government["name"] if government is not None else None,
         "government_domain": should, "expected": expected},
    )
