from typing import Any

import pytest

from domainwatch.names import (
    GOVERNMENT_SUFFIXES,
    InvalidName,
    ascii_host,
    display_name,
    government_suffix,
    governments_by_division,
    is_under,
    naming_problems,
    normalize_name,
    owner_kind,
    registrable_domain,
    site_code_problem,
    url_host,
)


@pytest.mark.parametrize(("text", "stored"), [
    ("WWW.Gansu.GOV.CN.", "www.gansu.gov.cn"),
    ("  fgw.jiuquan.gov.cn ", "fgw.jiuquan.gov.cn"),
    ("酒泉.政务", "xn--bww729e.xn--zfr164b"),
    ("xn--bww729e.xn--zfr164b", "xn--bww729e.xn--zfr164b"),
])
def test_names_are_stored_lower_case_idna_without_trailing_dot(text: str, stored: str) -> None:
    assert normalize_name(text) == stored


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty name"),
    ("www..gansu.gov.cn", "empty label"),
    ("a" * 64 + ".gov.cn", "64 octets"),
    (".".join(["abcdefghi"] * 26), "at most 253"),
    ("www_x.gov.cn", "'_'"),
    ("-www.gov.cn", "hyphen"),
    ("www gansu.gov.cn", "' '"),
    ("xn--zz.gov.cn", "punycode"),
])
def test_malformed_names_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(InvalidName, match=message):
        normalize_name(text)


def test_display_name_shows_unicode_labels() -> None:
    assert display_name("xn--bww729e.xn--zfr164b") == "酒泉.政务"
    assert display_name("www.gansu.gov.cn") == "www.gansu.gov.cn"


def test_registrable_domain_treats_gov_cn_as_a_public_suffix() -> None:
    assert registrable_domain("x.fgw.jiuquan.gov.cn") == "jiuquan.gov.cn"
    assert registrable_domain("www.jqtz.com") == "jqtz.com"
    assert registrable_domain("gov.cn") is None
    assert registrable_domain("www.example.com.cn") == "example.com.cn"
    assert registrable_domain("com.cn") is None
    assert registrable_domain("xn--bww729e.xn--zfr164b") == "xn--bww729e.xn--zfr164b"
    assert registrable_domain("xn--zfr164b") is None
    assert registrable_domain("site.cdn.example-cloud.com") == "example-cloud.com"
    assert registrable_domain("gov-portal.github.io") == "github.io", "ICANN section only"


@pytest.mark.parametrize("code", ["6209000001", "bm12345678", "1100000042"])
def test_valid_site_codes(code: str) -> None:
    assert site_code_problem(code) is None


@pytest.mark.parametrize("code", ["620900001", "62090000011", "bm1234567", "BM12345678",
                                  "9909000001", "62090a0001"])
def test_invalid_site_codes(code: str) -> None:
    assert site_code_problem(code) is not None


def codes(name: str, parent: str | None) -> set[str]:
    return {problem.code for problem in naming_problems(name, parent)}


def test_well_formed_portals_and_departments_pass() -> None:
    assert codes("www.gansu.gov.cn", None) == set()
    assert codes("www.jiuquan.gov.cn", "www.gansu.gov.cn") == set()
    assert codes("fgw.jiuquan.gov.cn", "www.jiuquan.gov.cn") == set()
    assert codes("www.fgw.jiuquan.gov.cn", "www.jiuquan.gov.cn") == set()
    assert codes("xn--bww729e.xn--zfr164b", None) == set()


def test_department_outside_its_governments_domain() -> None:
    assert codes("nyj.zhangye.gov.cn", "www.jiuquan.gov.cn") == {"not_under_parent"}


def test_non_government_suffix() -> None:
    assert codes("www.jqtz.com", "www.jiuquan.gov.cn") == {"non_government_suffix",
                                                           "not_under_parent"}
    assert codes("www.gansu-gov.cn", None) == {"non_government_suffix"}


def test_too_deep_and_portal_form() -> None:
    assert codes("a.b.jiuquan.gov.cn", "www.jiuquan.gov.cn") == {"too_deep"}
    assert codes("portal.jiuquan.gov.cn", None) == {"portal_form"}


# -- a department holding a second-level domain of its own -------------------------------------

JIUQUAN = "www.jiuquan.gov.cn"


def own_domain(name: str, parent: str | None, **context: Any) -> dict[str, Any] | None:
    """The department_own_domain problem's evidence (with its summary), or None."""
    for problem in naming_problems(name, parent, **context):
        if problem.code == "department_own_domain":
            assert problem.severity == "medium"
            return {**problem.evidence, "summary": problem.summary}
    return None


@pytest.mark.parametrize(("owner", "kind"), [
    ("酒泉市人民政府", "government"),
    ("甘肃省人民政府办公厅", "government"),
    ("酒泉市人民政府办公室", "government"),
    ("酒泉市政府办公室", "government"),
    ("酒泉市人民政府办公室（酒泉市人民政府外事办公室）", "government"),
    ("酒泉市发展和改革委员会", "department"),
    ("酒泉市市场监督管理局", "department"),
    ("甘肃省教育厅", "department"),
    ("酒泉市扶贫办", "department"),
    ("酒泉市政务服务中心", "department"),
    ("肃北县公安局交通警察大队", "department"),
    ("国家统计局", "central"),
    ("中华人民共和国财政部", "central"),
    ("", None),
    ("酒泉", None),
])
def test_what_an_owner_says_its_site_is(owner: str, kind: str | None) -> None:
    assert owner_kind(owner) == kind


@pytest.mark.parametrize("name", ["www.jqfgw.gov.cn", "jqfgw.gov.cn"])
def test_a_department_named_by_its_owner_on_a_domain_of_its_own(name: str) -> None:
    found = own_domain(name, JIUQUAN, owner="酒泉市发展和改革委员会")
    assert found is not None
    assert found["domain"] == "jqfgw.gov.cn" and found["owner_says"] == "department"
    assert found["government_domain"] == "jiuquan.gov.cn"
    assert found["expected"] == "<dept>.jiuquan.gov.cn"
    assert found["summary"] == (
        f"{name} is a department's site on jqfgw.gov.cn, a second-level domain of its own "
        "(owner 酒泉市发展和改革委员会 is a department); a department uses <dept>.jiuquan.gov.cn")


def test_a_department_told_by_its_site_code_when_the_owner_says_nothing() -> None:
    found = own_domain("www.jqfgw.gov.cn", JIUQUAN, site_code="6209000012",
                       parent_site_code="6209000001")
    assert found is not None
    assert (found["division"], found["owner_says"]) == ("620900", None)
    assert found["government_domain"] == "jiuquan.gov.cn"
    assert "site code 6209000012 has the division code 620900 of its parent " \
           "www.jiuquan.gov.cn" in found["summary"]
    # a county's portal under the city has the county's own division code: no department
    assert own_domain("www.subei.gov.cn", JIUQUAN, site_code="6209230001",
                      parent_site_code="6209000001") is None


def test_a_county_department_under_the_wrong_parent_names_no_wrong_government() -> None:
    found = own_domain("www.sbscj.gov.cn", JIUQUAN, owner="肃北县市场监督管理局",
                       site_code="6209230005", parent_site_code="6209000001")
    assert found is not None and found["government_domain"] is None
    assert found["expected"] == "<dept>.<its government's domain>"
    subei = {"name": "www.subei.gov.cn", "owner": "肃北蒙古族自治县人民政府",
             "site_code": "6209230001"}
    counties = governments_by_division([subei])
    found = own_domain("www.sbscj.gov.cn", JIUQUAN, owner="肃北县市场监督管理局",
                       site_code="6209230005", parent_site_code="6209000001",
                       governments=counties)
    assert found is not None and found["government_domain"] == "subei.gov.cn"
    assert found["government"] == "www.subei.gov.cn"


def test_the_register_tells_the_government_of_an_entry_without_parent() -> None:
    register = [
        {"name": JIUQUAN, "owner": "酒泉市人民政府", "site_code": "6209000001"},
        {"name": "xn--bww729e.xn--zfr164b", "owner": "酒泉市人民政府", "site_code": "6209000011"},
        {"name": "fgw.jiuquan.gov.cn", "owner": "酒泉市发展和改革委员会",
         "site_code": "6209000002"},
        {"name": "www.lanzhou.gov.cn", "owner": "", "site_code": "6201000001"},
    ]
    governments = governments_by_division(register)
    assert {d: e["name"] for d, e in governments.items()} == {"620900": JIUQUAN}
    found = own_domain("www.jqfgw.gov.cn", None, site_code="6209000012", governments=governments)
    assert found is not None and found["government_domain"] == "jiuquan.gov.cn"
    # the government's own portal, or the same site (same site code) under another name
    assert own_domain(JIUQUAN, None, site_code="6209000001", governments=governments) is None
    assert own_domain("www.jq.gov.cn", None, site_code="6209000001",
                      governments=governments) is None
    # two domains claim to be the government of one division: the register cannot tell
    twice = governments_by_division([*register, {"name": "www.jq.gov.cn", "owner": "酒泉市人民政府",
                                                 "site_code": "6209000031"}])
    assert "620900" not in twice


def test_governments_central_departments_and_correct_departments_are_not_flagged() -> None:
    # the owner says government: a portal, whatever the site code says
    assert own_domain("www.jiuquan.gov.cn", "www.gansu.gov.cn", owner="酒泉市人民政府办公室",
                      site_code="6209000001", parent_site_code="6200000001") is None
    assert own_domain("www.jqzf.gov.cn", JIUQUAN, owner="酒泉市人民政府",
                      site_code="6209000002", parent_site_code="6209000001") is None
    # central departments hold second-level domains of their own by right
    assert own_domain("www.mof.gov.cn", "www.gov.cn", owner="财政部") is None
    assert own_domain("www.mof.gov.cn", None, owner="中华人民共和国财政部") is None
    assert own_domain("www.stats.gov.cn", None, owner="国家统计局") is None
    assert own_domain("www.customs.gov.cn", None, owner="海关总署办公厅",
                      site_code="bm28000001") is None
    # a provincial department under the province's domain is the rule, not a breach of it
    assert codes("jyt.gansu.gov.cn", "www.gansu.gov.cn") == set()
    assert own_domain("jyt.gansu.gov.cn", "www.gansu.gov.cn", owner="甘肃省教育厅",
                      site_code="6200000003", parent_site_code="6200000001") is None
    # ... but one on a domain of its own breaks it like a city's department
    assert own_domain("www.gsedu.gov.cn", "www.gansu.gov.cn", owner="甘肃省教育厅") is not None
    # .政务 names are registered per body: a department's own is right
    zhengwu = normalize_name("酒泉市发展和改革委员会.政务")
    assert own_domain(zhengwu, JIUQUAN, owner="酒泉市发展和改革委员会") is None


def test_no_department_signal_no_finding() -> None:
    assert own_domain("www.jqfgw.gov.cn", JIUQUAN) is None
    assert own_domain("www.jqfgw.gov.cn", JIUQUAN, owner="酒泉经济网") is None
    assert own_domain("www.jqfgw.gov.cn", JIUQUAN, site_code="6209000012") is None
    assert own_domain("www.jqfgw.gov.cn", None, owner="", site_code="6209000012",
                      governments={}) is None


@pytest.mark.parametrize(("name", "domain", "under"), [
    ("jiuquan.gov.cn", "jiuquan.gov.cn", True),
    ("www.jiuquan.gov.cn", "jiuquan.gov.cn", True),
    ("a.b.jiuquan.gov.cn", "gov.cn", True),
    ("xjiuquan.gov.cn", "jiuquan.gov.cn", False),  # label by label, not by characters
    ("gov.cn", "jiuquan.gov.cn", False),
    ("jiuquan.gov.cn.evil.example", "jiuquan.gov.cn", False),
    ("jiuquan.gov.cn", "", False),
])
def test_is_under(name: str, domain: str, under: bool) -> None:
    assert is_under(name, domain) is under


def test_the_government_suffixes() -> None:
    assert GOVERNMENT_SUFFIXES == ("gov.cn", "xn--zfr164b")
    assert normalize_name("政务") in GOVERNMENT_SUFFIXES
    assert government_suffix("www.jiuquan.gov.cn") == "gov.cn"
    assert government_suffix(normalize_name("酒泉.政务")) == "xn--zfr164b"
    assert government_suffix("gov.cn") is None and government_suffix("govx.cn") is None


@pytest.mark.parametrize(("text", "host"), [
    ("WWW.Gansu.GOV.CN.", "www.gansu.gov.cn"),
    (" _dmarc.jiuquan.gov.cn ", "_dmarc.jiuquan.gov.cn"),  # ASCII: taken as it is
    ("酒泉.政务.", "xn--bww729e.xn--zfr164b"),
    ("", ""),
    ("..", ""),
])
def test_ascii_host(text: str, host: str) -> None:
    assert ascii_host(text) == host


@pytest.mark.parametrize("text", ["酒泉_x.政务", "酒 泉.政务", "-酒泉.政务", "☃.com"])
def test_ascii_host_refuses_a_unicode_name_that_is_no_host_name(text: str) -> None:
    with pytest.raises(ValueError):
        ascii_host(text)


@pytest.mark.parametrize(("url", "host"), [
    ("https://WWW.Gansu.gov.cn./path?q=1#x", "www.gansu.gov.cn"),
    ("http://user:pw@jiuquan.gov.cn:8080/", "jiuquan.gov.cn"),
    ("http://酒泉.政务/", "xn--bww729e.xn--zfr164b"),
    ("http://☃.com/", "xn--n3h.com"),  # lenient as a browser: the link is not lost
    ("http://[2001:db8::1]/", "2001:db8::1"),
    ("/relative/path", None),
    ("mailto:webadmin@gansu.gov.cn", None),
    ("http://[::1/", None),  # unreadable
    ("http://" + "a" * 70 + ".酒泉/", None),  # a label too long
])
def test_url_host(url: str, host: str | None) -> None:
    assert url_host(url) == host
