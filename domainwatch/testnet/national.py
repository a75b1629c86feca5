"""A national-scale world with planted cases, for ``make bench-national`` and its tests.

Around every government web site there are more names than sites: departments' names,
legacy domains from before ``gov.cn``, names left behind by closed units, CNAMEs into
government clouds. The mix per city name (``city0001.gov.cn`` …, 250 names a zone, the
portal ``www`` always live):

* ~52% an address with a live web site (a quarter also AAAA), ~8% a CNAME into the cloud
  zone (a third through a two-step chain) whose edge serves the site: about 60% live sites;
* ~17% an address where no web server answers (a host kept for something else, or
  forgotten);
* ~21% absent (NXDOMAIN): mostly entries the register has properly deregistered, one in ten
  still registered as active;
* a few hundred dangling CNAMEs.

On top, 1% of the names are legacy domains (``www.lgNNNN.com``) whose registration is
checked over WHOIS, and the cases the tool exists for are planted, each with the rule that
must find it (:attr:`NationalWorld.planted`): sites serving gambling pages, cloaking for
crawlers, redirecting off-site; dangling CNAMEs; city zones delegated to a name server in a
lapsed domain; legacy domains lapsed or about to; offline entries still resolving; portals
linking to a hijacked site, a dead name or a lapsed domain (the Subei case).

:func:`change_world` then changes 1% of the names between two runs (pages updated, sites
taken over, names removed or moved to hosts without a web server) and says which new
findings that must cause.
"""

from __future__ import annotations

import random
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace

from domainwatch.testnet.dns import LocalInternet
from domainwatch.testnet.scenario import (
    DEFAULT_TTL,
    Scenario,
    ServerGroup,
    Site,
    SiteCertificate,
    WhoisWorld,
    Zone,
    validate,
)
from domainwatch.testnet.synthetic import (
    CLOUD_ZONE,
    NAMES_PER_CITY,
    SITES_PER_ADDRESS,
    _division_code,
    _edge_ip,
    _PageMaker,
    _web_ipv6,
)

MIN_NAMES = 2_000
MAX_NAMES = 100_000
LEGACY_SHARE = 0.01
NETWORKS = "127.20.0.0/16 2001:db8::/32"
_EDGES = 64
_CITY_GROUPS = 4

LIVE = "live"
LIVE_CLOUD = "live-cloud"
NO_WEB = "no-web"
ABSENT = "absent"
DANGLING = "dangling"
LEGACY = "legacy"

GAMBLING_PAGE = (
    '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
    "<title>澳门新葡京娱乐场-百家乐-真人视讯-官方网站</title>"
    '<meta name="keywords" content="澳门新葡京,百家乐,真人视讯,时时彩,北京赛车pk10"></head>'
    '<body><div class="banner">澳门新葡京 官方直营 注册送彩金 首存送100%</div>'
    "<ul><li>真人视讯 真人百家乐 真人荷官</li><li>体育投注 皇冠体育 足球投注</li>"
    "<li>时时彩 北京赛车pk10 六合彩开奖 幸运飞艇</li><li>电子游艺 老虎机 开元棋牌</li></ul>"
    "<p>下载APP 24小时在线客服</p></body></html>\n"
)


@dataclass(frozen=True)
class Planted:
    """A case planted in the world: ``rule`` must hold an open finding for ``name``."""

    name: str
    rule: str
    what: str


@dataclass
class NationalWorld:
    """The scenario, its register (rows in the register CSV's columns) and the planted
    cases; ``kinds`` says what each name is (``LIVE``, ``NO_WEB`` …), ``mix`` counts them."""

    scenario: Scenario
    register: list[dict[str, str]]
    planted: list[Planted]
    mix: Counter[str]
    kinds: dict[str, str] = field(repr=False, default_factory=dict)


@dataclass
class _Plan:
    """Counts of each planted case for a world of ``n`` names (a few hundred at 100k)."""

    n: int

    def count(self, per_100k: int) -> int:
        return max(2, round(per_100k * self.n / 100_000))


def national_world(n_names: int = MAX_NAMES, seed: int = 7) -> NationalWorld:
    """A world of about ``n_names`` scannable names (see the module's documentation)."""
    if not MIN_NAMES <= n_names <= MAX_NAMES:
        raise ValueError(f"n_names must be between {MIN_NAMES} and {MAX_NAMES}, not {n_names}")
    rng = random.Random(seed)
    plan = _Plan(n_names)
    pages = _PageMaker(seed)
    n_legacy = max(20, round(n_names * LEGACY_SHARE))
    n_city_names = n_names - n_legacy
    n_cities = max(1, round(n_city_names / NAMES_PER_CITY))
    n_groups = min(_CITY_GROUPS, n_cities)
    ttl = DEFAULT_TTL
    cloud_lines = [f"edge{k}.{CLOUD_ZONE}. {ttl} IN A {_edge_ip(f'edge{k}.')}"
                   for k in range(_EDGES)]
    com_lines: list[str] = []
    kinds: dict[str, str] = {}
    body: dict[str, tuple[str, ...]] = {}
    address_of: dict[str, str] = {}
    zone_lines: dict[str, list[str]] = {}
    names: list[str] = []
    owners: dict[str, str] = {}
    codes: dict[str, str] = {}
    live_serial = 0
    dead_serial = 0
    base, extra = divmod(n_city_names, n_cities)
    for city in range(n_cities):
        origin = f"city{city + 1:04d}.gov.cn"
        lines = zone_lines.setdefault(origin, [])
        for index in range(base + (1 if city < extra else 0)):
            label = "www" if index == 0 else f"dept{index:03d}"
            name = f"{label}.{origin}"
            roll = 0.0 if index == 0 else rng.random()
            if roll < 0.52:
                kind = LIVE
                address = _live_ip(live_serial // SITES_PER_ADDRESS)
                live_serial += 1
                lines.append(f"{name}. {ttl} IN A {address}")
                if rng.random() < 0.25:
                    lines.append(f"{name}. {ttl} IN AAAA {_web_ipv6(live_serial)}")
            elif roll < 0.60:
                kind = LIVE_CLOUD
                edge = f"edge{rng.randrange(_EDGES)}.{CLOUD_ZONE}."
                address = _edge_ip(edge)
                if rng.random() < 1 / 3:
                    hop = f"{label}-city{city + 1:04d}.cdn.{CLOUD_ZONE}."
                    lines.append(f"{name}. {ttl} IN CNAME {hop}")
                    cloud_lines.append(f"{hop} {ttl} IN CNAME {edge}")
                else:
                    lines.append(f"{name}. {ttl} IN CNAME {edge}")
            elif roll < 0.78:
                kind = NO_WEB
                address = _dead_ip(dead_serial)
                dead_serial += 1
                lines.append(f"{name}. {ttl} IN A {address}")
            else:
                kind = ABSENT
            if kind in (LIVE, LIVE_CLOUD):
                address_of[name] = address
                body[name] = pages.page(name, city + 1, index)
            owners[name] = f"第{city + 1:04d}市人民政府" + ("" if index == 0 else f"{label}部门")
            codes[name] = f"{_division_code(city + 1)}{index + 1:04d}"
            kinds[name] = kind
            names.append(name)
    legacy: list[str] = []
    for number in range(n_legacy):
        name = f"www.lg{number + 1:04d}.com"
        address = _live_ip(live_serial // SITES_PER_ADDRESS)
        live_serial += 1
        com_lines.append(f"{name}. {ttl} IN A {address}")
        address_of[name] = address
        body[name] = pages.page(name, number % n_cities + 1, 9_000 + number)
        owners[name] = f"第{number % n_cities + 1:04d}市人民政府旧网站"
        kinds[name] = LEGACY
        legacy.append(name)
        names.append(name)

    planted: list[Planted] = []
    states: dict[str, str] = {}
    special: dict[str, Site] = {}
    whois: dict[str, dict[str, object]] = {}
    portals = [name for name in names if name.startswith("www.city")]
    departments = [name for name in names if kinds[name] == LIVE and name not in portals]
    rng.shuffle(departments)
    picked = iter(departments)

    def take(count: int) -> list[str]:
        return [next(picked) for _ in range(count)]

    for name in take(plan.count(200)):
        body[name] = (GAMBLING_PAGE,)
        planted.append(Planted(name, "hijacked.content", "serves a gambling page"))
    for name in take(plan.count(50)):
        special[name] = Site(address_of[name], (name,), body_parts=body[name],
                             crawler_body=GAMBLING_PAGE)
        planted.append(Planted(name, "hijacked.cloaking", "shows crawlers a gambling page"))
    for number, name in enumerate(take(plan.count(50))):
        special[name] = Site(address_of[name], (name,), status=302, headers=(
            ("Location", f"http://www.bet{number:03d}-888.example/?from={name}"),))
        planted.append(Planted(name, "hijacked.redirect", "redirects to a gambling site"))
    for name in take(plan.count(600)):
        states[name] = "offline"
        planted.append(Planted(name, "unused.offline_still_resolving",
                               "registered offline, still resolves"))
    hijacked = [case.name for case in planted if case.rule == "hijacked.content"]

    absent = [name for name in names if kinds[name] == ABSENT]
    rng.shuffle(absent)
    for name in absent:
        states[name] = "active" if rng.random() < 0.1 else "deregistered"
    gone_links = [name for name in absent if states[name] == "deregistered"]
    dangling = [name for name in names if kinds[name] == NO_WEB]
    rng.shuffle(dangling)
    for name in dangling[:plan.count(300)]:
        kinds[name] = DANGLING
        zone = name.split(".", 1)[1]
        target = f"{name.split('.', 1)[0]}-{zone.split('.')[0]}.gone.{CLOUD_ZONE}."
        zone_lines[zone] = [line for line in zone_lines[zone]
                            if not line.startswith(f"{name}. ")]
        zone_lines[zone].append(f"{name}. {ttl} IN CNAME {target}")
        planted.append(Planted(name, "dangling.cname", "CNAME into a removed cloud name"))

    lapsed = legacy[:plan.count(100)]
    expiring = legacy[len(lapsed):len(lapsed) + plan.count(50)]
    for name in lapsed:
        domain = name.split(".", 1)[1]
        com_lines = [line for line in com_lines if not line.startswith(f"{name}. ")]
        body.pop(name)
        whois[domain] = {"status": "unregistered"}
        planted.append(Planted(name, "unregistered.domain", "legacy domain lapsed"))
    for name in expiring:
        whois[name.split(".", 1)[1]] = {"status": "expiring", "days": 12}
        planted.append(Planted(name, "unregistered.expiring", "legacy domain expires soon"))

    lame: dict[str, str] = {}
    cities = sorted(zone_lines)
    rng.shuffle(cities)
    for number, origin in enumerate(cities[:plan.count(20)]):
        domain = f"olddns{number:03d}.com"
        lame[origin] = f"ns.{domain}"
        whois[domain] = {"status": "unregistered"}
        planted.append(Planted(f"www.{origin}", "dangling.ns",
                               f"second name server in the lapsed {domain}"))

    linking = list(portals)
    rng.shuffle(linking)
    links: dict[str, str] = {}
    for portal, target in zip(linking, hijacked, strict=False):
        if len(links) >= plan.count(100):
            break
        links[portal] = target
        planted.append(Planted(portal, "link.hijacked", f"links to {target}"))
    for portal, target in zip(linking[len(links):], gone_links, strict=False):
        if len(links) >= plan.count(200):
            break
        links[portal] = target
        planted.append(Planted(portal, "link.dead", f"links to {target}"))
    for portal, target in zip(linking[len(links):], lapsed, strict=False):
        if len(links) >= plan.count(250):
            break
        links[portal] = target
        planted.append(Planted(portal, "link.unregistered", f"links to {target}"))
    for portal, target in links.items():
        parts = body[portal]
        body[portal] = (*parts[:-1], _link_block(target), parts[-1])

    hosted: dict[str, list[str]] = {}
    for name in names:
        if name in body:
            hosted.setdefault(address_of[name], []).append(name)
    sites: list[Site] = []
    for address, group in hosted.items():
        certificate = SiteCertificate(names=tuple(group))
        for name in group:
            site = special.get(name) or Site(address, (name,), body_parts=body[name])
            sites.append(replace(site, certificate=certificate))

    zones = [
        Zone(origin=".", server="root", ns=["a.root-servers.net"]),
        Zone(origin="cn", server="tld", ns=["ns1.cn"]),
        Zone(origin="gov.cn", server="tld", ns=["ns1.gov.cn"]),
        Zone(origin="com", server="tld", ns=["ns1.com"], records=com_lines),
        Zone(origin=CLOUD_ZONE, server="cloud", ns=[f"ns1.{CLOUD_ZONE}"], records=cloud_lines),
    ]
    for number, origin in enumerate(sorted(zone_lines)):
        zones.append(Zone(origin=origin, server=f"city{number % n_groups + 1}",
                          ns=[f"ns1.{origin}", *([lame[origin]] if origin in lame else [])],
                          records=zone_lines[origin]))
    servers = {name: ServerGroup(name) for name in
               ["root", "tld", "cloud", *(f"city{g + 1}" for g in range(n_groups))]}
    scenario = Scenario(
        description=f"national world: {len(names)} names, {len(sites)} web sites, "
                    f"{len(planted)} planted cases, seed {seed}",
        servers=servers, zones=zones, names=names, sites=sites,
        expected={name: kinds[name] for name in names},
        whois=WhoisWorld(answers=whois, default="registered"))
    validate(scenario)
    register = [_register_row(name, owners[name], codes.get(name, ""),
                              states.get(name, "active"), lame) for name in names]
    return NationalWorld(scenario, register, planted, Counter(kinds.values()), kinds)


def change_world(world: NationalWorld, net: LocalInternet, share: float = 0.01,
                 seed: int = 11) -> list[Planted]:
    """Change ``share`` of the names while ``net`` runs ``world``, among the live sites
    nothing was planted on: seven tenths publish a notice (their pages change a little),
    a tenth are taken over by a gambling site, a tenth are removed from DNS and a tenth
    move to an address without a web server. Returns the cases the next run must find;
    the notices must cause no finding."""
    rng = random.Random(seed)
    planted_names = {case.name for case in world.planted}
    candidates = sorted(name for name, kind in world.kinds.items() if kind == LIVE
                        and name not in planted_names and not name.startswith("www."))
    rng.shuffle(candidates)
    count = round(len(world.scenario.names) * share)
    tenth = max(1, count // 10)
    taken = candidates[:tenth]
    removed = candidates[tenth:2 * tenth]
    moved = candidates[2 * tenth:3 * tenth]
    updated = candidates[3 * tenth:count]
    new_cases = [Planted(name, rule, "taken over by a gambling site") for name in taken
                 for rule in ("hijacked.content", "hijacked.content_changed")]
    new_cases += [Planted(name, "unused.no_dns", "removed from DNS") for name in removed]
    new_cases += [Planted(name, "unused.no_web", "moved to a host without a web server")
                  for name in moved]
    sites = []
    for site in net.sites:
        name = site.names[0]
        if name in removed or name in moved:
            continue
        if name in taken:
            site = replace(site, body_parts=(GAMBLING_PAGE,))
        elif name in updated:
            parts = site.body_parts
            site = replace(site, body_parts=(*parts[:2], _news_update(name), *parts[2:]))
        sites.append(site)
    changed_zones: dict[str, list[str]] = {}
    for number, name in enumerate([*removed, *moved]):
        origin = name.split(".", 1)[1]
        lines = changed_zones.get(origin) or list(world.scenario.zone(origin).records)
        lines = [line for line in lines if not line.startswith(f"{name}. ")]
        if name in moved:
            lines.append(f"{name}. {DEFAULT_TTL} IN A {_dead_ip(60_000 + number)}")
        changed_zones[origin] = lines
    net.replace_sites(sites)
    for origin, lines in changed_zones.items():
        net.replace_records(origin, "\n".join(lines) + "\n")
    return new_cases


def register_csv_rows(world: NationalWorld) -> list[list[str]]:
    """The register as CSV rows, header first."""
    columns = ["name", "owner", "parent", "state", "site_code", "contact", "networks",
               "nameservers", "note"]
    return [columns, *([row[column] for column in columns] for row in world.register)]


def _register_row(name: str, owner: str, site_code: str, state: str,
                  lame: dict[str, str]) -> dict[str, str]:
    zone = name.split(".", 1)[1]
    portal = f"www.{zone}"
    return {
        "name": name,
        "owner": owner,
        "parent": "" if name == portal or not zone.endswith(".gov.cn") else portal,
        "state": state,
        "site_code": site_code,
        "contact": f"webmaster@{zone}",
        "networks": NETWORKS,
        "nameservers": " ".join([f"ns1.{zone}", *([lame[zone]] if zone in lame else [])])
                       if zone.endswith(".gov.cn") else "",
        "note": "",
    }


def _link_block(target: str) -> str:
    return (f'<div class="links"><h3>相关链接</h3><a href="http://{target}/">'
            f"{target.split('.')[1]}专题网站</a></div>\n")


def _news_update(name: str) -> str:
    number = zlib.crc32(name.encode()) % 10**6
    return (f'<div class="notice"><a href="/tzgg/2026/1127/{number:06d}.html">'
            "关于做好2026年冬季安全生产工作的通知</a><span>2026-11-27</span></div>\n")


def _live_ip(number: int) -> str:
    """Hosting addresses of live sites: 127.20.128.0/17."""
    return f"127.20.{128 + (number // 254) % 128}.{number % 254 + 1}"


def _dead_ip(number: int) -> str:
    """Addresses where no web server listens: 127.20.64.0–127.20.126.255."""
    return f"127.20.{64 + (number // 254) % 63}.{number % 254 + 1}"
