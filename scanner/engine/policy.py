"""Loading rules from ``policies/*.yaml``, validated against ``policy.schema.json``.

A broken policy file is reported as an ``InputError`` naming the file; the other rules still run.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from scanner.model import InputError, Rule, Severity, Target

SCHEMA_PATH = Path(__file__).with_name("policy.schema.json")


def _bundled_policy_dir() -> Path:
    """The rules shipped with ocisec: ``scanner.policies`` in an installed wheel (also mapped onto
    the repository's ``policies/`` by an editable install), else the source tree's ``policies/``."""
    from importlib.util import find_spec

    spec = find_spec("scanner.policies")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if Path(location).is_dir():
            return Path(location)
    return Path(__file__).resolve().parents[2] / "policies"


POLICY_DIR = _bundled_policy_dir()


@lru_cache(maxsize=1)
def _validator() -> Any:
    from jsonschema import Draft7Validator

    schema = json.loads(SCHEMA_PATH.read_text())
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def load_rule_file(path: Path) -> Rule:
    """Load one policy file; raises ``ValueError`` with a message naming what is wrong."""
    from scanner.guards.limits import LIMITS
    from scanner.guards.safe_io import UnreadableInput, read_regular_file
    from scanner.guards.safe_yaml import YamlError
    from scanner.guards.safe_yaml import load as load_yaml

    try:  # a FIFO, device, directory or dangling link named *.yaml is refused by name
        text = read_regular_file(path, LIMITS.max_file_bytes).decode("utf-8")
    except UnreadableInput as exc:
        raise ValueError(f"cannot read policy: {exc}") from None
    except UnicodeDecodeError:
        raise ValueError("cannot read policy: not UTF-8 text") from None
    try:  # bounded: alias bombs, recursive aliases and deep nesting are errors
        doc = load_yaml(text)
    except YamlError as exc:
        raise ValueError(str(exc)) from None
    try:
        return _rule_from_document(doc, path)
    except RecursionError:
        raise ValueError("policy nested too deeply") from None


def _rule_from_document(doc: Any, path: Path) -> Rule:
    if not isinstance(doc, dict):
        raise ValueError("a policy file must hold a YAML mapping")
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        err = min(errors, key=lambda e: len(list(e.absolute_path)) * -1)
        at = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        raise ValueError(f"does not match the policy schema at {at}: {err.message[:300]}")
    if doc["id"] != path.stem:
        raise ValueError(f"id {doc['id']!r} does not match the file name {path.name!r}")
    params = {k: v["default"] for k, v in (doc.get("parameters") or {}).items()}
    targets = (
        [Target(t["resources"], t["condition"], t.get("when")) for t in doc["targets"]]
        if "targets" in doc
        else [Target(doc["resources"], doc["condition"], doc.get("when"))]
    )
    for target in targets:
        for cond in (target.condition, target.when):
            if cond is not None:
                _check_references(cond, params)
    return Rule(
        id=doc["id"],
        title=doc["title"],
        severity=Severity(doc["severity"]),
        category=doc["category"],
        rationale=doc["rationale"].strip(),
        remediation=doc["remediation"].strip(),
        targets=targets,
        message=doc["message"].strip(),
        references=[{k: str(v) for k, v in r.items()} for r in doc.get("references") or []],
        benchmarks=[dict(b) for b in doc.get("benchmarks") or []],
        parameters=params,
        parameter_docs={k: v.get("description", "") for k, v in (doc.get("parameters") or {}).items()},
        examples={k: v.rstrip() for k, v in (doc.get("examples") or {}).items()},
        tags=list(doc.get("tags") or []),
        source_file=str(path),
        failure=doc.get("failure", ""),
        fix=doc.get("fix", ""),
    )


def _check_references(cond: Any, params: dict[str, Any]) -> None:
    """Parameters, named checks and regexes a condition uses must exist / compile."""
    from scanner.engine.registry import check_names

    if isinstance(cond, list):
        for c in cond:
            _check_references(c, params)
        return
    if not isinstance(cond, dict):
        return
    if "param" in cond and cond["param"] not in params:
        raise ValueError(f"condition uses undeclared parameter {cond['param']!r}")
    if "check" in cond and cond["check"] not in check_names():
        raise ValueError(f"unknown named check {cond['check']!r}")
    if cond.get("op") in ("matches", "not_matches") and "value" in cond:
        from scanner.guards.safe_regex import RegexError, compile_policy

        try:  # as the engine will run it (RE2, or bounded backtracking)
            compile_policy(str(cond["value"]))
        except RegexError as exc:
            raise ValueError(f"invalid regular expression {cond['value']!r}: {exc}") from None
    for key in ("all", "any", "none", "not", "where"):
        if key in cond:
            _check_references(cond[key], params)


def load_rules(
    directory: Path | None = None, cache_dir: Path | None = None
) -> tuple[list[Rule], list[InputError]]:
    """Every rule in ``directory`` (default: the bundled ``policies/``), sorted by id.

    With ``cache_dir``, the validated rules are kept keyed by the hash of every policy file and
    of the schema, so a warm start skips YAML parsing and schema validation.
    """
    directory = directory or POLICY_DIR
    if cache_dir is None or not directory.is_dir():
        return _load_rules(directory)
    from scanner.guards.cache import Cache

    cache = Cache(cache_dir)
    policy_files = _policy_files(directory)
    parts: list[str | bytes] = ["rules", SCHEMA_PATH.read_bytes()]
    for path in policy_files:
        try:
            parts += [path.name, path.read_bytes()]
        except OSError:
            return _load_rules(directory)  # reported by the uncached load
    key = cache.key(*parts)
    cached = cache.get_object("rules", key, tuple)
    if _plausible(cached, len(policy_files)):
        rules, errors = cached
        for rule in rules:  # the file names are where this checkout keeps them
            rule.source_file = str(directory / Path(rule.source_file).name)
        return list(rules), list(errors)
    rules, errors = _load_rules(directory)
    cache.put_object("rules", key, (rules, errors))
    return rules, errors


def _plausible(cached: Any, file_count: int) -> bool:
    """A cached ``(rules, errors)`` pair that accounts for every policy file (one rule or one
    error each): anything else, an empty list of rules above all, is a miss."""
    if not isinstance(cached, tuple) or len(cached) != 2:
        return False
    rules, errors = cached
    return (
        isinstance(rules, list)
        and isinstance(errors, list)
        and all(isinstance(r, Rule) for r in rules)
        and all(isinstance(e, InputError) for e in errors)
        and len(rules) + len(errors) == file_count
        and (file_count == 0 or bool(rules) or bool(errors))
    )


def _policy_files(directory: Path) -> list[Path]:
    """The ``*.yaml`` entries of a policy directory, in name order (directories and dangling
    links included: loading reports them by name)."""
    return sorted(directory.glob("*.yaml"))


def _load_rules(directory: Path) -> tuple[list[Rule], list[InputError]]:
    rules: list[Rule] = []
    errors: list[InputError] = []
    if not directory.is_dir():
        return [], [InputError(str(directory), "policy directory not found")]
    seen: dict[str, str] = {}
    for path in _policy_files(directory):
        try:
            rule = load_rule_file(path)
        except ValueError as exc:
            errors.append(InputError(str(path), f"policy error: {exc}"))
            continue
        if rule.id in seen:
            errors.append(
                InputError(str(path), f"policy error: duplicate id {rule.id} (also {seen[rule.id]})")
            )
            continue
        seen[rule.id] = path.name
        rules.append(rule)
    rules.sort(key=lambda r: r.id)
    return rules, errors
