"""The rule catalogue against everything that names rules: the code that raises them, the
families' rule lists, the command line, the configuration, the README and the tests."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rule_cases import RULE_CASES

import domainwatch
from domainwatch import cli, report, rules
from domainwatch.baseline import BASELINE_RULES
from domainwatch.checks import dns, links, register, registration, tls, web
from domainwatch.cli import findings as cli_findings
from domainwatch.config import ConfigError, load_config
from domainwatch.store import SEVERITIES

PACKAGE = Path(domainwatch.__file__).parent
README = PACKAGE.parent / "README.md"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _sources() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        yield module.removesuffix(".__init__"), ast.parse(path.read_text("utf-8"))


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _constant(module: str, node: ast.expr | None) -> Any:
    """The value of a literal or of a module-level name; None when only running tells."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return getattr(importlib.import_module(module), node.id, None)
    return None


def _severities(module: str, node: ast.expr | None,
                function: ast.AST | None) -> set[str] | None:
    """The severities a FindingDraft's severity argument can take, when the code says:
    literals, conditionals of them, a module-level table, a local variable set to those."""
    if isinstance(node, ast.IfExp):
        body = _severities(module, node.body, function)
        orelse = _severities(module, node.orelse, function)
        return None if body is None or orelse is None else body | orelse
    if isinstance(node, ast.Subscript):
        table = _constant(module, node.value)
        return set(table.values()) if isinstance(table, dict) else None
    if isinstance(node, ast.Name) and function is not None:
        assigned = [statement.value for statement in ast.walk(function)
                    if isinstance(statement, ast.Assign)
                    and any(isinstance(target, ast.Name) and target.id == node.id
                            for target in statement.targets)]
        if assigned:
            levels: set[str] = set()
            for value in assigned:
                more = _severities(module, value, function)
                if more is None:
                    return None
                levels |= more
            return levels
    value = _constant(module, node)
    return {value} if isinstance(value, str) else None


def _calls(node: ast.AST, function: ast.AST | None = None
           ) -> Iterator[tuple[ast.Call, ast.AST | None]]:
    """Every call under ``node``, with the innermost function it is in."""
    for child in ast.iter_child_nodes(node):
        inner = child if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
        if isinstance(child, ast.Call):
            yield child, inner
        yield from _calls(child, inner)


#: Calls that carry a rule's severity besides FindingDraft: a naming problem becomes a
#: ``register.naming`` finding with its severity.
SEVERITY_CARRIERS = {"NamingProblem": "register.naming"}


def _drafts() -> list[tuple[str, int, str, set[str] | None]]:
    """Every ``FindingDraft(...)`` in the package: module, line, rule, its severities."""
    found = []
    for module, tree in _sources():
        for call, function in _calls(tree):
            if not isinstance(call.func, ast.Name):
                continue
            if call.func.id == "FindingDraft":
                rule = _constant(module, _argument(call, 0, "rule"))
                assert isinstance(rule, str), \
                    f"{module}:{call.lineno}: a FindingDraft's rule is not a literal or constant"
                severity = _argument(call, 1, "severity")
            elif call.func.id in SEVERITY_CARRIERS:
                rule, severity = SEVERITY_CARRIERS[call.func.id], _argument(call, 1, "severity")
            else:
                continue
            found.append((module, call.lineno, rule, _severities(module, severity, function)))
    return found


# -- the catalogue itself ---------------------------------------------------------------------


def test_every_rule_is_described_in_both_languages() -> None:
    for rule in rules.CATALOGUE:
        for text in (rule.description_en, rule.description_zh, rule.holds_when):
            assert text.strip() and "\n" not in text and "|" not in text, rule.id
        assert CJK.search(rule.description_zh), f"{rule.id}: description_zh is not Chinese"
        assert rule.description_en[0].isupper() and rule.description_en.endswith("."), rule.id


def test_every_rule_is_well_formed() -> None:
    assert len({rule.id for rule in rules.CATALOGUE}) == len(rules.CATALOGUE)
    for rule in rules.CATALOGUE:
        assert re.fullmatch(r"[a-z]+\.[a-z][a-z_]*", rule.id), rule.id
        assert rule.category in rules.categories(), rule.id
        assert rule.stage in rules.STAGES, rule.id
        assert set(rule.severities) <= set(SEVERITIES), rule.id
        assert len(set(rule.severities)) == len(rule.severities), rule.id
        if rule.also:
            assert all(re.search(rf"\b{level}\b", rule.severity_note)
                       for level in rule.severities), \
                f"{rule.id}: the severity note must say when each of {rule.severities} applies"
    assert all(rules.select(category=category) for category in rules.categories()), \
        "a category without rules"
    assert all(CJK.search(category.description_zh) for category in rules.CATEGORIES)


def test_lookups() -> None:
    assert rules.get("dangling.cname").stage == "dns"
    assert rules.get("dangling.cname").category == "dangling"
    with pytest.raises(rules.UnknownRule, match=r"did you mean dangling\.cname"):
        rules.get("dangling.cnam")
    with pytest.raises(rules.UnknownRule, match=r"\(the tls rules: tls\.expiring, tls\.invalid"):
        rules.get("tls.qqqqqqqq")
    with pytest.raises(rules.UnknownRule, match=r"\(the rules: unused\.no_dns, "):
        rules.get("zzzz")
    assert [rule.id for rule in rules.select(stage="links")] == ["link.dead", "link.hijacked"]
    assert rules.rule_ids(category="tls") == ("tls.expiring", "tls.invalid", "tls.weak")
    assert rules.rule_ids(stage="web", baseline=True) == ("hijacked.content_changed",)
    assert rules.is_rule("register.naming") and not rules.is_rule("register")


# -- the code against the catalogue -----------------------------------------------------------


def test_every_rule_the_code_raises_is_in_the_catalogue_with_its_severities() -> None:
    drafts = _drafts()
    assert len(drafts) >= len(rules.CATALOGUE), "the FindingDraft calls were not found"
    for module, line, rule_id, severities in drafts:
        assert rules.is_rule(rule_id), f"{module}:{line}: {rule_id} is not in domainwatch/rules.py"
        if severities is not None:
            assert severities <= set(rules.get(rule_id).severities), \
                f"{module}:{line}: {rule_id} raised as {severities}, catalogue says " \
                f"{rules.get(rule_id).severities}"


def test_every_catalogue_rule_is_raised_somewhere() -> None:
    raised = {rule for _, _, rule, _ in _drafts()}
    assert set(rules.rule_ids()) - raised == set()


def test_every_rule_id_the_code_names_is_in_the_catalogue() -> None:
    """Evaluated sets, rule lists, the test worlds' planted cases: any string that reads as
    ``category.rule``."""
    looks_like_a_rule = re.compile(rf"(?:{'|'.join(rules.categories())})\.[a-z][a-z_]*")
    for module, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and looks_like_a_rule.fullmatch(node.value):
                assert rules.is_rule(node.value), f"{module}:{node.lineno}: {node.value!r}"


def test_the_families_evaluate_what_they_did() -> None:
    """What a family evaluates is what it resolves: a rule moved to another stage or
    category in the catalogue must not change that unnoticed."""
    assert set(dns.RULES) == {"unused.no_dns", "unused.offline_still_resolving",
                              "dangling.cname"}
    assert set(registration.RULES) == {"unregistered.domain", "unregistered.expiring",
                                       "unregistered.owner_changed"}
    assert registration.LINK_RULE == "link.unregistered"
    assert set(tls.RULES) == {"tls.expiring", "tls.invalid", "tls.weak",
                              "hijacked.cert_changed"}
    assert set(links.RULES) == {"link.dead", "link.hijacked"}
    assert set(register.ENTRY_RULES) == {"register.naming", "register.not_in_zone",
                                         "register.unlisted"}
    assert set(web.UNUSED_RULES) == {"unused.no_web", "unused.placeholder", "unused.stale"}
    assert set(web.HIJACK_RULES) == {"hijacked.content", "hijacked.cloaking",
                                     "hijacked.redirect", "hijacked.content_changed"}
    assert set(web.HIJACK_SIGNALS) == {"hijacked.content", "hijacked.cloaking",
                                       "hijacked.redirect"}
    assert set(BASELINE_RULES) == {"hijacked.content_changed", "hijacked.dns_changed",
                                   "hijacked.cert_changed", "unregistered.owner_changed"}


def test_the_categories_the_code_knows_are_the_catalogues() -> None:
    assert rules.categories() == cli_findings.CATEGORIES
    assert set(report.CATEGORY_COLOURS) <= set(rules.categories())


# -- the command line and the configuration ---------------------------------------------------


@pytest.mark.parametrize(("value", "code", "says"), [
    ("dangling.cname", 0, "no findings"),
    ("dangling.cnam", 2, "did you mean dangling.cname"),
    ("unused", 2, "is a category, not a rule id: use --category unused"),
    ("nothing-like-it", 2, "the rules: unused.no_dns, "),
])
def test_findings_rule_must_be_a_catalogue_rule(tmp_path: Path, value: str, code: int,
                                                says: str) -> None:
    result = CliRunner().invoke(cli.cli, ["--db", str(tmp_path / "dw.db"), "findings",
                                          "--rule", value])
    assert result.exit_code == code, result.output
    assert says in result.output


@pytest.mark.parametrize("value", ["dangling.cnam", "hijacked.contnet", "hijack", "unused.x",
                                   "nothing-like-it"])
def test_the_command_line_suggests_the_rules_the_catalogue_does(tmp_path: Path,
                                                                value: str) -> None:
    with pytest.raises(rules.UnknownRule):
        rules.get(value)
    hint = rules.did_you_mean(value)
    suggested = hint.removeprefix("did you mean ").removesuffix("?").split(" or ")
    if hint.startswith("did you mean"):
        assert all(rules.is_rule(rule_id) for rule_id in suggested), "never a category"
    result = CliRunner().invoke(cli.cli, ["--db", str(tmp_path / "dw.db"), "findings",
                                          "--rule", value])
    assert result.exit_code == 2
    assert hint in " ".join(result.output.split()), result.output


def test_findings_category_choices_are_the_catalogues(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.cli, ["findings", "--help"])
    assert f"[{'|'.join(rules.categories())}]" in result.output


def _config(tmp_path: Path, run: str) -> Path:
    path = tmp_path / "domainwatch.toml"
    path.write_text(f"[run]\n{run}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("run", "message"), [
    ('confirm_open_by = { "unused.no_dsn" = 2 }',
     r"\[run\] confirm_open_by: unknown rule id 'unused.no_dsn' \(did you mean unused.no_dns"),
    ('confirm_resolve_by = { "hijacked.content" = 3, "hijacked.contnet_changed" = 2 }',
     r"\[run\] confirm_resolve_by: unknown rule id 'hijacked.contnet_changed' \(did you mean "
     r"hijacked.content_changed"),
    ("confirm_open_by = { hijack = 2 }",
     r"\[run\] confirm_open_by: unknown category 'hijack' \(did you mean hijacked"),
    ('confirm_open_by = { "tls.qqqqqqqq" = 2 }',
     r"unknown rule id 'tls.qqqqqqqq' \(the tls rules: tls.expiring, tls.invalid, tls.weak\)"),
    ('confirm_resolve_by = { "zzzz" = 2 }',
     r"unknown category 'zzzz' \(the categories: unused, unregistered, dangling"),
])
def test_confirmations_name_known_rules_and_categories(tmp_path: Path, run: str,
                                                        message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(_config(tmp_path, run))


def test_confirmations_by_rule_and_by_category_are_kept(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, 'confirm_open_by = { unused = 2, "dangling.cname" = 3 }'
                                           '\nconfirm_resolve_by = { "hijacked.content" = 3 }'))
    assert config.run.confirm.open_by == {"unused": 2, "dangling.cname": 3}
    assert config.run.confirm.resolve_by == {"hijacked.content": 3}


# -- the README and the tests -----------------------------------------------------------------


def test_the_readme_rule_tables_are_the_catalogues() -> None:
    text = README.read_text(encoding="utf-8")
    assert rules.readme_tables(text) == text, \
        "README.md's rule tables differ from domainwatch/rules.py: run `make docs`"
    for rule in rules.CATALOGUE:
        assert f"| `{rule.id}` | {rule.description_zh} | {rule.severity_text} | " in text, rule.id


def _world_marked(function: Callable[..., Any]) -> bool:
    module_marks = getattr(sys.modules[function.__module__], "pytestmark", [])
    marks = [*getattr(function, "pytestmark", []),
             *(module_marks if isinstance(module_marks, list) else [module_marks])]
    return any(mark.name == "world" for mark in marks)


def _empty(node: ast.expr) -> bool:
    """A literal of nothing: ``{}``, ``set()``, ``[]``, ``""``, None, 0."""
    if isinstance(node, ast.Constant):
        return not node.value
    if isinstance(node, ast.Dict | ast.List | ast.Set | ast.Tuple):
        return not (node.keys if isinstance(node, ast.Dict) else node.elts)
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
        and node.func.id in ("set", "dict", "list", "tuple") and not node.args


def _negative(test: ast.expr) -> bool:
    """An assertion that something is not there, or is nothing."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return True
    return isinstance(test, ast.Compare) and (
        any(isinstance(op, ast.NotIn | ast.NotEq | ast.IsNot) for op in test.ops)
        or any(map(_empty, [test.left, *test.comparators])))


def _asserts_positively(function: Callable[..., Any], rule_id: str) -> bool:
    """Whether the test fails when ``rule_id``'s finding is missing, as far as its code says:
    an ``assert`` (not a negation, nor a comparison with nothing) on a value that names the
    rule, or that was computed from one that does (the findings of that rule, say), or such
    a value unpacked into a fixed number of names (``[finding] = …``). A value names the rule
    when it holds its id, or reads a module constant that does (a table of expected
    findings)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    module = vars(sys.modules[function.__module__])
    tainted: set[str] = set()

    def names_rule(node: ast.AST) -> bool:
        for part in ast.walk(node):
            if isinstance(part, ast.Constant) and isinstance(part.value, str) \
                    and rule_id in part.value:
                return True
            if isinstance(part, ast.Name) and (part.id in tainted or (
                    part.id in module
                    and isinstance(module[part.id], str | tuple | list | set | frozenset | dict)
                    and rule_id in repr(module[part.id]))):
                return True
        return False

    assignments = [node for node in ast.walk(tree) if isinstance(node, ast.Assign)]
    while True:
        more = {name.id for node in assignments if names_rule(node.value)
                for target in node.targets for name in ast.walk(target)
                if isinstance(name, ast.Name)} - tainted
        if not more:
            break
        tainted |= more
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and not _negative(node.test) and names_rule(node.test):
            return True
        if isinstance(node, ast.Assign) and names_rule(node.value) and any(
                isinstance(target, ast.List | ast.Tuple) for target in node.targets):
            return True
    return False


def test_every_rule_has_a_test_world_case() -> None:
    assert set(RULE_CASES) == set(rules.rule_ids()), \
        "tests/rule_cases.py must name, for every catalogue rule, the tests that raise it"
    for rule_id, cases in RULE_CASES.items():
        assert cases, rule_id
        for case in cases:
            module_name, _, name = case.partition("::")
            function = getattr(importlib.import_module(module_name), name, None)
            assert callable(function), f"{rule_id}: no test {case}"
            assert _world_marked(function), f"{case} is not a `world` test"
            assert _asserts_positively(function, rule_id), \
                f"{case} asserts nothing that fails without a {rule_id} finding"


def _vacuous_case(found: dict[str, Any]) -> None:
    assert "unused.no_dns" not in found
    assert found.get("unused.no_dns", set()) == set()
    assert not found.get("unused.no_dns")


def _positive_case(found: dict[str, Any]) -> None:
    names = {name for name in found["unused.no_dns"]}
    assert names == {"wsj.jiuquan.gov.cn"}


def _unpacking_case(found: list[dict[str, Any]]) -> None:
    [finding] = [f for f in found if f["rule"] == "unused.no_dns"]
    del finding


def test_a_case_that_only_asserts_absence_is_not_a_case() -> None:
    assert not _asserts_positively(_vacuous_case, "unused.no_dns")
    assert _asserts_positively(_positive_case, "unused.no_dns")
    assert _asserts_positively(_unpacking_case, "unused.no_dns")
    assert not _asserts_positively(_positive_case, "dangling.cname")
