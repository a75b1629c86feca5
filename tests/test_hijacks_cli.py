"""Hijacks as they are really done, through the CLI: the hijack test world
(tests/data/hijacks/world.toml, README.md there) holds one register entry per technique of
injecting gambling content into a county government site — title hijacks in entities,
traditional and full-width characters, spam words no fixed list holds, visible and hidden
link blocks, obfuscated scripts, script redirects, title switching, an external script,
crawler- and search-engine-specific cloaking, the Subei ending — and one per protective
context that must stay clean (official lottery centres, anti-gambling news, health pages,
Macao statistics, a hover menu of central media, ordinary portal scripts). The world is
built and scanned once; each entry must hold exactly its web rules, and each finding's
evidence must name the technique so an administrator can find it in the page."""

from __future__ import annotations

import contextlib
import dataclasses
import html
import http.client
import json
import re
import socket
import sqlite3
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from domainwatch.testnet import LocalInternet, load_scenario
from tests.helpers import dw, findings, judged_again

WORLD = Path(__file__).parent / "data" / "hijacks" / "world.toml"
REGISTER = WORLD.parent / "register.csv"
PAGES = WORLD.parent / "pages"
ZONE = "hjtest.gov.cn"
SITES = "127.20.240.10"
SUBEI = "www.hjtgsj.com"
WEB_RULES = {"unused.no_web", "unused.placeholder", "unused.stale", "hijacked.content",
             "hijacked.cloaking", "hijacked.redirect", "hijacked.content_changed",
             "hijacked.dns_changed", "hijacked.cert_changed", "tls.expiring", "tls.invalid",
             "tls.weak"}
LINK_RULES = {"link.dead", "link.hijacked"}

#: Per entry, the web rules a first scan finds and, per rule, the words its evidence must
#: hold (the technique vocabulary the detection reports: zones, hidden-block reasons,
#: script techniques, navigation methods and conditions, cloaking labels).
EXPECTED: dict[str, dict[str, tuple[str, ...]]] = {
    # title hijacks
    "jyj": {"hijacked.content": ("title", "meta")},         # decimal entities
    "mzj": {"hijacked.content": ("title", "meta")},         # traditional, hex entities, GBK
    "sfj": {"hijacked.content": ("title", "meta")},         # full-width, spaced out
    # spam words no fixed list holds, one zone each
    "fgj": {"hijacked.content": ("title", "meta")},         # 极速快3计划, 幸运28开奖, PK10走势图
    "wtlj": {"hijacked.content": ("headings",)},            # 世界杯投注, 买球, 外围
    "nyj": {"hijacked.content": ("links",)},                # 抢庄牛牛, 棋牌, 炸金花
    "zjj": {"hijacked.content": ("attributes",)},           # brand + 官网/登录/平台/下载/手机版
    "swj": {"hijacked.content": ("text",)},                 # bet365, bt365, b365 (GBK)
    # a visible 友情链接 footer of casino hosts
    "ybj": {"hijacked.content": ("link-block", "links")},
    # hidden link blocks beyond display:none
    "jtj": {"hijacked.content": ("hidden", "background colour")},   # GBK
    "slj": {"hijacked.content": ("hidden", "font-size")},
    "scjgj": {"hijacked.content": ("hidden", "clip")},
    "rsj": {"hijacked.content": ("hidden", "noscript")},
    "zrzyj": {"hijacked.content": ("hidden", "marquee")},
    "yjglj": {"hijacked.content": ("hidden", "text-indent")},
    "jgsw": {"hijacked.content": ("hidden", "zero-size")},
    # clean HTML, dirty scripts
    "kjj": {"hijacked.content": ("script", "document.write")},
    "gxj": {"hijacked.content": ("script", "hex-escapes")},         # GBK
    "czj": {"hijacked.content": ("script", "fromCharCode")},
    "sthjj": {"hijacked.content": ("script", "packer")},
    "wjj": {"hijacked.content": ("hidden", "display:none", "written by script")},
    "xfj": {"hijacked.content": ("script", "innerHTML")},
    "tcj": {"hijacked.content": ("script", "eval")},
    # script redirects to a gambling host
    "lcj": {"hijacked.redirect": ("location[...]",)},
    "xczxj": {"hijacked.redirect": ("top.location",)},
    "gxs": {"hijacked.redirect": ("window.open",)},
    "lsj": {"hijacked.redirect": ("setTimeout",)},
    "qxj": {"hijacked.redirect": ("search-referrer",)},             # GBK
    "mzzj": {"hijacked.redirect": ("not-spider",)},
    # the title rewritten for everyone but Baiduspider; an external script
    "sjj": {"hijacked.content": ("title-switch",)},
    "tyjrj": {"hijacked.content": ("external-script",)},
    # cloaking for one crawler, the snapshot hijack, cloaking for one search engine
    "cgj": {"hijacked.cloaking": ("crawler Sogou",)},
    "cl": {"hijacked.cloaking": ("crawler 360Spider",)},             # GBK
    "zgh": {"hijacked.cloaking": ("crawler YisouSpider",)},
    "fl": {"hijacked.cloaking": ("title",)},
    "tw": {"hijacked.cloaking": ("referer sogou.com",)},
    # the Subei ending: the closed bureau's lapsed domain serves a casino
    SUBEI: {"hijacked.content": ("title",)},
}
#: The cloaking entries whose evidence must name only their own crawler or search engine.
CLOAKED_FOR = {"cgj": "crawler Sogou", "cl": "crawler 360Spider",
               "zgh": "crawler YisouSpider", "tw": "referer sogou.com"}
#: Protective contexts: pages that must raise nothing, and the tempting words each holds.
CLEAN: dict[str, tuple[str, ...]] = {
    "www": ("人民网", "新华网", "央视网", "学习强国", "中国政府网", "display:none", ":hover",
            "hm.baidu.com", "location.href", "document.write"),
    "fczx": ("福利彩票", "双色球", "福彩3D", "快乐8", "快3", "开奖公告", "走势图", "投注站"),
    "tczx": ("体育彩票", "大乐透", "排列三", "竞彩", "开奖公告", "实体店"),
    "gaj": ("跨境赌博", "网络赌博", "百家乐", "时时彩", "澳门新葡京", "外围买球", "开设赌场"),
    "jkzx": ("性病", "艾滋病", "梅毒", "检测"),
    "tjj": ("博彩业", "毛收入", "幸运博彩", "娱乐场", "澳门"),
    "zwfw": ("友情链接", "中国工商银行", "12306", "window.open", "top.location",
             "zhannei.baidu.com", "location.href"),
}
GBK = {"mzj", "swj", "jtj", "gxj", "qxj", "cl", "tczx"}
#: What each injected page carries, as written (a guard against the generator drifting).
MARKERS = {
    "jyj": "<title>&#28595;&#38376;", "mzj": "<title>&#x6fb3;&#x9580;", "sfj": "ｂｅｔ３６５",
    "fgj": "极速快3计划", "wtlj": "<h2>世界杯买球app下载", "nyj": "抢庄牛牛",
    "zjj": 'alt="开云体育官网登录入口', "swj": "bt365官网", "ybj": ">威尼斯人</a>",
    "jtj": 'style="color:#2B6CB0"', "slj": "font-size:1px", "scjgj": "clip:rect(0 0 0 0)",
    "rsj": "<noscript><a", "zrzyj": '<marquee height="1"', "yjglj": "text-indent:-9999px",
    "jgsw": "width:0;height:0;overflow:hidden", "kjj": "document.write('<div class=\"yqlj2\">",
    "gxj": '["\\x77\\x72\\x69\\x74\\x65"]', "czj": "var _s=String.fromCharCode(60,97,",
    "sthjj": "eval(function(p,a,c,k,e,d)",
    "wjj": 'document.writeln("<div style=\\"display:none\\">',
    "xfj": "fl.innerHTML = fl.innerHTML +", "tcj": 'eval("docu" + "ment.wr"',
    "lcj": 'window.location["href"] =', "xczxj": "top.location.href =",
    "gxs": 'window.open("http://www.hg0188.cc/", "_self")', "lsj": "setTimeout(\"window.location",
    "qxj": "document.referrer.toLowerCase()", "mzzj": "baiduspider|sogou|360spider",
    "sjj": 'indexOf("baiduspider") == -1', "tyjrj": 'src="http://js.yunjs-cdn.com/tj.js"',
}


def host(key: str) -> str:
    return key if "." in key else f"{key}.{ZONE}"


def page_file(key: str) -> Path:
    return PAGES / ("subei.html" if key == SUBEI else f"{key}.html")


@dataclasses.dataclass
class Scanned:
    net: LocalInternet
    db: Path
    config: Path

    def run(self, *args: str) -> Any:
        return dw(self.db, "--config", str(self.config), *args)


@pytest.fixture(scope="module")
def world() -> Iterator[LocalInternet]:
    with LocalInternet(load_scenario(WORLD)) as net:
        yield net


@pytest.fixture(scope="module")
def hijack_world(world: LocalInternet, tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    """The world with its register imported and scanned once."""
    directory = tmp_path_factory.mktemp("hijacks")
    config = directory / "domainwatch.toml"
    config.write_text("[web]\ntimeout = 3.0\nmax_bytes = 1000000\ncloak_rotation = 0\n"
                      "[links]\ndepth = 1\npages = 4\ninterval = 0.05\n", encoding="utf-8")
    scanned = Scanned(world, directory / "hijacks.db", config)
    result = scanned.run("register", "import", str(REGISTER))
    assert result.returncode == 0, result.stderr
    result = scanned.run("scan", "--resolver", world.resolver, "--ca-file", str(world.ca_file))
    assert result.returncode == 0, result.stderr
    return scanned


@pytest.fixture(scope="module")
def found(hijack_world: Scanned) -> list[dict[str, Any]]:
    return findings(hijack_world.db)


def rules_of(found: list[dict[str, Any]], name: str, rules: set[str]) -> set[str]:
    return {f["rule"] for f in found if f["name"] == name and f["rule"] in rules}


_NOT_TECHNIQUE = {"capture", "body_start", "request_headers", "headers", "html"}


def technique_text(evidence: Any) -> str:
    """The evidence as JSON without the captured request and response (raw bodies and
    headers would name any word by accident)."""
    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items() if k not in _NOT_TECHNIQUE}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value
    return json.dumps(scrub(evidence), ensure_ascii=False)


# -- the scan --------------------------------------------------------------------------


@pytest.mark.world
@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_injection_holds_exactly_its_web_rules(found: list[dict[str, Any]],
                                                    key: str) -> None:
    assert rules_of(found, host(key), WEB_RULES) == set(EXPECTED[key])


@pytest.mark.world
@pytest.mark.parametrize(("key", "rule", "word"), [
    (key, rule, word) for key, rules in sorted(EXPECTED.items())
    for rule, words in rules.items() for word in words])
def test_evidence_names_the_technique(found: list[dict[str, Any]], key: str, rule: str,
                                      word: str) -> None:
    texts = [technique_text(f["evidence"]) for f in found
             if f["name"] == host(key) and f["rule"] == rule]
    assert texts, f"no {rule} finding for {host(key)}"
    assert any(word in text for text in texts), (word, texts)


@pytest.mark.world
@pytest.mark.parametrize("key", sorted(CLOAKED_FOR))
def test_cloaking_names_only_the_identity_that_was_cloaked_for(
        found: list[dict[str, Any]], key: str) -> None:
    [finding] = [f for f in found if f["name"] == host(key) and f["rule"] == "hijacked.cloaking"]
    labels = {difference["label"] for difference in finding["evidence"]["differences"]}
    assert labels == {CLOAKED_FOR[key]}


@pytest.mark.world
@pytest.mark.parametrize("key", sorted(CLEAN))
def test_protective_contexts_raise_nothing(found: list[dict[str, Any]], key: str) -> None:
    assert rules_of(found, host(key), WEB_RULES) == set()
    links = {(f["rule"], f.get("subject")) for f in found
             if f["name"] == host(key) and f["rule"] in LINK_RULES}
    # the county portal still links to the closed bureau's lapsed domain: the Subei case
    assert links == ({("link.hijacked", SUBEI)} if key == "www" else set())


@pytest.mark.world
def test_every_entry_was_fetched(hijack_world: Scanned) -> None:
    rows = REGISTER.read_text(encoding="utf-8").splitlines()[1:]
    names = {row.split(",", 1)[0] for row in rows}
    assert names == {host(key) for key in EXPECTED.keys() | CLEAN.keys()}
    connection = sqlite3.connect(f"file:{hijack_world.db}?mode=ro", uri=True)
    with contextlib.closing(connection):
        observed = {name: json.loads(data) for name, data in connection.execute(
            "SELECT name, data FROM observations WHERE probe = 'web' ORDER BY id")}
    assert set(observed) == names
    assert {name for name, data in observed.items() if data.get("status") != 200} == set()


@pytest.mark.world
def test_gbk_pages_are_read_as_gbk(hijack_world: Scanned) -> None:
    for key in ("mzj", "swj", "tczx"):     # no charset in HTTP, charset=GBK, no charset
        data = json.loads(hijack_world.run("show", host(key), "--format", "json").stdout)
        assert data["web"][0]["data"]["encoding"] in ("gbk", "gb18030"), key
        assert "\ufffd" not in data["web"][0]["data"]["title"], key
    tczx = json.loads(hijack_world.run("show", host("tczx"), "--format", "json").stdout)
    assert tczx["web"][0]["data"]["title"] == "测试县体育彩票管理中心"


# -- the world serves what it describes ------------------------------------------------


def fetch(name: str, headers: dict[str, str] | None = None, address: str = SITES,
          tls: ssl.SSLContext | None = None, path: str = "/") -> tuple[int, dict[str, str], bytes]:
    sock: socket.socket = socket.create_connection((address, 443 if tls else 80), timeout=5)
    if tls is not None:
        sock = tls.wrap_socket(sock, server_hostname=name)
    with sock:
        lines = [f"GET {path} HTTP/1.1", f"Host: {name}", "Connection: close",
                 *(f"{key}: {value}" for key, value in (headers or {}).items())]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        response = http.client.HTTPResponse(sock)
        response.begin()
        return (response.status, {k.lower(): v for k, v in response.getheaders()},
                response.read())


SOGOU = "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)"
SPIDER360 = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
             "Gecko) Chrome/50.0.2661.102 Safari/537.36; 360Spider")
BAIDU = "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)"


@pytest.mark.world
def test_the_world_serves_its_pages_and_cloaks_as_described(world: LocalInternet) -> None:
    tls = ssl.create_default_context(cafile=str(world.ca_file))
    status, headers, body = fetch(host("mzj"), tls=tls)
    assert status == 200 and headers["content-type"] == "text/html"
    assert body == page_file("mzj").read_text(encoding="utf-8").encode("gbk")
    normal = page_file("cgj").read_text(encoding="utf-8").encode()
    assert fetch(host("cgj"))[2] == normal
    assert fetch(host("cgj"), {"User-Agent": BAIDU})[2] == normal
    assert "极速赛车开奖直播" in fetch(host("cgj"), {"User-Agent": SOGOU})[2].decode()
    assert "百家乐技巧" in fetch(host("cl"), {"User-Agent": SPIDER360})[2].decode("gbk")
    assert fetch(host("cl"), {"User-Agent": SOGOU})[2] == page_file("cl").read_text(
        encoding="utf-8").encode("gbk")
    snapshot = fetch(host("fl"), {"User-Agent": BAIDU})[2].decode()
    assert "<title>澳门新葡京官网" in snapshot and "测试县妇女联合会" in snapshot
    status, headers, _ = fetch(host("tw"), {"Referer": "https://www.sogou.com/web?query="
                                            + host("tw")})
    assert (status, headers["location"]) == (302, "http://www.xpj8866.com/?from=sogou")
    assert fetch(host("tw"), {"Referer": "https://www.baidu.com/s?wd=" + host("tw")})[0] == 200
    status, headers, script = fetch("js.yunjs-cdn.com", address="127.20.240.61", path="/tj.js")
    assert headers["content-type"] == "application/javascript" and b"document.write" in script
    assert b"document.write" not in fetch("js.yunjs-cdn.com", address="127.20.240.61")[2]
    assert "澳门金沙城中心" in html.unescape(fetch(SUBEI, address="127.20.240.170")[2].decode())


# -- the pages themselves --------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(EXPECTED.keys() | CLEAN.keys()))
def test_pages_weigh_20_to_40_kb_as_served(key: str) -> None:
    text = page_file(key).read_text(encoding="utf-8")
    served = text.encode("gbk" if key in GBK else "utf-8")
    assert 20 * 1024 <= len(served) <= 40 * 1024, len(served)
    if key in GBK:
        head = text[:600]
        assert re.search(r"charset=(gb2312|gbk)\b|<meta charset=\"(gb2312|gbk)\">", head), key


@pytest.mark.parametrize("key", sorted(MARKERS))
def test_injected_pages_carry_their_injection(key: str) -> None:
    assert MARKERS[key] in page_file(key).read_text(encoding="utf-8")


@pytest.mark.parametrize("key", sorted(CLEAN))
def test_protective_pages_hold_the_tempting_words(key: str) -> None:
    text = html.unescape(page_file(key).read_text(encoding="utf-8"))
    missing = [word for word in CLEAN[key] if word not in text]
    assert not missing
    for host_name in ("xpj8866", "amjs-0088", "hg0188", "b365", "ky-qp", "kaiyun"):
        assert host_name not in text, "a clean page links to no casino"


@pytest.mark.world
def test_every_technique_is_judged_alike_from_the_store(hijack_world: Scanned) -> None:
    recorded, again = judged_again(hijack_world.db, hijack_world.config)
    assert len(recorded) >= len(EXPECTED)
    assert again == recorded
