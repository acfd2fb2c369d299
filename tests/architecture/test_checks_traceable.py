"""A named check and the policies that call it can be found from each other: each check module's
docstring lists its policies, and ``ocisec rules show ID`` names the checks a rule uses."""

from __future__ import annotations

import collections
import importlib
import re

from typer.testing import CliRunner

from scanner.cli import app
from scanner.engine.policy import load_rules
from scanner.engine.registry import check_names, checks_of_rule, get_check

_LISTED = re.compile(r"Policies that call these checks: ([A-Z0-9,\s-]+)\.")


def _callers() -> dict[str, set[str]]:
    rules, errors = load_rules()
    assert not errors
    callers: dict[str, set[str]] = collections.defaultdict(set)
    for rule in rules:
        for _, module in checks_of_rule(rule):
            callers[module].add(rule.id)
    return callers


def test_every_check_module_lists_the_policies_that_call_it():
    modules = {get_check(name).__module__ for name in check_names()}
    callers = _callers()
    for module in sorted(modules):
        doc = importlib.import_module(module).__doc__ or ""
        listed = _LISTED.search(doc)
        assert listed, f"{module}: docstring lacks 'Policies that call these checks: ...'"
        assert {x.strip() for x in listed.group(1).split(",")} == callers.get(module, set()), module


def test_every_check_a_policy_names_is_registered():
    rules, _ = load_rules()
    unknown = [(r.id, name) for r in rules for name, module in checks_of_rule(r) if module == "?"]
    assert unknown == []


def test_rules_show_names_the_checks_a_rule_uses():
    out = CliRunner().invoke(app, ["rules", "show", "OCI-HA-001"]).output
    assert "placement_spans_ads in scanner.checks.placement" in out
    plain = CliRunner().invoke(app, ["rules", "show", "OCI-ENC-001"]).output
    assert "Named checks" not in plain
