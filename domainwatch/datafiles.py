"""The packaged data files (``data/``): where they are, and what their loaders share.

Each loader (:mod:`domainwatch.placeholders`, :mod:`domainwatch.lexicon`,
:mod:`domainwatch.host_lists`) validates its own file and raises its own error, naming the
file, the entry and the problem.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
#: An entry's ``id``: lower-case words joined by ``-`` (``nginx-default``).
ENTRY_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


def read_json(source: Path, error: type[ValueError]) -> Any:
    """The JSON document in ``source``; ``error`` when it cannot be read or parsed."""
    try:
        return json.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"cannot read {source}: {exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{source.name}: invalid JSON: {exc}") from exc
