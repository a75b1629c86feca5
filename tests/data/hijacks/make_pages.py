"""Writes the hijack test world: ``pages/*.html``, ``world.toml`` and ``register.csv``.

    .venv/bin/python tests/data/hijacks/make_pages.py

One register entry per injection technique and per protective context (see README.md):
a county portal page of 20–40 KB of ordinary government text (``portal_text.py``) in one of
five layouts, with at most one injection, written the way the published cases describe
them. Deterministic: the same files every time. The tests read the files; they never run
this script.
"""
# The HTML templates and texts below are kept as a page shows them, long lines included.
# ruff: noqa: E501

from __future__ import annotations

import csv
import html
import io
import random
import re
import sys
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import portal_text as T

HERE = Path(__file__).parent
ZONE = "hjtest.gov.cn"
GOV = "127.20.240.10"          # every department site of the county
CASINO = "127.20.240.50"       # the gambling hosts the injections point to
OFFICIAL = "127.20.240.60"     # official sites, banks, 百度统计
CDN = "127.20.240.61"          # the commercial "statistics" CDN of the external script
TAKEN = "127.20.240.170"       # the new owner of the closed bureau's lapsed domain
NETWORK = "127.20.240.0/25"
DIVISION = "629801"            # the county's (made-up) administrative division code
MIN_BYTES, MAX_BYTES = 20_480, 40_960

#: Gambling hosts (all made up) and what the injections call them.
CASINO_HOSTS = {
    "www.xpj8866.com": "新葡京娱乐场",
    "amjs-0088.com": "澳门金沙官网",
    "www.amjs-0088.com": "金沙js娱乐",
    "www.wnsr5577.net": "威尼斯人官网",
    "www.hg0188.cc": "皇冠体育",
    "www.b365cn.vip": "bet365体育",
    "www.ky-qp777.com": "开元棋牌",
    "www.kaiyun-ty.vip": "开云体育",
    "www.yb-sports9.net": "亚博体育",
    "www.js1396.cc": "金沙集团1396",
    "m.6hc-kj.com": "六合彩开奖",
    "www.pk10-jh.net": "PK10计划网",
    "www.xy28kj.cc": "幸运28开奖",
    "www.dafa888-vip.com": "大发888",
}
SUBEI_HOST = "www.hjtgsj.com"          # the former 工商局's own domain, now a casino
SCRIPT_HOST = "js.yunjs-cdn.com"       # a commercial script host

SPORT_LINKS = ["www.hg0188.cc", "www.b365cn.vip", "www.kaiyun-ty.vip", "www.yb-sports9.net"]
CASINO_LINKS = ["www.xpj8866.com", "www.amjs-0088.com", "www.wnsr5577.net", "www.js1396.cc",
                "www.dafa888-vip.com"]
LOTTERY_LINKS = ["m.6hc-kj.com", "www.pk10-jh.net", "www.xy28kj.cc"]


def entities(text: str, hexadecimal: bool = False) -> str:
    """Every character as a numeric character reference (how spam titles are written)."""
    if hexadecimal:
        return "".join(f"&#x{ord(c):x};" for c in text)
    return "".join(f"&#{ord(c)};" for c in text)


def link_list(hosts: list[str], texts: list[str] | None = None, sep: str = " ") -> str:
    texts = texts or [CASINO_HOSTS[host] for host in hosts]
    return sep.join(f'<a href="http://{host}/" target="_blank">{text}</a>'
                    for host, text in zip(hosts, texts, strict=True))


SPAM_TEXTS = ["澳门新葡京娱乐场", "金沙娱乐官网", "威尼斯人线上娱乐", "皇冠体育投注",
              "bet365体育在线", "开元棋牌", "真人百家乐", "六合彩开奖结果", "北京赛车PK10计划",
              "幸运28开奖"]
SPAM_HOSTS = ["www.xpj8866.com", "www.amjs-0088.com", "www.wnsr5577.net", "www.hg0188.cc",
              "www.b365cn.vip", "www.ky-qp777.com", "www.js1396.cc", "m.6hc-kj.com",
              "www.pk10-jh.net", "www.xy28kj.cc"]


def spam_links(count: int = 8, offset: int = 0, sep: str = " ") -> str:
    pick = [(SPAM_HOSTS[(i + offset) % len(SPAM_HOSTS)], SPAM_TEXTS[(i + offset) % len(
        SPAM_TEXTS)]) for i in range(count)]
    return link_list([h for h, _ in pick], [t for _, t in pick], sep)


# -- JavaScript obfuscations, written here ---------------------------------------------


def js_string(text: str, quote: str = "'") -> str:
    """A JavaScript string literal, non-ASCII as \\u escapes."""
    out = []
    for char in text:
        if char in (quote, "\\"):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif ord(char) > 126:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return quote + "".join(out) + quote


def hex_escaped(text: str) -> str:
    """Every character as \\xHH (ASCII) or \\uHHHH, in double quotes."""
    return '"' + "".join(f"\\x{ord(c):02x}" if ord(c) < 128 else f"\\u{ord(c):04x}"
                         for c in text) + '"'


_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _base62(number: int) -> str:
    """The packer's word code: e(c) = (c<62 ? '' : e(c/62)) + digit(c%62)."""
    prefix = "" if number < 62 else _base62(number // 62)
    return prefix + _DIGITS[number % 62]


_WORD = re.compile(r"\b\w+\b", re.ASCII)


def pack(source: str) -> str:
    """Dean Edwards' ``eval(function(p,a,c,k,e,d){…})`` format with base 62: every word of
    ``source`` (ASCII only: non-ASCII as \\u escapes first) becomes a short code, most
    frequent first, and the decoder puts the words back before ``eval`` runs the code."""
    if any(ord(c) > 126 for c in source):
        raise ValueError("escape non-ASCII characters before packing")
    counts = Counter(_WORD.findall(source))
    words = [word for word, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    code = {word: _base62(index) for index, word in enumerate(words)}
    payload = _WORD.sub(lambda match: code[match.group()], source)
    payload = payload.replace("\\", "\\\\").replace("'", "\\'")
    keywords = "|".join("" if code[word] == word else word for word in words)
    decoder = ("eval(function(p,a,c,k,e,d){e=function(c){return(c<a?'':e(parseInt(c/a)))+"
               "((c=c%a)>35?String.fromCharCode(c+29):c.toString(36))};if(!''.replace(/^/,"
               "String)){while(c--)d[e(c)]=k[c]||e(c);k=[function(e){return d[e]}];"
               "e=function(){return'\\\\w+'};c=1};while(c--)if(k[c])p=p.replace(new RegExp("
               "'\\\\b'+e(c)+'\\\\b','g'),k[c]);return p}")
    return f"{decoder}('{payload}',62,{len(words)},'{keywords}'.split('|'),0,{{}}))"


# -- ordinary scripts of a portal (protective contexts) ---------------------------------

DATE_SCRIPT = """<script type="text/javascript">
var today = new Date();
var week = ["日", "一", "二", "三", "四", "五", "六"];
document.write("今天是：" + today.getFullYear() + "年" + (today.getMonth() + 1) + "月" +
    today.getDate() + "日 星期" + week[today.getDay()]);
</script>"""

ZOOM_SCRIPT = """<script type="text/javascript">
function doZoom(size) {
    var zoom = document.getElementById("zoom");
    if (zoom) { zoom.style.fontSize = size + "px"; }
}
</script>"""

BAIDU_STATS = """<script>
var _hmt = _hmt || [];
(function() {
  var hm = document.createElement("script");
  hm.src = "https://hm.baidu.com/hm.js?{key}";
  var s = document.getElementsByTagName("script")[0];
  s.parentNode.insertBefore(hm, s);
})();
</script>"""

JQUERY_MENU = """<script type="text/javascript" src="/js/jquery-1.8.3.min.js"></script>
<script type="text/javascript">
$(function () {
    $(".nav > li").hover(function () {
        $(this).addClass("on").find(".sub").stop(true, true).slideDown(200);
    }, function () {
        $(this).removeClass("on").find(".sub").stop(true, true).slideUp(100);
    });
    $(".tab-hd li").mouseover(function () {
        var i = $(this).index();
        $(this).addClass("cur").siblings().removeClass("cur");
        $(this).parents(".tab").find(".tab-bd > ul").eq(i).show().siblings().hide();
    });
});
</script>"""

SEARCH_SCRIPT = """<script type="text/javascript">
document.getElementById("searchBtn").onclick = function () {
    var kw = document.getElementById("kw").value.replace(/^\\s+|\\s+$/g, "");
    if (kw === "") { alert("请输入搜索关键词"); return false; }
    location.href = "/search/?q=" + encodeURIComponent(kw);
    return false;
};
</script>"""


# -- page model ------------------------------------------------------------------------


@dataclass
class Spec:
    """One page: the unit, its layout and whatever the injection changes."""

    key: str
    owner: str
    topic: str
    layout: str
    charset: str = "utf-8"
    title: str | None = None
    keywords: str | None = None
    description: str | None = None
    head_extra: str = ""
    body_top: str = ""
    headings: str = ""
    news_extra: list[str] = field(default_factory=list)
    banner_alts: list[tuple[str, str]] = field(default_factory=list)
    lead_extra: str = ""
    links_extra: str = ""
    footer_extra: str = ""
    footer_style: str = ""
    script_end: str = ""
    friend_links: list[tuple[str, str]] | None = None
    columns: list[str] = field(default_factory=list)
    extra_sections: str = ""
    ordinary_scripts: tuple[str, ...] = ("date", "zoom")

    @property
    def host(self) -> str:
        return self.key if "." in self.key else f"{self.key}.{ZONE}"


def _rng(spec: Spec) -> random.Random:
    return random.Random(f"hijacks:{spec.key}")


def _dates(rng: random.Random, count: int) -> list[str]:
    day = 190 + rng.randrange(20)
    out = []
    for _ in range(count):
        day -= rng.choice((0, 1, 1, 2, 3))
        month, dom = divmod(max(day, 1) - 1, 30)
        out.append(f"2026-{min(month + 1, 12):02d}-{dom + 1:02d}")
    return out


def _url(rng: random.Random, column: str, date: str) -> str:
    compact = date.replace("-", "")
    return f"/{column}/{compact[:6]}/t{compact}_{rng.randrange(100000, 999999)}.html"


def _headline(rng: random.Random, spec: Spec, used: set[str]) -> str:
    pools = [T.TOPIC_NEWS[spec.topic], T.TOPIC_NEWS[spec.topic], T.GENERIC_NEWS]
    for _ in range(50):
        text = rng.choice(rng.choice(pools)).format(x=T.XIAN, d=spec.owner,
                                                     n=rng.randrange(3, 40))
        if text not in used:
            used.add(text)
            return text
    return text


def _news_items(rng: random.Random, spec: Spec, count: int, column: str,
                used: set[str], extra: list[str] | None = None, tag: str = "li") -> list[str]:
    items = []
    for date in _dates(rng, count):
        text = _headline(rng, spec, used)
        items.append(f'<{tag}><a href="{_url(rng, column, date)}" target="_blank" '
                     f'title="{html.escape(text)}">{text}</a><span>{date}</span></{tag}>')
    for index, item in enumerate(extra or []):
        items.insert(min(len(items), 2 + index * 3), item)
    return items


def _notices(rng: random.Random, spec: Spec, count: int) -> list[str]:
    picks = rng.sample(T.NOTICES, min(count, len(T.NOTICES)))
    return [f'<li><a href="{_url(rng, "tzgg", date)}" target="_blank">'
            f'{text.format(x=T.XIAN, d=spec.owner)}</a><em>{date[5:]}</em></li>'
            for text, date in zip(picks, _dates(rng, len(picks)), strict=True)]


def _paragraphs(rng: random.Random, count: int) -> str:
    return "\n".join(f"<p>{p.format(x=T.XIAN)}</p>" for p in rng.sample(T.PARAGRAPHS, count))


def _site_code(spec: Spec) -> str:
    return f"{DIVISION}{ENTRY_NUMBERS[spec.key]:04d}"


def _footer_lines(rng: random.Random, spec: Spec) -> str:
    icp = f"甘ICP备{rng.randrange(10000000, 19999999)}号-{rng.randrange(1, 4)}"
    police = f"甘公网安备 {DIVISION}02{rng.randrange(100000, 999999)}号"
    phone = f"0937-66{rng.randrange(10000, 99999)}"
    town = rng.choice(T.TOWNS)
    street = rng.choice(["人民路", "解放路", "建设路", "新华街", "政府街", "滨河路"])
    number = rng.randrange(1, 200)
    variants = [
        f"<p>主办单位：{spec.owner}　承办：{spec.owner}办公室　联系电话：{phone}</p>"
        f"<p>地址：{T.SHENG}{T.SHI}{T.XIAN}{town}{street}{number}号　"
        f"网站标识码：{_site_code(spec)}</p>"
        f'<p><a href="https://beian.miit.gov.cn/" target="_blank">{icp}</a>　'
        f'<a href="http://www.beian.gov.cn/portal/registerSystemInfo" target="_blank">'
        f"{police}</a></p>",
        f"<p>版权所有：{spec.owner}　技术支持：{T.XIAN}融媒体中心</p>"
        f"<p>网站标识码：{_site_code(spec)}　"
        f'<a href="https://beian.miit.gov.cn/" target="_blank">{icp}</a>　{police}</p>'
        f"<p>通讯地址：{T.XIAN}{street}{number}号　邮编：7{rng.randrange(30000, 49999)}　"
        f"电话：{phone}　建议使用1280×800以上分辨率浏览本站</p>",
        f"<p>{spec.owner} 主办　网站标识码{_site_code(spec)}　{icp}</p>"
        f"<p>{police}　联系我们：{phone}（工作日 8:30-12:00 14:30-18:00）</p>"
        f"<p>地址：{T.XIAN}{town}{street}{number}号</p>",
    ]
    badges = ('<a href="http://bszs.conac.cn/sitename?method=show&amp;id=' f'{rng.randrange(10**15, 10**16):X}" target="_blank">'
              '<img src="/images/red.png" alt="党政机关" width="46" height="56"></a>'
              '<a href="https://zfwzzc.www.gov.cn/check_web/errorInfo_querySiteInfo.action?'
              f'sitecode={_site_code(spec)}" target="_blank">'
              '<img src="/images/zfwzzc.png" alt="政府网站找错" width="110" height="55"></a>')
    return rng.choice(variants) + f'<div class="badges">{badges}</div>'


def _friend_links(spec: Spec, cls: str) -> str:
    links = spec.friend_links if spec.friend_links is not None else T.GOVERNMENT_LINKS[:4]
    items = " ".join(f'<a href="{url}" target="_blank">{text}</a>' for url, text in links)
    return f'<div class="{cls}"><span>友情链接：</span>{items}{spec.links_extra}</div>'


def _meta(spec: Spec) -> str:
    if spec.charset == "gbk":
        label = "gb2312" if spec.layout == "B" else "gbk"
        if spec.layout == "B":
            charset = f'<meta http-equiv="Content-Type" content="text/html; charset={label}" />'
        else:
            charset = f'<meta charset="{label}">'
    else:
        charset = ('<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />'
                   if spec.layout == "B" else '<meta charset="utf-8">')
    title = spec.title if spec.title is not None else spec.owner
    keywords = spec.keywords if spec.keywords is not None else \
        f"{spec.owner},{T.XIAN},政务公开,工作动态,办事服务"
    description = spec.description if spec.description is not None else \
        f"{spec.owner}门户网站，发布{T.XIAN}{spec.owner[len(T.XIAN):]}工作动态、政策文件、通知公告，" \
        "提供政务公开和办事服务。"
    return "\n".join([
        charset,
        '<meta http-equiv="X-UA-Compatible" content="IE=edge">',
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
        f'<meta name="SiteName" content="{spec.owner}">',
        f'<meta name="SiteDomain" content="{spec.host}">',
        f'<meta name="SiteIDCode" content="{_site_code(spec)}">',
        '<meta name="ColumnName" content="首页">',
        '<meta name="ColumnType" content="首页">',
        f"<title>{title}</title>",
        f'<meta name="keywords" content="{keywords}">',
        f'<meta name="description" content="{description}">',
    ])


def _ordinary(spec: Spec, where: str) -> str:
    parts = []
    if where == "top" and "date" in spec.ordinary_scripts:
        parts.append(f'<span class="date">{DATE_SCRIPT}</span>')
    if where == "head" and "zoom" in spec.ordinary_scripts:
        parts.append(ZOOM_SCRIPT)
    if where == "end" and "jquery" in spec.ordinary_scripts:
        parts.append(JQUERY_MENU)
    if where == "end" and "search" in spec.ordinary_scripts:
        parts.append(SEARCH_SCRIPT)
    if where == "end" and "stats" in spec.ordinary_scripts:
        key = f"{zlib.crc32(spec.key.encode()):08x}6c3f4e0a9b1d2c7e5f8a0b1c"
        parts.append(BAIDU_STATS.replace("{key}", key))
    return "\n".join(parts)


CSS = {
    "A": """body{margin:0;font:14px/1.8 "Microsoft YaHei",SimSun,sans-serif;color:#333;background:#fff}
a{color:#333;text-decoration:none}a:hover{color:#c00}
.w1200{width:1200px;margin:0 auto}.topbar{background:#f5f5f5;height:34px;line-height:34px;font-size:12px}
.header{height:130px;background:#1d5aa6 url(/images/head-bg.jpg) no-repeat center}
.header h1{color:#fff;font-size:34px;line-height:130px;margin:0;letter-spacing:4px}
.nav{background:#0f4a94;height:48px}.nav li{float:left;width:150px;text-align:center;position:relative}
.nav li a{color:#fff;font-size:17px;line-height:48px}.nav .sub{display:none;position:absolute;top:48px;left:0;width:150px;background:#fff}
.news li{height:34px;line-height:34px;border-bottom:1px dashed #ddd;overflow:hidden}
.news li span{float:right;color:#999}.box{border:1px solid #e3e3e3;margin-top:15px}
.box-hd{height:40px;line-height:40px;border-bottom:2px solid #1d5aa6;font-size:18px;padding-left:12px}
.footer{background:#f2f2f2;border-top:3px solid #1d5aa6;padding:20px 0;text-align:center;color:#555;font-size:13px}""",
    "B": """body{margin:0;font-size:12px;font-family:宋体;background:#eaf1f8}
td{font-size:12px;line-height:22px}a:link,a:visited{color:#000;text-decoration:none}a:hover{color:#f00}
.title1{font-size:14px;font-weight:bold;color:#fff;background:#2b6cb0;padding-left:10px}
.list1 td{border-bottom:1px dotted #ccc}.bottom{background:#2b6cb0;color:#fff;line-height:24px}
.bottom a{color:#fff}""",
    "C": """*{margin:0;padding:0}body{font:14px/1.75 "微软雅黑",Arial;color:#222;background:#f7f7f7}
ul,li{list-style:none}a{color:#222;text-decoration:none}
.container{width:1180px;margin:0 auto;background:#fff}.head{height:150px;background:#b71c1c}
.head .logo{float:left;margin:35px 0 0 30px;color:#fff;font-size:32px;font-weight:bold}
.menu{height:46px;background:#9a1414}.menu a{float:left;padding:0 26px;line-height:46px;color:#fff;font-size:16px}
.tab-hd li{float:left;padding:0 18px;cursor:pointer;height:38px;line-height:38px}.tab-hd li.cur{background:#b71c1c;color:#fff}
.tab-bd ul li{line-height:32px;padding-left:12px;background:url(/images/dot.gif) no-repeat 0 center}
.tab-bd ul li span{float:right;color:#888}.col-l{float:left;width:780px}.col-r{float:right;width:370px}
.foot{clear:both;padding:24px 0;text-align:center;line-height:26px;color:#666}""",
    "D": """body{margin:0;font:14px/1.7 "Microsoft YaHei";color:#333;background:#eef2f5}
a{color:#333;text-decoration:none}.wrap{width:1100px;margin:0 auto}
.banner{height:120px;background:#1b6d4f}.banner .name{color:#fff;font-size:30px;padding:34px 0 0 40px}
.mainnav{background:#155a41;height:44px}.mainnav a{display:inline-block;padding:0 22px;line-height:44px;color:#fff}
.side{float:left;width:240px;background:#fff}.side h3{background:#1b6d4f;color:#fff;margin:0;padding:8px 16px}
.side li{border-bottom:1px solid #eee;padding:6px 16px}.content{float:right;width:840px;background:#fff;min-height:600px}
.list li{padding:6px 0;border-bottom:1px dashed #e5e5e5}.list li span{float:right;color:#999}
.location{padding:10px 20px;border-bottom:1px solid #e5e5e5;color:#666}
.copyright{clear:both;text-align:center;padding:18px 0;color:#666;background:#fff;border-top:2px solid #1b6d4f}""",
}


SUB_COLUMNS = {
    "机构概况": ["单位简介", "领导信息", "内设机构", "联系方式"],
    "中心概况": ["中心简介", "领导信息", "内设科室"],
    "政务公开": ["政策文件", "规划计划", "财政资金", "人事信息"],
    "工作动态": ["部门动态", "乡镇动态", "媒体聚焦"],
    "政策文件": ["县政府文件", "部门文件", "政策解读"],
    "办事服务": ["办事指南", "表格下载", "在线办理"],
    "互动交流": ["领导信箱", "在线访谈", "意见征集"],
    "开奖公告": ["双色球", "福彩3D", "快乐8", "七乐彩", "快3"],
    "走势图表": ["双色球走势", "3D走势", "快乐8走势"],
}


def _layout_a(spec: Spec, rng: random.Random, fill: int) -> str:
    used: set[str] = set()
    columns = spec.columns or ["首页", "机构概况", "政务公开", "工作动态", "通知公告",
                               "政策文件", "办事服务", "互动交流", "专题专栏"]
    nav = ""
    for i, column in enumerate(columns):
        subs = "".join(f'<a href="/col{i}/{j}/">{sub}</a>'
                       for j, sub in enumerate(SUB_COLUMNS.get(column, [])))
        nav += (f'<li><a href="/{"index" if i == 0 else f"col{i}"}/">{column}</a>'
                + (f'<div class="sub">{subs}</div>' if subs else "") + "</li>")
    banners = spec.banner_alts or [(f"{T.XIAN}{t}", t) for t in rng.sample(T.SPECIALS, 3)]
    banner = "".join(f'<li><a href="/ztzl/{i}/" title="{title}"><img src="/images/banner{i}.jpg" '
                     f'alt="{alt}" width="1200" height="300"></a></li>'
                     for i, (alt, title) in enumerate(banners, 1))
    lead = (f'<div class="lead"><h2><a href="/gzdt/lead/">{_headline(rng, spec, used)}</a></h2>'
            f'<div id="zoom">{_paragraphs(rng, 3)}</div>{spec.lead_extra}</div>')
    news = _news_items(rng, spec, fill, "gzdt", used, spec.news_extra)
    notices = _notices(rng, spec, 8)
    opens = "".join(f'<li><a href="/zwgk/{i}/">{c}</a></li>' for i, c in enumerate(
        rng.sample(T.OPEN_COLUMNS, 12)))
    services = "".join(f'<li><a href="http://zwfw.gansu.gov.cn/?item={i}" target="_blank">{s}</a></li>'
                       for i, s in enumerate(rng.sample(T.SERVICES, 12)))
    interact = "".join(f'<li><a href="/hdjl/{i}/">{s}</a></li>' for i, s in enumerate(
        rng.sample(T.INTERACT, 6)))
    specials = "".join(f'<li><a href="/ztzl/{i}/"><img src="/images/zt{i}.jpg" alt="{s}"></a></li>'
                       for i, s in enumerate(rng.sample(T.SPECIALS, 5)))
    return f"""<body>
{spec.body_top}
<div class="topbar"><div class="w1200">{_ordinary(spec, "top")}
<span class="fr"><a href="javascript:void(0)">无障碍浏览</a> | <a href="/lzms/">长者模式</a> | <a href="/m/">手机版</a> | 字号：<a href="javascript:doZoom(16)">大</a> <a href="javascript:doZoom(14)">中</a> <a href="javascript:doZoom(12)">小</a></span></div></div>
<div class="header"><div class="w1200"><h1>{spec.owner}</h1>
<form class="search" action="/search/" method="get"><input type="text" id="kw" name="q" placeholder="请输入关键字"><input type="submit" id="searchBtn" value="搜索"></form></div></div>
<div class="nav"><ul class="w1200">{nav}</ul></div>
<div class="w1200">
<div class="banner"><ul>{banner}</ul></div>
{spec.headings}
<div class="box">{lead}</div>
<div class="box"><div class="box-hd">工作动态<a class="more" href="/gzdt/">更多&gt;&gt;</a></div><ul class="news">{"".join(news)}</ul></div>
<div class="box"><div class="box-hd">通知公告</div><ul class="news">{"".join(notices)}</ul></div>
<div class="box"><div class="box-hd">政务公开</div><ul class="grid">{opens}</ul></div>
<div class="box"><div class="box-hd">办事服务</div><ul class="grid">{services}</ul></div>
<div class="box"><div class="box-hd">互动交流</div><ul class="grid">{interact}</ul></div>
<div class="box"><div class="box-hd">专题专栏</div><ul class="zt">{specials}</ul></div>
{spec.extra_sections}
</div>
<div class="footer" {spec.footer_style}><div class="w1200">
{_friend_links(spec, "yqlj")}
{_footer_lines(rng, spec)}
{spec.footer_extra}
</div></div>
{_ordinary(spec, "end")}
{spec.script_end}
</body>"""


def _layout_b(spec: Spec, rng: random.Random, fill: int) -> str:
    used: set[str] = set()
    columns = spec.columns or ["网站首页", "机构设置", "政务公开", "工作动态", "政策法规",
                               "办事指南", "公众参与", "下载中心"]
    nav = " | ".join(f'<a href="/{i}/" class="white">{c}</a>' for i, c in enumerate(columns))
    rows = "".join(
        f'<tr class="list1"><td width="12" align="center"><img src="/images/dot.gif" width="3" '
        f'height="3"></td><td>{item}</td></tr>'
        for item in _news_items(rng, spec, fill, "xwzx", used, spec.news_extra, tag="span"))
    notice_rows = "".join(f"<tr><td>{n}</td></tr>" for n in _notices(rng, spec, 8))
    opens = "".join(f'<td width="25%" height="26"><a href="/zwgk/{i}.htm">{c}</a></td>'
                    + ("</tr><tr>" if i % 4 == 3 else "")
                    for i, c in enumerate(rng.sample(T.OPEN_COLUMNS, 12)))
    services = "<br>".join(f'·<a href="/bszn/{i}.htm">{s}</a>' for i, s in enumerate(
        rng.sample(T.SERVICES, 10)))
    leaders = "".join(f"<tr><td>{name}　{job}</td></tr>" for name, job in zip(
        rng.sample(T.LEADERS, 4), ["局长（主任）", "副局长", "副局长", "纪检组长"], strict=True))
    banners = spec.banner_alts or [(f"{T.XIAN}{t}", t) for t in rng.sample(T.SPECIALS, 2)]
    banner = "".join(f'<a href="/zt/{i}/" title="{title}"><img src="/images/b{i}.jpg" '
                     f'alt="{alt}" width="980" height="120" border="0"></a>'
                     for i, (alt, title) in enumerate(banners, 1))
    return f"""<body>
{spec.body_top}
<table width="980" border="0" align="center" cellpadding="0" cellspacing="0" bgcolor="#FFFFFF">
<tr><td height="26" bgcolor="#f0f0f0">{_ordinary(spec, "top")}　<a href="#" onclick="this.style.behavior='url(#default#homepage)';this.setHomePage(location.href);return false;">设为首页</a> | <a href="javascript:window.external.AddFavorite(location.href,document.title)">加入收藏</a></td></tr>
<tr><td height="110" background="/images/top.jpg"><font style="font-size:30px;color:#ffffff;font-family:黑体">　{spec.owner}</font></td></tr>
<tr><td height="32" bgcolor="#2b6cb0" align="center" style="color:#fff">{nav}</td></tr>
<tr><td>{banner}</td></tr>
</table>
<table width="980" border="0" align="center" cellpadding="0" cellspacing="0" bgcolor="#FFFFFF">
<tr><td width="700" valign="top">
{spec.headings}
<table width="100%" border="0" cellspacing="0" cellpadding="0"><tr><td class="title1" height="28">头条新闻</td></tr>
<tr><td style="padding:8px" id="zoom"><b>{_headline(rng, spec, used)}</b>{_paragraphs(rng, 3)}{spec.lead_extra}</td></tr></table>
<table width="100%" border="0" cellspacing="0" cellpadding="0"><tr><td class="title1" height="28" colspan="2">工作动态　<a href="/xwzx/" style="color:#fff">更多&gt;&gt;</a></td></tr>
{rows}</table>
<table width="100%" border="0" cellspacing="0" cellpadding="0"><tr><td class="title1" height="28" colspan="4">政务公开</td></tr><tr>{opens}</tr></table>
{spec.extra_sections}
</td><td width="10"></td><td width="270" valign="top">
<table width="100%" border="0" cellspacing="0" cellpadding="0"><tr><td class="title1" height="28">通知公告</td></tr>{notice_rows}</table>
<table width="100%" border="0" cellspacing="0" cellpadding="0"><tr><td class="title1" height="28">领导信息</td></tr>{leaders}</table>
<table width="100%" border="0" cellspacing="0" cellpadding="0"><tr><td class="title1" height="28">办事指南</td></tr><tr><td>{services}</td></tr></table>
</td></tr></table>
<table width="980" border="0" align="center" cellpadding="0" cellspacing="0" class="bottom" {spec.footer_style}>
<tr><td align="center">{_friend_links(spec, "yqlj")}</td></tr>
<tr><td align="center">{_footer_lines(rng, spec)}{spec.footer_extra}</td></tr></table>
{_ordinary(spec, "end")}
{spec.script_end}
</body>"""


def _layout_c(spec: Spec, rng: random.Random, fill: int) -> str:
    used: set[str] = set()
    columns = spec.columns or ["首页", "走进我们", "新闻中心", "信息公开", "政策法规",
                               "便民服务", "公众参与", "专题专栏"]
    menu = "".join(f'<a href="/{i}/">{c}</a>' for i, c in enumerate(columns))
    tabs = ["工作动态", "乡镇动态", "媒体聚焦"]
    third = max(fill // 3, 6)
    lists = ""
    for i in range(3):
        items = _news_items(rng, spec, third, f"xwzx{i}", used,
                            spec.news_extra if i == 0 else None)
        hidden = ' style="display:none"' if i else ""
        lists += f"<ul{hidden}>{''.join(items)}</ul>"
    tab_hd = "".join(f'<li{" class=cur" if i == 0 else ""}>{t}</li>' for i, t in enumerate(tabs))
    notices = "".join(_notices(rng, spec, 7))
    policy = "".join(
        f'<li><a href="/zcfg/{i}.html">{T.XIAN}人民政府办公室关于印发《{t}实施方案》的通知</a></li>'
        for i, t in enumerate(rng.sample(["优化营商环境三年行动", "城乡环境综合整治",
                                          "农村供水保障", "养老服务体系建设",
                                          "安全生产治本攻坚三年行动", "数字政府建设",
                                          "义务教育优质均衡发展", "高标准农田建设"], 5)))
    services = "".join(f'<li><a href="/bmfw/{i}.html">{s}</a></li>' for i, s in enumerate(
        rng.sample(T.SERVICES, 10)))
    banners = spec.banner_alts or [(f"{T.XIAN}{t}", t) for t in rng.sample(T.SPECIALS, 3)]
    banner = "".join(f'<a href="/zt/{i}/" title="{title}"><img src="/uploads/zt{i}.png" '
                     f'alt="{alt}"></a>' for i, (alt, title) in enumerate(banners, 1))
    return f"""<body>
{spec.body_top}
<div class="container">
<div class="head"><div class="logo">{spec.owner}</div><div class="tools">{_ordinary(spec, "top")}</div>
<div class="search"><input type="text" id="kw" value="" placeholder="站内搜索"><button id="searchBtn">搜 索</button></div></div>
<div class="menu">{menu}</div>
{spec.headings}
<div class="col-l">
<div class="focus"><h2><a href="/xwzx/focus.html">{_headline(rng, spec, used)}</a></h2><div id="zoom">{_paragraphs(rng, 2)}</div>{spec.lead_extra}</div>
<div class="tab"><ul class="tab-hd">{tab_hd}</ul><div class="tab-bd">{lists}</div></div>
<div class="policy"><h3>政策法规</h3><ul>{policy}</ul></div>
{spec.extra_sections}
</div>
<div class="col-r">
<div class="notice"><h3>通知公告</h3><ul>{notices}</ul></div>
<div class="serve"><h3>便民服务</h3><ul>{services}</ul></div>
<div class="zt">{banner}</div>
</div>
<div class="foot" {spec.footer_style}>
{_friend_links(spec, "links")}
{_footer_lines(rng, spec)}
{spec.footer_extra}
</div>
</div>
{_ordinary(spec, "end")}
{spec.script_end}
</body>"""


def _layout_d(spec: Spec, rng: random.Random, fill: int) -> str:
    used: set[str] = set()
    columns = spec.columns or ["首页", "单位概况", "信息公开", "工作动态", "通知公告",
                               "业务工作", "办事服务", "互动交流"]
    nav = "".join(f'<a href="/{i}/">{c}</a>' for i, c in enumerate(columns))
    side_items = rng.sample(T.OPEN_COLUMNS, 12)
    side = "".join(f'<li><a href="/xxgk/{i}/">{c}</a></li>' for i, c in enumerate(side_items))
    items = _news_items(rng, spec, fill, "gzdt", used, spec.news_extra)
    pages = "".join(f'<a href="/gzdt/index_{i}.html">{i + 1}</a> ' for i in range(1, 8))
    banners = spec.banner_alts or [(f"{T.XIAN}{t}", t) for t in rng.sample(T.SPECIALS, 2)]
    banner = "".join(f'<a href="/zt/{i}/" title="{title}"><img src="/img/zt{i}.jpg" '
                     f'alt="{alt}" width="240"></a>' for i, (alt, title) in enumerate(banners, 1))
    notices = "".join(_notices(rng, spec, 6))
    return f"""<body>
{spec.body_top}
<div class="banner"><div class="wrap"><div class="name">{spec.owner}</div></div></div>
<div class="mainnav"><div class="wrap">{nav}</div></div>
<div class="wrap">
<div class="side"><h3>信息公开</h3><ul>{side}</ul><h3>专题专栏</h3><div>{banner}</div>
<h3>通知公告</h3><ul>{notices}</ul></div>
<div class="content">
<div class="location">当前位置：<a href="/">首页</a> &gt; <a href="/gzdt/">工作动态</a>　{_ordinary(spec, "top")}</div>
{spec.headings}
<div class="article" id="zoom"><h1>{_headline(rng, spec, used)}</h1>{_paragraphs(rng, 3)}{spec.lead_extra}</div>
<ul class="list">{"".join(items)}</ul>
<div class="page">共{fill * 9}条　首页 上一页 {pages} 下一页 尾页</div>
{spec.extra_sections}
</div>
</div>
<div class="copyright" {spec.footer_style}>
{_friend_links(spec, "flink")}
{_footer_lines(rng, spec)}
{spec.footer_extra}
</div>
{_ordinary(spec, "end")}
{spec.script_end}
</body>"""


LAYOUTS: dict[str, Callable[[Spec, random.Random, int], str]] = {
    "A": _layout_a, "B": _layout_b, "C": _layout_c, "D": _layout_d,
}


def render(spec: Spec) -> str:
    """The page, grown with news items until it weighs 20–40 KB in its own charset."""
    doctype = ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
               '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
               '<html xmlns="http://www.w3.org/1999/xhtml">' if spec.layout == "B"
               else '<!DOCTYPE html>\n<html lang="zh-CN">')
    target = _rng(spec).randrange(25_000, 33_000)
    fill = 10
    while True:
        rng = _rng(spec)
        body = LAYOUTS[spec.layout](spec, rng, fill)
        page = (f"{doctype}\n<head>\n{_meta(spec)}\n"
                f'<link rel="stylesheet" type="text/css" href="/css/style.css">\n'
                f"<style type=\"text/css\">\n{CSS[spec.layout]}\n</style>\n"
                f"{_ordinary(spec, 'head')}\n{spec.head_extra}</head>\n{body}\n</html>\n")
        if size(page, spec.charset) >= target or fill > 200:
            return page
        fill += 3


def size(page: str, charset: str) -> int:
    return len(page.encode(charset))


# -- the entries ------------------------------------------------------------------------

OWNERS: dict[str, str] = {}
ENTRY_NUMBERS: dict[str, int] = {}


def _spec(key: str, owner: str, topic: str, layout: str, **changes: object) -> Spec:
    OWNERS[key] = owner
    ENTRY_NUMBERS.setdefault(key, len(ENTRY_NUMBERS) + 1)
    return Spec(key, owner, topic, layout, **changes)  # type: ignore[arg-type]


def _hidden_block(style: str, offset: int, tag: str = "div") -> str:
    return f'<{tag} style="{style}">{spam_links(8, offset)}</{tag}>'


def _write_lines(markup: str, function: str = "document.writeln") -> str:
    return "\n".join(f"{function}({js_string(line, chr(34))});" for line in markup.split("\n"))


def specs() -> list[Spec]:
    """Every page of the world, in register order."""
    out: list[Spec] = []
    add = out.append

    # ---- the county portal (clean): central media menu hidden until hovered, ordinary
    # scripts, and the 投资测试 column's link to the closed bureau's old domain (Subei)
    media = "".join(f'<li><a href="{u}" target="_blank">{t}</a></li>' for u, t in T.CENTRAL_MEDIA)
    provinces = "".join(f'<li><a href="{u}" target="_blank">{t}</a></li>' for u, t in T.PROVINCES)
    dropdown = f"""<style type="text/css">
.dropmenu{{display:inline-block;position:relative;width:200px;margin:0 10px}}
.dropmenu .tit{{display:block;border:1px solid #ccc;background:#fff;line-height:30px;cursor:pointer}}
.dropmenu ul{{display:none;position:absolute;bottom:31px;left:0;width:198px;background:#fff;border:1px solid #ccc}}
.dropmenu:hover ul{{display:block}}
</style>
<div class="dropmenus"><div class="dropmenu"><span class="tit">中央媒体 ▲</span><ul>{media}</ul></div><div class="dropmenu"><span class="tit">省级政府网站 ▲</span><ul style="display:none">{provinces}</ul></div><div class="dropmenu"><span class="tit">县直部门网站 ▲</span><ul style="display:none"><li><a href="http://tjj.{ZONE}/">测试县统计局</a></li><li><a href="http://gaj.{ZONE}/">测试县公安局</a></li><li><a href="http://jkzx.{ZONE}/">测试县疾病预防控制中心</a></li><li><a href="http://zwfw.{ZONE}/">测试县政务服务中心</a></li></ul></div></div>"""
    hover = """<script type="text/javascript">
$(".dropmenu").hover(function () { $(this).find("ul").show(); },
                     function () { $(this).find("ul").hide(); });
</script>"""
    invest = f"""<div class="box"><div class="box-hd">投资测试</div><ul class="news">
<li><a href="/tzcs/yshj/">营商环境</a><span>2026-05-20</span></li>
<li><a href="/tzcs/zsxm/">招商项目</a><span>2026-05-18</span></li>
<li><a href="http://{SUBEI_HOST}/" target="_blank">测试县工商行政管理局（企业登记服务）</a><span>2019-03-02</span></li>
<li><a href="/tzcs/yhzc/">优惠政策</a><span>2026-04-30</span></li>
</ul></div>"""
    add(_spec("www", f"{T.XIAN}人民政府", "general", "A",
              footer_extra=dropdown, extra_sections=invest, script_end=hover,
              friend_links=T.GOVERNMENT_LINKS[:3],
              ordinary_scripts=("date", "zoom", "jquery", "search", "stats")))

    # ---- title hijacks: the head written as character references
    add(_spec("jyj", f"{T.XIAN}教育局", "education", "A",
              title=entities("澳门新葡京官网_百家乐在线_真人娱乐平台") + "-" + f"{T.XIAN}教育局",
              keywords=entities("澳门新葡京,新葡京娱乐场,百家乐,真人视讯,在线赌场"),
              description=entities("澳门新葡京娱乐场（www.xpj8866.com）是亚洲领先的线上"
                                   "娱乐平台，提供百家乐、真人视讯、体育投注、电子游艺，注册"
                                   "即送38元彩金。"),
              ordinary_scripts=("date", "zoom", "stats")))
    add(_spec("mzj", f"{T.XIAN}民政局", "civil", "B", charset="gbk",
              title=entities("澳門威尼斯人官方網站-百家樂-真人視訊-線上娛樂城", True),
              keywords=entities("威尼斯人娛樂場,澳門博彩,百家樂技巧,真人荷官,線上賭場", True),
              description=entities("澳門威尼斯人娛樂場官方網站，真人百家樂、輪盤、骰寶，"
                                   "首存即送彩金，24小時線上客服。", True)))
    add(_spec("sfj", f"{T.XIAN}司法局", "justice", "C",
              title="百 家 乐 - ｂｅｔ３６５ 体 育 在 线 - 皇 冠 现 金 网",
              keywords="百家乐,ｂｅｔ３６５,ｂ３６５体育,皇冠ｃｒｏｗｎ,真 人 视 讯,体 育 投 注",
              description="ｂｅｔ３６５体育在线投注，百 家 乐 真 人 荷 官，皇冠现金网 注 册 送 "
                          "彩 金，ｗｗｗ．ｈｇ０１８８．ｃｃ",
              ordinary_scripts=("date", "zoom", "jquery", "search")))

    # ---- spam words no fixed list holds, in each zone of the page
    add(_spec("fgj", f"{T.XIAN}发展和改革局", "economy", "D",
              title="极速快3计划_幸运28开奖直播_北京赛车PK10走势图-测试县发展和改革局",
              keywords="极速快3计划,幸运28开奖,PK10走势图,重庆时时彩计划,幸运飞艇开奖记录,大发快三",
              description="提供极速快3计划、幸运28开奖结果、北京赛车PK10走势图在线预测，"
                          "精准人工计划免费分享，幸运飞艇开奖记录实时更新。"))
    add(_spec("wtlj", f"{T.XIAN}文体广电和旅游局", "culture", "A",
              headings='<div class="hot"><h1>2026世界杯投注官方平台</h1>'
                       "<h2>世界杯买球app下载_外围足球投注平台</h2>"
                       "<h3>欧洲杯买球 滚球外围 实时赔率 足球竞猜官网入口</h3></div>"))
    add(_spec("nyj", f"{T.XIAN}农业农村局", "farm", "C", news_extra=[
        '<li><a href="http://www.ky-qp777.com/" target="_blank">开元棋牌官网下载 抢庄牛牛真钱版</a>'
        "<span>2026-06-12</span></li>",
        '<li><a href="http://www.ky-qp777.com/nn/" target="_blank">抢庄牛牛 百人牛牛 在线玩</a>'
        "<span>2026-06-11</span></li>",
        '<li><a href="http://www.ky-qp777.com/zjh/" target="_blank">棋牌游戏平台 炸金花 斗地主赢现金</a>'
        "<span>2026-06-10</span></li>",
        '<li><a href="http://www.ky-qp777.com/app/" target="_blank">真人棋牌下载 二八杠 牌九 提现秒到</a>'
        "<span>2026-06-09</span></li>",
    ], ordinary_scripts=("date", "zoom", "jquery")))
    add(_spec("zjj", f"{T.XIAN}住房和城乡建设局", "city", "D", banner_alts=[
        ("开云体育官网登录入口_KAIYUN手机版APP下载", "开云体育官方平台"),
        ("九游会J9官网平台登录_AG真人官网入口", "九游会官网登录"),
        ("半岛体育官方网站_半岛BOB综合平台下载", "半岛体育手机版下载"),
    ]))
    add(_spec("swj", f"{T.XIAN}商务局", "commerce", "B", charset="gbk",
              body_top='<div class="gg"><p>bet365体育在线投注_bt365官网_b365亚洲版 最新备用网址，'
                       "bet365手机版下载，足球 篮球 滚球 实时赔率，bt365注册即送彩金，"
                       "b365体育真人娱乐一站式平台。</p></div>"))

    # ---- a visible 友情链接 footer of casino hosts
    add(_spec("ybj", f"{T.XIAN}医疗保障局", "health", "A",
              links_extra=" " + link_list(
                  ["www.xpj8866.com", "www.amjs-0088.com", "www.wnsr5577.net", "www.hg0188.cc",
                   "www.b365cn.vip", "www.ky-qp777.com", "www.yb-sports9.net",
                   "www.dafa888-vip.com"],
                  ["新葡京娱乐城", "澳门金沙js", "威尼斯人", "皇冠hg", "bet365", "开元棋牌",
                   "亚博yabo", "大发888"]),
              ordinary_scripts=("date", "zoom", "stats")))

    # ---- hidden link blocks beyond display:none
    add(_spec("jtj", f"{T.XIAN}交通运输局", "transport", "B", charset="gbk",
              footer_style='style="background-color:#2b6cb0"',
              footer_extra=_hidden_block("color:#2B6CB0", 0).replace(
                  'target="_blank">', 'target="_blank" style="color:#2B6CB0">')))
    add(_spec("slj", f"{T.XIAN}水务局", "water", "C",
              footer_extra=_hidden_block("font-size:1px;line-height:1px", 1)))
    add(_spec("scjgj", f"{T.XIAN}市场监督管理局", "market", "D",
              footer_extra=_hidden_block("position:absolute;clip:rect(0 0 0 0)", 2)))
    add(_spec("rsj", f"{T.XIAN}人力资源和社会保障局", "labour", "A",
              footer_extra=f"<noscript>{spam_links(8, 3)}</noscript>"))
    add(_spec("zrzyj", f"{T.XIAN}自然资源局", "land", "C",
              footer_extra=f'<marquee height="1" width="1" scrollamount="3000" '
                           f'scrolldelay="20000">{spam_links(8, 4)}</marquee>'))
    add(_spec("yjglj", f"{T.XIAN}应急管理局", "safety", "D",
              footer_extra=_hidden_block("text-indent:-9999px;overflow:hidden;white-space:nowrap", 5)))
    add(_spec("jgsw", f"{T.XIAN}机关事务服务中心", "general", "A",
              footer_extra=_hidden_block("width:0;height:0;overflow:hidden", 6)))

    # ---- clean HTML, dirty scripts
    block = f'<div class="yqlj2">{spam_links(8, 0)}</div>'
    add(_spec("kjj", f"{T.XIAN}科学技术局", "economy", "C",
              script_end=f"<script type=\"text/javascript\">\ndocument.write({js_string(block)});\n"
                         "</script>"))
    add(_spec("gxj", f"{T.XIAN}工业和信息化局", "economy", "B", charset="gbk",
              footer_extra="<script>window[\"\\x64\\x6f\\x63\\x75\\x6d\\x65\\x6e\\x74\"]"
                           "[\"\\x77\\x72\\x69\\x74\\x65\"]("
                           f"{hex_escaped(spam_links(8, 1))});</script>"))
    codes = ",".join(str(ord(c)) for c in spam_links(8, 2))
    add(_spec("czj", f"{T.XIAN}财政局", "finance", "D",
              footer_extra=f"<script>var _s=String.fromCharCode({codes});"
                           "document.write(_s);</script>"))
    packed_source = "var links=" + js_string(f'<div class="fl">{spam_links(8, 3)}</div>') + \
        ";document.write(links);"
    add(_spec("sthjj", f"{T.XIAN}生态环境分局", "environment", "A",
              script_end=f"<script>{pack(packed_source)}</script>"))
    wrapper = "<div style=\"display:none\">\n" + spam_links(8, 4, "\n") + "\n</div>"
    add(_spec("wjj", f"{T.XIAN}卫生健康局", "health", "C",
              footer_extra=f"<script type=\"text/javascript\">\n{_write_lines(wrapper)}\n</script>"))
    add(_spec("xfj", f"{T.XIAN}信访局", "general", "D",
              script_end="<script type=\"text/javascript\">\n"
                         "var fl = document.getElementsByClassName(\"flink\")[0];\n"
                         f"fl.innerHTML = fl.innerHTML + {js_string(' ' + spam_links(6, 5))};\n"
                         "</script>"))
    pieces = [spam_links(8, 6)[i:i + 40] for i in range(0, len(spam_links(8, 6)), 40)]
    add(_spec("tcj", f"{T.XIAN}投资促进局", "economy", "A",
              script_end="<script>\nvar _a = " + " +\n    ".join(js_string(p) for p in pieces)
                         + ";\neval(\"docu\" + \"ment.wr\" + \"ite(_a)\");\n</script>"))

    # ---- script redirects
    add(_spec("lcj", f"{T.XIAN}林业和草原局", "environment", "C",
              head_extra='<script type="text/javascript">window.location["href"] = '
                         '"http://www.amjs-0088.com/";</script>\n'))
    add(_spec("xczxj", f"{T.XIAN}乡村振兴局", "general", "A",
              head_extra='<script>top.location.href = "http://www.wnsr5577.net/";</script>\n'))
    add(_spec("gxs", f"{T.XIAN}供销合作社联合社", "general", "D",
              script_end='<script type="text/javascript">\nwindow.onload = function () {\n'
                         '    window.open("http://www.hg0188.cc/", "_self");\n};\n</script>'))
    add(_spec("lsj", f"{T.XIAN}粮食和物资储备局", "general", "C",
              head_extra="<script>setTimeout(\"window.location.href='http://www.dafa888-vip.com/'\""
                         ", 1500);</script>\n"))
    add(_spec("qxj", f"{T.XIAN}气象局", "general", "B", charset="gbk",
              head_extra="<script type=\"text/javascript\">\n(function () {\n"
                         "    var r = document.referrer.toLowerCase();\n"
                         "    var s = [\"baidu.com\", \"sogou.com\", \"so.com\", \"sm.cn\", "
                         "\"toutiao.com\", \"bing.com\"];\n"
                         "    for (var i = 0; i < s.length; i++) {\n"
                         "        if (r.indexOf(s[i]) > -1) { window.location.href = "
                         "\"http://www.js1396.cc/\"; break; }\n    }\n})();\n</script>\n"))
    add(_spec("mzzj", f"{T.XIAN}民族宗教事务局", "general", "D",
              head_extra="<script>\nvar ua = navigator.userAgent.toLowerCase();\n"
                         "if (!/(baiduspider|sogou|360spider|yisouspider|bytespider|googlebot|"
                         "bingbot)/.test(ua)) {\n"
                         "    location.replace(\"http://www.kaiyun-ty.vip/\");\n}\n</script>\n"))

    # ---- title switching: the head is spam for Baiduspider, rewritten for everyone else
    add(_spec("sjj", f"{T.XIAN}审计局", "general", "A",
              title=entities("皇冠体育官网-皇冠现金网-hg0088皇冠足球投注平台"),
              head_extra="<script>\nif (navigator.userAgent.toLocaleLowerCase()"
                         ".indexOf(\"baiduspider\") == -1) {\n"
                         f"    document.title = {js_string(T.XIAN + '审计局', chr(34))};\n}}\n"
                         "</script>\n"))

    # ---- an injected external script from a commercial host
    add(_spec("tyjrj", f"{T.XIAN}退役军人事务局", "general", "C",
              head_extra=f'<script type="text/javascript" src="http://{SCRIPT_HOST}/tj.js">'
                         "</script>\n"))

    # ---- cloaking (the crawler and referer answers are in world.toml)
    add(_spec("cgj", f"{T.XIAN}城市管理综合执法局", "city", "D"))
    add(_spec("cl", f"{T.XIAN}残疾人联合会", "general", "B", charset="gbk"))
    add(_spec("zgh", f"{T.XIAN}总工会", "labour", "A"))
    add(_spec("fl", f"{T.XIAN}妇女联合会", "civil", "C"))
    add(_spec("tw", f"共青团{T.XIAN}委员会", "education", "D"))

    # ---- protective contexts (clean pages that must raise nothing)
    add(_spec("fczx", f"{T.XIAN}福利彩票发行中心", "general", "A",
              columns=["首页", "中心概况", "开奖公告", "走势图表", "公益金", "责任彩票",
                       "投注站查询", "通知公告"], extra_sections=WELFARE_LOTTERY,
              ordinary_scripts=("date", "zoom", "jquery")))
    add(_spec("tczx", f"{T.XIAN}体育彩票管理中心", "culture", "B", charset="gbk",
              columns=["首页", "中心介绍", "开奖公告", "竞彩专区", "公益体彩", "责任彩票",
                       "实体店查询"], extra_sections=SPORTS_LOTTERY))
    add(_spec("gaj", f"{T.XIAN}公安局", "justice", "C", extra_sections=ANTI_GAMBLING,
              ordinary_scripts=("date", "zoom", "jquery", "search")))
    add(_spec("jkzx", f"{T.XIAN}疾病预防控制中心", "health", "D", extra_sections=HEALTH))
    add(_spec("tjj", f"{T.XIAN}统计局", "stats", "A", extra_sections=MACAO_STATS,
              ordinary_scripts=("date", "zoom", "stats")))
    add(_spec("zwfw", f"{T.XIAN}政务服务中心", "labour", "C",
              friend_links=T.GOVERNMENT_LINKS + T.BANKS_AND_SERVICES,
              footer_extra=SELECT_LINKS, head_extra=FRAME_GUARD, script_end=SITE_SEARCH,
              ordinary_scripts=("date", "zoom", "jquery", "stats")))
    return out


WELFARE_LOTTERY = """<div class="box"><div class="box-hd">开奖公告</div><ul class="news">
<li><a href="/kjgg/ssq/2026068.html">中国福利彩票双色球第2026068期开奖公告：红球 03 09 14 21 27 32 蓝球 11</a><span>2026-06-16</span></li>
<li><a href="/kjgg/3d/2026161.html">福彩3D第2026161期开奖公告：开奖号码 5 2 8</a><span>2026-06-15</span></li>
<li><a href="/kjgg/kl8/2026161.html">快乐8第2026161期开奖公告</a><span>2026-06-15</span></li>
<li><a href="/kjgg/ks/20260615.html">甘肃福彩快3 2026年6月15日开奖结果汇总</a><span>2026-06-15</span></li>
<li><a href="/kjgg/qlc/2026068.html">七乐彩第2026068期开奖公告</a><span>2026-06-15</span></li>
<li><a href="/kjgg/ssq/2026067.html">中国福利彩票双色球第2026067期开奖公告</a><span>2026-06-13</span></li>
</ul></div>
<div class="box"><div class="box-hd">走势图表</div><ul class="grid">
<li><a href="/zst/ssq/">双色球基本走势图</a></li><li><a href="/zst/3d/">福彩3D和值走势图</a></li>
<li><a href="/zst/kl8/">快乐8号码分布走势</a></li><li><a href="/zst/ks/">快3基本走势图</a></li>
<li><a href="/zst/qlc/">七乐彩走势图</a></li></ul>
<p>走势图表仅反映历史开奖号码分布情况，彩票开奖结果具有随机性，任何“预测”“计划”均无科学依据，请理性购彩。</p></div>
<div class="box"><div class="box-hd">投注站查询</div><table class="tzz" width="100%">
<tr><th>站点编号</th><th>地址</th><th>销售游戏</th><th>联系电话</th></tr>
<tr><td>62980101</td><td>测试县城关镇人民路28号</td><td>双色球、福彩3D、快乐8、七乐彩、快3</td><td>0937-6612301</td></tr>
<tr><td>62980102</td><td>测试县城关镇解放路112号</td><td>双色球、福彩3D、快乐8</td><td>0937-6612302</td></tr>
<tr><td>62980103</td><td>测试县新华镇新华街7号</td><td>双色球、福彩3D、快乐8、快3</td><td>0937-6612303</td></tr>
<tr><td>62980104</td><td>测试县东岭镇市场路15号</td><td>双色球、福彩3D、七乐彩</td><td>0937-6612304</td></tr>
<tr><td>62980105</td><td>测试县柳林镇柳林街3号</td><td>双色球、快乐8、快3</td><td>0937-6612305</td></tr>
</table></div>
<div class="box"><div class="box-hd">责任彩票</div><div class="txt">
<p>福利彩票是国家为筹集社会福利事业发展资金发行的彩票，由民政部门主管，福利彩票发行中心统一发行和组织销售。彩票发行销售须经财政部批准，互联网销售彩票须经批准，任何未经批准的网络售彩、“代购”“合买”平台均属违法。</p>
<p>理性购彩、量力而行，不得向未成年人销售彩票和兑奖。彩票公益金用于养老服务、残疾人福利、儿童福利和社会公益事业，2025年本县福利彩票公益金使用情况已在本网公告。</p></div></div>"""

SPORTS_LOTTERY = """<table width="100%" border="0" cellspacing="0" cellpadding="0"><tr><td class="title1" height="28">开奖公告</td></tr>
<tr><td><a href="/kjgg/dlt/26068.htm">超级大乐透第26068期开奖公告：前区 05 11 19 26 33 后区 04 09</a>　2026-06-15</td></tr>
<tr><td><a href="/kjgg/pls/26161.htm">排列三第26161期开奖公告：3 7 1</a>　2026-06-15</td></tr>
<tr><td><a href="/kjgg/plw/26161.htm">排列五第26161期开奖公告：3 7 1 0 6</a>　2026-06-15</td></tr>
<tr><td><a href="/kjgg/qxc/26068.htm">七星彩第26068期开奖公告</a>　2026-06-14</td></tr>
<tr><td><a href="/kjgg/sfc/26089.htm">传统足彩胜负游戏（14场）第26089期开奖公告</a>　2026-06-14</td></tr></table>
<table width="100%" border="0" cellspacing="0" cellpadding="0"><tr><td class="title1" height="28">竞彩专区</td></tr>
<tr><td>竞彩足球、竞彩篮球是国家体育总局体育彩票管理中心发行的固定奖金游戏，只能在体育彩票实体店购买。
本周竞彩足球开售比赛：周一001 国际友谊赛 主队 VS 客队；周二003 世界杯预选赛 亚洲区……具体以实体店出票为准。
提醒购彩者：竞彩只在体彩实体店销售，网络上所谓“竞彩APP”“外围买球”均为非法平台。</td></tr></table>
<table width="100%" border="0" cellspacing="0" cellpadding="0"><tr><td class="title1" height="28">体彩实体店查询</td></tr>
<tr><td>62980001　测试县城关镇建设路16号　超级大乐透 排列三 排列五 七星彩 竞彩 足彩</td></tr>
<tr><td>62980002　测试县城关镇滨河路88号　超级大乐透 排列三 排列五 竞彩</td></tr>
<tr><td>62980003　测试县北塬镇北塬街21号　超级大乐透 排列三 七星彩</td></tr>
<tr><td>62980004　测试县马营镇商贸街5号　超级大乐透 排列三 排列五 竞彩 足彩</td></tr></table>
<table width="100%" border="0" cellspacing="0" cellpadding="0"><tr><td class="title1" height="28">公益体彩 责任彩票</td></tr>
<tr><td><p>体育彩票公益金主要用于全民健身和奥运争光计划。2025年本县体彩公益金支持建设社区健身路径12处、多功能运动场3个。</p>
<p>理性购彩，量力而行。未成年人不得购买体育彩票，不得兑奖。</p></td></tr></table>"""

ANTI_GAMBLING = """<div class="special"><h3>打击治理跨境赌博 防范电信网络诈骗</h3><ul>
<li><a href="/jwzx/20260612.html">测试县公安局严厉打击跨境赌博犯罪 破获网络赌博案件3起</a><span>2026-06-12</span></li>
<li><a href="/jwzx/20260605.html">网络赌博案件通报：一团伙利用“百家乐”赌博网站敛财被依法查处</a><span>2026-06-05</span></li>
<li><a href="/jwzx/20260528.html">警惕！所谓“时时彩”“北京赛车”“幸运飞艇”投注平台都是诈骗陷阱</a><span>2026-05-28</span></li>
<li><a href="/jwzx/20260520.html">以案说法：为赌博网站提供“跑分”结算，构成开设赌场罪</a><span>2026-05-20</span></li>
<li><a href="/jwzx/20260511.html">测试县公安局开展“断卡”行动 切断电诈赌博资金链</a><span>2026-05-11</span></li>
</ul>
<div class="txt"><p>近日，测试县公安局成功侦破一起特大网络赌博案，抓获犯罪嫌疑人12名。经查，该团伙通过境外服务器搭建“澳门新葡京”“皇冠体育”等仿冒赌博网站，以“注册送彩金”“稳赚不赔”“带你买球”为诱饵，招揽群众参与百家乐、时时彩、六合彩等网络赌博，涉案资金流水达2000余万元。</p>
<p>警方提示：所谓“赌博APP”“博彩平台”“外围买球”“快3计划群”均由犯罪团伙后台操控，输赢全由平台说了算。参与网络赌博不仅可能血本无归，还将承担法律责任。根据《中华人民共和国刑法》第三百零三条，以营利为目的，聚众赌博或者以赌博为业的，处三年以下有期徒刑、拘役或者管制；开设赌场的，处五年以下有期徒刑。</p>
<p>如发现网络赌博、电信网络诈骗线索，请拨打110或登录公安部网络违法犯罪举报网站举报。</p></div></div>"""

HEALTH = """<div class="special"><h3>艾滋病性病防治</h3><ul class="list">
<li><a href="/jbfk/azb/1.html">测试县开展“世界艾滋病日”主题宣传活动</a><span>2026-06-01</span></li>
<li><a href="/jbfk/azb/2.html">艾滋病、梅毒和乙肝母婴传播防治工作推进</a><span>2026-05-26</span></li>
<li><a href="/jbfk/xb/1.html">性病防治知识：梅毒、淋病的症状与规范治疗</a><span>2026-05-20</span></li>
<li><a href="/jbfk/vct/1.html">艾滋病自愿咨询检测（VCT）门诊免费提供梅毒检测、HIV抗体检测</a><span>2026-05-12</span></li>
<li><a href="/jbfk/azb/3.html">青年学生预防艾滋病宣传教育进校园</a><span>2026-04-28</span></li></ul>
<div class="txt"><p>测试县疾病预防控制中心艾滋病自愿咨询检测门诊地址：城关镇人民路45号疾控中心二楼，咨询电话0937-6613120，工作时间周一至周五。检测免费，保护个人隐私。</p>
<p>性病是以性接触为主要传播途径的传染病，常见的有梅毒、淋病、生殖道沙眼衣原体感染、尖锐湿疣和生殖器疱疹等。发现可疑症状应及时到正规医疗机构性病门诊就诊，切勿相信街头小广告和非法行医。</p>
<p>预防艾滋病，坚持使用安全套，拒绝毒品，不共用针具。艾滋病抗病毒治疗药物由国家免费提供。</p></div></div>"""

MACAO_STATS = """<div class="box"><div class="box-hd">港澳台经济统计</div><div class="txt">
<h3>2025年澳门特别行政区经济运行简况</h3>
<p>据澳门特别行政区统计暨普查局资料，2025年澳门本地生产总值按年实质增长约8.8%。服务出口中，博彩服务出口增长10.2%，其他旅游服务出口增长7.5%。全年入境旅客约3900万人次。</p>
<p>据博彩监察协调局公布，2025年澳门幸运博彩毛收入为2470亿澳门元，按年上升8.6%；年末共有娱乐场30间，赌台约6100张。博彩业毛收入占本地生产总值的比重较疫情前有所下降，经济适度多元发展持续推进，会展、中医药、现代金融和高新技术产业较快增长。</p>
<table class="tj" width="100%"><tr><th>指标</th><th>2025年</th><th>比上年增长（%）</th></tr>
<tr><td>本地生产总值（亿澳门元）</td><td>4360</td><td>8.8</td></tr>
<tr><td>幸运博彩毛收入（亿澳门元）</td><td>2470</td><td>8.6</td></tr>
<tr><td>入境旅客（万人次）</td><td>3900</td><td>10.1</td></tr>
<tr><td>娱乐场数目（间）</td><td>30</td><td>—</td></tr></table>
<p>资料来源：澳门特别行政区统计暨普查局、博彩监察协调局。本栏目转载资料供参考。</p></div></div>"""

SELECT_LINKS = """<div class="selects">
<select onchange="if(this.value!='')window.open(this.options[this.selectedIndex].value);this.selectedIndex=0;">
<option value="">—— 国务院部门网站 ——</option>
<option value="http://www.gov.cn/">中国政府网</option>
<option value="http://www.gansu.gov.cn/">甘肃省人民政府</option>
<option value="http://zwfw.gansu.gov.cn/">甘肃政务服务网</option></select>
<select onchange="if(this.value!='')window.open(this.options[this.selectedIndex].value);this.selectedIndex=0;">
<option value="">—— 便民服务 ——</option>
<option value="https://www.12306.cn/">中国铁路12306</option>
<option value="http://www.icbc.com.cn/">中国工商银行</option>
<option value="http://www.ccb.com/">中国建设银行</option></select></div>"""

FRAME_GUARD = """<script type="text/javascript">
if (top.location != self.location) { top.location = self.location; }
</script>
"""

SITE_SEARCH = """<script type="text/javascript">
document.getElementById("searchBtn").onclick = function () {
    var q = document.getElementById("kw").value;
    window.location.href = "https://zhannei.baidu.com/cse/search?s=1286519741906328817&entry=1&q=" + encodeURIComponent(q);
};
</script>"""


# -- pages that are not the county's ----------------------------------------------------


def casino_page() -> str:
    """What the gambling hosts serve (the link targets of the injections)."""
    games = "".join(f"<li><a href=\"/game/{i}\">{g}</a></li>" for i, g in enumerate(
        ["真人百家乐", "龙虎斗", "轮盘", "骰宝", "体育投注", "电子游艺", "捕鱼达人", "抢庄牛牛",
         "时时彩", "极速赛车", "六合彩"]))
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>"
            "澳门新葡京娱乐场-百家乐-真人视讯-体育投注</title></head><body>"
            "<h1>澳门新葡京 亚洲顶级线上娱乐城</h1><p>百家乐 真人视讯 时时彩 六合彩开奖 "
            "注册送彩金 首存优惠100% 每日反水1.2% 在线投注 24小时出款</p>"
            f"<ul>{games}</ul><p>备用网址：www.xpj8866.com www.amjs-0088.com</p></body></html>")


def external_script() -> str:
    """``tj.js`` of the commercial script host: a 'statistics' script that writes links."""
    markup = ('<div style="position:absolute;left:-6000px;top:-6000px">'
              + spam_links(8, 7) + "</div>")
    return ("/* tongji v2.3 */\n(function(){var d=new Date().getTime();"
            "var i=new Image();i.src=\"http://js.yunjs-cdn.com/c.gif?t=\"+d;})();\n"
            f"document.write({js_string(markup)});\n")


def parasite_page(owner: str, words: list[str], hosts: list[str], seed: str) -> str:
    """A black-hat 'parasite' page for a crawler: keyword title, generated text, links."""
    rng = random.Random(seed)
    title = "_".join(words[:3]) + f"-{owner}"
    paras = []
    for _ in range(14):
        picked = rng.sample(words, 3)
        paras.append(f"<p>{picked[0]}是{owner}推荐的{picked[1]}，{picked[2]}最新官方网址，"
                     f"{rng.choice(words)}注册即送彩金，{rng.choice(words)}手机版下载，"
                     f"24小时在线客服。{rng.choice(T.PARAGRAPHS).format(x=T.XIAN)[:60]}</p>")
    links = "".join(f'<li><a href="/?{rng.randrange(10**6, 10**7)}.html">{rng.choice(words)}'
                    f"{rng.choice(['官网', '平台', '登录', '下载', '开奖', '计划'])}</a></li>"
                    for _ in range(30))
    out = " ".join(f'<a href="http://{h}/">{CASINO_HOSTS[h]}</a>' for h in hosts)
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"{charset}\">"
            f"<title>{title}</title><meta name=\"keywords\" content=\"{','.join(words)}\">"
            f"<meta name=\"description\" content=\"{owner}：{'，'.join(words[:4])}。\">"
            f"</head><body><h1>{words[0]}</h1>{''.join(paras)}<ul>{links}</ul>"
            f"<div class=\"links\">{out}</div></body></html>\n")


def subei_page() -> str:
    """The closed bureau's lapsed domain as its new owner serves it: a casino front page
    with the head written as character references and a packed script."""
    rng = random.Random("subei")
    title = entities("澳门金沙城中心_金沙娱乐场官方网站_澳门金沙js9987登录入口")
    keywords = entities("澳门金沙,金沙娱乐场,金沙官网,金沙js,金沙登录,百家乐,真人视讯")
    description = entities("澳门金沙城中心官方网站，亚洲最具信誉的线上娱乐平台，提供真人百家乐、"
                           "体育赛事、电子游艺、彩票投注，注册即送彩金，首存加赠100%。")
    halls = ["真人视讯", "体育赛事", "电子游艺", "彩票游戏", "棋牌游戏", "捕鱼游戏", "电子竞技"]
    games = ["百家乐", "龙虎", "轮盘", "骰宝", "牛牛", "炸金花", "二八杠", "德州扑克",
             "时时彩", "快3", "PK10", "六合彩", "足球", "篮球", "网球", "斗鸡", "老虎机"]
    promos = ["新会员首存100%彩金", "每日签到送8元", "周周返水无上限", "VIP晋级礼金",
              "推荐好友送38元", "生日礼金888元", "连赢奖金", "红包雨每晚8点"]
    sections = []
    for hall in halls:
        items = "".join(f'<li><a href="/{hall}/{i}.html"><img src="/img/g{i}.png" alt="{g}">'
                        f"<span>{g}</span><em>在线{rng.randrange(200, 9000)}人</em></a></li>"
                        for i, g in enumerate(rng.sample(games, 12)))
        sections.append(f'<div class="hall"><h2>{hall}</h2><ul>{items}</ul></div>')
    promo = "".join(f"<li><b>{p}</b><p>活动时间：2026-06-01至2026-12-31，"
                    f"详情请咨询在线客服。流水要求{rng.randrange(3, 15)}倍。</p></li>"
                    for p in promos)
    winners = "".join(f"<li>会员{rng.choice('abcdefghjk')}***{rng.randrange(10, 99)} 在"
                      f"{rng.choice(games)} 赢得 {rng.randrange(1000, 500000)} 元</li>"
                      for _ in range(80))
    tips = ["百家乐必胜技巧", "真人视讯怎么玩", "体育投注入门", "电子游艺爆奖攻略",
            "快3大小单双玩法", "PK10定位胆技巧", "牛牛庄闲规则", "首存彩金怎么领"]
    articles = "".join(f'<li><a href="/news/{rng.randrange(10000, 99999)}.html">'
                       f"{rng.choice(tips)}（{rng.randrange(2, 30)}）：{rng.choice(games)}"
                       f"新手必看</a><span>2026-06-{rng.randrange(1, 29):02d}</span></li>"
                       for _ in range(60))
    kefu = ('<div id="kf" style="position:fixed;right:10px;top:200px;width:120px">'
            '<a href="http://www.amjs-0088.com/kefu">在线客服</a>'
            '<a href="http://www.js1396.cc/">备用网址</a>'
            '<a href="http://www.xpj8866.com/app">APP下载</a></div>')
    packed = pack("var kf=" + js_string(kefu) + ";document.write(kf);")
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\n"
            f"<title>{title}</title>\n<meta name=\"keywords\" content=\"{keywords}\">\n"
            f"<meta name=\"description\" content=\"{description}\">\n"
            "<meta name=\"viewport\" content=\"width=device-width\">\n</head>\n<body>\n"
            '<div class="top"><a href="/reg">免费开户</a> <a href="/login">会员登录</a> '
            '<a href="/app">手机APP</a> <a href="/promo">优惠活动</a></div>\n'
            "<h1>澳门金沙城中心 · 官方网站</h1>\n"
            "<p class=\"notice\">尊敬的会员：澳门金沙官方唯一网址 www.hjtgsj.com，"
            "本站已获菲律宾政府PAGCOR博彩牌照，百家乐、真人视讯、体育投注 24小时极速存取款。</p>\n"
            + "\n".join(sections) + f"\n<ul class=\"promo\">{promo}</ul>\n"
            f"<ul class=\"winners\">{winners}</ul>\n"
            f"<ul class=\"news\">{articles}</ul>\n"
            "<div class=\"foot\">Copyright © 2026 澳门金沙 版权所有 | 博彩责任 | 18岁以上 |"
            " 合作伙伴</div>\n"
            f"<script>{packed}</script>\n</body></html>\n")


# -- world.toml and register.csv --------------------------------------------------------

#: Register note per entry, and the cloaking of each cloaked entry.
NOTES = {
    "www": "县政府门户：页脚悬停下拉菜单（中央媒体、省级政府网站）、常规脚本；“投资测试”栏目仍链接已关停的工商局旧域名（肃北案例）",
    "jyj": "标题劫持：title/keywords/description 写成十进制 HTML 实体",
    "mzj": "标题劫持：繁体字，十六进制实体（GBK）",
    "sfj": "标题劫持：全角、空格隔开的字",
    "fgj": "词表之外的彩票词（极速快3计划、幸运28开奖、PK10走势图）在 title/meta",
    "wtlj": "体育博彩词（世界杯投注、买球、外围）在标题标签 h1-h3",
    "nyj": "棋牌词（抢庄牛牛、棋牌、炸金花）在新闻列表的链接文字",
    "zjj": "品牌+官网/登录/平台/下载/手机版 在图片 alt 与链接 title 属性",
    "swj": "bet365 变体（bt365、b365）在可见正文（GBK）",
    "ybj": "页脚可见“友情链接”里的博彩域名",
    "jtj": "暗链：文字颜色与背景色相同（GBK）",
    "slj": "暗链：1px 字号",
    "scjgj": "暗链：clip:rect(0 0 0 0) 裁剪",
    "rsj": "暗链：<noscript>",
    "zrzyj": "暗链：1 像素高的 <marquee>",
    "yjglj": "暗链：text-indent 移出屏幕",
    "jgsw": "暗链：零尺寸盒子（width:0;height:0;overflow:hidden）",
    "kjj": "脚本 document.write 写出链接块",
    "gxj": "脚本 \\x 转义的 document.write（GBK）",
    "czj": "脚本 String.fromCharCode 拼出链接块",
    "sthjj": "脚本 eval(function(p,a,c,k,e,d)) 打包器",
    "wjj": "脚本写出的 display:none 包裹层",
    "xfj": "脚本 innerHTML 追加链接",
    "tcj": "脚本 eval 拼接字符串",
    "lcj": "脚本跳转：location[\"href\"]",
    "xczxj": "脚本跳转：top.location",
    "gxs": "脚本跳转：window.open",
    "lsj": "脚本跳转：setTimeout",
    "qxj": "脚本跳转：仅来自搜索引擎的访客（document.referrer，GBK）",
    "mzzj": "脚本跳转：仅非蜘蛛（navigator.userAgent）",
    "sjj": "标题切换：除百度蜘蛛外改写 document.title",
    "tyjrj": "注入外部脚本（商业域名 tj.js 写出链接）",
    "cgj": "只对搜狗蜘蛛伪装",
    "cl": "只对 360Spider 伪装（GBK）",
    "zgh": "只对神马 YisouSpider 伪装",
    "fl": "快照劫持：蜘蛛得到同样正文但标题/关键词/描述换成博彩",
    "tw": "只对来自 sogou.com 的访客跳转",
    "fczx": "福利彩票发行中心（双色球、福彩3D、快乐8、快3 开奖公告、走势图、投注站）：不得误报",
    "tczx": "体育彩票管理中心（大乐透、排列三、竞彩）：不得误报（GBK）",
    "gaj": "公安局打击跨境赌博、网络赌博案件通报、反诈提示：不得误报",
    "jkzx": "疾控中心艾滋病、性病、梅毒检测：不得误报",
    "tjj": "统计局转载澳门经济统计（博彩业毛收入、幸运博彩、娱乐场）：不得误报",
    "zwfw": "政务服务中心：正常友情链接（政府网站、银行、12306）、下拉框 window.open、站内搜索按钮 location.href、防框架 top.location：不得误报",
    SUBEI_HOST: "已关停的原工商局网站，旧域名未注销，现被抢注为赌博网站（实体标题、打包脚本）",
}


def _crawler_agents(spec: Spec) -> dict[str, object]:
    casino_words = ["极速赛车开奖直播", "幸运飞艇官网", "澳门金沙", "百家乐", "快3计划",
                    "真人视讯", "体育投注", "六合彩资料"]
    if spec.key == "cgj":
        return {"crawler_agents": ["Sogou"], "crawler_body": parasite_page(
            spec.owner, casino_words, CASINO_LINKS, "cgj").replace("{charset}", "utf-8")}
    if spec.key == "cl":
        words = ["威尼斯人娱乐", "澳门赌场", "百家乐技巧", "真人荷官", "牛牛平台", "棋牌下载",
                 "时时彩计划", "体育买球"]
        return {"crawler_agents": ["360Spider"], "crawler_body": parasite_page(
            spec.owner, words, SPORT_LINKS, "cl").replace("{charset}", "gbk")}
    if spec.key == "zgh":
        words = ["开云体育官网", "KAIYUN登录", "欧洲杯买球", "外围平台", "足球投注",
                 "亚博体育", "滚球", "电竞竞猜"]
        return {"crawler_agents": ["YisouSpider"], "crawler_body": parasite_page(
            spec.owner, words, SPORT_LINKS, "zgh").replace("{charset}", "utf-8")}
    if spec.key == "fl":
        page = PAGES["fl"]
        head = re.search(r"<title>.*?</title>\n<meta name=\"keywords\"[^>]*>\n"
                         r"<meta name=\"description\"[^>]*>", page, re.S)
        assert head is not None
        snapshot = ("<title>澳门新葡京官网-新葡京娱乐场-百家乐真人视讯平台</title>\n"
                    "<meta name=\"keywords\" content=\"澳门新葡京,新葡京官网,新葡京娱乐场,"
                    "百家乐,真人视讯,体育投注\">\n<meta name=\"description\" content=\"澳门新葡京"
                    "娱乐场官方网站，百家乐、真人视讯、体育投注一站式平台，注册送彩金。\">")
        return {"crawler_body": page.replace(head.group(), snapshot)}
    if spec.key == "tw":
        return {"referer_engines": ["sogou.com"],
                "referer_location": "http://www.xpj8866.com/?from=sogou"}
    return {}


PAGES: dict[str, str] = {}

CONTENT_TYPES = {
    "mzj": "text/html",
    "swj": "text/html; charset=GBK",
    "jtj": "text/html",
    "gxj": "text/html; charset=gb2312",
    "qxj": "text/html",
    "cl": "text/html; charset=gbk",
    "tczx": "text/html",
}


def toml_string(text: str) -> str:
    if "'''" in text:
        raise ValueError("''' in a body")
    return "'''\n" + text + "'''"


def world_toml(all_specs: list[Spec]) -> str:
    gov_records = "\n".join(f"{spec.key:<8} A  {GOV}" for spec in all_specs)
    lines = [f'''[world]
description = """
The hijack test world (tests/test_hijacks_cli.py): one register entry per technique of
injecting gambling content into a county government site, and one per protective context
that must stay clean (see README.md). Written by make_pages.py. Department sites on
{GOV}, the gambling hosts the injections point to on {CASINO}, official sites (central media,
provincial portals, banks, 12306, 百度统计) on {OFFICIAL}, a commercial script host on {CDN},
and the closed 工商局's lapsed domain, now a casino, on {TAKEN}.
"""
register = "register.csv"

[server.root]
[server.cnnic]
[server.city]
[server.gtld]
[server.newgtld]

[[zone]]
origin = "."
server = "root"

[[zone]]
origin = "cn"
server = "cnnic"
records = """
www.people.com.cn.     A   {OFFICIAL}
www.icbc.com.cn.       A   {OFFICIAL}
www.12306.cn.          A   {OFFICIAL}
www.xuexi.cn.          A   {OFFICIAL}
www.boc.cn.            A   {OFFICIAL}
www.news.cn.           A   {OFFICIAL}
bszs.conac.cn.         A   {OFFICIAL}
"""

[[zone]]
origin = "gov.cn"
server = "cnnic"
records = """
www.gov.cn.            A   {OFFICIAL}
zfwzzc.www.gov.cn.     A   {OFFICIAL}
beian.miit.gov.cn.     A   {OFFICIAL}
www.beian.gov.cn.      A   {OFFICIAL}
www.gansu.gov.cn.      A   {OFFICIAL}
zwfw.gansu.gov.cn.     A   {OFFICIAL}
www.shaanxi.gov.cn.    A   {OFFICIAL}
www.qinghai.gov.cn.    A   {OFFICIAL}
www.nx.gov.cn.         A   {OFFICIAL}
www.xinjiang.gov.cn.   A   {OFFICIAL}
www.sc.gov.cn.         A   {OFFICIAL}
www.nmg.gov.cn.        A   {OFFICIAL}
www.cssgov.gov.cn.     A   {OFFICIAL}
"""

[[zone]]
origin = "{ZONE}"
server = "city"
records = """
{gov_records}
"""

[[zone]]
origin = "com"
server = "gtld"
records = """
www.cctv.com.          A   {OFFICIAL}
www.ccb.com.           A   {OFFICIAL}
www.abchina.com.       A   {OFFICIAL}
www.xinhuanet.com.     A   {OFFICIAL}
hm.baidu.com.          A   {OFFICIAL}
zhannei.baidu.com.     A   {OFFICIAL}
{SCRIPT_HOST}.     A   {CDN}
{SUBEI_HOST}.        A   {TAKEN}
''']
    tlds: dict[str, list[str]] = {"com": [], "net": [], "cc": [], "vip": []}
    for host in CASINO_HOSTS:
        tlds[host.rsplit(".", 1)[1]].append(f"{host}.    A   {CASINO}")
    lines.append("\n".join(tlds["com"]) + '\n"""\n')
    for tld, server in (("net", "gtld"), ("cc", "newgtld"), ("vip", "newgtld")):
        lines.append(f'[[zone]]\norigin = "{tld}"\nserver = "{server}"\nrecords = """\n'
                     + "\n".join(tlds[tld]) + '\n"""\n')
    for spec in all_specs:
        table = [f"[[site]]  # {spec.owner}: {NOTES[spec.key]}", f'address = "{GOV}"',
                 f'names = ["{spec.host}"]', f'body_file = "pages/{spec.key}.html"']
        if spec.charset != "utf-8":
            table += [f'charset = "{spec.charset}"',
                      f'content_type = "{CONTENT_TYPES[spec.key]}"']
        for key, value in _crawler_agents(spec).items():
            if isinstance(value, list):
                table.append(f"{key} = [{', '.join(chr(34) + v + chr(34) for v in value)}]")
            elif key.endswith("body"):
                table.append(f"{key} = {toml_string(value)}")  # type: ignore[arg-type]
            else:
                table.append(f'{key} = "{value}"')
        lines.append("\n".join(table) + "\n")
    official = sorted({u.split("/")[2] for u, _ in T.CENTRAL_MEDIA + T.PROVINCES
                       + T.GOVERNMENT_LINKS + T.BANKS_AND_SERVICES}
                      | {"bszs.conac.cn", "zfwzzc.www.gov.cn", "beian.miit.gov.cn",
                         "www.beian.gov.cn", "zhannei.baidu.com"})
    official = [host for host in official if not host.endswith(ZONE)]
    lines.append(f'''[[site]]  # the official sites the portals link to
address = "{OFFICIAL}"
names = [{", ".join(chr(34) + h + chr(34) for h in official)}]
body = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>官方网站</title></head>
<body><h1>官方网站</h1><p>本网站由有关单位主办。</p></body></html>
"""

[[site]]  # 百度统计
address = "{OFFICIAL}"
names = ["hm.baidu.com"]
content_type = "application/javascript"
body = "(function(){{var h={{}};window._hmt&&window._hmt.push(['_trackPageview']);}})();\\n"

[[site]]  # the gambling hosts the injections point to
address = "{CASINO}"
names = [{", ".join(chr(34) + h + chr(34) for h in CASINO_HOSTS)}]
body = {toml_string(casino_page())}

[[site]]  # a commercial script host: /tj.js writes gambling links
address = "{CDN}"
names = ["{SCRIPT_HOST}"]
content_type = "application/javascript"
body = "/* yunjs cdn */\\n"
[site.pages]
"/tj.js" = {toml_string(external_script())}

[[site]]  # {NOTES[SUBEI_HOST]}
address = "{TAKEN}"
names = ["{SUBEI_HOST}"]
body_file = "pages/subei.html"
''')
    return "\n".join(lines)


def register_csv(all_specs: list[Spec]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "owner", "parent", "state", "site_code", "contact", "networks",
                     "note"])
    for spec in all_specs:
        parent = "" if spec.key == "www" else f"www.{ZONE}"
        writer.writerow([spec.host, spec.owner, parent, "active", _site_code(spec),
                         f"0937-66{12000 + ENTRY_NUMBERS[spec.key]}", NETWORK, NOTES[spec.key]])
    writer.writerow([SUBEI_HOST, f"{T.XIAN}工商行政管理局", f"www.{ZONE}", "offline",
                     f"{DIVISION}0099", "0937-6612099", "", NOTES[SUBEI_HOST]])
    return out.getvalue()


def main() -> None:
    all_specs = specs()
    pages_dir = HERE / "pages"
    pages_dir.mkdir(exist_ok=True)
    for spec in all_specs:
        page = render(spec)
        page.encode(spec.charset)
        PAGES[spec.key] = page
        (pages_dir / f"{spec.key}.html").write_text(page, encoding="utf-8")
    subei = subei_page()
    (pages_dir / "subei.html").write_text(subei, encoding="utf-8")
    (HERE / "world.toml").write_text(world_toml(all_specs), encoding="utf-8")
    (HERE / "register.csv").write_text(register_csv(all_specs), encoding="utf-8")
    for spec in all_specs:
        print(f"{spec.key:<7} {spec.layout} {spec.charset:<5} "
              f"{size(PAGES[spec.key], 'utf-8'):>6} B utf-8 "
              f"{size(PAGES[spec.key], spec.charset):>6} B served")
    print(f"subei   {size(subei, 'utf-8'):>6} B")


if __name__ == "__main__":
    main()
