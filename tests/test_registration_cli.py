"""Registration checks in the scan, end to end: the demo world's WHOIS server in CNNIC's and
Verisign's formats, and WHOIS servers that rate-limit, hang or change their answers."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from helpers import DEMO_REGISTER, FAST, dw, findings

from domainwatch.api import Domainwatch
from domainwatch.testnet.whois_server import WhoisServer

pytestmark = pytest.mark.world


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "dw.db"
    assert dw(path, "register", "import", str(DEMO_REGISTER)).returncode == 0
    return path


def whois_config(tmp_path: Path, server: str) -> Path:
    path = tmp_path / "dw.toml"
    path.write_text(f'[whois]\nservers = ["{server}"]\nmin_interval = 0.0\ntimeout = 1.0\n'
                    "retries = 1\n")
    return path


def scan(db: Path, net: Any, config: Path, *args: str) -> Any:
    return dw(db, "--config", str(config), "scan", "--resolver", net.resolver, *FAST, *args)


def by_rule(db: Path, *args: str) -> dict[str, dict[str, dict[str, Any]]]:
    grouped: dict[str, dict[str, dict[str, Any]]] = {}
    for row in findings(db, *args):
        grouped.setdefault(row["rule"], {})[row["name"]] = row
    return grouped


def expire_whois_cache(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("UPDATE observations SET last_seen = '2000-01-01T00:00:00Z' "
                 "WHERE probe = 'whois'")
    conn.commit()
    conn.close()


def test_unregistered_and_expiring_dependencies(db: Path, tmp_path: Path,
                                                local_internet: Any) -> None:
    result = scan(db, local_internet, whois_config(tmp_path, local_internet.whois))
    assert result.returncode == 0, result.stderr
    assert "registration (WHOIS):" in result.stdout
    rules = by_rule(db)
    assert set(rules["unregistered.domain"]) == {"news.jiuquan.gov.cn", "www.wuwei.gov.cn"}
    lapsed = rules["unregistered.domain"]["news.jiuquan.gov.cn"]
    assert lapsed["severity"] == "critical" and lapsed["subject"] == "lapsed-cdn.com"
    assert lapsed["evidence"]["depends_via"] == [
        {"role": "CNAME target", "host": "jiuquan-news.lapsed-cdn.com"}]
    assert lapsed["evidence"]["whois"]["status"] == "unregistered"
    # A zone delegated to a name server in a lapsed domain: the names in it do not resolve,
    # and the delegation itself says who could take the zone.
    lapsed_ns = rules["unregistered.domain"]["www.wuwei.gov.cn"]
    assert lapsed_ns["subject"] == "lapsed-dns.com"
    assert lapsed_ns["evidence"]["depends_via"] == [
        {"role": "name server", "host": "ns1.lapsed-dns.com"}]
    [(name, expiring)] = rules["unregistered.expiring"].items()
    assert name == "www.jqtz.com" and expiring["subject"] == "jqtz.com"
    assert 8 <= expiring["evidence"]["days_left"] <= 10
    assert "own name www.jqtz.com" in expiring["summary"]


def test_a_recheck_judges_the_stored_registry_answers(db: Path, tmp_path: Path,
                                                      local_internet: Any) -> None:
    config = whois_config(tmp_path, local_internet.whois)
    assert scan(db, local_internet, config).returncode == 0
    judged = {(f["rule"], f["name"], f["subject"], f["summary"]) for f in findings(db)
              if f["rule"].startswith("unregistered.")}
    assert {rule for rule, *_ in judged} == {"unregistered.domain", "unregistered.expiring"}
    with sqlite3.connect(db) as conn:
        conn.executescript("DELETE FROM deliveries; DELETE FROM alerts; "
                           "DELETE FROM finding_events; DELETE FROM findings;")
    with Domainwatch(db, config) as api:
        api.recheck(whois=False)
        assert not any(f.rule.startswith("unregistered.") for f in api.findings())
        api.recheck()
    assert {(f["rule"], f["name"], f["subject"], f["summary"]) for f in findings(db)
            if f["rule"].startswith("unregistered.")} == judged


def test_without_whois_nothing_is_asked_and_nothing_judged(db: Path,
                                                           local_internet: Any) -> None:
    result = dw(db, "scan", "--resolver", local_internet.resolver, *FAST)
    assert result.returncode == 0
    assert "registration" not in result.stdout
    assert "unregistered" not in {f["category"] for f in findings(db)}


@pytest.mark.parametrize("behaviour", ["rate_limited", "hang", "empty"])
def test_a_registry_that_does_not_answer_properly_never_makes_unregistered(
        db: Path, tmp_path: Path, local_internet: Any, behaviour: str) -> None:
    config = whois_config(tmp_path, local_internet.whois)
    scan(db, local_internet, config)
    assert "news.jiuquan.gov.cn" in by_rule(db)["unregistered.domain"]
    expire_whois_cache(db)
    with WhoisServer({"lapsed-cdn.com": {"status": behaviour}},
                     default="registered") as server:
        host, port = server.address
        result = scan(db, local_internet, whois_config(tmp_path, f"{host}:{port}"))
    assert result.returncode == 0, result.stderr
    assert "could not be" in result.stdout and "lapsed-cdn.com" in result.stdout
    still = by_rule(db)["unregistered.domain"]["news.jiuquan.gov.cn"]
    assert still["status"] == "open", "an unknown answer resolves nothing"


def test_a_fresh_database_with_a_rate_limited_registry_finds_nothing(
        db: Path, tmp_path: Path, local_internet: Any) -> None:
    with WhoisServer({}, default="rate_limited") as server:
        host, port = server.address
        result = scan(db, local_internet, whois_config(tmp_path, f"{host}:{port}"))
    assert result.returncode == 0
    assert "unregistered" not in {f["category"] for f in findings(db, "--status", "all")}


def test_owner_change_is_reported(db: Path, tmp_path: Path, local_internet: Any) -> None:
    answers = {"jqtz.com": {"status": "registered", "registrar": "Alibaba Cloud"}}
    with WhoisServer(answers, default="registered") as server:
        host, port = server.address
        config = whois_config(tmp_path, f"{host}:{port}")
        scan(db, local_internet, config)
        assert "unregistered.owner_changed" not in by_rule(db)
        server.answers["jqtz.com"]["registrar"] = "Some Registrar Ltd"
        server.answers["jqtz.com"]["name_servers"] = ["ns1.parking-example.com"]
        cached = scan(db, local_internet, config)
        assert "unregistered.owner_changed" not in by_rule(db), cached.stdout
        expire_whois_cache(db)
        scan(db, local_internet, config)
        transferred = server.answers
    [changed] = by_rule(db)["unregistered.owner_changed"].values()
    assert changed["subject"] == "jqtz.com"
    assert set(changed["evidence"]["changed"]) == {"registrar", "name_servers"}
    assert changed["evidence"]["changed"]["registrar"] == {"from": "Alibaba Cloud",
                                                           "to": "Some Registrar Ltd"}
    # The administrator confirms the transfer: accepting the entry re-baselines its domain.
    accepted = dw(db, "accept", "www.jqtz.com", "--by", "li")
    assert accepted.returncode == 0, accepted.stderr
    assert "whois jqtz.com" in accepted.stdout
    assert "unregistered.owner_changed" not in by_rule(db)
    with WhoisServer(transferred, default="registered") as server:
        host, port = server.address
        expire_whois_cache(db)
        scan(db, local_internet, whois_config(tmp_path, f"{host}:{port}"))
    assert "unregistered.owner_changed" not in by_rule(db), "the accepted owner is the baseline"


def test_bad_whois_settings(db: Path, tmp_path: Path, local_internet: Any) -> None:
    bad = dw(db, "scan", "--whois-server", "cn=", "--resolver", local_internet.resolver)
    assert bad.returncode == 2 and "--whois-server" in bad.stderr
    config = tmp_path / "bad.toml"
    config.write_text('[whois]\nservers = ["cn=127.0.0.1:99999"]\n')
    result = dw(db, "--config", str(config), "findings")
    assert result.returncode == 3 and "[whois] servers" in result.stderr
