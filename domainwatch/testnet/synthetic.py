"""Deterministic synthetic worlds of N names for scale tests and benchmarks.

Mix of scanned names: ~80% address (a quarter of them also AAAA), ~10% CNAME
into the cloud zone (a third via a two-step chain), ~5% dangling CNAME,
~5% absent. Every city's `www` has an address. `Scenario.expected` maps each
name to one of the KIND_* values.
"""

from __future__ import annotations

import random
import re

from domainwatch.testnet.scenario import (
    DEFAULT_TTL,
    Scenario,
    ServerGroup,
    Zone,
    validate,
)

KIND_ADDRESS = "address"
KIND_CNAME = "cname"
KIND_CNAME_CHAIN = "cname-chain"
KIND_DANGLING = "dangling"
KIND_ABSENT = "absent"

CLOUD_ZONE = "synth-cloud.com"
NAMES_PER_CITY = 250
MAX_NAMES = 1_000_000
_CITY_GROUPS = 4
_EDGES = 64
_CITY_ZONE = re.compile(r"^city(\d+)\.gov\.cn$")
_PROVINCE_CODES = (
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 "
    "65 71 81 82"
)
_PROVINCES = tuple(_PROVINCE_CODES.split())


def synthetic_scenario(n_names: int, seed: int = 1) -> Scenario:
    """A world with `n_names` scannable names spread over ~n/250 city zones."""
    if not 1 <= n_names <= MAX_NAMES:
        raise ValueError(f"n_names must be between 1 and {MAX_NAMES}, not {n_names}")
    rng = random.Random(seed)
    n_cities = max(1, round(n_names / NAMES_PER_CITY))
    n_groups = min(_CITY_GROUPS, n_cities)
    servers = {
        name: ServerGroup(name)
        for name in ["root", "tld", "cloud", *(f"city{g + 1}" for g in range(n_groups))]
    }
    ttl = DEFAULT_TTL
    cloud_lines = [f"edge{k}.{CLOUD_ZONE}. {ttl} IN A 127.20.127.{k + 1}" for k in range(_EDGES)]
    zones = [
        Zone(origin=".", server="root", ns=["a.root-servers.net"]),
        Zone(origin="cn", server="tld", ns=["ns1.cn"]),
        Zone(origin="gov.cn", server="tld", ns=["ns1.gov.cn"]),
        Zone(origin="com", server="tld", ns=["ns1.com"]),
        Zone(origin=CLOUD_ZONE, server="cloud", ns=[f"ns1.{CLOUD_ZONE}"], records=cloud_lines),
    ]
    names: list[str] = []
    expected: dict[str, str] = {}
    base, extra = divmod(n_names, n_cities)
    serial = 0
    for city in range(n_cities):
        origin = f"city{city + 1:04d}.gov.cn"
        lines: list[str] = []
        for index in range(base + (1 if city < extra else 0)):
            label = "www" if index == 0 else f"dept{index:03d}"
            name = f"{label}.{origin}"
            roll = 0.0 if index == 0 else rng.random()
            edge = f"edge{rng.randrange(_EDGES)}.{CLOUD_ZONE}."
            if roll < 0.80:
                kind = KIND_ADDRESS
                lines.append(f"{name}. {ttl} IN A {_web_ip(serial)}")
                if rng.random() < 0.25:
                    lines.append(f"{name}. {ttl} IN AAAA {_web_ipv6(serial)}")
            elif roll < 0.90:
                if rng.random() < 1 / 3:
                    kind = KIND_CNAME_CHAIN
                    hop = f"{label}-city{city + 1:04d}.cdn.{CLOUD_ZONE}."
                    lines.append(f"{name}. {ttl} IN CNAME {hop}")
                    cloud_lines.append(f"{hop} {ttl} IN CNAME {edge}")
                else:
                    kind = KIND_CNAME
                    lines.append(f"{name}. {ttl} IN CNAME {edge}")
            elif roll < 0.95:
                kind = KIND_DANGLING
                target = f"{label}-city{city + 1:04d}.gone.{CLOUD_ZONE}."
                lines.append(f"{name}. {ttl} IN CNAME {target}")
            else:
                kind = KIND_ABSENT
            names.append(name)
            expected[name] = kind
            serial += 1
        zones.append(
            Zone(
                origin=origin,
                server=f"city{city % n_groups + 1}",
                ns=[f"ns1.{origin}"],
                records=lines,
            )
        )
    scenario = Scenario(
        description=f"synthetic world: {n_names} names in {n_cities} city zones, seed {seed}",
        servers=servers,
        zones=zones,
        names=names,
        expected=expected,
    )
    validate(scenario)
    return scenario


def synthetic_register_rows(scenario: Scenario) -> list[dict[str, str]]:
    """Register rows (the demo-register.csv columns) for every name of a scenario."""
    rows: list[dict[str, str]] = []
    serials: dict[str, int] = {}
    origins = {zone.origin for zone in scenario.zones}
    for name in scenario.names:
        zone = _enclosing(name, origins)
        portal = f"www.{zone}"
        serials[zone] = serials.get(zone, 0) + 1
        match = _CITY_ZONE.match(zone)
        city = int(match.group(1)) if match else 0
        division = _division_code(city) if match else "620000"
        department = "" if name == portal else f"{name.split('.', 1)[0]}部门"
        rows.append(
            {
                "name": name,
                "owner": f"第{city:04d}市人民政府{department}",
                "parent": "" if name == portal else portal,
                "state": "active",
                "site_code": f"{division}{serials[zone]:04d}",
                "contact": f"webmaster@{zone}",
                "networks": "127.20.128.0/17",
                "nameservers": f"ns1.{zone}",
                "note": "",
            }
        )
    return rows


def _division_code(city: int) -> str:
    """A distinct, plausible 6-digit administrative division code per city number."""
    rest, province = divmod(city, len(_PROVINCES))
    county, prefecture = divmod(rest, 99)
    return f"{_PROVINCES[province]}{prefecture + 1:02d}{county % 100:02d}"


def _enclosing(name: str, origins: set[str]) -> str:
    labels = name.split(".")
    for start in range(len(labels)):
        candidate = ".".join(labels[start:])
        if candidate in origins:
            return candidate
    return name.split(".", 1)[-1]


def _web_ipv6(serial: int) -> str:
    return f"2001:db8::{serial >> 16:x}:{serial & 0xFFFF:x}"


def _web_ip(serial: int) -> str:
    return f"127.20.{128 + (serial // 254) % 128}.{serial % 254 + 1}"
