"""Shared fixtures. `local_internet` is the demo world, started once per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domainwatch.testnet import DEMO_WORLD, LocalInternet, load_scenario


@pytest.fixture(scope="session")
def local_internet() -> Iterator[LocalInternet]:
    with LocalInternet(load_scenario(DEMO_WORLD)) as net:
        yield net
