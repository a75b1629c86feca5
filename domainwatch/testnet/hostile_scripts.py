"""Hostile inputs for the static script reader (domainwatch.probes.scripts).

Each is built to make a naive reader slow, deep or huge: megabytes of operators, nesting
far past any real script, strings and comments never closed, sinks by the ten thousand,
strings that grow when written, evaled or joined. ``tests/test_scripts.py`` reads every one
and checks the reading is bounded; ``bench/bench_scripts.py`` times them. Several megabytes,
built at import. Besides them, a few ordinary scripts of the kind government sites carry
(statistics snippets, the date line, a jQuery menu), which a reader must read as harmless."""

from __future__ import annotations

#: Ordinary site scripts.
BAIDU_TONGJI = ('var _hmt = _hmt || [];\n(function() {\n'
                '  var hm = document.createElement("script");\n  hm.src = "https://hm.baidu.com/hm.js?3f5a0e1c9d2b4a6e8f7c1b2a3d4e5f60";\n'
                '  var s = document.getElementsByTagName("script")[0];\n'
                '  s.parentNode.insertBefore(hm, s);\n})();')
CNZZ = ('var cnzz_protocol = (("https:" == document.location.protocol) ? "https://" : "http://");'
        'document.write(unescape("%3Cspan id=\'cnzz_stat_icon_1279388\'%3E%3C/span%3E%3Cscript '
        'src=\'" + cnzz_protocol + "s4.cnzz.com/z_stat.php%3Fid%3D1279388%26show%3Dpic\' '
        'type=\'text/javascript\'%3E%3C/script%3E"));')
DATE = ('var today=new Date();var day;var date;if(today.getDay()==0)day="星期日";'
        'if(today.getDay()==1)day="星期一";if(today.getDay()==2)day="星期二";'
        'if(today.getDay()==3)day="星期三";if(today.getDay()==4)day="星期四";'
        'if(today.getDay()==5)day="星期五";if(today.getDay()==6)day="星期六";'
        'date=(today.getFullYear())+"年"+(today.getMonth()+1)+"月"+today.getDate()+"日 ";'
        'document.write(date+day);')
MENU = ('$(function(){$(".nav>li").hover(function(){$(this).addClass("on").find(".sub").stop()'
        '.slideDown(200)},function(){$(this).removeClass("on").find(".sub").stop().slideUp(200)})'
        ';$(".tab-hd li").click(function(){var i=$(this).index();$(this).addClass("cur")'
        '.siblings().removeClass("cur");$(".tab-bd .item").eq(i).show().siblings().hide()})});')

#: Name → script source.
HOSTILE: dict[str, str] = {
    "1 MB of string pluses": '"+"' + '+"+"' * 250_000,
    "a written string of pluses": "document.write(" + '"+"+' * 200_000 + '"x")',
    "deeply nested parentheses": "document.write(" + "(" * 100_000 + '"x"' + ")" * 100_000 + ")",
    "never closed parentheses": "eval(" + "(" * 200_000,
    "never closed string": 'document.write("' + "a" * 500_000,
    "never closed template": "document.write(`${" * 100_000,
    "lone backslashes": "location=" + "\\" * 500_000,
    "backslash string": 'eval("' + "\\\\" * 250_000 + '")',
    "regex classes never closed": "location;" + "[/[" * 150_000,
    "comment openers": "location=" + "/*" * 250_000,
    "negations": "document.title=" + "!" * 400_000 + '"x"',
    "nested ifs": "if(a){" * 50_000 + 'location.href="http://x/"' + "}" * 50_000,
    "else-if chain": "if(a){}" + "else if(b){}" * 40_000 + 'else{location.href="http://x/"}',
    "nested functions": "(function(){" * 20_000 + 'location.href="http://x/"' + "})()" * 20_000,
    "deep ternary": "location.href=" + "a?" * 100_000 + '"x"' + ":b" * 100_000,
    "many sinks": 'document.write("<a href=x>y</a>");' * 30_000,
    "huge fromCharCode": "document.write(String.fromCharCode(" + "60," * 150_000 + "62))",
    "many unclosed tags": 'document.write("' + "<a " * 150_000 + '")',
    "unclosed style": 'document.write("<style>' + "a" * 400_000 + '")',
    "huge packer payload": ("eval(function(p,a,c,k,e,d){}('" + "zz " * 100_000
                            + "',62,2,'a|b'.split('|'),0,{}))"),
    "call chain": "".join(f"function f{i}(){{f{i + 1}()}}" for i in range(3000))
                  + 'function f3000(){location.href="http://x/"}f0();',
    "self-referencing variables": "var a=b,b=a;a+=a;b+=b;document.write(a+b);location=a",
    "many evals of one big string": ('var s="' + "location.href='http://x/';" * 4000 + '";'
                                     + "eval(s);" * 600),
    "packer with a huge keyword": ("eval(function(p,a,c,k,e,d){}('" + "0 " * 150_000
                                   + "',62,1,'" + "x" * 200_000 + "'.split('|'),0,{}))"),
    "join of a huge string": ('var s="' + "a" * 200_000 + '";var l=[' + "s," * 5000
                              + 's];document.write(l.join(""));document.write(l+"")'),
    "replace with a huge string": 'var s="' + "a" * 200_000 + '";document.write(s.replace(/a/g,s))',
    "many big writes": ('var s="<a href=x>' + "a" * 200_000 + '";'
                        + "".join(f'document.write(s+"{i}");' for i in range(500))),
    "surrogates and NULs": 'document.write("\\ud800<a href=x>\\udc00y</a>\\u0000")',
}
