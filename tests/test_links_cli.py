"""The Subei case end to end through the CLI, scan by scan, in the world that
``domainwatch demo`` tells it with (domainwatch/testnet/worlds/subei.toml and
domainwatch.testnet.subei): a county portal whose 投资肃北 column links to the bureau site on
its own legacy domain; the bureau site closes while the domain stays registered; the domain
lapses; someone else registers it and serves a gambling page."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from domainwatch.testnet import LocalInternet
from domainwatch.testnet import subei as story
from tests.helpers import dw, findings

pytestmark = pytest.mark.world

PORTAL, BUREAU, DOMAIN = story.PORTAL, story.BUREAU, story.BUREAU_DOMAIN
WATCHED = ("link.", "unregistered.", "unused.", "hijacked.")


@dataclasses.dataclass
class Subei:
    net: LocalInternet
    db: Path
    config: Path

    def tell(self, chapter: story.Chapter) -> set[tuple[str, str, str]]:
        """Let ``chapter`` happen, scan, and return the open findings that matter here."""
        chapter.change(self.net)
        for name, state, note in chapter.register:
            result = dw(self.db, "register", "set", name, "--state", state, "--note", note)
            assert result.returncode == 0, result.stderr
        host, port = self.net.whois.rsplit(":", 1)
        result = dw(self.db, "--config", str(self.config), "scan", "--resolver",
                    self.net.resolver, "--ca-file", str(self.net.ca_file),
                    "--whois-server", f"{host}:{port}")
        assert result.returncode == 0, result.stderr
        return {(f["rule"], f["name"], f["subject"]) for f in findings(self.db)
                if f["rule"].startswith(WATCHED)}


@pytest.fixture()
def subei(tmp_path: Path) -> Iterator[Subei]:
    config = tmp_path / "dw.toml"
    # every scan stands for another night: WHOIS is asked afresh each time
    config.write_text("[web]\ntimeout = 2.0\n[links]\ninterval = 0.01\n"
                      "[whois]\nmin_interval = 0.0\ntimeout = 2.0\nreuse_answers = false\n",
                      encoding="utf-8")
    with LocalInternet(story.scenario()) as net:
        case = Subei(net, tmp_path / "subei.db", config)
        result = dw(case.db, "register", "import", str(story.register_file()))
        assert result.returncode == 0, result.stderr
        yield case


def test_the_subei_case_scan_by_scan(subei: Subei) -> None:
    linked, closed, lapsed, taken = story.CHAPTERS
    assert subei.tell(linked) == set(), "the portal and the bureau site it links to are fine"

    assert subei.tell(closed) == {("link.dead", PORTAL, BUREAU),
                                  ("unused.offline_still_resolving", BUREAU, "")}
    [dead] = findings(subei.db, "--rule", "link.dead")
    assert "投资肃北" in dead["summary"] and "has no web server answering" in dead["summary"]
    assert dead["evidence"]["register_entry"] is True

    assert subei.tell(lapsed) == {("link.dead", PORTAL, BUREAU),
                                  ("link.unregistered", PORTAL, DOMAIN),
                                  ("unregistered.domain", BUREAU, DOMAIN)}
    [unregistered] = findings(subei.db, "--rule", "link.unregistered")
    assert unregistered["severity"] == "critical"
    assert unregistered["evidence"]["references"][0]["text"] == "投资肃北"
    [dead] = findings(subei.db, "--rule", "link.dead")
    assert dead["evidence"]["why"] == "does not exist (NXDOMAIN)"

    # Someone else registers it and serves a gambling page: the county portal now sends
    # its visitors there.
    assert subei.tell(taken) == {("link.hijacked", PORTAL, BUREAU),
                                 ("unregistered.owner_changed", PORTAL, DOMAIN),
                                 ("unregistered.owner_changed", BUREAU, DOMAIN),
                                 ("hijacked.content", BUREAU, ""),
                                 ("hijacked.content_changed", BUREAU, ""),
                                 ("unused.offline_still_resolving", BUREAU, "")}
    owner = next(f for f in findings(subei.db, "--rule", "unregistered.owner_changed")
                 if f["name"] == PORTAL)
    assert owner["evidence"]["changed"]["registrar"] == {
        "from": "Alibaba Cloud Computing (Beijing) Co., Ltd.", "to": story.NEW_REGISTRAR}
    assert owner["evidence"]["references"][0]["text"] == "投资肃北"
    [hijacked] = findings(subei.db, "--rule", "link.hijacked")
    assert hijacked["severity"] == "critical"
    assert hijacked["evidence"]["references"] == [{
        "page": f"https://{PORTAL}/", "element": "a", "text": "投资肃北",
        "url": f"http://{BUREAU}/"}]
    assert "澳门新葡京" in hijacked["evidence"]["capture"]["response"]["body_start"]
    resolved = {f["rule"] for f in findings(subei.db, "--status", "resolved")}
    assert {"link.dead", "link.unregistered", "unregistered.domain"} <= resolved
    # the bureau's own record shows the live page that still sends visitors to it
    shown = dw(subei.db, "show", BUREAU).stdout
    assert f"← {PORTAL}: a “投资肃北” on https://{PORTAL}/" in shown


def test_a_run_killed_before_its_link_checks_owes_them_on_resume(subei: Subei) -> None:
    linked, closed, _, _ = story.CHAPTERS
    subei.tell(linked)
    assert ("link.dead", PORTAL, BUREAU) in subei.tell(closed)
    # As if the scan had been killed once every site was read, before the link checks: the
    # names are recorded as done, the links observations kept, no link finding yet.
    connection = sqlite3.connect(subei.db)
    with connection:
        [(run_id,)] = connection.execute("SELECT max(id) FROM runs")
        connection.execute("DELETE FROM finding_events WHERE finding_id IN "
                           "(SELECT id FROM findings WHERE rule LIKE 'link.%')")
        connection.execute("DELETE FROM findings WHERE rule LIKE 'link.%'")
        connection.execute("UPDATE runs SET status = 'interrupted', finished = NULL "
                           "WHERE id = ?", (run_id,))
    connection.close()
    assert ("link.dead", PORTAL, BUREAU) not in {
        (f["rule"], f["name"], f["subject"]) for f in findings(subei.db)}
    result = dw(subei.db, "--config", str(subei.config), "scan", "--resolver",
                subei.net.resolver, "--ca-file", str(subei.net.ca_file),
                "--whois-server", subei.net.whois)
    assert result.returncode == 0, result.stderr
    assert f"(resumed run {run_id} after 2 names)" in result.stdout
    [dead] = findings(subei.db, "--rule", "link.dead")
    assert (dead["name"], dead["subject"]) == (PORTAL, BUREAU)
    assert dead["evidence"]["references"][0]["text"] == "投资肃北"
