"""The local test internet: real Knot DNS, Unbound and nginx on loopback, from one scenario."""

from pathlib import Path

from domainwatch.testnet.dns import LocalInternet, MissingBinaryError, TestnetError
from domainwatch.testnet.scenario import (
    Scenario,
    ScenarioError,
    Site,
    SiteCertificate,
    load_scenario,
)
from domainwatch.testnet.synthetic import synthetic_register_rows, synthetic_scenario

WORLDS_DIR = Path(__file__).parent / "worlds"
DEMO_WORLD = WORLDS_DIR / "demo.toml"
DEMO_REGISTER = WORLDS_DIR / "demo-register.csv"

__all__ = [
    "DEMO_REGISTER",
    "DEMO_WORLD",
    "WORLDS_DIR",
    "LocalInternet",
    "MissingBinaryError",
    "Scenario",
    "ScenarioError",
    "Site",
    "SiteCertificate",
    "TestnetError",
    "load_scenario",
    "synthetic_register_rows",
    "synthetic_scenario",
]
