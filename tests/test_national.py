"""The national world of ``make bench-national``, small: its mix and planted cases, and three
nightly runs through the CLI (every planted case found, nothing new from an unchanged world,
a 1% change found and nothing else), with a crawl budget that reads a different share of the
sites each night while the links found before are still checked."""

from __future__ import annotations

import csv
import dataclasses
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from domainwatch.stages.links import crawl_order
from domainwatch.testnet import LocalInternet
from domainwatch.testnet.national import (
    GAMBLING_PAGE,
    LIVE,
    LIVE_CLOUD,
    NationalWorld,
    change_world,
    national_world,
    register_csv_rows,
)
from tests.helpers import dw

NAMES = 2_000
RUN_EXIT_CODES = {0, 10, 11, 12, 13, 14}


def test_the_national_world_is_the_same_world_every_time() -> None:
    first, second = national_world(NAMES), national_world(NAMES)
    assert first.planted == second.planted
    assert first.register == second.register
    assert [site.names for site in first.scenario.sites] == \
        [site.names for site in second.scenario.sites]


def test_the_national_mix_and_its_planted_cases() -> None:
    world = national_world(NAMES)
    names = world.scenario.names
    assert len(names) == NAMES
    live = world.mix[LIVE] + world.mix[LIVE_CLOUD] + world.mix["legacy"]
    assert 0.55 < live / NAMES < 0.65
    assert {"no-web", "absent", "dangling", "legacy"} <= set(world.mix)
    served = {name for site in world.scenario.sites for name in site.names}
    rules = Counter(case.rule for case in world.planted)
    assert set(rules) == {
        "hijacked.content", "hijacked.cloaking", "hijacked.redirect", "dangling.cname",
        "dangling.ns", "unused.offline_still_resolving", "unregistered.domain",
        "unregistered.expiring", "link.hijacked", "link.dead", "link.unregistered"}
    for case in world.planted:
        assert case.name in names
        if case.rule.startswith("hijacked."):
            assert case.name in served
    states = {row["name"]: row["state"] for row in world.register}
    assert all(states[case.name] == "offline" for case in world.planted
               if case.rule == "unused.offline_still_resolving")


def test_the_crawl_reads_the_most_overdue_sites_first() -> None:
    entries = {"www.a.gov.cn": {"parent": None}, "x.a.gov.cn": {"parent": "www.a.gov.cn"},
               "y.a.gov.cn": {"parent": "www.a.gov.cn"}, "z.a.gov.cn": {"parent": None},
               "www.b.gov.cn": {"parent": None}, "w.b.gov.cn": {"parent": "www.b.gov.cn"}}
    queue = {name: index for index, name in enumerate(
        ["x.a.gov.cn", "y.a.gov.cn", "z.a.gov.cn", "w.b.gov.cn", "www.a.gov.cn",
         "www.b.gov.cn"])}
    ages = {
        "x.a.gov.cn": (True, "2026-11-20T00:00:00Z"),
        "y.a.gov.cn": (True, "2026-11-02T00:00:00Z"),
        "www.a.gov.cn": (True, "2026-11-25T00:00:00Z"),
        "w.b.gov.cn": (False, "2026-11-25T00:00:00Z"),  # cut short last time
    }
    order = [name for name, _ in crawl_order(queue, ages, entries)]
    # never crawled or cut short first, a portal before the rest; then the oldest crawl
    assert order == ["www.b.gov.cn", "z.a.gov.cn", "w.b.gov.cn", "y.a.gov.cn", "x.a.gov.cn",
                     "www.a.gov.cn"]


@dataclass
class Night:
    world: NationalWorld
    net: LocalInternet
    db: Path
    args: tuple[str, ...]

    def run(self) -> str:
        result = dw(self.db, *self.args, timeout=300)
        assert result.returncode in RUN_EXIT_CODES, result.stderr
        return result.stdout

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        conn = sqlite3.connect(self.db)
        try:
            return list(conn.execute(sql, params))
        finally:
            conn.close()

    def standing(self, statuses: tuple[str, ...] = ("open", "acknowledged", "pending")
                 ) -> set[tuple[str, str]]:
        marks = ", ".join("?" for _ in statuses)
        return {(str(name), str(rule)) for name, rule in self.query(
            f"SELECT name, rule FROM findings WHERE status IN ({marks})", *statuses)}

    def crawled(self, run_id: int) -> set[str]:
        return {str(name) for name, in self.query(
            "SELECT name FROM run_names WHERE run_id = ? AND outcome LIKE '%pages=%'", run_id)}

    def deferred(self, run_id: int) -> set[str]:
        return {str(name) for name, in self.query(
            "SELECT name FROM run_names WHERE run_id = ? AND outcome LIKE '%crawl=deferred'",
            run_id)}


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Night]:
    work = tmp_path_factory.mktemp("national")
    world = national_world(NAMES)
    register = work / "register.csv"
    with register.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(register_csv_rows(world))
    config = work / "dw.toml"
    # a page budget for a twentieth of the sites, no delay between a host's pages, a few
    # sites at a time (so that the budget takes whole sites, in order)
    config.write_text("[web]\ntimeout = 2.0\n[links]\ninterval = 0\nrun_pages = 1500\n"
                      "sites = 8\n"
                      "[whois]\nmin_interval = 0\ntimeout = 2.0\n", encoding="utf-8")
    with LocalInternet(world.scenario) as net:
        db = work / "national.db"
        result = dw(db, "register", "import", str(register))
        assert result.returncode == 0, result.stderr
        yield Night(world, net, db, (
            "--config", str(config), "run", "--all", "--verbose", "--resolver", net.resolver,
            "--timeout", "2", "--retries", "2", "--ca-file", str(net.ca_file),
            "--whois-server", net.whois))


@pytest.mark.world
def test_three_nights_of_a_national_register(night: Night) -> None:
    planted = {(case.name, case.rule) for case in night.world.planted}
    links = {case for case in planted if case[1].startswith("link.")}

    output = night.run()
    assert "sites left for later runs (the links of their last crawl checked)" in output
    first = night.standing()
    assert planted <= first, f"missed: {sorted(planted - first)}"
    crawled_first, deferred_first = night.crawled(1), night.deferred(1)
    portals = {row["name"] for row in night.world.register if row["name"].startswith("www.")
               and row["name"].endswith(".gov.cn")}
    assert portals <= crawled_first, "portals are read first"
    assert len(crawled_first) < len(deferred_first)

    night.run()  # the world has not changed
    # A link to a name that does not resolve is dead once the name's own unused.no_dns is
    # confirmed (the unused rules wait for a second night): the lapsed legacy domains'.
    confirmed_dead = {(name, "link.dead") for name, rule in links
                      if rule == "link.unregistered"}
    assert night.standing() - first == confirmed_dead, "an unchanged night opens nothing new"
    assert first <= night.standing()
    assert planted <= night.standing(("open",)), "confirmed on the second night"
    crawled_second = night.crawled(2)
    read_whole = {str(name) for name, in night.query(
        "SELECT name FROM observations WHERE probe = 'links' AND first_run = 1 "
        "AND json_extract(data, '$.complete')")}
    assert crawled_second and crawled_second <= deferred_first | (crawled_first - read_whole), \
        "the budget reads the sites the first night left or cut short"
    assert {name for name, _ in links}.isdisjoint(crawled_second)
    written = dict(night.query(
        "SELECT probe, count(*) FROM observations WHERE first_run = 2 GROUP BY probe"))
    assert set(written) <= {"links"}, "only the first crawls of sites are new history"

    before = night.standing()
    new_cases = change_world(night.world, night.net)
    # The Subei case on a night its portal is not read: the lapsed legacy domain a portal
    # links to is registered again by someone who serves a gambling page on it.
    portal, lapsed = _a_lapsed_link(night.world)
    _taken_over(night, lapsed)
    night.run()
    assert portal not in night.crawled(3)
    expected = {(case.name, case.rule) for case in new_cases}
    after = night.standing()
    assert expected <= after, f"missed: {sorted(expected - after)}"
    assert {case for case in after - before if portal != case[0] != lapsed} <= expected, \
        "the updated pages raise nothing"
    assert (portal, "link.hijacked") in after - before, \
        "the links found by a site's last crawl are checked on the nights it is not read"


def _a_lapsed_link(world: NationalWorld) -> tuple[str, str]:
    """A portal planted to link to a lapsed legacy domain's site, and that site."""
    case = next(case for case in world.planted if case.rule == "link.unregistered")
    return case.name, case.what.removeprefix("links to ")


def _taken_over(night: Night, name: str) -> None:
    """``name`` (in the com zone, which change_world leaves alone) resolves again, to a
    hosting address whose site now also answers for it with a gambling page."""
    site = next(site for site in night.net.sites
                if site.body_parts == (GAMBLING_PAGE,) and site.names[0].startswith("dept"))
    night.net.replace_sites([
        dataclasses.replace(each, names=(*each.names, name)) if each is site else each
        for each in night.net.sites])
    records = night.world.scenario.zone("com").records
    night.net.replace_records("com", "\n".join(
        [*records, f"{name}. 300 IN A {site.address}"]) + "\n")
    night.net.whois_answers.pop(name.split(".", 1)[1], None)
