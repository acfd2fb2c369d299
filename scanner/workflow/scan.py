"""One scan: discover inputs under the given paths, run every source, then the engine.

Sources are chosen per file (Terraform HCL / JSON, tfvars, plan JSON); each yields the shared
``Resource`` model and its own ``InputError``s, so a bad file never stops the others.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.engine.engine import evaluate_rules
from scanner.engine.policy import load_rules
from scanner.guards.safe_io import safe_resolve
from scanner.model import InputError, Resource, ScanResult, strip_instance_keys
from scanner.report.redact import secret_values
from scanner.report.summary import NOTHING_TO_SCAN
from scanner.sources.helm import collapse_environments, is_yaml, load_kubernetes
from scanner.sources.paths import is_tf, is_tfvars, rel
from scanner.workflow.suppress import apply_suppressions
from scanner.workflow.tenancy import tenancy_resources

if TYPE_CHECKING:
    from scanner.sources.terraform import TerraformLoad
    from scanner.sources.terraform.parsing import ParseCache
    from scanner.workflow.baseline import Baseline
    from scanner.workflow.config import Settings

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
    workspace: str | None = None  # terraform.workspace; None: unknown
    # Configuration file + environment + command line (scanner.workflow.config.Settings): rule selection,
    # parameters, extra policy directories, skipped paths, waivers. None: built-in rules only.
    settings: Settings | None = None
    baseline: Baseline | None = None  # accepted findings (scanner.workflow.baseline)
    values_files: list[Path] = field(default_factory=list)  # helm --values, layered on each chart
    render: bool = False  # render charts with `helm template` when helm is on PATH
    stdin_text: str | None = None  # manifests given as `-` (None: read sys.stdin)
    # Inputs read before the scan that failed (a baseline of the wrong shape): reported with the
    # scan's own errors, so the findings of every other input are still shown (exit 2).
    setup_errors: list[InputError] = field(default_factory=list)


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
    # Files skip_paths left out (Terraform and YAML ones, in skipped directories too): said in a
    # note, so a configuration a pull request changed cannot make a scan pass in silence.
    skipped: int = 0
    # The directories named on the command line: each must yield something to judge.
    named_dirs: list[Path] = field(default_factory=list)
    dir_skipped: bool = False  # a directory named on the command line matched skip_paths
    # Files named on the command line when no directory was (pre-commit): the files the summary
    # counts; what is read beside them (sibling .tf files, a chart's values.yaml) is context.
    named: set[Path] | None = None


def scan_root(paths: list[Path]) -> Path:
    """The directory findings are reported relative to: the working directory when every path
    lies inside it (so SARIF URIs match the repository), else the paths' common parent."""
    cwd = Path.cwd().resolve()
    resolved = [safe_resolve(p) for p in paths]
    if all(p == cwd or cwd in p.parents for p in resolved):
        return cwd
    dirs = [p if p.is_dir() else p.parent for p in resolved]
    return Path(os.path.commonpath([str(d) for d in dirs]))


def discover(paths: list[Path], root: Path, skip: Callable[[Path], bool] | None = None) -> Inputs:
    """Classify the given paths: directories are walked, files taken by their type. Files and
    directories for which ``skip`` is true (the configuration's ``skip_paths``) are left out."""
    from scanner.sources.terraform_plan import is_plan_json

    found = Inputs()
    if skip is not None:
        for path in paths:
            if str(path) != "-" and skip(path):  # said: a named file is expected to be scanned
                note = InputError(rel(path, root), "not scanned: matches skip_paths", level="note")
                found.errors.append(note)
                if path.is_dir():  # a named file has its own note above
                    found.skipped += _candidates(path)
                    found.dir_skipped = True
        paths = [p for p in paths if str(p) == "-" or not skip(p)]
    singles: set[Path] = set()
    for path in paths:
        if str(path) == "-":
            found.stdin = True
            continue
        if not path.exists():
            found.errors.append(InputError(str(path), "no such file or directory"))
            continue
        if path.is_dir():
            found.named_dirs.append(path)
            before, before_yaml = len(found.tf), len(found.yaml)
            tree = path.resolve()
            seen = {tree}
            for dirpath, dirnames, filenames in os.walk(path, followlinks=True):
                dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
                # Symlinked directories are followed when they stay inside the scanned tree,
                # once each (no loops); the others are reported as skipped, by name.
                dirnames[:] = [d for d in dirnames if _follow_dir(Path(dirpath) / d, tree, seen, found, root)]
                if skip is not None:
                    kept = []
                    for d in dirnames:
                        if skip(Path(dirpath) / d):
                            found.skipped += _candidates(Path(dirpath) / d)
                        else:
                            kept.append(d)
                    dirnames[:] = kept
                for name in sorted(filenames):
                    f = Path(dirpath) / name
                    if skip is not None and skip(f):
                        found.skipped += _candidates(f)
                        continue
                    # Plan JSON is read only when named: beside its configuration it would
                    # report every resource twice.
                    if is_tf(f):
                        found.tf.append(f)
                    elif is_yaml(f):
                        found.yaml.append(f)
            if len(found.tf) == before and len(found.yaml) == before_yaml:
                # A CI gate pointed at the wrong directory must not pass silently.
                found.errors.append(InputError(
                    str(path), f"{NOTHING_TO_SCAN}: no Terraform, chart or manifest files here "
                    "(plan JSON is read only when named)"))
            continue
        if is_tf(path):
            found.tf.extend(_siblings(path, found.tf, skip))
            singles.add(safe_resolve(path))
        elif is_tfvars(path):
            found.tf.extend(_siblings(path, found.tf, skip))
            found.extra_var_files.append(path)
            singles.add(safe_resolve(path))
        elif path.suffix == ".json" and is_plan_json(path):
            found.plans.append(path)
        elif is_yaml(path):
            found.yaml.append(path)
        else:
            found.errors.append(
                InputError(
                    rel(path, root),
                    "not a file ocisec reads: Terraform (.tf, .tf.json, .tfvars), plan JSON, or YAML "
                    "(.yaml, .yml: Helm charts and values, Kubernetes manifests)",
                )
            )
    if singles and not any(p.is_dir() for p in paths):
        found.only_files = singles
    if paths and not any(str(p) == "-" or p.is_dir() for p in paths):
        found.named = {safe_resolve(p) for p in paths if p.exists()}
    found.tf = list(dict.fromkeys(found.tf))
    found.tf = _without_bad_links(found.tf, root, found.errors)
    return found


def _candidates(path: Path) -> int:
    """How many files under ``path`` (or ``path`` itself) a scan would read: Terraform and
    YAML files, outside the directories never descended into."""
    if not path.is_dir():
        return 1 if is_tf(path) or is_yaml(path) or is_tfvars(path) else 0
    count = 0
    for _, dirnames, filenames in os.walk(path):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")]
        count += sum(1 for n in filenames if is_tf(Path(n)) or is_yaml(Path(n)))
    return count


def nothing_scanned(
    inputs: Inputs, files: list[str], errors: list[InputError], root: Path
) -> list[InputError]:
    """Input errors for named directories that yielded nothing to judge: no Terraform, no chart,
    no Kubernetes object (an Ansible playbook or a workflow file alone is not something to
    scan). A file that was read but failed is not "nothing": its error says so. YAML files named
    one by one are another matter: pre-commit passes every staged one (workflows,
    ``.pre-commit-config.yaml``), and those are read and ignored without a word."""
    touched = set(files) | {e.path for e in errors if e.level == "error"}
    out: list[InputError] = []
    for directory in inputs.named_dirs:
        base = rel(directory, root).rstrip("/")
        inside = [f for f in touched if base in (".", "") or f == base or f.startswith(base + "/")]
        if not inside and not any(e.path == str(directory) for e in errors):
            out.append(InputError(
                str(directory), f"{NOTHING_TO_SCAN}: no Terraform, Helm chart or Kubernetes object here "
                "(YAML that is neither a chart, a values file nor a manifest is not scanned)"))  # fmt: skip
    return out


def _follow_dir(directory: Path, tree: Path, seen: set[Path], found: Inputs, root: Path) -> bool:
    """Whether the walk descends into ``directory`` (a symlink may point outside or loop)."""
    try:
        real = directory.resolve(strict=True)
    except (OSError, RuntimeError):
        found.errors.append(
            InputError(
                _rel_link(directory, root),
                "symlinked directory skipped: it cannot be resolved",
                level="warning",
            )
        )
        return False
    if directory.is_symlink() and real != tree and tree not in real.parents:
        found.errors.append(
            InputError(
                _rel_link(directory, root),
                f"symlinked directory skipped: it points outside the scanned tree ({real})",
                level="warning",
            )
        )
        return False
    if real in seen:
        return False  # already walked through another path (or a symlink loop)
    seen.add(real)
    return True


def _rel_link(path: Path, root: Path) -> str:
    """A symlink's own path relative to ``root`` (not its target's)."""
    try:
        return path.absolute().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _siblings(path: Path, known: list[Path], skip: Callable[[Path], bool] | None) -> list[Path]:
    """The Terraform files beside a named file (its module's context), minus skipped ones."""
    return [
        p for p in sorted(path.parent.iterdir()) if is_tf(p) and p not in known and not (skip and skip(p))
    ]


def _without_bad_links(files: list[Path], root: Path, errors: list[InputError]) -> list[Path]:
    """Drop symlinks that loop, dangle or lead to something other than a regular file, each
    reported under its own name (resolving it would name ``/dev/zero`` instead of ``z.tf``)."""
    import stat

    kept = []
    for f in files:
        if f.is_symlink():
            try:
                mode = f.stat().st_mode
                from scanner.guards.safe_io import _kind

                problem = None if stat.S_ISREG(mode) else f"symbolic link to {_kind(mode)}, not a file"
            except (OSError, RuntimeError) as exc:
                loop = isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == 40
                problem = "symbolic link loop" if loop else "dangling symbolic link"
            if problem is not None:
                errors.append(InputError(rel(f.parent, root).rstrip("/") + "/" + f.name, problem))
                continue
        kept.append(f)
    return kept


def run_scan(paths: list[Path], options: ScanOptions | None = None) -> tuple[ScanResult, set[str]]:
    """Scan ``paths`` and return the result plus the literal secret values seen (for redaction)."""
    options = options or ScanOptions()
    root = scan_root(paths)
    settings = options.settings
    skip = settings.skips_path if settings is not None and settings.skip_paths else None
    inputs = discover(paths, root, skip)
    # The Terraform source (HCL parser, evaluator, parse cache) is imported and set up only for a
    # scan that has Terraform: charts and manifests alone never need it.
    cache: ParseCache | None = None
    if inputs.tf or inputs.plans:
        from scanner.sources.terraform import TerraformLoad
        from scanner.sources.terraform.parsing import ParseCache

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
            workspace=options.workspace,
        )
        if inputs.tf
        else None
    )
    if settings is not None:  # raises ConfigError for unknown rule ids or parameters
        try:
            rules, rule_errors = settings.load_rules(options.cache_dir)
        except Exception:
            _abandon(tf_load)
            raise
    else:
        rules, rule_errors = load_rules(options.policy_dir, options.cache_dir)
    known_ids = (settings.available_ids if settings is not None else set()) or {r.id for r in rules}
    if options.rule_ids is not None:
        rules = [r for r in rules if r.id in set(options.rule_ids)]
    errors = list(options.setup_errors) + list(inputs.errors) + rule_errors
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
    if inputs.skipped:
        errors += _skip_notes(inputs, settings, root)
    errors += nothing_scanned(inputs, files, errors, root)
    if inputs.named is not None:
        # Single-file mode: siblings and chart values are context, not scanned files; the summary
        # counts the files named.
        files = [f for f in files if safe_resolve(root / f) in inputs.named]
    # Tenancy-level facts (event rules, compartments...) hang on one tenancy per root and plan.
    resources += tenancy_resources(resources, root, settings, errors)
    # One notion of "secret" for every source: the reporters' (secret-like names, sensitive values).
    secrets = {value for res in resources for value in secret_values(res)}
    findings, engine_errors = evaluate_rules(rules, resources)
    findings = collapse_environments(findings)
    errors += engine_errors
    # Accepted risks: inline comments, config waivers, then the baseline. Expired ones are warned.
    errors += apply_suppressions(
        findings, root, settings, options.baseline, known_ids=known_ids, files=sorted(set(files))
    )
    result = ScanResult(
        rules=rules,
        findings=findings,
        errors=errors,
        root=str(root),
        inputs=sorted(set(files)),
        source_categories=categories,
        strict=options.strict,
        resource_count=sum(1 for r in resources if r.kind != "file"),
        secret_values=secrets,
        benchmark=settings.benchmark if settings is not None else None,
    )
    return result, secrets


def _skip_notes(inputs: Inputs, settings: Settings | None, root: Path) -> list[InputError]:
    """"N files skipped by skip_paths in .ocisec.yaml" (a note), and an input error when that
    left nothing at all to scan: a pull request that adds ``skip_paths: ["**"]`` must not turn
    the gate green."""
    config = getattr(settings, "config_file", None)
    where = rel(Path(config), root) if config else "the configuration"
    count = f"{inputs.skipped} file{'s' if inputs.skipped != 1 else ''}"
    out = [InputError(where, f"{count} skipped by skip_paths in {where}", level="note")]
    # Files named one by one (pre-commit passes the changed ones) may all be skipped: that is
    # the configuration working. A directory left with nothing is a gate that checks nothing.
    left = inputs.tf or inputs.plans or inputs.yaml or inputs.stdin
    if (inputs.dir_skipped or inputs.named_dirs) and not left:
        out.append(InputError(where, f"{NOTHING_TO_SCAN}: every file was skipped ({count} skipped by "
                                     f"skip_paths in {where})"))  # fmt: skip
    return out


def _abandon(load: TerraformLoad | None) -> None:
    """Stop the parse started for a scan that will not run (bad configuration): queued files
    are dropped rather than parsed only to be thrown away."""
    pool = getattr(getattr(load, "first", None), "pool", None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def _overlay_config_locations(
    resources: list[Resource], plan: Path, root: Path, cache: ParseCache | None
) -> None:
    """Point plan resources at their ``.tf`` block and attribute lines when the configuration
    beside the plan declares them (matched by address without instance keys)."""
    tf_files = sorted(p for p in plan.parent.iterdir() if is_tf(p)) if plan.parent.is_dir() else []
    if not tf_files:
        return
    from scanner.sources.terraform import load_terraform

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
