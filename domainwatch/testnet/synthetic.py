"""Deterministic synthetic worlds of N names for scale tests and benchmarks.

Mix of scanned names: ~80% address (a quarter of them also AAAA), ~10% CNAME
into the cloud zone (a third via a two-step chain), ~5% dangling CNAME,
~5% absent. Every city's `www` has an address. `Scenario.expected` maps each
name to one of the KIND_* values.

With ``web=True`` every name that resolves also has a web site (HTTP and HTTPS): a
portal page of 20–40 KB of Chinese text that differs from site to site (its own header,
news list and footer around paragraphs drawn from a shared pool). Names with an address
are then hosted like on a government cloud platform, ``SITES_PER_ADDRESS`` to an address,
and CNAMEs end on the cloud zone's edge addresses, which serve their names. The DNS kinds
and `expected` are the same as without ``web``; only the A records' addresses change.
By default the sites of one address share one certificate with all their names as SANs
(and so one nginx server block): per-site certificates (``site_certificates="per-site"``)
cost nginx about 0.8 ms and 40 KB per site at every start and reload.
"""

from __future__ import annotations

import random
import re

from domainwatch.testnet.scenario import (
    DEFAULT_TTL,
    Scenario,
    ServerGroup,
    Site,
    SiteCertificate,
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
MAX_WEB_NAMES = 100_000
SITES_PER_ADDRESS = 32
SITE_CERTIFICATES = ("per-address", "per-site")
_CITY_GROUPS = 4
_EDGES = 64
_CITY_ZONE = re.compile(r"^city(\d+)\.gov\.cn$")
_PROVINCE_CODES = (
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 "
    "65 71 81 82"
)
_PROVINCES = tuple(_PROVINCE_CODES.split())


def synthetic_scenario(n_names: int, seed: int = 1, *, web: bool = False,
                       site_certificates: str = "per-address") -> Scenario:
    """A world with `n_names` scannable names spread over ~n/250 city zones; with `web`,
    a web site for every name that resolves (see the module's documentation)."""
    if not 1 <= n_names <= MAX_NAMES:
        raise ValueError(f"n_names must be between 1 and {MAX_NAMES}, not {n_names}")
    if web and n_names > MAX_WEB_NAMES:
        raise ValueError(f"a world with web sites has at most {MAX_WEB_NAMES} names")
    if site_certificates not in SITE_CERTIFICATES:
        raise ValueError(f"site_certificates must be one of {SITE_CERTIFICATES}")
    rng = random.Random(seed)
    pages = _PageMaker(seed) if web else None
    hosted: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
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
            host: str | None = _edge_ip(edge)
            if roll < 0.80:
                kind = KIND_ADDRESS
                host = _hosted_ip(serial) if web else _web_ip(serial)
                lines.append(f"{name}. {ttl} IN A {host}")
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
            if pages is not None and kind not in (KIND_DANGLING, KIND_ABSENT):
                assert host is not None
                hosted.setdefault(host, []).append((name, pages.page(name, city + 1, index)))
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
    web_note = f", {sum(map(len, hosted.values()))} web sites" if web else ""
    scenario = Scenario(
        description=f"synthetic world: {n_names} names in {n_cities} city zones, seed {seed}"
        + web_note,
        servers=servers,
        zones=zones,
        names=names,
        expected=expected,
        sites=_sites(hosted, site_certificates),
    )
    validate(scenario)
    return scenario


def _sites(hosted: dict[str, list[tuple[str, tuple[str, ...]]]],
           site_certificates: str) -> list[Site]:
    sites: list[Site] = []
    for address, pages in hosted.items():
        shared = SiteCertificate(names=tuple(name for name, _ in pages))
        certificate = shared if site_certificates == "per-address" else SiteCertificate()
        sites += [Site(address, (name,), body_parts=parts, certificate=certificate)
                  for name, parts in pages]
    return sites


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


def _hosted_ip(serial: int) -> str:
    """The shared hosting address of the name with this serial (web worlds)."""
    return _web_ip(serial // SITES_PER_ADDRESS)


def _edge_ip(edge: str) -> str:
    """The address of ``edgeK.<cloud zone>.`` (see the cloud zone's records)."""
    return f"127.20.127.{int(edge[4:edge.index('.')]) + 1}"


# -- portal pages ---------------------------------------------------------------------

_UNITS = (
    "人民政府办公室", "发展和改革委员会", "教育局", "科学技术局", "工业和信息化局", "民政局",
    "司法局", "财政局", "人力资源和社会保障局", "自然资源局", "生态环境局", "住房和城乡建设局",
    "交通运输局", "水务局", "农业农村局", "商务局", "文化和旅游局", "卫生健康委员会",
    "退役军人事务局", "应急管理局", "审计局", "市场监督管理局", "统计局", "医疗保障局",
    "林业和草原局", "数据局", "信访局", "乡村振兴局",
)
_ACTIONS = (
    "召开专题会议研究部署", "印发实施方案全面推进", "深入开展", "扎实推进", "认真贯彻落实",
    "组织召开", "持续优化", "加快推进", "进一步加强", "全面完成", "统筹做好", "高质量推进",
    "督促检查", "稳步实施",
)
_TOPICS = (
    "营商环境优化提升行动", "高标准农田建设", "城乡居民基本医疗保险参保工作", "安全生产专项整治",
    "生态环境保护督察整改", "乡村振兴重点工作", "政务服务“一网通办”", "重点项目建设",
    "稳就业保民生各项任务", "老旧小区改造", "义务教育优质均衡发展", "防汛抗旱工作",
    "森林草原防灭火工作", "数字政府建设", "政府信息公开年度报告编制", "河湖长制工作",
    "食品安全监督抽检", "城市更新行动", "养老服务体系建设", "公共文化服务", "黄河流域生态保护",
    "耕地保护和粮食安全", "民生实事项目", "招商引资工作",
)
_ENDINGS = (
    "确保各项任务按期完成", "取得阶段性成效", "切实提升群众满意度", "推动工作落地见效",
    "为经济社会高质量发展提供有力保障", "进一步增强人民群众的获得感、幸福感、安全感",
    "形成上下联动、齐抓共管的工作格局", "持续巩固拓展工作成果",
)
_NAV = (
    "首页", "政务公开", "政策文件", "通知公告", "工作动态", "政务服务", "办事指南", "互动交流",
    "政府信息公开年报", "依申请公开",
)
_POOL_SIZE = 240
_PARAGRAPHS_PER_PAGE = (26, 40)
_NEWS_ITEMS = 12


class _PageMaker:
    """Deterministic portal pages: per-site text around paragraphs from a shared pool."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"web-{seed}")
        self._pool = tuple(self._paragraph() for _ in range(_POOL_SIZE))
        self._nav = ('<div class="nav">' + "".join(
            f'<a href="/{index:02d}/">{label}</a>' for index, label in enumerate(_NAV)
        ) + "</div>\n")

    def _sentence(self) -> str:
        rng = self._rng
        return (f"{rng.choice(_UNITS)}{rng.choice(_ACTIONS)}{rng.choice(_TOPICS)}，"
                f"{rng.choice(_ENDINGS)}。")

    def _paragraph(self) -> str:
        count = self._rng.randint(6, 10)
        return "<p>" + "".join(self._sentence() for _ in range(count)) + "</p>\n"

    def page(self, name: str, city: int, index: int) -> tuple[str, ...]:
        """The page of ``name`` (the ``index``-th name of city ``city``) as body parts."""
        rng = self._rng
        department = "" if index == 0 else f"{name.split('.', 1)[0]}部门"
        owner = f"第{city:04d}市人民政府{department}"
        site_code = f"{_division_code(city)}{index + 1:04d}"
        news = "".join(
            f'<li><a href="/gzdt/2026/{month:02d}{day:02d}/{rng.randrange(10**6):06d}.html">'
            f"{owner}{rng.choice(_ACTIONS)}{rng.choice(_TOPICS)}</a>"
            f"<span>2026-{month:02d}-{day:02d}</span></li>"
            for month, day in ((rng.randint(1, 12), rng.randint(1, 28))
                               for _ in range(_NEWS_ITEMS))
        )
        head = (
            '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">\n'
            f"<title>{owner}门户网站</title>\n"
            f'<meta name="SiteName" content="{owner}">\n'
            f'<meta name="SiteDomain" content="{name}">\n'
            f'<meta name="SiteIDCode" content="{site_code}">\n'
            f'</head><body>\n<div class="header"><h1>{owner}</h1></div>\n'
        )
        body = f'<div class="news"><h2>工作动态</h2><ul>{news}</ul></div>\n'
        foot = (
            f'<div class="footer"><p>主办单位：{owner}　网站标识码：{site_code}</p>'
            f"<p>联系邮箱：webmaster@{name.split('.', 1)[1]}　"
            f"陇ICP备{rng.randrange(10**7, 10**8)}号</p></div>\n</body></html>\n"
        )
        count = rng.randint(*_PARAGRAPHS_PER_PAGE)
        paragraphs = tuple(rng.sample(self._pool, count))
        return (head, self._nav, body, '<div class="content"><h2>政务公开</h2>\n',
                *paragraphs, "</div>\n", foot)
