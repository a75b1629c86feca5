"""The page reader's zones and the hiding tricks of black-hat SEO: the title, keywords and
description, headings, link texts and attributes are read apart from the rest of the text,
and text a browser does not show is kept apart, whatever the trick."""

from __future__ import annotations

import pytest

from domainwatch.probes.page import parse_page

URL = "http://www.jiuquan.gov.cn/"


def test_each_zone_holds_its_own_text() -> None:
    page = parse_page("""<html><head><title>&#37202;&#27849;&#24066;人民政府</title>
    <meta name="keywords" content="政务公开,办事服务"><meta name="Description"
    content="酒泉市人民政府门户网站"></head><body><h1>要闻</h1><h3>通知公告</h3>
    <p>正文一段 <a href="/a.html" title="打开">链接文字</a></p>
    <img src="/l.png" alt="市徽"></body></html>""", URL)
    assert page.title == "酒泉市人民政府"  # entities are undone
    zones = page.zones()
    assert zones["meta"] == "政务公开,办事服务 酒泉市人民政府门户网站"
    assert zones["headings"] == "要闻 通知公告"
    assert zones["links"] == "链接文字"
    assert zones["attributes"] == "打开 市徽"
    assert zones["text"] == "正文一段"
    # the visible text as a whole (the fingerprint) is unchanged by the zones
    assert page.text == "要闻 通知公告 正文一段 链接文字"


@pytest.mark.parametrize(("markup", "reason"), [
    ('<div style="color:#FFFFFF">', "text in the background colour (#ffffff)"),
    ('<div style="color:rgb(255,255,255)">', "text in the background colour (#ffffff)"),
    ('<div><font color="white">', "text in the background colour (#ffffff)"),
    ('<div style="font-size:1px">', "style font-size:1px (tiny font)"),
    ('<div style="font-size:0.1em;line-height:0">', "style font-size:0.1em (tiny font)"),
    ('<div style="position:absolute;clip:rect(0 0 0 0)">', "style clip:rect(0 0 0 0) (clipped)"),
    ('<div style="clip-path: inset(50%)">', "style clip-path: inset(50% (clipped)"),
    ('<div style="text-indent:-9999px">', "style text-indent:-9999 (off-screen)"),
    ('<div style="width:1px;height:1px;overflow:hidden">', "style width:1px (zero-size box)"),
    ("<noscript>", "noscript"),
    ('<marquee scrollamount="3000">', "marquee too fast to read (scrollamount 3000)"),
    ('<marquee height="1" width="1">', "tiny marquee"),
])
def test_the_hiding_tricks_are_named(markup: str, reason: str) -> None:
    close = "</" + markup[1:].split(">")[0].split()[0].rstrip(">") + ">"
    if markup.startswith("<div><font"):
        close = "</font></div>"
    page = parse_page(f"""<html><body><p>正文</p>{markup}<a href="http://bet.example/">澳门
    新葡京</a> 百家乐{close}</body></html>""", URL)
    assert page.text == "正文"
    [block] = page.hidden
    assert block.reason == reason
    assert block.hosts == ["bet.example"] and "百家乐" in block.text
    assert page.zones()["hidden"] == block.text


def test_white_text_is_hidden_only_on_a_background_known_to_be_white() -> None:
    white_text = '<div style="color:#fff"><a href="http://a.example/">友情链接</a></div>'
    # a dark background of its own, or a style sheet that may set one: shown
    for page_html in (f'<body style="background:#003366">{white_text}</body>',
                      f'<head><link rel="stylesheet" href="/s.css"></head><body>{white_text}'
                      '</body>',
                      f'<body><div style="background-color:#c00">{white_text}</div></body>',
                      f'<body><div style="background:url(/b.png)">{white_text}</div></body>'):
        page = parse_page(f"<html>{page_html}</html>", URL)
        assert not page.hidden and page.text == "友情链接", page_html
    # the page's own style says white, or nothing can say otherwise: hidden
    for page_html in (f"<head><style>body {{ background: #FFF }}</style></head><body>"
                      f"{white_text}</body>", f"<body>{white_text}</body>",
                      '<body><table bgcolor="#eeeeee"><tr><td><div style="color:#eee">'
                      '<a href="http://a.example/">x</a></div></td></tr></table></body>'):
        page = parse_page(f"<html>{page_html}</html>", URL)
        assert page.hidden and page.hidden[0].reason.startswith("text in the background"), \
            page_html


def test_a_hover_menu_hidden_by_the_page_style_is_still_read_as_a_menu() -> None:
    page = parse_page("""<html><head><style>.menu ul { display:none }
    .menu:hover ul { display:block } .seo-box .k { display:none }</style></head><body>
    <div class="menu">中央媒体<ul><li><a href="http://www.people.com.cn/">人民网</a></li>
    </ul></div><div class="seo-box"><p class="k">百家乐</p></div></body></html>""", URL)
    # a rule on a tag inside a class is not followed; the last class of a selector is
    assert [block.reason for block in page.hidden] == ["page style hides .k"]
    assert page.links[0].host == "www.people.com.cn" and not page.links[0].hidden


def test_links_of_one_container_share_a_group() -> None:
    page = parse_page("""<html><body><div class="yqlj">友情链接：
    <a href="http://a.example/">A</a> <span><a href="http://b.example/">B</a></span>
    <ul><li><a href="http://c.example/">C</a></li><li><a href="http://d.example/">D</a></li>
    </ul></div><p><a href="http://e.example/">E</a></p></body></html>""", URL)
    groups = {link.host: link.group for link in page.links}
    assert groups["a.example"] == groups["b.example"]
    assert groups["c.example"] == groups["d.example"] != groups["a.example"]
    assert groups["e.example"] not in (groups["a.example"], groups["c.example"])
