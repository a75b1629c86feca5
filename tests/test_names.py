import pytest

from domainwatch.names import (
    InvalidName,
    display_name,
    naming_problems,
    normalize_name,
    registrable_domain,
    site_code_problem,
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
