"""Register import, list and set, through the CLI."""

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from domainwatch.cli import EXIT_INPUT, cli
from domainwatch.register import RawRow, RegisterError, RowWarning, plan_import

GOOD = """\ufeffstate,name,owner,parent,site_code,networks,nameservers
active,www.jiuquan.gov.cn,酒泉市人民政府办公室,,6209000001,127.20.1.0/24;127.20.2.0/24,\
ns1.jiuquan.gov.cn ns2.jiuquan.gov.cn
active,FGW.jiuquan.gov.cn.,酒泉市发展和改革委员会,www.jiuquan.gov.cn,6209000002,,
offline,gsj.jiuquan.gov.cn,酒泉市工商行政管理局,www.jiuquan.gov.cn,,,
,酒泉.政务,酒泉市人民政府办公室,,,,
"""


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)


def write(tmp_path: Path, text: str, name: str = "register.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def listed(db: Path) -> list[dict]:
    return json.loads(run(db, "register", "list", "--format", "json").output)


def test_import_csv_with_bom_and_columns_in_any_order(tmp_path: Path) -> None:
    db = tmp_path / "dw.db"
    result = run(db, "register", "import", str(write(tmp_path, GOOD)), "--by", "zhang")
    assert result.exit_code == 0, result.output
    assert "4 added" in result.output
    entries = {e["name"]: e for e in listed(db)}
    assert set(entries) == {"www.jiuquan.gov.cn", "fgw.jiuquan.gov.cn", "gsj.jiuquan.gov.cn",
                            "xn--bww729e.xn--zfr164b"}
    assert entries["www.jiuquan.gov.cn"]["networks"] == ["127.20.1.0/24", "127.20.2.0/24"]
    assert entries["www.jiuquan.gov.cn"]["nameservers"] == ["ns1.jiuquan.gov.cn",
                                                            "ns2.jiuquan.gov.cn"]
    assert entries["gsj.jiuquan.gov.cn"]["state"] == "offline"
    assert entries["xn--bww729e.xn--zfr164b"]["state"] == "active"
    table = run(db, "register", "list").output
    assert "酒泉.政务" in table


def test_import_json(tmp_path: Path) -> None:
    db = tmp_path / "dw.db"
    document = {"entries": [{"name": "www.gansu.gov.cn", "owner": "甘肃省人民政府办公厅",
                             "networks": ["127.20.0.0/24"]},
                            {"name": "fzgg.gansu.gov.cn", "parent": "www.gansu.gov.cn"}]}
    path = write(tmp_path, json.dumps(document, ensure_ascii=False), "register.json")
    result = run(db, "register", "import", str(path))
    assert result.exit_code == 0, result.output
    assert [e["name"] for e in listed(db)] == ["fzgg.gansu.gov.cn", "www.gansu.gov.cn"]


BAD = """name,owner,parent,state,site_code,networks,nameservers
www.jiuquan.gov.cn,ok,,active,6209000001,,
www..jiuquan.gov.cn,empty label,,,,,
{long},label too long,,,,,
www_x.jiuquan.gov.cn,illegal character,,,,,
www.jiuquan.gov.cn,duplicate,,,,,
a.jiuquan.gov.cn,bad state,,retired,,,
b.jiuquan.gov.cn,short site code,,,620900001,,
c.jiuquan.gov.cn,unknown province,,,9909000001,,
d.jiuquan.gov.cn,missing parent,www.nowhere.gov.cn,,,,
e.jiuquan.gov.cn,bad network,,,,10.0.0.0/33,
f.jiuquan.gov.cn,bad name server,,,,,ns_1.jiuquan.gov.cn
,no name,,,,,
g.jiuquan.gov.cn,self parent,g.jiuquan.gov.cn,,,,
{huge},name too long,,,,,
h.jiuquan.gov.cn,too many cells,,,,,,extra
"""


def test_a_file_with_bad_rows_is_rejected_whole_with_every_row_number(tmp_path: Path) -> None:
    db = tmp_path / "dw.db"
    text = BAD.format(long="x" * 64 + ".jiuquan.gov.cn",
                      huge=".".join(["abcdefghij"] * 24) + ".gov.cn")
    result = run(db, "register", "import", str(write(tmp_path, text)))
    assert result.exit_code == EXIT_INPUT
    assert "nothing imported" in result.output
    expected = {3: "empty label", 4: "64 octets", 5: "'_'", 6: "listed twice (first on row 2)",
                7: "retired", 8: "10 characters", 9: "province", 10: "neither in the register",
                11: "10.0.0.0/33", 12: "ns_1", 13: "name is empty", 14: "names itself",
                15: "at most 253", 16: "8 cells"}
    for row, message in expected.items():
        line = next((text for text in result.output.splitlines()
                     if text.strip().startswith(f"row {row}:")), None)
        assert line is not None, f"row {row} not reported:\n{result.output}"
        assert message in line, line
    assert "row 2:" not in result.output
    assert listed(db) == []


def test_unknown_columns_and_missing_name_column_are_reported(tmp_path: Path) -> None:
    db = tmp_path / "dw.db"
    result = run(db, "register", "import", str(write(tmp_path, "nmae,owner\nx.gov.cn,y\n")))
    assert result.exit_code == EXIT_INPUT
    assert "unknown column(s): nmae" in result.output
    assert "no 'name' column" in result.output


@pytest.mark.parametrize(("content", "message"), [
    (None, "file not found"),
    (b"name\n\xff\xfe\n", "not UTF-8"),
    (b"", "empty"),
])
def test_unreadable_files_give_one_clear_error(tmp_path: Path, content: bytes | None,
                                               message: str) -> None:
    path = tmp_path / "register.csv"
    if content is not None:
        path.write_bytes(content)
    result = run(tmp_path / "dw.db", "register", "import", str(path))
    assert result.exit_code == EXIT_INPUT
    assert message in result.output
    assert "Traceback" not in result.output


def test_bad_json_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, '[{"name": "www.gansu.gov.cn", "nmae": 1}, 7]', "r.json")
    result = run(tmp_path / "dw.db", "register", "import", str(path))
    assert result.exit_code == EXIT_INPUT
    assert "row 1: unknown field(s): nmae" in result.output
    assert "row 2: is not a JSON object" in result.output


def test_dry_run_shows_added_changed_unchanged_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "dw.db"
    run(db, "register", "import", str(write(tmp_path, GOOD)))
    update = ("name,owner,state\nwww.jiuquan.gov.cn,酒泉市人民政府办公室,active\n"
              "gsj.jiuquan.gov.cn,,deregistered\nwww.lanzhou.gov.cn,兰州市人民政府办公室,\n")
    result = run(db, "register", "import", str(write(tmp_path, update, "u.csv")), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "add      www.lanzhou.gov.cn" in result.output
    assert "change   gsj.jiuquan.gov.cn  state: offline → deregistered" in result.output
    assert "1 to add, 1 to change, 1 unchanged" in result.output
    assert {e["name"]: e["state"] for e in listed(db)}["gsj.jiuquan.gov.cn"] == "offline"
    created = {e["name"]: e["created"] for e in listed(db)}
    time.sleep(1.1)
    result = run(db, "register", "import", str(write(tmp_path, update, "u.csv")))
    entries = {e["name"]: e for e in listed(db)}
    gsj = entries["gsj.jiuquan.gov.cn"]
    assert gsj["created"] == created["gsj.jiuquan.gov.cn"] < gsj["updated"]
    assert entries["gsj.jiuquan.gov.cn"]["state"] == "deregistered"
    assert entries["gsj.jiuquan.gov.cn"]["owner"] == "酒泉市工商行政管理局"


def test_set_state_keeps_history_with_who_and_why(tmp_path: Path) -> None:
    db = tmp_path / "dw.db"
    run(db, "register", "import", str(write(tmp_path, GOOD)), "--by", "zhang")
    result = run(db, "register", "set", "fgw.jiuquan.gov.cn", "--state", "offline",
                 "--note", "site closed 2026-11", "--by", "li")
    assert result.exit_code == 0, result.output
    assert "state active → offline" in result.output
    shown = json.loads(run(db, "show", "fgw.jiuquan.gov.cn", "--format", "json").output)
    history = shown["history"]
    assert [h["by"] for h in history] == ["zhang", "li"]
    assert history[1]["changes"] == {"state": {"from": "active", "to": "offline"}}
    assert history[1]["reason"] == "site closed 2026-11"
    assert [e["name"] for e in listed(db) if e["state"] == "offline"] == [
        "fgw.jiuquan.gov.cn", "gsj.jiuquan.gov.cn"]
    filtered = json.loads(run(db, "register", "list", "--state", "offline", "--format",
                              "json").output)
    assert len(filtered) == 2


def test_set_on_an_unknown_name_fails_clearly(tmp_path: Path) -> None:
    result = run(tmp_path / "dw.db", "register", "set", "www.nowhere.gov.cn", "--state",
                 "offline")
    assert result.exit_code == EXIT_INPUT
    assert "not in the register" in result.output


def test_register_list_csv_neutralises_formulas(tmp_path: Path) -> None:
    db = tmp_path / "dw.db"
    run(db, "register", "import", str(write(tmp_path, 'name,owner\nwww.x.gov.cn,"=1+2"\n')))
    assert "'=1+2" in run(db, "register", "list", "--format", "csv").output


def test_the_shipped_sample_register_imports_cleanly(tmp_path: Path) -> None:
    sample = Path(__file__).parent.parent / "data" / "sample-register.csv"
    result = run(tmp_path / "dw.db", "register", "import", str(sample))
    assert result.exit_code == 0, result.output
    assert len(listed(tmp_path / "dw.db")) == 12


def test_import_points_out_naming_problems(tmp_path: Path) -> None:
    text = ("name,parent\nwww.jiuquan.gov.cn,\nnyj.zhangye.gov.cn,www.jiuquan.gov.cn\n"
            "fgw.jiuquan.gov.cn,www.jiuquan.gov.cn\n")
    result = run(tmp_path / "dw.db", "register", "import", str(write(tmp_path, text)))
    assert result.exit_code == 0, result.output
    assert "1 naming problem(s)" in result.output
    assert "nyj.zhangye.gov.cn is not under jiuquan.gov.cn" in result.output


def test_priority_column_and_set(tmp_path: Path) -> None:
    db = tmp_path / "dw.db"
    text = "name,priority\nwww.jiuquan.gov.cn,HIGH\nfgw.jiuquan.gov.cn,\nx.jiuquan.gov.cn,urgent\n"
    result = run(db, "register", "import", str(write(tmp_path, text)))
    assert result.exit_code == EXIT_INPUT
    assert "row 4: priority 'urgent' is not one of normal, high" in result.output
    run(db, "register", "import", str(write(tmp_path, text.rsplit("x.", 1)[0])))
    assert {e["name"]: e["priority"] for e in listed(db)} == {
        "www.jiuquan.gov.cn": "high", "fgw.jiuquan.gov.cn": "normal"}
    result = run(db, "register", "set", "fgw.jiuquan.gov.cn", "--priority", "high")
    assert "priority normal → high" in result.output
    assert run(db, "register", "set", "fgw.jiuquan.gov.cn").exit_code == 2


def test_own_hosts_are_checked_like_name_servers(tmp_path: Path) -> None:
    db = tmp_path / "dw.db"
    good = "name,hosts\nwww.jiuquan.gov.cn,JQTZ.com; cdn.酒泉.政务\n"
    assert run(db, "register", "import", str(write(tmp_path, good))).exit_code == 0
    assert listed(db)[0]["hosts"] == ["cdn.xn--bww729e.xn--zfr164b", "jqtz.com"]
    bad = "name,hosts\nwww.lanzhou.gov.cn,old_site.example\n"
    result = run(db, "register", "import", str(write(tmp_path, bad)))
    assert result.exit_code == EXIT_INPUT and "row 2: host 'old_site.example'" in result.output
    assert [e["name"] for e in listed(db)] == ["www.jiuquan.gov.cn"]


NOT_DOMAIN_NAMES = """name,parent,nameservers
www.jiuquan.gov.cn,,
10.20.1.10,,
gov.cn,,
cn,,
com.cn,,
政务,,
jiuquan,,
http://127.20.1.10/,,
fgw.jiuquan.gov.cn,127.20.1.10,
jyj.jiuquan.gov.cn,www.jiuquan.gov.cn,ns1.jiuquan.gov.cn 2001:db8::53
wsj.jiuquan.gov.cn,www.jiuquan.gov.cn,ns1
ftp://www.lanzhou.gov.cn/,,
"""


def test_ip_addresses_public_suffixes_and_single_labels_are_row_errors(tmp_path: Path) -> None:
    db = tmp_path / "dw.db"
    result = run(db, "register", "import", str(write(tmp_path, NOT_DOMAIN_NAMES)))
    assert result.exit_code == EXIT_INPUT
    assert "nothing imported" in result.output
    expected = {3: "name '10.20.1.10': an IP address", 4: "gov.cn is a public suffix",
                5: "cn is a public suffix", 6: "com.cn is a public suffix",
                7: "政务 is a public suffix", 8: "jiuquan is a single label",
                9: "an IP address", 10: "parent '127.20.1.10': an IP address",
                11: "name server '2001:db8::53': an IP address",
                12: "name server 'ns1': ns1 is a single label",
                13: "only http and https URLs"}
    for row, message in expected.items():
        line = next((text for text in result.output.splitlines()
                     if text.strip().startswith(f"row {row}:")), None)
        assert line is not None, f"row {row} not reported:\n{result.output}"
        assert message in line, line
    assert "row 2:" not in result.output
    assert listed(db) == []


def test_a_url_is_read_as_its_host_with_a_warning_naming_the_row() -> None:
    rows = [RawRow(2, {"name": "http://www.jiuquan.gov.cn/"}),
            RawRow(3, {"name": "https://WWW.Jiuquan.gov.cn:443/index.html"}),
            RawRow(4, {"name": "fgw.jiuquan.gov.cn", "parent": "http://www.jiuquan.gov.cn",
                       "nameservers": "ns1.jiuquan.gov.cn; http://ns2.jiuquan.gov.cn/"}),
            RawRow(5, {"name": "lyj.jiuquan.gov.cn/index.html", "hosts": "https://jqly.com/"})]
    with pytest.raises(RegisterError) as rejected:
        plan_import("export.csv", rows, {})
    # the first two rows are the same name once read: a duplicate, not two entries
    assert [str(e) for e in rejected.value.errors] == [
        "row 3: www.jiuquan.gov.cn is listed twice (first on row 2)"]
    plan = plan_import("export.csv", [rows[0], *rows[2:]], {})
    assert [e["name"] for e in plan.added] == ["www.jiuquan.gov.cn", "fgw.jiuquan.gov.cn",
                                               "lyj.jiuquan.gov.cn"]
    fgw = plan.added[1]
    assert fgw["parent"] == "www.jiuquan.gov.cn"
    assert fgw["nameservers"] == ["ns1.jiuquan.gov.cn", "ns2.jiuquan.gov.cn"]
    assert plan.added[2]["hosts"] == ["jqly.com"]
    assert plan.warnings == [
        RowWarning(2, "name 'http://www.jiuquan.gov.cn/' is a URL; read as its host "
                      "www.jiuquan.gov.cn"),
        RowWarning(4, "parent 'http://www.jiuquan.gov.cn' is a URL; read as its host "
                      "www.jiuquan.gov.cn"),
        RowWarning(4, "name server 'http://ns2.jiuquan.gov.cn/' is a URL; read as its host "
                      "ns2.jiuquan.gov.cn"),
        RowWarning(5, "name 'lyj.jiuquan.gov.cn/index.html' is a URL; read as its host "
                      "lyj.jiuquan.gov.cn"),
        RowWarning(5, "host 'https://jqly.com/' is a URL; read as its host jqly.com"),
    ]
    assert str(plan.warnings[0]).startswith("row 2: name 'http://www.jiuquan.gov.cn/'")
    # a plain name is no warning
    assert plan_import("r.csv", [RawRow(2, {"name": "www.jiuquan.gov.cn"})], {}).warnings == []


def test_an_export_of_urls_imports_as_host_names(tmp_path: Path) -> None:
    db = tmp_path / "dw.db"
    text = ("name,owner,parent\nhttps://WWW.Jiuquan.gov.cn:443/index.html,酒泉市人民政府,\n"
            "http://fgw.jiuquan.gov.cn/,酒泉市发展和改革委员会,http://www.jiuquan.gov.cn/\n")
    result = run(db, "register", "import", str(write(tmp_path, text)))
    assert result.exit_code == 0, result.output
    assert {e["name"]: e["parent"] for e in listed(db)} == {
        "fgw.jiuquan.gov.cn": "www.jiuquan.gov.cn", "www.jiuquan.gov.cn": None}


def test_import_prints_each_warning_and_the_department_naming_problem(tmp_path: Path) -> None:
    db = tmp_path / "dw.db"
    text = ("name,owner,parent,site_code\n"
            "http://www.jiuquan.gov.cn/,酒泉市人民政府,,6209000001\n"
            "www.jqfgw.gov.cn,酒泉市发展和改革委员会,www.jiuquan.gov.cn,6209000002\n")
    result = run(db, "register", "import", "--dry-run", str(write(tmp_path, text)))
    assert result.exit_code == 0, result.output
    assert "warning: row 2: name 'http://www.jiuquan.gov.cn/' is a URL" in result.output
    result = run(db, "register", "import", str(write(tmp_path, text)))
    assert result.exit_code == 0, result.output
    assert "1 naming problem(s)" in result.output
    assert "www.jqfgw.gov.cn is a department's site" in result.output
    added = run(db, "register", "add", "https://www.jiuquan.gov.cn/index.html")
    assert added.exit_code != 0
    assert "www.jiuquan.gov.cn is already in the register" in added.output
