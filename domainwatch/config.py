"""The configuration file (TOML): defaults for options an administrator sets once.

Command-line options override it. Example::

    [scan]
    resolvers = ["10.0.0.53", "10.0.1.53:5353"]
    timeout = 2.0        # seconds per attempt
    retries = 2
    concurrency = 500    # DNS queries in flight
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SCAN_KEYS = {"resolvers": list, "timeout": (int, float), "retries": int, "concurrency": int}


class ConfigError(Exception):
    """A configuration file that cannot be used."""


@dataclass
class Config:
    resolvers: list[str] = field(default_factory=list)
    timeout: float = 2.0
    retries: int = 2
    concurrency: int = 500
    source: str | None = None


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read configuration file {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    config = Config(source=str(path))
    unknown = sorted(set(document) - {"scan"})
    if unknown:
        raise ConfigError(f"{path}: unknown section(s): {', '.join(unknown)}")
    scan: dict[str, Any] = document.get("scan", {})
    for key, value in scan.items():
        expected = _SCAN_KEYS.get(key)
        if expected is None:
            raise ConfigError(f"{path}: [scan] has no setting {key!r} "
                              f"(known: {', '.join(_SCAN_KEYS)})")
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ConfigError(f"{path}: [scan] {key} has the wrong type")
        setattr(config, key, value)
    if not all(isinstance(item, str) for item in config.resolvers):
        raise ConfigError(f"{path}: [scan] resolvers must be a list of \"IP[:PORT]\" strings")
    if config.timeout <= 0 or config.retries < 0 or config.concurrency < 1:
        raise ConfigError(f"{path}: [scan] timeout must be > 0, retries >= 0, concurrency >= 1")
    return config
