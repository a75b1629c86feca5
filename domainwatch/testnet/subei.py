"""The Subei case as it happened: one world (``worlds/subei.toml``) that changes between
scans, for ``domainwatch demo`` and the tests.

The county portal's 投资肃北 column links to the Industry and Commerce Bureau's site on the
bureau's own legacy domain (subeigs.com). Then, one chapter per scan: the bureau is merged
away and its site closed, but nobody removes the link or deregisters the domain; the
domain lapses and the registry drops it; someone else registers it and serves a gambling
site, which the county portal now sends its visitors to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from domainwatch.testnet.dns import LocalInternet
from domainwatch.testnet.scenario import Scenario, Site, load_scenario

PORTAL = "www.subei.gov.cn"
BUREAU = "www.subeigs.com"
BUREAU_DOMAIN = "subeigs.com"
NEW_OWNER_ADDRESS = "127.20.233.30"
NEW_REGISTRAR = "Offshore Names Ltd"
GAMBLING = ("<html><head><meta charset='utf-8'><title>澳门新葡京娱乐场-百家乐-真人视讯</title>"
            "</head><body><h1>澳门新葡京</h1><p>百家乐 真人视讯 时时彩 六合彩开奖 注册送彩金 "
            "首存优惠 在线投注</p></body></html>")


@dataclass(frozen=True)
class Chapter:
    """One step of the story: what happened (``title``), what the world does now
    (``change``) and what the administrators did to the register (``register``: name,
    state, note)."""

    title: str
    change: Callable[[LocalInternet], None]
    register: tuple[tuple[str, str, str], ...] = ()


def world_file() -> Path:
    return Path(str(files("domainwatch.testnet") / "worlds" / "subei.toml"))


def scenario() -> Scenario:
    return load_scenario(world_file())


def register_file() -> Path:
    return Path(str(files("domainwatch.testnet") / "worlds" / "subei-register.csv"))


def _nothing(net: LocalInternet) -> None:
    """The world as the scenario describes it."""


def _site_closes(net: LocalInternet) -> None:
    net.replace_sites([site for site in net.sites if BUREAU not in site.names])


def _domain_lapses(net: LocalInternet) -> None:
    net.replace_records("com", "")
    net.whois_answers[BUREAU_DOMAIN] = {"status": "unregistered"}


def _domain_taken(net: LocalInternet) -> None:
    net.replace_records("com", f"{BUREAU}. A {NEW_OWNER_ADDRESS}\n")
    net.whois_answers[BUREAU_DOMAIN] = {"status": "registered", "registrar": NEW_REGISTRAR,
                                        "registrant": "REDACTED FOR PRIVACY"}
    gambling = Site(address=NEW_OWNER_ADDRESS, names=(BUREAU,), body=GAMBLING)
    net.replace_sites([*net.sites, gambling])


CHAPTERS = (
    Chapter("The county portal's 投资肃北 column links to the bureau's site on its own "
            "legacy domain, subeigs.com.", _nothing),
    Chapter("The bureau is merged away and its site closed; the register says offline, but "
            "nobody removes the link or deregisters subeigs.com.", _site_closes,
            ((BUREAU, "offline", "工商局并入市场监管局，网站关停"),)),
    Chapter("Nobody renews subeigs.com: it lapses and the registry drops it.",
            _domain_lapses),
    Chapter("Someone else registers subeigs.com and serves a gambling site there; the county "
            "portal's 投资肃北 now sends its visitors to it.", _domain_taken),
)
