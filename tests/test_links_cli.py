"""The Subei case end to end, as four scans of one evolving world: a county portal whose
投资肃北 column links to the bureau site on its own legacy domain; the bureau site goes
offline while the domain stays registered; the domain lapses; someone else registers it and
serves a gambling page (and its new owner shows in WHOIS)."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from domainwatch.testnet import LocalInternet
from domainwatch.testnet.scenario import scenario_from_dict
from domainwatch.testnet.whois_server import WhoisServer
from tests.helpers import dw, findings

PORTAL = ("<html><head><meta charset='utf-8'><title>肃北蒙古族自治县人民政府</title></head><body>"
          "<h1>肃北蒙古族自治县人民政府</h1><ul><li><a href='/zwgk/'>政务公开</a></li>"
          "<li><a href='http://www.subeigs.com/'>投资肃北</a></li></ul></body></html>")
BUREAU = ("<html><head><meta charset='utf-8'><title>肃北县工商行政管理局</title></head><body>"
          "<h1>肃北县工商行政管理局</h1><p>企业登记 年报公示 消费维权</p></body></html>")
GAMBLING = ("<html><head><meta charset='utf-8'><title>澳门新葡京娱乐场-百家乐-真人视讯</title>"
            "</head><body><h1>澳门新葡京</h1><p>百家乐 真人视讯 时时彩 六合彩开奖 注册送彩金"
            "</p></body></html>")


@dataclasses.dataclass
class Subei:
    net: LocalInternet
    whois: WhoisServer
    db: Path
    config: Path

    def scan(self) -> dict[str, str]:
        connection = sqlite3.connect(self.db)
        with connection:  # every scan asks WHOIS afresh, as after the cache's lifetime
            connection.execute("UPDATE observations SET last_seen = '2000-01-01T00:00:00Z' "
                               "WHERE probe = 'whois'")
        connection.close()
        host, port = self.whois.address
        result = dw(self.db, "--config", str(self.config), "scan", "--resolver",
                    self.net.resolver, "--ca-file", str(self.net.ca_file),
                    "--whois-server", f"{host}:{port}")
        assert result.returncode == 0, result.stderr
        return {f["rule"]: f["subject"] for f in findings(self.db)
                if f["rule"].startswith(("link.", "unregistered."))}


@pytest.fixture()
def subei(tmp_path: Path) -> Iterator[Subei]:
    world = scenario_from_dict({
        "server": {"root": {}, "cnnic": {}, "gtld": {}, "county": {}},
        "zone": [{"origin": ".", "server": "root"}, {"origin": "cn", "server": "cnnic"},
                 {"origin": "gov.cn", "server": "cnnic"},
                 {"origin": "com", "server": "gtld",
                  "records": "www.subeigs.com. A 127.20.233.20\n"},
                 {"origin": "subei.gov.cn", "server": "county",
                  "records": "www A 127.20.233.10\n"}],
        "site": [{"address": "127.20.233.10", "names": ["www.subei.gov.cn"], "body": PORTAL},
                 {"address": "127.20.233.20", "names": ["www.subeigs.com"], "body": BUREAU}],
    })
    register = tmp_path / "register.csv"
    register.write_text("name,owner\nwww.subei.gov.cn,肃北蒙古族自治县人民政府\n",
                        encoding="utf-8")
    config = tmp_path / "dw.toml"
    config.write_text("[web]\ntimeout = 2.0\n[whois]\nmin_interval = 0.0\ntimeout = 2.0\n",
                      encoding="utf-8")
    answers = {"subeigs.com": {"status": "registered",
                               "registrar": "Alibaba Cloud Computing (Beijing) Co., Ltd."}}
    with LocalInternet(world) as net, WhoisServer(answers, default="registered") as whois:
        case = Subei(net, whois, tmp_path / "subei.db", config)
        assert dw(case.db, "register", "import", str(register)).returncode == 0
        yield case


def test_the_subei_case_over_four_scans(subei: Subei) -> None:
    assert subei.scan() == {}, "the portal and the bureau site it links to are fine"

    portal, bureau = subei.net.sites
    subei.net.replace_sites([portal])  # the bureau site closes; its domain stays registered
    assert subei.scan() == {"link.dead": "www.subeigs.com"}
    [dead] = findings(subei.db, "--rule", "link.dead")
    assert dead["name"] == "www.subei.gov.cn" and "投资肃北" in dead["summary"]

    subei.whois.answers["subeigs.com"] = {"status": "unregistered"}  # nobody renews it
    assert subei.scan() == {"link.dead": "www.subeigs.com",
                            "link.unregistered": "subeigs.com"}
    [lapsed] = findings(subei.db, "--rule", "link.unregistered")
    assert lapsed["severity"] == "critical"

    # Someone else registers it and serves a gambling page: the county portal now sends
    # its visitors there.
    subei.whois.answers["subeigs.com"] = {"status": "registered",
                                          "registrar": "Offshore Names Ltd"}
    subei.net.replace_sites([portal, dataclasses.replace(bureau, body=GAMBLING)])
    assert subei.scan() == {"link.hijacked": "www.subeigs.com",
                            "unregistered.owner_changed": "subeigs.com"}
    [owner] = findings(subei.db, "--rule", "unregistered.owner_changed")
    assert owner["evidence"]["changed"]["registrar"] == {
        "from": "Alibaba Cloud Computing (Beijing) Co., Ltd.", "to": "Offshore Names Ltd"}
    assert owner["name"] == "www.subei.gov.cn" and owner["evidence"]["references"]
    [hijacked] = findings(subei.db, "--rule", "link.hijacked")
    assert hijacked["name"] == "www.subei.gov.cn" and hijacked["severity"] == "critical"
    assert hijacked["evidence"]["references"][0]["text"] == "投资肃北"
    assert "澳门新葡京" in hijacked["evidence"]["capture"]["response"]["body_start"]
    resolved = {f["rule"] for f in findings(subei.db, "--status", "resolved")}
    assert {"link.dead", "link.unregistered"} <= resolved
