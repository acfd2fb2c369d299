"""Project configuration: ``.ocisec.yaml`` (or ``[tool.ocisec]`` in ``pyproject.toml``), merged
with the environment and the command line into the ``Settings`` of one scan.

Where the file is found: in the directory of the scanned paths, then in each parent up to the
git root (the first directory holding ``.ocisec.yaml``, ``.ocisec.yml`` or a ``pyproject.toml``
with a ``[tool.ocisec]`` table wins), or wherever ``--config`` / ``$OCISEC_CONFIG`` says.

Precedence, per setting: command line > ``OCISEC_*`` environment variable > file > built-in
default. Policy directories add up (built-in rules + file + command line). Waivers come from the
file only. Every error names the file and the key and is a ``ConfigError`` (exit code 2).
"""

from __future__ import annotations

import fnmatch
import json
import os
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from scanner.model import InputError, Rule, Severity
from scanner.model.benchmarks import controls_judged, get_benchmark

SCHEMA_PATH = Path(__file__).with_name("config.schema.json")
CONFIG_NAMES = (".ocisec.yaml", ".ocisec.yml")

# Environment variables read by the command line (documented in the README); each mirrors a flag.
ENVIRONMENT = {
    "OCISEC_CONFIG": "--config",
    "OCISEC_FORMAT": "--format",
    "OCISEC_FAIL_ON": "--fail-on",
    "OCISEC_STRICT": "--strict / --no-strict",
    "OCISEC_RULE": "--rule",
    "OCISEC_SKIP_RULE": "--skip-rule",
    "OCISEC_CATEGORY": "--category",
    "OCISEC_SEVERITY": "--severity",
    "OCISEC_POLICIES": "--policies",
    "OCISEC_BASELINE": "--baseline",
    "OCISEC_SOFT_FAIL": "--soft-fail / --no-soft-fail",
    "OCISEC_CACHE_DIR": "--cache-dir",
}


class ConfigError(Exception):
    """A configuration or usage error: the message names the file (or flag) and the key."""


@dataclass(frozen=True)
class Waiver:
    """An accepted risk from the configuration file. ``origin`` names the file and entry."""

    rule: str
    reason: str
    expires: date
    file: str  # the configuration file
    entry: str  # "waivers[2]"
    resource: str | None = None
    path: str | None = None  # glob relative to ``base``
    base: Path | None = None

    @property
    def origin(self) -> str:
        """``FILE (waivers[N])``: where the waiver is written."""
        return f"{self.file} ({self.entry})"

    def matches(self, rule_id: str, addresses: list[str], file: Path | None) -> bool:
        """Whether this waiver covers a finding of ``rule_id`` on a resource known by
        ``addresses`` (address, address without instance keys, OCID) in ``file`` (absolute)."""
        if not fnmatch.fnmatchcase(rule_id.upper(), self.rule.upper()):
            return False
        if self.resource is not None and not any(fnmatch.fnmatchcase(a, self.resource) for a in addresses):
            return False
        if self.path is not None:
            if file is None or self.base is None or not path_matches(file, self.base, [self.path]):
                return False
        return True


@dataclass
class Settings:
    """Everything configurable about a scan, after merging command line, environment and file.

    Rule selection lists hold ids or globs, upper-cased; categories lower-cased; severities are
    ``Severity`` values. ``parameters`` apply to every rule declaring the name;
    ``rule_parameters`` to one rule.
    """

    config_file: Path | None = None
    base: Path = field(default_factory=Path.cwd)  # relative paths of the file resolve against it
    select: list[str] = field(default_factory=list)
    skip: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    severities: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    rule_parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    skip_paths: list[str] = field(default_factory=list)
    policy_dirs: list[Path] = field(default_factory=list)
    builtin_policies: bool = True
    # Terraform roots (and plans) that are the tenancy's baseline: true for every one, or globs of
    # their directories. What such a root lacks, the tenancy lacks (tenancy-level rules fail).
    tenancy_root: bool | list[str] = False
    # ``--benchmark cis-oci-3.0``: run only the rules that judge one of its recommendations, and
    # add the compliance section to the reports.
    benchmark: str | None = None
    waivers: list[Waiver] = field(default_factory=list)
    format: str | None = None
    fail_on: str | None = None
    strict: bool | None = None
    soft_fail: bool | None = None
    baseline: Path | None = None
    today: date = field(default_factory=date.today)
    # Where each selection list came from, for error messages ("--rule" or "FILE: rules.select").
    select_from: str = "--rule"
    skip_from: str = "--skip-rule"
    categories_from: str = "--category"

    @property
    def where(self) -> str:
        """The configuration file's name for messages."""
        return str(self.config_file) if self.config_file else "command line"

    def is_tenancy_root(self, path: Path) -> bool:
        """Whether the Terraform root or plan at ``path`` is marked as the tenancy's baseline."""
        if isinstance(self.tenancy_root, bool):
            return self.tenancy_root
        return any(path_matches(p, self.base, self.tenancy_root) for p in (path, path.parent))

    def skips_path(self, path: Path) -> bool:
        """Whether ``path`` lies under one of ``skip_paths``."""
        return bool(self.skip_paths) and path_matches(path, self.base, self.skip_paths)

    def load_rules(self, cache_dir: Path | None = None) -> tuple[list[Rule], list[InputError]]:
        """The built-in rules (unless replaced) plus every extra policy directory, selected and
        with parameters applied. Raises ``ConfigError`` for unknown ids, categories, severities
        or parameters: a typo must not quietly disable a CI gate."""
        from scanner.engine.policy import load_rules

        rules: list[Rule] = []
        errors: list[InputError] = []
        dirs: list[Path | None] = ([None] if self.builtin_policies else []) + list(self.policy_dirs)
        if not dirs:
            raise ConfigError(f"{self.where}: builtin_policies is false and no policy directory is given")
        seen: dict[str, str] = {}
        for directory in dirs:
            found, errs = load_rules(directory, cache_dir)
            errors += errs
            for rule in found:
                if rule.id in seen:
                    errors.append(
                        InputError(
                            rule.source_file, f"policy error: duplicate id {rule.id} (also {seen[rule.id]})"
                        )
                    )
                    continue
                seen[rule.id] = rule.source_file
                rules.append(rule)
        rules.sort(key=lambda r: r.id)
        self._apply_parameters(rules)
        return self.selected(rules), errors

    def selected(self, rules: list[Rule]) -> list[Rule]:
        """The rules the selection keeps; ``ConfigError`` when a name matches no rule."""
        ids = {r.id.upper() for r in rules}
        for origin, patterns in ((self.select_from, self.select), (self.skip_from, self.skip)):
            for pattern in patterns:
                if not any(fnmatch.fnmatchcase(i, pattern) for i in ids):
                    raise ConfigError(
                        f"{origin}: unknown rule id {pattern!r} (run `ocisec rules` for the list)"
                    )
        known_categories = {r.category.lower() for r in rules}
        for category in self.categories:
            if category not in known_categories:
                raise ConfigError(
                    f"{self.categories_from}: unknown category {category!r}; "
                    f"known: {', '.join(sorted(known_categories))}"
                )

        def keep(rule: Rule) -> bool:
            rid = rule.id.upper()
            if self.select and not any(fnmatch.fnmatchcase(rid, p) for p in self.select):
                return False
            if any(fnmatch.fnmatchcase(rid, p) for p in self.skip):
                return False
            if self.categories and rule.category.lower() not in self.categories:
                return False
            if not self.severities or rule.severity.value in self.severities:
                return bench is None or bool(controls_judged(rule.benchmarks, bench))
            return False

        bench = None
        if self.benchmark:
            try:
                bench = get_benchmark(self.benchmark)
            except KeyError as exc:
                raise ConfigError(f"--benchmark: {exc.args[0]}") from None
        kept = [r for r in rules if keep(r)]
        if rules and not kept:  # a CI gate that runs nothing must not pass quietly
            raise ConfigError(f"{self.where}: the rule selection leaves no rule to run")
        return kept

    def _apply_parameters(self, rules: list[Rule]) -> None:
        declared = {name for r in rules for name in r.parameters}
        for name, value in self.parameters.items():
            if name not in declared:
                raise ConfigError(
                    f"{self.where}: parameters.{name}: no rule declares this parameter; "
                    f"known: {', '.join(sorted(declared))}"
                )
            for rule in rules:
                if name in rule.parameters:
                    _set_parameter(rule, name, value, f"{self.where}: parameters.{name}")
        by_id = {r.id.upper(): r for r in rules}
        for rule_id, params in self.rule_parameters.items():
            rule = by_id.get(rule_id.upper())
            if rule is None:
                raise ConfigError(f"{self.where}: rule_parameters.{rule_id}: no such rule")
            for name, value in params.items():
                where = f"{self.where}: rule_parameters.{rule_id}.{name}"
                if name not in rule.parameters:
                    known = ", ".join(sorted(rule.parameters)) or "none"
                    raise ConfigError(f"{where}: {rule.id} has no such parameter (parameters: {known})")
                _set_parameter(rule, name, value, where)


def _set_parameter(rule: Rule, name: str, value: Any, where: str) -> None:
    """Set a parameter after checking its value has the JSON type of the declared default."""
    default = rule.parameters[name]
    if not _same_type(default, value):
        raise ConfigError(
            f"{where}: expected {_type_name(default)} like the default {default!r}, got {_type_name(value)}"
        )
    rule.parameters = {**rule.parameters, name: value}  # a new dict: never write into a shared one


def _same_type(default: Any, value: Any) -> bool:
    if default is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int | float):
        return isinstance(value, int | float)
    for kind in (str, list, dict):
        if isinstance(default, kind):
            return isinstance(value, kind)
    return True


def _type_name(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


def path_matches(path: Path, base: Path, patterns: list[str]) -> bool:
    """Whether ``path`` (or a directory above it, up to ``base``) matches one of the globs,
    which are relative to ``base``. ``*`` crosses ``/`` (``modules/*`` is everything below)."""
    try:
        rel = path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return False
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        pat = pattern.strip().removeprefix("./").rstrip("/")
        if pat.startswith("**/"):  # "**/x" also matches "x" at the top
            if any(fnmatch.fnmatchcase(p, pat[3:]) for p in prefixes):
                return True
        if any(fnmatch.fnmatchcase(p, pat) for p in prefixes):
            return True
    return False


def split_names(values: list[str] | str | None) -> list[str]:
    """``["a,b", "c"]`` -> ``["a", "b", "c"]``: repeatable flags and comma lists alike."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


# --- finding and reading the file ----------------------------------------------------------------


def git_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding ``.git`` (directory or file)."""
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def find_config(paths: list[Path]) -> Path | None:
    """The configuration that applies to a scan of ``paths``: searched from their common
    directory up to the git root; outside git, up to the working directory when the paths lie
    inside it (the scan root), else only in that directory."""
    if not paths:
        return None
    dirs = [(p if p.is_dir() else p.parent).resolve() for p in paths]
    start = Path(os.path.commonpath([str(d) for d in dirs]))
    stop = git_root(start)
    if stop is None:
        cwd = Path.cwd().resolve()
        stop = cwd if cwd in start.parents else None
    candidates = [start]
    if stop is not None and stop != start:
        candidates += [d for d in start.parents if d == stop or stop in d.parents]
    for directory in candidates:
        for name in CONFIG_NAMES:
            if (directory / name).is_file():
                return directory / name
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _has_tool_table(pyproject: Path) -> bool:
    import tomllib

    try:
        return "ocisec" in tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # not ours to complain about unless it is the file we read


@lru_cache(maxsize=1)
def _validator() -> Any:
    from jsonschema import Draft7Validator

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft7Validator(schema)


def read_config_file(path: Path, cache_dir: Path | None = None) -> dict[str, Any]:
    """The validated settings document of a config file (YAML, or the ``[tool.ocisec]`` table
    of a pyproject.toml). Raises ``ConfigError`` naming the file and the key.

    With ``cache_dir``, a document that passed the schema once leaves an empty marker named by
    the hash of the schema and the document, so later runs (pre-commit) skip importing
    jsonschema (a tenth of a second)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from None
    if path.name == "pyproject.toml":
        import tomllib

        try:
            doc = tomllib.loads(text).get("tool", {}).get("ocisec")
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from None
        if doc is None:
            raise ConfigError(f"{path}: no [tool.ocisec] table")
    else:
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it
        try:
            doc = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            raise ConfigError(f"{path}: invalid YAML{where}: {getattr(exc, 'problem', exc)}") from None
        if doc is None:
            doc = {}
    doc = _dates_to_text(doc)
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping")
    marker = _validated_marker(doc, cache_dir)
    if marker is not None and marker.exists():
        return doc
    errors = list(_validator().iter_errors(doc))
    if errors:
        err = max(errors, key=lambda e: len(list(e.absolute_path)))
        key = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        raise ConfigError(f"{path}: {key}: {err.message[:300]}{_did_you_mean(err)}")
    if marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass  # only a speed-up
    return doc


def _validated_marker(doc: dict[str, Any], cache_dir: Path | None) -> Path | None:
    if cache_dir is None:
        return None
    import hashlib

    digest = hashlib.sha256(SCHEMA_PATH.read_bytes())
    digest.update(json.dumps(doc, sort_keys=True).encode())
    return cache_dir / "config" / f"{digest.hexdigest()}.valid"


def _dates_to_text(value: Any) -> Any:
    """YAML and TOML read ``2027-03-31`` as a date; the schema (and JSON) want text."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _dates_to_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_to_text(v) for v in value]
    return value


def settings_from_file(path: Path | None, cache_dir: Path | None = None) -> Settings:
    """Settings as the file says (defaults when ``path`` is None)."""
    if path is None:
        return Settings()
    doc = read_config_file(path, cache_dir)
    base = path.resolve().parent
    rules = doc.get("rules", {})
    settings = Settings(
        config_file=path,
        base=base,
        select=[s.upper() for s in split_names(rules.get("select"))],
        skip=[s.upper() for s in split_names(rules.get("skip"))],
        categories=[s.lower() for s in split_names(rules.get("categories"))],
        severities=_severities(split_names(rules.get("severities")), f"{path}: rules.severities"),
        parameters=dict(doc.get("parameters", {})),
        rule_parameters={k: dict(v) for k, v in doc.get("rule_parameters", {}).items()},
        skip_paths=list(doc.get("skip_paths", [])),
        policy_dirs=[base / p for p in doc.get("policies", [])],
        builtin_policies=doc.get("builtin_policies", True),
        tenancy_root=doc.get("tenancy_root", False),
        format=doc.get("format"),
        fail_on=doc.get("fail_on"),
        strict=doc.get("strict"),
        soft_fail=doc.get("soft_fail"),
        baseline=base / doc["baseline"] if "baseline" in doc else None,
        select_from=f"{path}: rules.select",
        skip_from=f"{path}: rules.skip",
        categories_from=f"{path}: rules.categories",
    )
    for i, entry in enumerate(doc.get("waivers", [])):
        where = f"{path}: waivers[{i}]"
        try:
            expires = date.fromisoformat(entry["expires"])
        except ValueError:
            raise ConfigError(f"{where}.expires: {entry['expires']!r} is not a date (YYYY-MM-DD)") from None
        settings.waivers.append(
            Waiver(
                rule=entry["rule"].upper(),
                reason=entry["reason"].strip(),
                expires=expires,
                file=str(path),
                entry=f"waivers[{i}]",
                resource=entry.get("resource"),
                path=entry.get("path"),
                base=base,
            )
        )
    for directory in settings.policy_dirs:
        if not directory.is_dir():
            raise ConfigError(f"{path}: policies: {directory}: no such directory")
    return settings


def _severities(names: list[str], where: str) -> list[str]:
    known = [s.value for s in Severity]
    out = []
    for name in names:
        if name.lower() not in known:
            raise ConfigError(f"{where}: unknown severity {name!r}; choose from {', '.join(known)}")
        out.append(name.lower())
    return out


def build_settings(
    paths: list[Path],
    *,
    config: Path | None = None,
    no_config: bool = False,
    select: list[str] | None = None,
    skip: list[str] | None = None,
    categories: list[str] | None = None,
    severities: list[str] | None = None,
    policies: list[Path] | None = None,
    policies_only: list[Path] | None = None,
    format: str | None = None,
    fail_on: str | None = None,
    strict: bool | None = None,
    baseline: Path | None = None,
    soft_fail: bool | None = None,
    cache_dir: Path | None = None,
    benchmark: str | None = None,
) -> Settings:
    """Merge the command line (values already resolved against ``OCISEC_*`` by the CLI: None /
    empty means "not given") over the configuration file."""
    if config is not None and not config.is_file():
        raise ConfigError(f"--config {config}: no such file")
    path = None if no_config else (config or find_config(paths))
    settings = settings_from_file(path, cache_dir)
    if select_names := split_names(select):
        settings.select, settings.select_from = [s.upper() for s in select_names], "--rule"
    if skip_names := split_names(skip):
        settings.skip, settings.skip_from = [s.upper() for s in skip_names], "--skip-rule"
    if category_names := split_names(categories):
        settings.categories, settings.categories_from = [c.lower() for c in category_names], "--category"
    if severity_names := split_names(severities):
        settings.severities = _severities(severity_names, "--severity")
    for flag, dirs in (("--policies", policies or []), ("--policies-only", policies_only or [])):
        for directory in dirs:
            if not directory.is_dir():
                raise ConfigError(f"{flag} {directory}: no such directory")
    if policies_only:
        settings.builtin_policies = False
        settings.policy_dirs = list(policies_only)
    settings.policy_dirs += list(policies or [])
    settings.format = format or settings.format
    settings.fail_on = fail_on or settings.fail_on
    settings.strict = strict if strict is not None else settings.strict
    settings.soft_fail = soft_fail if soft_fail is not None else settings.soft_fail
    settings.baseline = baseline or settings.baseline
    settings.benchmark = benchmark or settings.benchmark
    return settings


def _did_you_mean(err: Any) -> str:
    """For an unknown key, the closest allowed one: a typo in a CI gate's configuration must be
    easy to fix (``fail_onn`` -> ``did you mean `fail_on`?``)."""
    import difflib

    if err.validator != "additionalProperties" or not isinstance(err.instance, dict):
        return ""
    allowed = list(err.schema.get("properties", {}))
    unknown = [str(key) for key in err.instance if key not in allowed]
    hints = []
    for key in unknown:
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        if close:
            hints.append(f"did you mean `{close[0]}`?" if len(unknown) == 1 else
                         f"did you mean `{close[0]}` for `{key}`?")
    return ("; " + "; ".join(hints)) if hints else ""
