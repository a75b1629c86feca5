"""The page reader: decoding as browsers do, visible and hidden text, links, redirects in the
body, and the text fingerprint (hash and similarity sketch)."""

from __future__ import annotations

import random

import pytest

from domainwatch.probes.http import decode_body
from domainwatch.probes.page import (
    SKETCH_SIZE,
    decode_sketch,
    encode_sketch,
    parse_page,
    script_redirects,
    similarity,
    sketch,
    text_hash,
)

PORTAL = """<!DOCTYPE html><html><head><meta charset="{charset}"><title>酒泉市人民政府</title>
</head><body><h1>酒泉市人民政府门户网站</h1><ul><li><a href="/xw/1.html">市政府召开常务会议</a></li>
<li><a href="http://www.gansu.gov.cn/">甘肃省人民政府</a></li></ul><p>主办：酒泉市人民政府办公室</p>
</body></html>"""


# -- decoding ------------------------------------------------------------------------------


def test_gbk_page_declared_in_meta_decodes_the_same_as_utf8() -> None:
    utf8 = PORTAL.format(charset="utf-8").encode("utf-8")
    gbk = PORTAL.format(charset="gbk").encode("gbk")
    text_utf8, codec_utf8 = decode_body(utf8, "text/html")
    text_gbk, codec_gbk = decode_body(gbk, "text/html")  # no charset in the header: meta decides
    assert (codec_utf8, codec_gbk) == ("utf-8", "gb18030")
    page_a = parse_page(text_utf8, "http://www.jiuquan.gov.cn/")
    page_b = parse_page(text_gbk, "http://www.jiuquan.gov.cn/")
    assert page_a.title == page_b.title == "酒泉市人民政府"
    assert text_hash(page_a.text) == text_hash(page_b.text)


def test_the_header_charset_overrides_the_meta_prescan() -> None:
    # A CMS template still declares gb2312, but the server sends UTF-8 and says so.
    served = PORTAL.format(charset="gb2312").encode("utf-8")
    text, codec = decode_body(served, "text/html; charset=utf-8")
    assert codec == "utf-8"
    assert parse_page(text, "http://www.jiuquan.gov.cn/").title == "酒泉市人民政府"
    # and the other way round: the header names GBK, the template says utf-8
    gbk = PORTAL.format(charset="utf-8").encode("gbk")
    assert decode_body(gbk, 'text/html;charset="GBK"') == (gbk.decode("gbk"), "gb18030")


def test_an_unknown_header_label_falls_back_to_the_meta_prescan() -> None:
    gbk = PORTAL.format(charset="gbk").encode("gbk")
    assert decode_body(gbk, "text/html; charset=x-nonsense") == (gbk.decode("gbk"), "gb18030")
    big5 = '<meta charset="big5"><p>政府資訊公開</p>'.encode("big5")
    assert decode_body(big5, "text/html; charset=") == (big5.decode("big5"), "big5hkscs")


def test_decoding_order_bom_header_utf8_then_gb18030() -> None:
    body = "<p>政府信息公开</p>"
    assert decode_body(b"\xef\xbb\xbf" + body.encode(), "text/html; charset=gbk") == (body,
                                                                                     "utf-8")
    bom_over_meta = b"\xef\xbb\xbf<meta charset=gbk>" + body.encode()
    assert decode_body(bom_over_meta, "")[1] == "utf-8"
    assert decode_body(body.encode("gbk"), "text/html; charset=GB2312")[0] == body
    # no label anywhere: valid UTF-8 is UTF-8, anything else is taken for GB18030
    assert decode_body(body.encode(), "") == (body, "utf-8")
    assert decode_body(body.encode("gb18030"), "text/html") == (body, "gb18030")
    # an unknown label is skipped, not fatal
    assert decode_body(body.encode(), "text/html; charset=x-nonsense") == (body, "utf-8")
    # a UTF-8 page cut by the cap in the middle of a character stays UTF-8
    assert decode_body(body.encode()[:-8], "")[1] == "utf-8"
    # the header in UTF-16 is obeyed (the meta prescan would have said UTF-8)
    assert decode_body(body.encode("utf-16-le"), "text/html; charset=utf-16") == (
        body, "utf-16-le")


@pytest.mark.parametrize(("head", "codec"), [
    ('<meta charset="gbk">', "gb18030"),
    ("<META CHARSET=GB2312>", "gb18030"),
    ("<meta/charset='gbk'>", "gb18030"),
    ('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">', "gb18030"),
    ('<meta content="text/html;charset=GBK" http-equiv=content-type>', "gb18030"),
    # a UTF-16 label in a <meta> cannot be true of bytes that the prescan read: UTF-8
    ('<meta charset="utf-16">', "utf-8"),
    # an unknown label is skipped: the next <meta> decides
    ('<meta charset="x-gb"><meta charset="gbk">', "gb18030"),
    # content= without http-equiv="Content-Type" declares nothing
    ('<meta content="text/html; charset=big5"><meta charset="gbk">', "gb18030"),
    # nor does charset= inside another attribute, or a <meta> in a comment
    ('<meta name="description" content="charset=big5"><meta charset="gbk">', "gb18030"),
    ('<!-- <meta charset="big5"> --><meta charset="gbk">', "gb18030"),
    ('<div title="<meta charset=big5>"></div><meta charset="gbk">', "gb18030"),
    # the first declaration in the tag counts
    ('<meta charset="gbk" content="text/html; charset=big5" http-equiv="Content-Type">',
     "gb18030"),
])
def test_the_meta_prescan_reads_tags_as_browsers_do(head: str, codec: str) -> None:
    text = "<p>政府信息公开</p>"
    data = head.encode("ascii") + text.encode("gbk" if codec == "gb18030" else "utf-8")
    decoded, used = decode_body(data, "text/html")
    assert used == codec and decoded.endswith(text)


def test_an_xml_declaration_names_the_encoding_when_no_meta_does() -> None:
    data = '<?xml version="1.0" encoding="GB2312"?><html><p>政府信息公开</p></html>'.encode("gbk")
    assert decode_body(data, "application/xhtml+xml")[1] == "gb18030"


def test_the_prescan_goes_past_1024_bytes_only_inside_head() -> None:
    # A UTF-8 portal with one stray byte: only its own <meta> keeps it UTF-8.
    text = "<p>政府信息公开</p>"
    stray = text.encode() + b"\xb7" + text.encode()
    # a hijacked head: an entity-encoded spam title before the page's own declaration
    spam = "<title>" + "&#27595;&#38376;&#26032;&#33889;&#20140;" * 40 + "</title>"
    hijacked = f"<html><head>{spam}<meta charset=\"utf-8\"></head><body>".encode() + stray
    assert len(spam) > 1024
    assert decode_body(hijacked, "text/html")[1] == "utf-8"
    # the same declaration after the body has begun is not read past 1024 bytes ...
    late = f"<html><head></head><body><p>{'x' * 1024}</p><meta charset=\"utf-8\">".encode()
    assert decode_body(late + stray, "text/html")[1] == "gb18030"
    # ... nor inside head past 4 KB
    far = f"<html><head><title>{'x' * 4096}</title><meta charset=\"utf-8\">".encode()
    assert decode_body(far + stray, "text/html")[1] == "gb18030"
    # within the first 1024 bytes it counts wherever it is
    early = b"<html><body><p>x</p><meta charset=\"utf-8\">"
    assert decode_body(early + stray, "text/html")[1] == "utf-8"


# -- reading a page --------------------------------------------------------------------------


def test_visible_text_links_and_resources() -> None:
    html = """<html><head><title> 酒泉
    市 </title><style>p{color:red}</style><script>var x = "不可见";</script>
    <script src="https://cdn.example.com/a.js"></script><link rel="stylesheet" href="/s.css">
    </head><body><!-- 注释 --><p>第一段<b>加粗</b>尾</p><a href="/n/1.html">通知</a>
    <a href="https://www.gansu.gov.cn/x">省政府</a><a href="javascript:void(0)">无</a>
    <a href="mailto:a@b.cn">信</a><iframe src="http://tongji.example.net/"></iframe>
    <img src="//img.example.org/a.png"></body></html>"""
    page = parse_page(html, "http://www.jiuquan.gov.cn/index.html")
    assert page.title == "酒泉 市"
    assert page.text == "第一段 加粗 尾 通知 省政府 无 信"
    # links to other hosts are kept with their text; all are counted
    assert [(link.host, link.text) for link in page.links] == [("www.gansu.gov.cn", "省政府")]
    assert page.links[0].url == "https://www.gansu.gov.cn/x" and page.link_count == 2
    assert page.scripts == 2
    assert page.resources == {"cdn.example.com": ["script"], "www.jiuquan.gov.cn": ["stylesheet"],
                              "tongji.example.net": ["iframe"], "img.example.org": ["image"]}


@pytest.mark.parametrize(("markup", "reason"), [
    ('<div style="display:none">', "style display:none"),
    ('<div style="visibility: hidden">', "style visibility: hidden"),
    ('<div style="position:absolute;left:-9999px">', "style left:-9999 (off-screen)"),
    ('<div style="font-size:0px;">', "style font-size:0px (tiny font)"),
    ('<div style="height:0;overflow:hidden">', "style height:0 (zero-size box)"),
    ("<div hidden>", "hidden attribute"),
    ('<div class="a seo">', "page style hides .seo"),
    ('<div id="k">', "page style hides #k"),
])
def test_hidden_injections_are_kept_apart(markup: str, reason: str) -> None:
    html = f"""<html><head><style>.seo {{ display:none }} #k {{ position:absolute;
    top:-1000px }}</style></head><body><p>正文</p>{markup}<a href="http://bet.example/">澳门
    新葡京</a> 百家乐</div></body></html>"""
    page = parse_page(html, "http://www.jiuquan.gov.cn/")
    assert page.text == "正文"
    assert len(page.hidden) == 1
    block = page.hidden[0]
    assert block.reason.replace(" ", "") == reason.replace(" ", "")
    assert block.hosts == ["bet.example"] and block.links == 1
    assert "百家乐" in block.text and "百家乐" in page.hidden_text
    assert page.links[0].hidden


def test_tiny_marquee_is_hidden_but_a_visible_one_is_not() -> None:
    tiny = parse_page('<body><marquee height="1" width="1"><a href="http://x.example/">x</a>'
                      "</marquee></body>", "http://a.gov.cn/")
    assert tiny.hidden and tiny.hidden[0].reason == "tiny marquee"
    shown = parse_page('<body><marquee height="30">滚动通知</marquee></body>', "http://a.gov.cn/")
    assert not shown.hidden and shown.text == "滚动通知"


def test_meta_refresh_and_script_redirects() -> None:
    page = parse_page("""<html><head><meta http-equiv="Refresh" content="0;URL='/portal/'">
    <script>
      window.location.href = "http://bad.example/1";
      if (document.referrer.indexOf("baidu") > -1) { top.location = 'http://bad.example/2'; }
      function later() { location.href = "http://fine.example/"; }
      window.location.replace("https://bad.example/3");
    </script></head><body></body></html>""", "http://www.a.gov.cn/")
    assert page.meta_refresh == (0.0, "http://www.a.gov.cn/portal/")
    assert page.script_redirects == ["http://bad.example/1", "http://bad.example/2",
                                     "https://bad.example/3"]
    assert script_redirects('var s = "{"; location.href = "/x";') == ["/x"]
    assert script_redirects("var f = () => { location.href = '/y' };") == []


@pytest.mark.parametrize("html", ["", "   ", "<<<>>>", '<?xml version="1.0" encoding="gbk"?>'
                                  "<html><body>文</body></html>", "\x00\x00<p>a</p>"])
def test_odd_documents_never_raise(html: str) -> None:
    page = parse_page(html, "http://a.gov.cn/")
    assert isinstance(page.text, str)


# -- the text fingerprint ----------------------------------------------------------------------


def _article(seed: int, characters: int) -> str:
    rng = random.Random(seed)
    common = ("的一是在不了有和人这中大为上个国我以要他时来用们"
              "生到作地于出就分对成会可主发年动同工也能")
    return "".join(rng.choice(common) if rng.random() < 0.5 else chr(0x4E00 + rng.randrange(5000))
                   for _ in range(characters))


def test_similarity_estimates_the_share_of_text_kept() -> None:
    base = _article(1, 8000)
    assert similarity(sketch(base), sketch(base)) == 1.0
    assert similarity(sketch(base), sketch(_article(2, 8000))) < 0.05
    # one paragraph in ten replaced: still very similar
    edited = base[:4000] + _article(3, 800) + base[4800:]
    assert 0.7 < similarity(sketch(base), sketch(edited)) < 0.95
    # whitespace and case do not count
    assert similarity(sketch("Hello World 你好世界"), sketch("hello  world\n你好 世界")) == 1.0


def test_sketch_is_bounded_stable_and_exact_for_short_texts() -> None:
    long_sketch = sketch(_article(4, 20000))
    stored = encode_sketch(long_sketch)
    assert len(stored) == 1368 and decode_sketch(stored) == long_sketch
    assert decode_sketch(long_sketch) == long_sketch
    assert len(long_sketch) == SKETCH_SIZE and long_sketch == sorted(long_sketch)
    assert long_sketch == sketch(_article(4, 20000))
    assert sketch("") == [] and similarity([], []) == 1.0 and similarity([], [1]) == 0.0
    assert similarity(sketch("网站建设中"), sketch("网站建设中")) == 1.0
    assert similarity(sketch("abcdef"), sketch("abcdeg")) == pytest.approx(1 / 3)


def test_hostile_titles_and_link_texts_lose_their_control_characters() -> None:
    page = parse_page('<title>\x1b[2J\x1b]0;owned\x07 澳门\x00新葡京</title><body>'
                      '<a href="http://x.example/">\x1b[31m投资\r\n肃北\x08</a></body>',
                      "http://www.a.gov.cn/")
    assert page.title == "[2J]0;owned 澳门新葡京"
    assert page.links[0].text == "[31m投资 肃北"


def test_site_links_are_kept_only_when_asked_for_the_crawl() -> None:
    html = """<html><body><a href="/zwgk/">政务公开</a> <a href="list.html#top">列表</a>
    <a href="https://jiuquan.gov.cn/about">关于</a> <a href="http://gsj.jiuquan.gov.cn/">工商局</a>
    <div style="display:none"><a href="/hidden/">隐藏</a></div>
    <frameset><frame src="main.htm"></frameset><map><area href="/map/" alt="地图"></map>
    <button onclick="location.href='/bs/'">办事</button></body></html>"""
    url = "https://www.jiuquan.gov.cn/index/"
    assert parse_page(html, url).site_links == [], "a web-stage read keeps no own links"
    page = parse_page(html, url, frozenset({"www.jiuquan.gov.cn", "jiuquan.gov.cn"}))
    assert [(link.url, link.element, link.text) for link in page.site_links] == [
        ("https://www.jiuquan.gov.cn/zwgk/", "a", "政务公开"),
        ("https://www.jiuquan.gov.cn/index/list.html", "a", "列表"),
        ("https://jiuquan.gov.cn/about", "a", "关于"),
        ("https://www.jiuquan.gov.cn/index/main.htm", "frame", ""),
        ("https://www.jiuquan.gov.cn/map/", "area", "地图"),
        ("https://www.jiuquan.gov.cn/bs/", "onclick", "办事"),
    ], "fragments dropped, other hosts and hidden links left out"
