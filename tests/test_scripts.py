"""Unit tests of the static script reader (no network, nothing executed).

The snippets are written in the style of real injections on hijacked government sites (long
minified lines, mixed with the site's own statistics, menus and date scripts); the packed
samples are packed here, by a small implementation of the packer's encoding."""

from __future__ import annotations

import base64
import random
import re
from collections import Counter

import pytest

from domainwatch.probes import scripts
from domainwatch.probes.scripts import (
    Navigation,
    ScriptReading,
    TitleSwitch,
    WrittenMarkup,
    read_script,
    worth_reading,
)
from domainwatch.testnet.hostile_scripts import BAIDU_TONGJI, CNZZ, DATE, HOSTILE, MENU

# --- helpers ------------------------------------------------------------------------------

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_WORD = re.compile(r"\b\w+\b", re.ASCII)


def pack(source: str, radix: int = 62, variant: str = "d") -> str:
    """Dean Edwards' packer, encoding side: every word becomes its index (in base ``radix``)
    in a keyword list sorted by frequency, wrapped in the packer's usual decoder."""
    counts = Counter(_WORD.findall(source))
    keywords = sorted(counts, key=lambda word: (-counts[word], word))
    index = {word: i for i, word in enumerate(keywords)}

    def encode(number: int) -> str:
        return ("" if number < radix else encode(number // radix)) + _DIGITS[number % radix]

    payload = _WORD.sub(lambda found: encode(index[found.group()]), source)
    payload = payload.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    if radix <= 36:
        encoder = "e=function(c){return c.toString(a)};"
    else:
        encoder = ("e=function(c){return(c<a?'':e(parseInt(c/a)))+((c=c%a)>35?"
                   "String.fromCharCode(c+29):c.toString(36))};")
    body = (encoder + "if(!''.replace(/^/,String)){while(c--){" + variant
            + "[e(c)]=k[c]||e(c)}k=[function(e){return " + variant + "[e]}];"
            "e=function(){return'\\\\w+'};c=1};while(c--){if(k[c]){p=p.replace("
            "new RegExp('\\\\b'+e(c)+'\\\\b','g'),k[c])}}return p")
    return (f"eval(function(p,a,c,k,e,{variant}){{{body}}}('{payload}',{radix},"
            f"{len(keywords)},'{'|'.join(keywords)}'.split('|'),0,{{}}))")


def hex_escape(text: str) -> str:
    return "".join(f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}" for c in text)


def unicode_escape(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in text)


def nothing(reading: ScriptReading) -> bool:
    return not (reading.written or reading.navigations or reading.title_switches
                or reading.techniques)


# The site's own scripts around the injections, as they appear on county portals.


# --- string decoding ------------------------------------------------------------------------


def test_hex_escaped_hidden_link_block_in_a_minified_line():
    links = ('<div style="position:absolute;top:-9999px;left:-9999px">'
             '<a href="http://www.js9905.com/">金沙娱乐</a><a href="http://www.88pj.vip/">'
             '葡京娱乐场</a></div>')
    code = (MENU + f'var _$_a1b2=["{hex_escape(links)}"];document.write(_$_a1b2[0]);'
            + DATE)
    reading = read_script(code)
    assert reading.written == (WrittenMarkup(links, "document.write", True),)
    assert reading.techniques == ("hex-escapes", "unicode-escapes", "string-array")
    assert "金沙娱乐" in reading.decoded


def test_unicode_and_braced_escapes_and_escaped_identifiers():
    code = (f'var t="{unicode_escape("澳门新葡京官网")}";'
            'document.\\u0077rite("\\u{3c}a href=\'http://www.xpj.cc/\'\\u{3e}"+t+"</a>")')
    reading = read_script(code)
    assert reading.written[0].html == "<a href='http://www.xpj.cc/'>澳门新葡京官网</a>"
    assert "unicode-escapes" in reading.techniques
    assert "澳门新葡京官网" in reading.decoded


def test_octal_escapes_spell_the_sink():
    code = 'document["\\167\\162\\151\\164\\145"]("<a href=\\"http://a.bet/\\">\\344</a>")'
    reading = read_script(code)
    assert reading.written[0].html == '<a href="http://a.bet/">ä</a>'
    assert reading.techniques == ("octal-escapes",)


def test_concatenation_across_variables_and_appending():
    code = ('var a="<a hr";var b=\'ef="http://www.amjs88.com/">澳门金沙</a>\';'
            'var c="";c+="<a href=\'http://www.ylg.cc/\'>永利高</a>";c+=a+b;'
            'document.write("<div style=\\"display:none\\">"+c+"</div>")')
    reading = read_script(code)
    assert reading.written[0].html == (
        '<div style="display:none"><a href=\'http://www.ylg.cc/\'>永利高</a>'
        '<a href="http://www.amjs88.com/">澳门金沙</a></div>')
    assert reading.written[0].hidden
    assert "concatenation" in reading.techniques


def test_array_join_and_push():
    code = ('var l=[];l.push("<a href=\'http://www.hg0088.com/\'>皇冠体育</a>");'
            'l.push(["<a href=","\'http://www.bet365.com/\'",">bet365</a>"].join(""));'
            'document.getElementById("links").innerHTML=l.join("");')
    reading = read_script(code)
    assert reading.written[0].html == ("<a href='http://www.hg0088.com/'>皇冠体育</a>"
                                       "<a href='http://www.bet365.com/'>bet365</a>")
    assert reading.written[0].method == "innerHTML"
    assert reading.techniques == ("array-join",)


def test_reversed_string():
    markup = "<a href='http://www.3559.cc/'>太阳城</a>"
    code = f'document.write("{markup[::-1]}".split("").reverse().join(""));'
    reading = read_script(code)
    assert reading.written[0].html == markup
    assert {"reverse", "array-join"} <= set(reading.techniques)


def test_from_char_code_decimal_and_hex():
    url = "http://www.ag88.com/"
    numbers = ",".join(str(ord(c)) if i % 2 else hex(ord(c)) for i, c in enumerate(url))
    code = f"var u=String.fromCharCode({numbers});window.location.href=u;"
    reading = read_script(code)
    assert reading.navigations == (Navigation(url, "location.href", "always", False),)
    assert reading.techniques == ("fromCharCode",)


def test_unescape_and_decode_uri_component():
    code = ('document.write(unescape("%3Ca%20href%3D%22http%3A//www.bwin.cn/%22%3E%u5fb7%u5a01'
            '%3C/a%3E"));document.write(decodeURIComponent("%3Ca%20href%3D%22http%3A%2F%2Fwww.'
            'sbobet.cn%2F%22%3E%E7%9A%87%E5%86%A0%3C%2Fa%3E"));')
    reading = read_script(code)
    assert reading.written[0].html == ('<a href="http://www.bwin.cn/">德威</a>'
                                       '<a href="http://www.sbobet.cn/">皇冠</a>')
    assert reading.techniques == ("unescape",)


def test_atob_target_and_property():
    target = base64.b64encode(b"http://www.lh88.net/").decode()
    code = f'window.location[atob("aHJlZg==")]=atob("{target}");'
    reading = read_script(code)
    assert reading.navigations == (Navigation("http://www.lh88.net/", "location[...]",
                                              "always", False),)
    assert reading.techniques == ("atob",)


def test_atob_of_utf8_through_escape():
    encoded = base64.b64encode("<a href='http://www.tyc.cc/'>太阳城集团</a>".encode()).decode()
    code = f'document.write(decodeURIComponent(escape(window.atob("{encoded}"))))'
    reading = read_script(code)
    assert reading.written[0].html == "<a href='http://www.tyc.cc/'>太阳城集团</a>"
    assert {"atob", "unescape"} <= set(reading.techniques)


def test_template_literal_without_substitutions():
    reading = read_script('document.write(`<a href="http://www.vns.cc/">威尼斯人</a>`)')
    assert reading.written[0].html == '<a href="http://www.vns.cc/">威尼斯人</a>'


def test_string_array_obfuscation_with_onload_and_created_element():
    names = ["onload", "div", "createElement", "innerHTML",
             "<div style='position:absolute;z-index:1000;top:-1000px;left:-9999px;'>"
             "<iframe src='", "'></iframe></div>", "appendChild", "body"]
    array = ",".join(f'"{hex_escape(name)}"' for name in names)
    code = (f"var _0x3f1a=[{array}];window[_0x3f1a[0]]=function(){{var _0x5e2b=document"
            "[_0x3f1a[2]](_0x3f1a[1]);var _0x1c9d='http://static.k8.cn/ad/?id='+1663147;"
            "_0x5e2b[_0x3f1a[3]]=_0x3f1a[4]+_0x1c9d+_0x3f1a[5];document[_0x3f1a[7]]"
            "[_0x3f1a[6]](_0x5e2b);};")
    reading = read_script(code)
    assert reading.written == (WrittenMarkup(
        "<div style='position:absolute;z-index:1000;top:-1000px;left:-9999px;'>"
        "<iframe src='http://static.k8.cn/ad/?id=1663147'></iframe></div>", "innerHTML",
        True),)
    assert set(reading.techniques) == {"hex-escapes", "string-array", "concatenation"}


# --- eval and the packer ----------------------------------------------------------------------


def test_eval_of_decoded_code():
    code = ('eval(unescape("%64%6f%63%75%6d%65%6e%74%2e%74%69%74%6c%65%3d%22%e6%be%b3%22"));'
            'window["eval"]("location.replace(\'http://www.55bet.com/\')");')
    reading = read_script(code)
    assert reading.navigations == (Navigation("http://www.55bet.com/", "location.replace",
                                              "always", False),)
    assert reading.title_switches == (TitleSwitch("æ¾³", "always"),)  # unescape is Latin-1
    assert set(reading.techniques) == {"eval", "unescape"}


def test_new_function_and_constructor_and_timer_strings():
    code = ('new Function("document.title=\'澳门银河\'")();'
            'setTimeout("top.location.href=\'http://www.yh.cc/\'",3000);')
    reading = read_script(code)
    assert reading.title_switches == (TitleSwitch("澳门银河", "always"),)
    assert reading.navigations == (Navigation("http://www.yh.cc/", "top.location", "always",
                                              True),)


INJECTION = ('var ua=navigator.userAgent.toLowerCase();if(ua.indexOf("spider")==-1&&'
             'ua.indexOf("bot")==-1){document.title="某县人民政府门户网站";setTimeout(function(){'
             'window.location.href="http://www.xpj-9.com/?from=gov"},1500)}'
             'document.write(\'<div style="display:none"><a href="http://www.xpj-9.com/">新葡京'
             '</a></div>\');')


@pytest.mark.parametrize(("radix", "variant"), [(62, "d"), (36, "d"), (10, "r")])
def test_packer_is_unpacked_and_read(radix, variant):
    reading = read_script(BAIDU_TONGJI + "\n" + pack(INJECTION, radix, variant))
    assert reading.written == (WrittenMarkup(
        '<div style="display:none"><a href="http://www.xpj-9.com/">新葡京</a></div>',
        "document.write", True),)
    assert reading.navigations == (Navigation("http://www.xpj-9.com/?from=gov",
                                              "location.href", "not-spider", True),)
    assert reading.title_switches == (TitleSwitch("某县人民政府门户网站", "not-spider"),)
    assert reading.techniques == ("packer",)
    assert "某县人民政府门户网站" in reading.decoded


def test_packer_twice():
    reading = read_script(pack(pack(INJECTION)))
    assert reading.navigations[0].target == "http://www.xpj-9.com/?from=gov"
    assert reading.techniques == ("packer",)


def test_unpack_keeps_words_without_keyword():
    assert scripts._unpack("0 1 2 zz", 62, ["document", "", "write"]) == "document 1 write zz"
    assert scripts._unpack("a", 99, ["x"]) is None


def test_eval_depth_is_limited():
    code = "location.href='http://deep.example/'"
    for _ in range(scripts.MAX_DEPTH + 2):
        code = "eval(" + repr(code) + ")"
    assert read_script(code).navigations == ()
    shallow = "location.href='http://deep.example/'"
    for _ in range(scripts.MAX_DEPTH - 1):
        shallow = "eval(" + repr(shallow) + ")"
    assert read_script(shallow).navigations[0].target == "http://deep.example/"


# --- written markup -----------------------------------------------------------------------


def test_hiding_wrapper_in_separate_writes_is_joined():
    code = ('document.write("<div style=\\"display:none\\">");'
            'document.write("<a href=\\"http://www.dafa888.com/\\">大发888</a>");'
            'document.write("<a href=\\"http://www.bet9.cc/\\">九州娱乐</a>");'
            'document.write("</div>");')
    reading = read_script(code)
    assert reading.written == (WrittenMarkup(
        '<div style="display:none"><a href="http://www.dafa888.com/">大发888</a>'
        '<a href="http://www.bet9.cc/">九州娱乐</a></div>', "document.write", True),)


def test_link_list_written_in_a_loop():
    code = ("var links=[\"<a href='http://a.bet/'>皇冠</a>\",\"<a href='http://b.bet/'>新葡京</a>\"];"
            "document.write(\"<div style='display:none'>\");for(var i=0;i<links.length;i++){"
            "document.write(links[i]);}document.write(\"</div>\");"
            "var u=['http://c.bet/','http://d.bet/'],t=['金沙','银河'];"
            "for(var j=0;j<u.length;j++)document.getElementById('f').innerHTML+="
            "\"<a href='\"+u[j]+\"'>\"+t[j]+\"</a>\";")
    reading = read_script(code)
    assert reading.written == (
        WrittenMarkup("<div style='display:none'><a href='http://a.bet/'>皇冠</a>"
                      "<a href='http://b.bet/'>新葡京</a></div>", "document.write", True),
        WrittenMarkup("<a href='http://c.bet/'>金沙</a>", "innerHTML", False))


def test_writeln_and_partly_visible_markup():
    code = ("document.writeln(\"<div style='display:none'><a href='http://a.bet/'>a</a></div>\");"
            "document.writeln(\"<p>欢迎访问</p>\");")
    reading = read_script(code)
    assert reading.written[0].method == "document.writeln"
    assert not reading.written[0].hidden  # some of it shows; the caller finds the hidden div


@pytest.mark.parametrize("style", [
    "display:none", "visibility:hidden", "position:absolute;left:-9999px",
    "position:fixed;top:-3000px", "width:0;height:0;overflow:hidden",
    "height:1px;overflow:hidden", "font-size:0", "font-size:1px", "text-indent:-9999px",
    "opacity:0", "position:absolute;clip:rect(0 0 0 0)", "margin-left:-2000px",
    "DISPLAY: NONE !important",
])
def test_hiding_styles(style):
    reading = read_script(f"document.write(\"<div style='{style}'><a href='http://a.bet/'>博彩"
                          "</a></div>\")")
    assert reading.written[0].hidden


@pytest.mark.parametrize("style", ["color:red", "position:absolute;left:10px", "width:1px",
                                   "font-size:12px", "text-indent:2em"])
def test_visible_styles(style):
    reading = read_script(f"document.write(\"<div style='{style}'><a href='http://a.bet/'>博彩"
                          "</a></div>\")")
    assert not reading.written[0].hidden


def test_hidden_by_written_style_rule_and_zero_size_frame():
    reading = read_script(
        "document.write('<style>.lk{position:absolute;top:-999px}</style>"
        "<span class=\"lk x\"><a href=\"http://www.bet.cc/\">a</a></span>');"
        "document.getElementById('f').innerHTML='<iframe src=\"http://www.bet.cc/\" width=0 "
        "height=0></iframe>';")
    assert [w.hidden for w in reading.written] == [True, True]


def test_element_hidden_by_the_script():
    created = ('var d=document.createElement("div");d.innerHTML="<a href=\'http://x.bet/\'>'
               '彩票</a>";d.style.display="none";document.body.appendChild(d);')
    by_id = ('document.getElementById("ft").style.cssText="position:absolute;left:-5000px";'
             'document.getElementById("ft").innerHTML="<a href=\'http://x.bet/\'>彩票</a>";')
    written_then_hidden = ('document.write(\'<div id="hh"><a href="http://x.bet/">彩票</a></div>\');'
                           'document.getElementById("hh").setAttribute("style","display:none");')
    jquery = '$("#ft").hide().html("<a href=\'http://x.bet/\'>彩票</a>");'
    for code in (created, by_id, written_then_hidden, jquery):
        reading = read_script(code)
        assert len(reading.written) == 1 and reading.written[0].hidden, code


def test_insert_adjacent_html_and_jquery():
    code = ('document.getElementById("footer").insertAdjacentHTML("beforeend",'
            '"<a href=\'http://a.bet/\'>a</a>");$(function(){$("body").append('
            '"<div style=\'font-size:0\'><a href=\'http://b.bet/\'>b</a></div>")});'
            '$("<p><a href=\'http://c.bet/\'>c</a></p>").appendTo("body");')
    reading = read_script(code)
    assert [(w.method, w.hidden) for w in reading.written] == [
        ("insertAdjacentHTML", False), ("append", True), ("append", False)]


def test_written_refresh_script_and_inline_code():
    code = ('document.write(\'<meta http-equiv="refresh" content="0;url=http://www.6hc.cc/">\');'
            'document.write("<script src=\'http://js.tj-cnzz.cc/a.js\'></scr"+"ipt>");'
            'document.write("<script>document.title=\'六合彩\'<\\/script>");')
    reading = read_script(code)
    assert reading.navigations == (Navigation("http://www.6hc.cc/", "meta-written", "always",
                                              False),)
    assert reading.scripts == ("http://js.tj-cnzz.cc/a.js",)
    assert reading.title_switches == (TitleSwitch("六合彩", "always"),)


def test_loaded_scripts():
    code = ('var s=document.createElement("script");s.src="//cdn.jsdelivr-cdn.cc/x.js";'
            'document.getElementsByTagName("head")[0].appendChild(s);'
            'var t=document.createElement("script");t.setAttribute("src","http://a.cc/b.js");'
            '$.getScript("http://c.cc/d.js");')
    assert read_script(code).scripts == ("//cdn.jsdelivr-cdn.cc/x.js", "http://a.cc/b.js",
                                         "http://c.cc/d.js")


def test_plain_text_around_run_time_values_is_not_markup():
    assert read_script(DATE).written == ()
    # ... but known text is
    assert read_script('document.write("澳门赌场 线上娱乐")').written[0].html == "澳门赌场 线上娱乐"


# --- navigation ---------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "method"), [
    ('location="http://t.bet/"', "location"),
    ('location.href="http://t.bet/"', "location.href"),
    ('window.location.href="http://t.bet/"', "location.href"),
    ('self.location="http://t.bet/"', "location"),
    ('document.location.href="http://t.bet/"', "location.href"),
    ('top.location="http://t.bet/"', "top.location"),
    ('window.top.location.href="http://t.bet/"', "top.location"),
    ('parent.location="http://t.bet/"', "parent.location"),
    ('location.replace("http://t.bet/")', "location.replace"),
    ('window.location.assign("http://t.bet/")', "location.assign"),
    ('location["href"]="http://t.bet/"', "location[...]"),
    ('window["location"]="http://t.bet/"', "location[...]"),
    ('window.open("http://t.bet/","_self")', "window.open"),
    ('window.open("http://t.bet/","_blank")', "window.open"),
    ('window.navigate("http://t.bet/")', "window.navigate"),
    ('var w=window;w.location.href="http://t.bet/"', "location.href"),
    ('(function(w){w.location.href="http://t.bet/"})(window)', "location.href"),
])
def test_navigation_spellings(code, method):
    assert read_script(code).navigations == (Navigation("http://t.bet/", method, "always",
                                                        False),)


@pytest.mark.parametrize("code", [
    'setTimeout("location.href=\'http://t.bet/\'",3000)',
    'setTimeout(function(){location.href="http://t.bet/"},3000)',
    'setInterval(()=>location.href="http://t.bet/",100)',
    'window.onload=function(){location.href="http://t.bet/"}',
    'function go(){location.href="http://t.bet/"}window.onload=go;',
    'function go(){location.href="http://t.bet/"}setTimeout(go,500);',
    'function go(){location.href="http://t.bet/"}setTimeout("go()",500);',
    'window.addEventListener("load",function(){location.href="http://t.bet/"})',
    '$(document).ready(function(){location.href="http://t.bet/"})',
    "document.write('<meta http-equiv=\"refresh\" content=\"5;url=http://t.bet/\">')",
])
def test_delayed_navigation(code):
    (navigation,) = read_script(code).navigations
    assert navigation.target == "http://t.bet/" and navigation.delayed


@pytest.mark.parametrize("code", [
    'function go(){location.href="http://t.bet/"}go();',
    '!function(){location.href="http://t.bet/"}()',
    '(function(){window.location="http://t.bet/"}())',
    'var o={run:function(){location.href="http://t.bet/"}};o.run();',
])
def test_functions_that_run(code):
    (navigation,) = read_script(code).navigations
    assert navigation.target == "http://t.bet/" and not navigation.delayed


@pytest.mark.parametrize("code", [
    'function go(){location.href="http://t.bet/"}document.getElementById("m").onclick=go;',
    'function go(){location.href="http://t.bet/"}',
    'document.getElementById("m").onclick=function(){location.href="http://t.bet/"}',
    '$(".menu a").click(function(){location.href="http://t.bet/"})',
    'document.addEventListener("click",function(){window.open("http://t.bet/")})',
    '$(function(){$(".nav li").on("click",function(){location.href="http://t.bet/"})})',
])
def test_user_event_handlers_do_not_navigate(code):
    assert read_script(code).navigations == ()


def test_targets_decoded_or_left_as_expression():
    reading = read_script('var u=getUrl();location.href=u;'
                          'location.href="http://t.bet/?r="+encodeURIComponent(document.referrer)')
    assert reading.navigations == (
        Navigation("u", "location.href", "always", False, known=False),
        Navigation("http://t.bet/?r=", "location.href", "always", False))


@pytest.mark.parametrize("code", [
    "if(top.location!=self.location){top.location=self.location}",
    "if(window.top!==window.self){top.location.href=location.href}",
    'if(location.protocol=="http:"){location.href=location.href.replace("http:","https:")}',
    'if(location.protocol!="https:"){location.href="https://"+location.host+location.pathname}',
    'location.href="#top"',
    "location.reload()",
])
def test_the_page_itself_is_not_elsewhere(code):
    assert read_script(code).navigations == ()


# --- conditions ---------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "condition"), [
    ('var s=document.referrer;if(s.indexOf("baidu")>0||s.indexOf("sogou")>0||'
     's.indexOf("so.com")>0){location.href="http://t.bet/"}', "search-referrer"),
    ('if(/baidu|sogou|so.com|sm.cn/i.test(document.referrer)){location.href="http://t.bet/"}',
     "search-referrer"),
    ('var regexp=/\\.(sogou|soso|baidu|google|youdao|yahoo|bing|118114|biso)(\\.[a-z0-9\\-]+)'
     '{1,2}\\//ig;var where=document.referrer;if(regexp.test(where)){'
     'window.location.href="http://t.bet/"}', "search-referrer"),
    ('var se=["baidu.com","sogou.com","so.com","sm.cn","toutiao.com"],r=document.referrer;'
     'for(var i=0;i<se.length;i++){if(r.indexOf(se[i])!=-1){top.location.href="http://t.bet/";'
     'break}}', "search-referrer"),
    ('var ua=navigator.userAgent.toLowerCase();if(ua.indexOf("spider")==-1){'
     'location.href="http://t.bet/"}', "not-spider"),
    ('if(!/Baiduspider|Sogou|360Spider|YisouSpider|Bytespider|Googlebot|bingbot/i.test('
     'navigator.userAgent))location.href="http://t.bet/"', "not-spider"),
    ('if(navigator.userAgent.match(/spider|bot/i)){}else{location.href="http://t.bet/"}',
     "not-spider"),
    ('var isBot=/spider|bot|crawl/i.test(navigator.userAgent);if(!isBot){'
     'location.href="http://t.bet/"}', "not-spider"),
    ('navigator.userAgent.indexOf("Baiduspider")<0&&(location.href="http://t.bet/")',
     "not-spider"),
    ('/spider/i.test(navigator.userAgent)||location.replace("http://t.bet/")', "not-spider"),
    ('if(navigator.userAgent.indexOf("Baiduspider")>-1){location.href="http://t.bet/"}',
     "spider"),
    ('if(/Android|iPhone|iPad|Mobile/i.test(navigator.userAgent)){'
     'location.href="http://t.bet/"}', "mobile"),
    ('if(document.cookie.indexOf("v=1")<0){location.href="http://t.bet/"}', "other"),
    ('location.href="http://t.bet/"', "always"),
])
def test_navigation_conditions(code, condition):
    (navigation,) = read_script(code).navigations
    assert navigation.condition == condition


def test_nested_conditions_and_else_if_chain():
    code = ('var r=document.referrer,ua=navigator.userAgent;if(/spider|bot/i.test(ua)){'
            'document.title="县政府"}else if(r.indexOf("baidu")>-1){location.href="http://t.bet/"}'
            'else{document.title="政务公开"}')
    reading = read_script(code)
    assert reading.navigations[0].condition == "search-referrer"
    assert reading.title_switches == (TitleSwitch("县政府", "spider"),
                                      TitleSwitch("政务公开", "not-spider"))


# --- title switching ------------------------------------------------------------------------


def test_title_switch_for_everyone_but_crawlers():
    code = (BAIDU_TONGJI + 'var ua=navigator.userAgent.toLowerCase();if(ua.indexOf("baiduspider")'
            '==-1&&ua.indexOf("sogou")==-1&&ua.indexOf("360spider")==-1){document.title='
            '"XX县人民政府门户网站"}')
    reading = read_script(code)
    assert reading.title_switches == (TitleSwitch("XX县人民政府门户网站", "not-spider"),)


def test_title_switch_ternary_and_title_element():
    code = ('document.title=/spider|bot/i.test(navigator.userAgent)?"新葡京娱乐城":"县政府";'
            'document.getElementsByTagName("title")[0].innerHTML="太阳城";$("title").text("金沙");')
    reading = read_script(code)
    assert reading.title_switches == (TitleSwitch("新葡京娱乐城", "spider"),
                                      TitleSwitch("县政府", "not-spider"),
                                      TitleSwitch("太阳城", "always"),
                                      TitleSwitch("金沙", "always"))


# --- ordinary scripts -------------------------------------------------------------------------

ORDINARY = {
    "baidu-tongji": BAIDU_TONGJI,
    "cnzz": CNZZ,
    "date": DATE,
    "jquery-menu": MENU,
    "conac-badge": ('document.write(unescape("%3Cspan id=\'_ideConac\' %3E%3C/span%3E%3Cscript '
                    'src=\'https://dcs.conac.cn/js/33/000/0000/60427390/CA33000000060427390000'
                    '1.js\' type=\'text/javascript\'%3E%3C/script%3E"));'),
    "tabs": ('function setTab(name,cursel,n){for(var i=1;i<=n;i++){var menu=document.'
             'getElementById(name+i);var con=document.getElementById("con_"+name+"_"+i);'
             'menu.className=i==cursel?"hover":"";con.style.display=i==cursel?"block":"none";}}'),
    "font-size": "function doZoom(size){document.getElementById('zoom').style.fontSize=size+'px'}",
    "favourite": ('function AddFavorite(sURL,sTitle){try{window.external.addFavorite(sURL,sTitle)'
                  '}catch(e){try{window.sidebar.addPanel(sTitle,sURL,"")}catch(e){alert("加入收藏'
                  '失败，请使用Ctrl+D进行添加")}}}'),
    "jump-menu": ("function MM_jumpMenu(targ,selObj,restore){ //v3.0\n  eval(targ+\".location='"
                  "\"+selObj.options[selObj.selectedIndex].value+\"'\");\n  if (restore) selObj."
                  "selectedIndex=0;\n}"),
    "counter": ("document.write(\"<img src='http://tj.example.gov.cn/count.asp?id=12' width='0' "
                "height='0'>\");"),
    "baidu-share": ('window._bd_share_config={"common":{"bdSnsKey":{},"bdText":"","bdMini":"2"},'
                    '"share":{}};with(document)0[(getElementsByTagName(\'head\')[0]||body).'
                    'appendChild(createElement(\'script\')).src=\'http://bdimg.share.baidu.com/'
                    'static/api/js/share.js?v=89860593.js?cdnversion=\'+~(-new Date()/36e5)];'),
    "marquee": ('var speed=30;var demo=document.getElementById("demo");var demo1=document.'
                'getElementById("demo1");var demo2=document.getElementById("demo2");'
                'demo2.innerHTML=demo1.innerHTML;function Marquee(){if(demo2.offsetWidth-demo.'
                'scrollLeft<=0)demo.scrollLeft-=demo1.offsetWidth;else{demo.scrollLeft++}}'
                'var MyMar=setInterval(Marquee,speed);demo.onmouseover=function(){clearInterval('
                'MyMar)};demo.onmouseout=function(){MyMar=setInterval(Marquee,speed)};'),
    "search-box": ('function checkSearch(){var k=document.getElementById("keyword").value;if(k==""'
                   '||k=="请输入关键字"){alert("请输入关键字");return false;}window.open('
                   '"/search/index.jsp?q="+encodeURIComponent(k),"_blank");return false;}'),
    "frame-buster": "if(top.location!=self.location){top.location=self.location;}",
    "menu-of-official-media": ('function showMedia(){document.getElementById("media").innerHTML='
                               '"<a href=\'http://www.people.com.cn/\'>人民网</a><a href=\'http://'
                               'www.xinhuanet.com/\'>新华网</a>"}document.getElementById("mt").'
                               'onmouseover=showMedia;'),
}


@pytest.mark.parametrize("name", sorted(ORDINARY))
def test_ordinary_scripts_yield_nothing(name):
    reading = read_script(ORDINARY[name])
    assert nothing(reading), reading
    loaders = {"baidu-tongji": ("https://hm.baidu.com/hm.js?3f5a0e1c9d2b4a6e8f7c1b2a3d4e5f60",),
               "cnzz": ("https://s4.cnzz.com/z_stat.php?id=1279388&show=pic",),
               "conac-badge": ("https://dcs.conac.cn/js/33/000/0000/60427390/"
                               "CA330000000604273900001.js",)}
    assert reading.scripts == loaders.get(name, ())


def test_quick_exit():
    config = 'var siteId="1001";var columnId=23;var _pageSize=20;var pageIndex=1;'
    assert not worth_reading(config)
    assert worth_reading(BAIDU_TONGJI) and worth_reading('"\\146"')
    assert read_script(config) == ScriptReading((), (), (), (), config)
    assert read_script("") == read_script(None) == ScriptReading((), (), (), (), "")  # type: ignore[arg-type]


# --- hostile input ----------------------------------------------------------------------------
# The inputs live in domainwatch.testnet.hostile_scripts, shared with bench/bench_scripts.py:
# how long each takes is measured there (no test asserts a time).


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_is_read_without_error_and_bounded_output(name):
    # scripts._read, not read_script: read_script turns an exception into an empty reading.
    code = HOSTILE[name]
    reading = scripts._read(code[:scripts.MAX_SCRIPT], 0, None, scripts._Budget())  # no net
    assert isinstance(reading, ScriptReading)
    assert len(reading.decoded) <= scripts.MAX_DECODED
    assert len(reading.written) <= scripts.MAX_SINKS
    for written in reading.written:
        assert len(written.html) <= scripts.MAX_HTML
        written.html.encode("utf-8")  # no lone surrogates
        assert "\x00" not in written.html


def test_fuzz_never_raises():
    pieces = ['document.write(', 'location', '.href=', '"<a href=x>', "'", '"', "`", "${", "}",
              "(", ")", "[", "]", "{", "if(", "else", "function", "=>", "/", "/re/i", "\\x3c",
              "\\u", "\\", "eval(", "unescape(", "%3C", "atob(", "String.fromCharCode(60,",
              ",", ";", "+", "?", ":", "!", "=", "==-1", "navigator.userAgent", "var a=",
              "a", "document.referrer.indexOf('baidu')", "setTimeout(", "\n", " ", "<!--", "-->",
              "/*", "*/", "//", "window[", "'write']", ".split('').reverse().join('')",
              "function(p,a,c,k,e,d){}('0 1',62,2,'a|b'.split('|'),0,{})"]
    generator = random.Random(14)
    for _ in range(400):
        code = "".join(generator.choice(pieces) for _ in range(generator.randint(1, 60)))
        scripts._read(code, 0, None, scripts._Budget())  # raises on a bug


def test_input_and_outputs_are_capped():
    markup = "<a href='http://x.bet/'>" + "澳门" * 40_000 + "</a>"
    reading = read_script(f'document.write("{markup}")' + " " * scripts.MAX_SCRIPT + "location=1")
    assert len(reading.written[0].html) == scripts.MAX_HTML
    assert reading.navigations == ()  # beyond MAX_SCRIPT


def test_character_codes_decoded_in_a_loop_or_a_map_are_read() -> None:
    markup = '<div style="display:none"><a href="http://www.xpj8866.com/">澳门新葡京</a></div>'
    codes = ",".join(str(ord(char)) for char in markup)
    loop = (f"var _0xc=[{codes}];var _s='';for(var i=0;i<_0xc.length;i++)"
            "{_s+=String.fromCharCode(_0xc[i]);}document.write(_s);")
    [written] = read_script(loop).written
    assert written.html == markup and written.method == "document.write"
    assert "fromCharCode" in read_script(loop).techniques
    jump = ",".join(hex(ord(char)) for char in 'top.location.href="http://www.hg0088.vip/"')
    mapped = (f"var k=[{jump}];eval(k.map(function(c){{return String.fromCharCode(c)}})"
              ".join(''));")
    [navigation] = read_script(mapped).navigations
    assert navigation.target == "http://www.hg0088.vip/"
    # numbers that spell neither markup nor code, and arrays of other numbers: nothing
    assert read_script("var a=[1,2,3,4,5,6,7,8,9,10];x=String.fromCharCode(65)").written == ()
    assert read_script("var t=[72,101,108,108,111,32,119,111,114,108,100];"
                       "for(i in t)s+=String.fromCharCode(t[i]);").written == ()
