"""Reading zone files and certificate-log exports, and the register-against-zones logic."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from domainwatch.discovery import DiscoveryError, read_ct_export, read_zone_file
from domainwatch.reconcile import ZoneIndex, managed_domains, managing_domain, recent_certificate

DATA = Path(__file__).parent / "data"


def test_zone_file_names_roles_glue_and_skipped_owners() -> None:
    snapshot = read_zone_file(DATA / "zones" / "jiuquan.gov.cn.zone")
    assert (snapshot.origin, snapshot.serial) == ("jiuquan.gov.cn", 2026112601)
    assert snapshot.names["jiuquan.gov.cn"]["role"] == "zone apex"
    assert snapshot.names["ns1.jiuquan.gov.cn"]["role"] == "name server"
    assert snapshot.names["mail.jiuquan.gov.cn"]["role"] == "mail server"
    assert snapshot.names["www.jiuquan.gov.cn"] == {"types": ["A", "AAAA"]}
    assert snapshot.names["bak.jiuquan.gov.cn"] == {"types": ["CNAME"]}
    assert snapshot.names["jyj.jiuquan.gov.cn"]["types"] == ["NS"]
    assert "ns1.jyj.jiuquan.gov.cn" not in snapshot.names
    assert snapshot.skipped == ["_dmarc.jiuquan.gov.cn"]


def test_idn_zone_file() -> None:
    snapshot = read_zone_file(DATA / "zones" / "zhengwu.zone")
    assert snapshot.origin == "xn--zfr164b"
    assert {"xn--bww729e.xn--zfr164b", "xn--2mys4bv2p.xn--zfr164b"} <= set(snapshot.names)


def test_wildcard_owners_are_kept_apart(tmp_path: Path) -> None:
    path = tmp_path / "t.zone"
    path.write_text("$ORIGIN tianshui.gov.cn.\n$TTL 60\n@ SOA ns1 h 1 1 1 1 1\n@ NS ns1\n"
                    "ns1 A 127.20.6.2\n* A 127.20.6.66\nwww A 127.20.6.10\n")
    snapshot = read_zone_file(path)
    assert snapshot.wildcards == ["*.tianshui.gov.cn"]
    assert "*.tianshui.gov.cn" not in snapshot.names


def test_zone_file_errors_name_the_line() -> None:
    with pytest.raises(DiscoveryError, match=r"broken\.zone:\d+"):
        read_zone_file(DATA / "zones" / "broken.zone")
    with pytest.raises(DiscoveryError, match="--origin"):
        read_zone_file(DATA / "zones" / "no-origin.zone")


def test_ct_export_merges_duplicates_keeping_the_newest_certificate() -> None:
    snapshot = read_ct_export(DATA / "ct" / "jiuquan-crtsh.json")
    www = snapshot.names["www.jiuquan.gov.cn"]
    assert www["not_before"] == "2026-10-02T02:13:21Z"
    assert www["issuer"] == "C=US, O=Let's Encrypt, CN=R11"
    assert "jiuquan.gov.cn" in snapshot.names, "names are lower-cased"
    assert snapshot.wildcards == ["*.jiuquan.gov.cn"]
    assert not any("@" in name for name in snapshot.names)
    assert snapshot.skipped == ["bad name.jiuquan.gov.cn"]


@pytest.mark.parametrize(("content", "message"), [
    ("{}", "JSON array"),
    ("[{\"id\": 1}]", "certificate 1: no name_value"),
    ("not json", "not valid JSON"),
])
def test_bad_ct_exports(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "ct.json"
    path.write_text(content)
    with pytest.raises(DiscoveryError, match=message):
        read_ct_export(path)


def test_managed_domains_and_the_deepest_one() -> None:
    entries = [{"name": "www.jiuquan.gov.cn"}, {"name": "www.jqtz.com"},
               {"name": "xn--bww729e.xn--zfr164b"}]
    sources = [{"kind": "zone", "origin": "lanzhou.gov.cn"}, {"kind": "ct", "origin": None}]
    managed = managed_domains(entries, sources, ["tianshui.gov.cn"])
    assert managed == {"jiuquan.gov.cn", "xn--bww729e.xn--zfr164b", "lanzhou.gov.cn",
                       "tianshui.gov.cn"}
    assert managing_domain("a.b.jiuquan.gov.cn", managed | {"b.jiuquan.gov.cn"}) == \
        "b.jiuquan.gov.cn"
    assert managing_domain("www.jqtz.com", managed) is None


def test_zone_index_leaves_delegated_parts_to_their_own_zone() -> None:
    sources = [{"kind": "zone", "origin": "jiuquan.gov.cn", "wildcards": [],
                "last_synced": "T"}]
    row = {"kind": "zone", "origin": "jiuquan.gov.cn", "present": True}
    discovered = {"www.jiuquan.gov.cn": [{**row, "detail": {"types": ["A"]}}],
                  "jyj.jiuquan.gov.cn": [{**row, "detail": {"types": ["NS"]}}],
                  "old.jiuquan.gov.cn": [{**row, "present": False, "detail": {"types": ["A"]}}]}
    index = ZoneIndex.build(sources, discovered)
    assert index.lists("www.jiuquan.gov.cn")
    assert not index.lists("old.jiuquan.gov.cn"), "a name gone from the zone"
    assert index.zone_of("www.jyj.jiuquan.gov.cn") is None
    assert index.zone_of("jyj.jiuquan.gov.cn") == "jiuquan.gov.cn"


def test_recent_certificate() -> None:
    now = datetime(2026, 11, 26, tzinfo=UTC)

    def rows(not_before: str, not_after: str) -> list[dict]:
        return [{"kind": "ct", "detail": {"not_before": not_before, "not_after": not_after}}]

    assert recent_certificate(rows("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"), now)
    assert recent_certificate(rows("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z"), now)
    assert not recent_certificate(rows("2023-01-01T00:00:00Z", "2023-04-01T00:00:00Z"), now)
    assert not recent_certificate([{"kind": "zone", "detail": {"types": ["A"]}}], now)
    fresh = rows("2026-11-01T00:00:00Z", "2027-01-01T00:00:00Z")
    assert recent_certificate(fresh, now) == fresh[0]["detail"]
