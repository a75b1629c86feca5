"""The house: each layer of the package imports only from the layers below it (README,
"Layout"). Imports for type annotations only (under ``if TYPE_CHECKING:``) do not count."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "domainwatch"
# Bottom first; a module's layer is that of its first name below ``domainwatch``.
LAYERS = (
    ("the ground", {"config", "settings", "store", "rules", "names", "clock", "safety",
                    "output", "datafiles", "__init__"}),
    ("probes", {"probes", "discovery", "register", "placeholders", "lexicon", "host_lists",
                "normalize"}),
    ("checks", {"checks", "takeover", "reconcile"}),
    ("stages", {"stages", "baseline"}),
    ("jobs and outputs", {"scan", "recheck", "nightly", "alerts", "report"}),
    ("the library", {"api"}),
    ("the skin", {"cli", "__main__"}),
)
OUTSIDE = {"testnet", "data", "templates"}


def _layer(module: str) -> int | None:
    first = module.split(".")[1] if "." in module else "__init__"
    for number, (_, members) in enumerate(LAYERS):
        if first in members:
            return number
    return None


def _runtime_imports(tree: ast.Module) -> list[ast.ImportFrom | ast.Import]:
    typing_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
                   for statement in block.body for node in ast.walk(statement)}
    return [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)
            and id(node) not in typing_only]


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[0] in OUTSIDE:
            continue
        found.append((".".join(("domainwatch", *parts)), path))
    return found


def test_every_module_has_a_layer() -> None:
    assert [module for module, _ in _modules() if _layer(module) is None] == []


def test_layers_import_only_downward() -> None:
    upward = []
    for module, path in _modules():
        mine = _layer(module)
        assert mine is not None
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif node.module == "domainwatch":  # from domainwatch import clock
                names = [f"domainwatch.{alias.name}" for alias in node.names]
            else:
                names = [node.module or ""]
            for name in names:
                if not name.startswith("domainwatch.") or name.split(".")[1] in OUTSIDE:
                    continue
                theirs = _layer(name)
                if theirs is not None and theirs > mine:
                    upward.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} "
                                  f"({LAYERS[mine][0]}) imports {name} ({LAYERS[theirs][0]})")
    assert upward == []
