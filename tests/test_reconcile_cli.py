"""Keeping the register in step with the zones, end to end through the CLI: zone files,
zone transfers from real Knot servers, certificate-log exports, register diff, and the
register.unlisted / register.not_in_zone / register.wildcard findings of the next scan."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from helpers import DEMO_REGISTER, FAST, dw, findings

DATA = Path(__file__).parent / "data"
ZONE_FILE = DATA / "zones" / "jiuquan.gov.cn.zone"
CT_EXPORT = DATA / "ct" / "jiuquan-crtsh.json"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "dw.db"
    result = dw(path, "register", "import", str(DEMO_REGISTER))
    assert result.returncode == 0, result.stderr
    return path


def diff(db: Path) -> dict[str, Any]:
    result = dw(db, "register", "diff", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def register_names(db: Path) -> set[str]:
    listed = dw(db, "register", "list", "--format", "json")
    return {entry["name"] for entry in json.loads(listed.stdout)}


def count(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    value = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    conn.close()
    return int(value)


def sync(db: Path, net: Any, zone: str, group: str, *args: str) -> Any:
    return dw(db, *args, "register", "sync", "--axfr", zone, "--server",
              f"{net.server_address(group)}:53", "--timeout", "3")


def open_rules(db: Path) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = {}
    for row in findings(db):
        grouped.setdefault(row["rule"], set()).add(row["name"])
    return grouped


@pytest.mark.slow
def test_a_zone_file_is_discovered_not_added_to_the_register(db: Path) -> None:
    before = register_names(db)
    result = dw(db, "register", "import", str(ZONE_FILE))
    assert result.returncode == 0, result.stderr
    assert "zone jiuquan.gov.cn, serial 2026112601" in result.stdout
    assert "skipped 1 owner name(s) that are not host names: _dmarc.jiuquan.gov.cn" in \
        result.stdout
    assert register_names(db) == before
    report = diff(db)
    unlisted = {row["name"]: row for row in report["unlisted"]}
    assert set(unlisted) == {"bak.jiuquan.gov.cn", "tzcj.jiuquan.gov.cn", "jiuquan.gov.cn",
                             "mail.jiuquan.gov.cn", "ns1.jiuquan.gov.cn", "ns2.jiuquan.gov.cn"}
    assert unlisted["bak.jiuquan.gov.cn"]["types"] == ["CNAME"]
    assert unlisted["ns2.jiuquan.gov.cn"]["role"] == "name server"
    assert unlisted["mail.jiuquan.gov.cn"]["role"] == "mail server"
    assert "ns1.jyj.jiuquan.gov.cn" not in unlisted, "glue below a delegation is not a name"
    missing = {row["name"] for row in report["not_in_zone"]}
    assert missing == {"bigtxt.jiuquan.gov.cn", "cdn.jiuquan.gov.cn", "loop1.jiuquan.gov.cn",
                       "lyj.jiuquan.gov.cn", "news.jiuquan.gov.cn", "static.jiuquan.gov.cn",
                       "files.jiuquan.gov.cn", "docs.jiuquan.gov.cn"}
    assert "jyj.jiuquan.gov.cn" in report["matched"], "a delegated department is in its zone"
    table = dw(db, "register", "diff").stdout
    assert "in the register, not in its zone: 8" in table


@pytest.mark.slow
def test_accept_adds_only_host_names_under_their_portal(db: Path) -> None:
    result = dw(db, "register", "import", str(ZONE_FILE), "--accept", "--by", "wang")
    assert result.returncode == 0, result.stderr
    assert "added to the register: 2" in result.stdout
    added = {e["name"]: e for e in json.loads(
        dw(db, "register", "list", "--format", "json").stdout)}
    for name in ("bak.jiuquan.gov.cn", "tzcj.jiuquan.gov.cn"):
        assert added[name]["parent"] == "www.jiuquan.gov.cn"
        assert added[name]["owner"] == added["www.jiuquan.gov.cn"]["owner"]
        assert added[name]["state"] == "active"
    assert "ns1.jiuquan.gov.cn" not in added
    history = json.loads(dw(db, "show", "tzcj.jiuquan.gov.cn", "--format", "json").stdout)
    assert history["history"][0]["by"] == "wang"
    assert "jiuquan.gov.cn.zone" in history["history"][0]["reason"]


@pytest.mark.slow
@pytest.mark.parametrize(("file", "args", "message"), [
    ("broken.zone", (), "broken.zone:"),
    ("no-origin.zone", (), "give the zone with --origin"),
    ("missing.zone", (), "file not found"),
])
def test_bad_zone_files_are_refused_whole(db: Path, file: str, args: tuple[str, ...],
                                          message: str) -> None:
    result = dw(db, "register", "import", str(DATA / "zones" / file), *args)
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert message in result.stderr and "Traceback" not in result.stderr
    assert count(db, "sources") == 0 and count(db, "discovered") == 0


@pytest.mark.slow
def test_origin_option_for_a_file_without_origin(db: Path) -> None:
    result = dw(db, "register", "import", "--format", "zone", "--origin", "lanzhou.gov.cn",
                str(DATA / "zones" / "no-origin.zone"))
    assert result.returncode == 0, result.stderr
    assert "zone lanzhou.gov.cn, serial 1" in result.stdout


@pytest.mark.slow
def test_a_name_gone_from_the_zone_is_reported(db: Path, tmp_path: Path) -> None:
    dw(db, "register", "import", str(ZONE_FILE))
    shrunk = tmp_path / "jiuquan.gov.cn.zone"
    shrunk.write_text("\n".join(line for line in ZONE_FILE.read_text().splitlines()
                                if not line.startswith("fgw")) + "\n")
    result = dw(db, "register", "import", str(shrunk))
    assert result.returncode == 0, result.stderr
    assert "0 new, 1 gone" in result.stdout
    assert "gone from the zone: fgw.jiuquan.gov.cn" in result.stdout
    assert "fgw.jiuquan.gov.cn" in {row["name"] for row in diff(db)["not_in_zone"]}


@pytest.mark.world
def test_zone_transfer_then_scan_finds_unlisted_and_missing_names(db: Path,
                                                                  local_internet: Any) -> None:
    result = sync(db, local_internet, "jiuquan.gov.cn", "city")
    assert result.returncode == 0, result.stderr
    assert "AXFR from" in result.stdout
    scan = dw(db, "scan", "--resolver", local_internet.resolver, *FAST)
    assert scan.returncode == 0, scan.stderr
    rules = open_rules(db)
    assert rules["register.unlisted"] == {"tzcj.jiuquan.gov.cn", "bak.jiuquan.gov.cn"}
    assert rules["register.not_in_zone"] == {"jyj.jiuquan.gov.cn"}
    tzcj = next(f for f in findings(db, "--rule", "register.unlisted")
                if f["name"] == "tzcj.jiuquan.gov.cn")
    assert tzcj["evidence"]["listed_in_zone"] is True
    assert tzcj["evidence"]["addresses"] == ["127.20.1.30"]
    again = sync(db, local_internet, "jiuquan.gov.cn", "city")
    assert "0 new, 0 gone" in again.stdout
    add = dw(db, "register", "add", "tzcj.jiuquan.gov.cn", "--owner", "酒泉市投资促进局",
             "--parent", "www.jiuquan.gov.cn", "--note", "approved 2026-11")
    assert add.returncode == 0, add.stderr
    dw(db, "register", "add", "bak.jiuquan.gov.cn", "--parent", "www.jiuquan.gov.cn")
    rescan = dw(db, "scan", "--resolver", local_internet.resolver, *FAST)
    assert "register.unlisted" not in open_rules(db)
    resolved = {f["name"] for f in findings(db, "--status", "resolved",
                                            "--rule", "register.unlisted")}
    assert resolved == {"tzcj.jiuquan.gov.cn", "bak.jiuquan.gov.cn"}, rescan.stdout


@pytest.mark.world
def test_refused_transfer_is_one_clear_error_and_changes_nothing(db: Path,
                                                                 local_internet: Any) -> None:
    result = sync(db, local_internet, "gansu.gov.cn", "gansu")
    assert result.returncode == 6, (result.stdout, result.stderr)
    assert "zone transfer of gansu.gov.cn" in result.stderr and "refused" in result.stderr
    assert result.stderr.count("\n") == 1
    assert count(db, "sources") == 0


@pytest.mark.world
def test_tsig_protected_transfer(db: Path, local_internet: Any, tmp_path: Path) -> None:
    refused = sync(db, local_internet, "lanzhou.gov.cn", "city")
    assert refused.returncode == 6
    assert "TSIG" in refused.stderr
    key = local_internet.scenario.tsig
    config = tmp_path / "dw.toml"
    config.write_text(f'[tsig]\nname = "{key.name}"\nalgorithm = "{key.algorithm}"\n'
                      f'secret = "{key.secret}"\n')
    result = sync(db, local_internet, "lanzhou.gov.cn", "city", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "zone lanzhou.gov.cn" in result.stdout
    # Knot matches an unsigned-only ACL to unsigned requests alone.
    signed = sync(db, local_internet, "jiuquan.gov.cn", "city", "--config", str(config))
    assert signed.returncode == 6 and "BADKEY" in signed.stderr and "--no-tsig" in signed.stderr
    unsigned = dw(db, "--config", str(config), "register", "sync", "--axfr", "jiuquan.gov.cn",
                  "--server", f"{local_internet.server_address('city')}:53", "--no-tsig")
    assert unsigned.returncode == 0, unsigned.stderr
    config.write_text(f'[tsig]\nname = "{key.name}"\nalgorithm = "{key.algorithm}"\n'
                      'secret = "c2VjcmV0IHRoYXQgZG9lcyBub3QgbWF0Y2g="\n')
    mismatch = sync(db, local_internet, "lanzhou.gov.cn", "city", "--config", str(config))
    assert mismatch.returncode == 6 and "BADSIG" in mismatch.stderr
    config.write_text('[tsig]\nname = "dw-transfer"\nsecret = "not base64!"\n')
    bad = sync(db, local_internet, "lanzhou.gov.cn", "city", "--config", str(config))
    assert bad.returncode == 3 and "base64" in bad.stderr


@pytest.mark.world
def test_broken_transfer_changes_nothing(db: Path, local_internet: Any) -> None:
    result = sync(db, local_internet, "broken.gov.cn", "broken")
    assert result.returncode == 6, (result.stdout, result.stderr)
    assert "zone transfer of broken.gov.cn" in result.stderr
    assert "nothing was changed" in result.stderr
    assert count(db, "sources") == 0 and count(db, "discovered") == 0


@pytest.mark.world
def test_certificate_log_export(db: Path, local_internet: Any) -> None:
    result = dw(db, "register", "import", "--format", "ct", str(CT_EXPORT))
    assert result.returncode == 0, result.stderr
    assert "6 names, wildcards *.jiuquan.gov.cn" in result.stdout
    assert "bad name.jiuquan.gov.cn" in result.stdout
    again = dw(db, "register", "import", "--format", "ct", str(CT_EXPORT), "--accept",
               "--dry-run")
    assert "0 new" not in again.stdout and "nothing written" in again.stdout
    assert "add      oa.jiuquan.gov.cn" in again.stdout
    assert "old-oa" not in again.stdout.split("not in the register")[0], \
        "an expired certificate is no reason to add a name"
    again = dw(db, "register", "import", "--format", "ct", str(CT_EXPORT))
    assert "0 new" in again.stdout, "a second import of the same export adds nothing"
    report = diff(db)
    unlisted = {row["name"]: row for row in report["unlisted"]}
    assert set(unlisted) == {"jiuquan.gov.cn", "oa.jiuquan.gov.cn", "old-oa.jiuquan.gov.cn",
                             "tzcj.jiuquan.gov.cn"}
    assert "example.com" not in unlisted, "only names under managed domains"
    assert unlisted["jiuquan.gov.cn"]["certificate"]["not_before"] == "2026-11-02T00:00:00Z"
    assert report["certificate_logs"][0]["wildcards"] == ["*.jiuquan.gov.cn"]
    scan = dw(db, "scan", "--resolver", local_internet.resolver, *FAST)
    assert scan.returncode == 0, scan.stderr
    unlisted_findings = {f["name"]: f for f in findings(db, "--rule", "register.unlisted")}
    # oa: no DNS, but a valid certificate; tzcj: resolves; old-oa: neither; the apex of a
    # managed domain seen only in a certificate is still a live name that is not registered.
    assert set(unlisted_findings) == {"oa.jiuquan.gov.cn", "tzcj.jiuquan.gov.cn",
                                      "jiuquan.gov.cn"}
    assert "valid certificate" in unlisted_findings["oa.jiuquan.gov.cn"]["summary"]
    shown = dw(db, "show", "oa.jiuquan.gov.cn").stdout
    assert "not in the register" in shown
    assert "ct certificate transparency: certificate 2026-11-10T00:00:00Z" in shown
    assert "register.unlisted" in shown
    assert "resolves to 127.20.1.30" in unlisted_findings["tzcj.jiuquan.gov.cn"]["summary"]


@pytest.mark.world
def test_a_wildcard_does_not_make_names_look_live(db: Path, local_internet: Any,
                                                  tmp_path: Path) -> None:
    export = tmp_path / "tianshui.json"
    export.write_text(json.dumps([{
        "issuer_name": "C=CN, CN=x", "name_value": "bet365-vip.tianshui.gov.cn",
        "id": 1, "not_before": "2020-01-01T00:00:00", "not_after": "2020-04-01T00:00:00"}]))
    dw(db, "register", "import", "--format", "ct", str(export))
    result = dw(db, "scan", "--resolver", local_internet.resolver, *FAST)
    assert result.returncode == 0, result.stderr
    rules = open_rules(db)
    assert rules["register.wildcard"] == {"tianshui.gov.cn"}
    assert "bet365-vip.tianshui.gov.cn" not in rules.get("register.unlisted", set())
    [wildcard] = findings(db, "--rule", "register.wildcard")
    assert wildcard["subject"] == "*.tianshui.gov.cn"
    assert wildcard["evidence"]["addresses"] == ["127.20.6.66"]


@pytest.mark.world
def test_the_zhengwu_zone_by_transfer(db: Path, local_internet: Any) -> None:
    result = sync(db, local_internet, "政务", "cnnic")
    assert result.returncode == 0, result.stderr
    assert "zone 政务" in result.stdout
    assert "甘肃.政务" in result.stdout
    dw(db, "scan", "--resolver", local_internet.resolver, *FAST)
    unlisted = {f["display_name"] for f in findings(db, "--rule", "register.unlisted")}
    assert "甘肃.政务" in unlisted
    assert "甘肃.政务" in dw(db, "register", "diff").stdout


@pytest.mark.slow
@pytest.mark.parametrize(("args", "message"), [
    (("www.jiuquan.gov.cn",), "already in the register"),
    (("bad_name.jiuquan.gov.cn",), "'_'"),
    (("x.jiuquan.gov.cn", "--parent", "www.nowhere.gov.cn"), "neither in the register"),
    (("x.jiuquan.gov.cn", "--site-code", "123"), "10 characters"),
])
def test_register_add_checks_like_an_import(db: Path, args: tuple[str, ...],
                                            message: str) -> None:
    result = dw(db, "register", "add", *args)
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert message in result.stderr


@pytest.mark.slow
def test_register_add_then_show(db: Path) -> None:
    result = dw(db, "register", "add", "rsj.jiuquan.gov.cn", "--owner", "酒泉市人社局",
                "--parent", "www.jiuquan.gov.cn", "--site-code", "6209000099")
    assert result.returncode == 0, result.stderr
    assert "added rsj.jiuquan.gov.cn (active)" in result.stdout
    shown = dw(db, "show", "rsj.jiuquan.gov.cn").stdout
    assert "酒泉市人社局" in shown and "6209000099" in shown


@pytest.mark.slow
def test_diff_without_any_zone_says_how_to_start(db: Path) -> None:
    result = dw(db, "register", "diff")
    assert result.returncode == 0
    assert "register import --format" in result.stdout
