"""One scan: discover inputs under the given paths, run every source, then the engine.

Sources are chosen per file (Terraform HCL / JSON, tfvars, plan JSON); each yields the shared
``Resource`` model and its own ``InputError``s, so a bad file never stops the others.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from scanner.engine.engine import evaluate_rules
from scanner.engine.policy import load_rules
from scanner.model import InputError, Resource, ScanResult, strip_instance_keys
from scanner.report.redact import secret_values
from scanner.sources.helm import collapse_environments, is_yaml, load_kubernetes
from scanner.sources.terraform import TerraformLoad, is_tf, is_tfvars, load_terraform, rel
from scanner.sources.terraform.parsing import ParseCache

# Directories never descended into: tool state, VCS data, dependencies.
SKIP_DIRS = {".terraform", ".git", ".hg", ".svn", "node_modules", ".ocisec-cache", "__pycache__", ".venv"}


@dataclass
class ScanOptions:
    """Everything that shapes a scan besides the paths."""

    var_files: list[Path] = field(default_factory=list)
    strict: bool = False
    cache_dir: Path | None = None  # None: no parse cache
    policy_dir: Path | None = None
    workers: int | None = None
    rule_ids: list[str] | None = None  # run only these rules (None: all)
    values_files: list[Path] = field(default_factory=list)  # helm --values, layered on each chart
    render: bool = False  # render charts with `helm template` when helm is on PATH
    stdin_text: str | None = None  # manifests given as `-` (None: read sys.stdin)


@dataclass
class Inputs:
    """Files found under the scan paths, by source."""

    tf: list[Path] = field(default_factory=list)
    plans: list[Path] = field(default_factory=list)
    only_files: set[Path] | None = None
    extra_var_files: list[Path] = field(default_factory=list)
    yaml: list[Path] = field(default_factory=list)  # charts, values files, Kubernetes manifests
    stdin: bool = False  # `-`: manifests on standard input
    errors: list[InputError] = field(default_factory=list)


def scan_root(paths: list[Path]) -> Path:
    """The directory findings are reported relative to: the working directory when every path
    lies inside it (so SARIF URIs match the repository), else the paths' common parent."""
    cwd = Path.cwd().resolve()
    resolved = [p.resolve() for p in paths]
    if all(p == cwd or cwd in p.parents for p in resolved):
        return cwd
    dirs = [p if p.is_dir() else p.parent for p in resolved]
    return Path(os.path.commonpath([str(d) for d in dirs]))


def discover(paths: list[Path], root: Path) -> Inputs:
    """Classify the given paths: directories are walked, files taken by their type."""
    from scanner.sources.terraform_plan import is_plan_json

    found = Inputs()
    singles: set[Path] = set()
    for path in paths:
        if str(path) == "-":
            found.stdin = True
            continue
        if not path.exists():
            found.errors.append(InputError(str(path), "no such file or directory"))
            continue
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
                for name in sorted(filenames):
                    f = Path(dirpath) / name
                    # Plan JSON is read only when named: beside its configuration it would
                    # report every resource twice.
                    if is_tf(f):
                        found.tf.append(f)
                    elif is_yaml(f):
                        found.yaml.append(f)
            continue
        if is_tf(path):
            found.tf.extend(p for p in sorted(path.parent.iterdir()) if is_tf(p) and p not in found.tf)
            singles.add(path.resolve())
        elif is_tfvars(path):
            found.tf.extend(p for p in sorted(path.parent.iterdir()) if is_tf(p) and p not in found.tf)
            found.extra_var_files.append(path)
            singles.add(path.resolve())
        elif path.suffix == ".json" and is_plan_json(path):
            found.plans.append(path)
        elif is_yaml(path):
            found.yaml.append(path)
        else:
            found.errors.append(
                InputError(rel(path, root), "not a Terraform file (.tf, .tf.json, .tfvars) or plan JSON")
            )
    if singles and not any(p.is_dir() for p in paths):
        found.only_files = singles
    found.tf = list(dict.fromkeys(found.tf))
    return found


def run_scan(paths: list[Path], options: ScanOptions | None = None) -> tuple[ScanResult, set[str]]:
    """Scan ``paths`` and return the result plus the literal secret values seen (for redaction)."""
    options = options or ScanOptions()
    root = scan_root(paths)
    inputs = discover(paths, root)
    cache = ParseCache(options.cache_dir)
    # Start parsing first: helper processes parse while this one loads and validates the rules.
    tf_load = (
        TerraformLoad(
            inputs.tf,
            root,
            [*options.var_files, *inputs.extra_var_files],
            inputs.only_files,
            cache,
            options.workers,
        )
        if inputs.tf
        else None
    )
    rules, rule_errors = load_rules(options.policy_dir, options.cache_dir)
    if options.rule_ids is not None:
        rules = [r for r in rules if r.id in set(options.rule_ids)]
    errors = list(inputs.errors) + rule_errors
    resources: list[Resource] = []
    files: list[str] = []
    categories: list[str] = []
    if tf_load is not None:
        tf = tf_load.result()
        resources += tf.resources
        errors += tf.errors
        files += tf.files
        categories.append("terraform")
    if inputs.plans:
        from scanner.sources.terraform_plan import load_plan

        for plan in inputs.plans:
            plan_resources, plan_errors = load_plan(plan, root)
            _overlay_config_locations(plan_resources, plan, root, cache)
            resources += plan_resources
            errors += plan_errors
            files.append(rel(plan, root))
        categories.append("terraform-plan")
    if inputs.yaml or inputs.stdin:
        kube = load_kubernetes(
            inputs.yaml, root, options.values_files, options.render, inputs.stdin, options.stdin_text
        )
        resources += kube.resources
        errors += kube.errors
        files += kube.files
        categories += kube.categories
    # One notion of "secret" for every source: the reporters' (secret-like names, sensitive values).
    secrets = {value for res in resources for value in secret_values(res)}
    findings, engine_errors = evaluate_rules(rules, resources)
    findings = collapse_environments(findings)
    errors += engine_errors
    result = ScanResult(
        rules=rules,
        findings=findings,
        errors=errors,
        root=str(root),
        inputs=sorted(set(files)),
        source_categories=categories,
        strict=options.strict,
        resource_count=sum(1 for r in resources if r.kind != "file"),
    )
    return result, secrets


def _overlay_config_locations(resources: list[Resource], plan: Path, root: Path, cache: ParseCache) -> None:
    """Point plan resources at their ``.tf`` block and attribute lines when the configuration
    beside the plan declares them (matched by address without instance keys)."""
    tf_files = sorted(p for p in plan.parent.iterdir() if is_tf(p)) if plan.parent.is_dir() else []
    if not tf_files:
        return
    config = load_terraform(tf_files, root, cache=cache)
    by_base: dict[str, Resource] = {}
    for res in config.resources:
        by_base.setdefault(strip_instance_keys(res.address), res)
    for res in resources:
        match = by_base.get(res.context.get("config_address") or strip_instance_keys(res.address))
        if match is None or match.provenance.location is None:
            continue
        res.provenance.location = match.provenance.location
        res.provenance.attribute_locations = dict(match.provenance.attribute_locations)
