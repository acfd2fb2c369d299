"""``ocisec parity ENV=PATH ...``: are the environments the same where they should be?

Each environment is evaluated on its own (a Terraform root, a tfvars set on one root, a Helm values
file of a chart, or an ``ocisec-inventory`` snapshot). Resources are matched across environments by
a *logical key*: the address with everything environment-specific taken out (each environment's
name where it appears as a word of the address, the ``[environment]`` of a Helm values resource,
and whatever ``--name-pattern`` matches); live objects, whose OCIDs differ per environment, are
keyed by type and display name. Then:

- a **rule difference** is a rule that passes on a logical resource in one environment and fails
  on it in another ("production has CMK encryption, dev does not");
- a **presence difference** is a logical resource present in some environments and absent in
  others.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from scanner.engine.engine import evaluate_rules
from scanner.model import Finding, InputError, Resource, Rule, Status
from scanner.model.parity import (
    Environment,
    EnvironmentOutcome,
    ParityResult,
    PresenceDifference,
    RuleDifference,
)

# Kinds that are not resources of an environment but inputs or files.
NOT_RESOURCES = {"file", "variable", "provider.oci"}
SNAPSHOT_PREFIX = "ocisec-inventory/"
# Live objects a tenancy has exactly one of: matched by kind, whatever their OCID.
TENANCY_SINGLETONS = {"oci_identity_tenancy", "oci_cloud_guard_cloud_guard_configuration"}


class ParityUsageError(ValueError):
    """An ``ENV=PATH`` argument that cannot be used; the message says why."""


@dataclass
class EnvironmentSpec:
    """One ``ENV=PATH`` argument, classified."""

    name: str
    path: Path
    kind: str  # "tfvars" | "helm-values" | "snapshot" | "directory"
    chart: Path | None = None  # helm-values: the chart the values file is for


def parse_environment(arg: str, chart: Path | None = None) -> EnvironmentSpec:
    """``prod=envs/prod.tfvars`` -> an ``EnvironmentSpec``; raises ``ParityUsageError``."""
    name, sep, raw = arg.partition("=")
    if not sep or not name or not raw:
        raise ParityUsageError(f"{arg!r}: expected ENV=PATH (e.g. prod=envs/prod.tfvars)")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name):
        raise ParityUsageError(f"{arg!r}: an environment name is letters, digits, '.', '_' or '-'")
    path = Path(raw)
    if not path.exists():
        raise ParityUsageError(f"{raw}: no such file or directory (environment {name})")
    if path.is_dir():
        return EnvironmentSpec(name, path, "directory")
    if path.name.endswith((".tfvars", ".tfvars.json")):
        return EnvironmentSpec(name, path, "tfvars")
    if path.suffix in (".yaml", ".yml"):
        if (path.parent / "Chart.yaml").is_file():
            return EnvironmentSpec(name, path, "helm-values", path.parent)
        if chart is not None and (chart / "Chart.yaml").is_file():
            return EnvironmentSpec(name, path, "helm-values", chart)
        raise ParityUsageError(
            f"{raw}: a Helm values file must sit in its chart (beside Chart.yaml), or name it with --chart"
        )
        return EnvironmentSpec(name, path, "helm-values")
    if path.suffix == ".json" and _is_snapshot(path):
        return EnvironmentSpec(name, path, "snapshot")
    raise ParityUsageError(
        f"{raw}: not a Terraform root or tfvars file, a chart's values file or an ocisec-inventory snapshot"
    )


def _is_snapshot(path: Path) -> bool:
    from scanner.guards.safe_io import UnreadableInput, read_regular_file

    try:
        head = read_regular_file(path, 4096, truncate=True).decode("utf-8", "replace")
    except UnreadableInput:
        return False
    return SNAPSHOT_PREFIX in head


@dataclass
class Evaluated:
    """One environment evaluated: its resources, the rules' findings on them, its errors."""

    resources: list[Resource] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)


def evaluate_environment(
    spec: EnvironmentSpec,
    rules: list[Rule],
    root: Path,
    tfvars_root: Path | None = None,
    workspace: str | None = None,
) -> Evaluated:
    """Evaluate ``rules`` on one environment (every source by the same engine, no suppression:
    parity compares what the configurations say, not what was accepted)."""
    out = Evaluated()
    if spec.kind == "snapshot":
        from scanner.sources.oci.mapping import snapshot_resources
        from scanner.sources.oci.snapshot import SnapshotError, load_snapshot

        try:
            snapshot = load_snapshot(spec.path)
        except SnapshotError as exc:
            out.errors.append(InputError(str(spec.path), str(exc)))
            return out
        out.resources = snapshot_resources(snapshot, _rel(spec.path, root))
        out.inputs.append(_rel(spec.path, root))
    elif spec.kind == "helm-values":
        out = _helm_environment(spec, root)
    else:
        from scanner.sources.helm import load_kubernetes
        from scanner.sources.terraform import load_terraform
        from scanner.workflow.scan import discover

        base = spec.path if spec.kind == "directory" else (tfvars_root or spec.path.parent)
        inputs = discover([base], root)
        out.errors += [e for e in inputs.errors]
        var_files = [spec.path] if spec.kind == "tfvars" else []
        if inputs.tf:
            tf = load_terraform(inputs.tf, root, var_files, workspace=workspace)
            out.resources += tf.resources
            out.errors += tf.errors
            out.inputs += tf.files
        if inputs.yaml and spec.kind == "directory":
            kube = load_kubernetes(inputs.yaml, root, [], False, False, None)
            out.resources += kube.resources
            out.errors += kube.errors
            out.inputs += kube.files
        if var_files:
            out.inputs.append(_rel(spec.path, root))
    findings, errors = evaluate_rules(rules, out.resources)
    out.findings += findings
    out.errors += errors
    return out


def helm_environment_name(values_file: Path) -> str:
    """``values.yaml`` -> ``base``; ``values-production.yaml`` -> ``production`` (the chart
    source's names for its environments)."""
    stem = values_file.name.rsplit(".", 1)[0]
    if stem == "values":
        return "base"
    return stem.removeprefix("values-")


def _helm_environment(spec: EnvironmentSpec, root: Path) -> Evaluated:
    """One environment of a chart: a values file of the chart's own (``values.yaml``,
    ``values-<env>.yaml``), or any values file layered on the chart's ``values.yaml`` (``--chart``),
    as ``ocisec scan CHART --values FILE`` reads it."""
    from scanner.sources.helm import load_kubernetes

    out = Evaluated()
    chart = spec.chart or spec.path.parent
    files = sorted(p for p in chart.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    own = spec.path.parent.resolve() == chart.resolve() and (
        spec.path.name.startswith("values-") or spec.path.name in ("values.yaml", "values.yml")
    )
    kube = load_kubernetes(files, root, [] if own else [spec.path], False, False, None)
    out.errors += kube.errors
    # Every resource of the environment: its values and what the chart's templates make of them
    # (workloads); the chart's files themselves are the same in every environment.
    per_env = [r for r in kube.resources if r.kind.startswith("helm.") and r.context.get("environment")]
    if own:
        wanted = helm_environment_name(spec.path)
    else:
        # The layered file is the one environment the chart's own files do not make.
        chart_own = {"base"} | {helm_environment_name(p) for p in files if p.name.startswith("values-")}
        extra = {r.context.get("environment") for r in per_env} - chart_own
        wanted = extra.pop() if len(extra) == 1 else spec.path.name
    keep = [r for r in per_env if r.context.get("environment") == wanted]
    if not any(r.kind == "helm.values" for r in keep):
        out.errors.append(
            InputError(_rel(spec.path, root), f"no Helm environment {wanted!r} in chart {_rel(chart, root)}")
        )
        keep = []
    # The environment is the whole of this ENV=PATH: its name is not part of the identity.
    out.resources = [dataclasses.replace(r, context=dict(r.context, environment_of_spec=True)) for r in keep]
    out.inputs = [_rel(spec.path, root)]
    return out


def _rel(path: Path, root: Path) -> str:
    from scanner.sources.terraform import rel

    return rel(path, root)


_SEPARATORS = re.compile(r"([._-])[._-]+")


def logical_key(res: Resource, env_names: list[str], patterns: list[re.Pattern[str]]) -> str:
    """The identity of ``res`` across environments (see the module docstring)."""
    if res.kind.startswith("helm."):
        # A chart's environment resources (values, workloads) are named "<chart>[<env>]...":
        # the environment's part goes when it is the environment being compared.
        env = res.context.get("environment")
        address = res.address
        if env and (env in env_names or env == "base" or res.context.get("environment_of_spec")):
            address = address.replace(f"[{env}]", "")
        key = f"{res.kind}.{address}"
    elif res.provenance.source == "oci":
        name = res.attributes.get("display_name") or res.attributes.get("name")
        if res.kind in TENANCY_SINGLETONS:  # one per tenancy: the kind is the identity
            key = res.kind
        elif isinstance(name, str) and name:
            key = f"{res.kind}.{name}"
        elif "/" in res.address and res.address.startswith("ocid1."):
            # A part or stand-in named under its parent's OCID (``<lb>/listeners/https``, a type
            # not collected): the OCID differs per environment, the rest does not.
            key = f"{res.kind}.{res.address.split('/', 1)[1]}"
        else:
            key = res.address
    else:
        key = res.address
    for env in sorted(env_names, key=len, reverse=True):
        key = re.sub(rf"(?i)(?<![A-Za-z0-9]){re.escape(env)}(?![A-Za-z0-9])", "", key)
    for pattern in patterns:
        key = pattern.sub("", key)
    # A run of separators left by a removal keeps the strongest: "net_.vcn" -> "net.vcn".
    key = _SEPARATORS.sub(lambda m: "." if "." in m.group(0) else m.group(1), key)
    return key.strip("._-") or res.address


def _outcome(findings: list[Finding]) -> Status:
    statuses = {f.status for f in findings}
    if Status.FAILED in statuses:
        return Status.FAILED
    if statuses == {Status.PASSED}:
        return Status.PASSED
    return Status.UNKNOWN


def compare_environments(
    specs: list[EnvironmentSpec],
    evaluated: list[Evaluated],
    rules: list[Rule],
    root: Path,
    patterns: list[re.Pattern[str]],
) -> ParityResult:
    """Match logical resources across the evaluated environments and report the differences."""
    from scanner.report.redact import Redactor, clean_text, secret_values

    names = [s.name for s in specs]
    redactor = Redactor()
    resources: dict[str, dict[str, list[Resource]]] = defaultdict(dict)  # key -> env -> resources
    outcomes: dict[tuple[str, str], dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    kinds: dict[str, str] = {}
    errors: list[InputError] = []
    environments: list[Environment] = []
    for spec, ev in zip(specs, evaluated, strict=True):
        errors += ev.errors
        count = 0
        keys_of: dict[int, str] = {}
        for res in ev.resources:
            if res.kind in NOT_RESOURCES:
                continue
            for value in secret_values(res):
                redactor.add(value)
            key = logical_key(res, names, patterns)
            keys_of[id(res)] = key
            resources[key].setdefault(spec.name, []).append(res)
            kinds.setdefault(key, res.kind)
            count += 1
        for f in ev.findings:
            key = keys_of.get(id(f.resource))
            if key is not None:
                outcomes[(f.rule_id, key)][spec.name].append(f)
        environments.append(
            Environment(spec.name, _rel(spec.path, root), spec.kind, count, sorted(set(ev.inputs)))
        )

    def shown(text: str) -> str:
        return clean_text(redactor.scrub(text))

    differences: list[RuleDifference] = []
    for (rule_id, key), by_env in outcomes.items():
        statuses = {env: _outcome(fs) for env, fs in by_env.items()}
        if Status.PASSED not in statuses.values() or Status.FAILED not in statuses.values():
            continue
        rows = []
        for env in names:
            fs = by_env.get(env)
            if fs is None:
                present = resources[key].get(env)
                status = "not_applicable" if present else "absent"
                address = present[0].address if present else None
                rows.append(EnvironmentOutcome(env, status, shown(address) if address else None, None, None))
                continue
            st = statuses[env]
            lead = next((f for f in fs if f.status is st), fs[0])
            rows.append(
                EnvironmentOutcome(
                    env,
                    st.value,
                    shown(lead.resource.address),
                    lead.location,
                    shown(lead.message) if st is not Status.PASSED else None,
                    lead.attribute,
                )
            )
        differences.append(RuleDifference(rule_id, shown(key), kinds[key], rows))
    presence: list[PresenceDifference] = []
    for key, by_env in resources.items():
        missing = [env for env in names if env not in by_env]
        if missing and len(missing) < len(names):
            present = {env: shown(rs[0].address) for env, rs in by_env.items()}
            locations = {env: rs[0].provenance.location for env, rs in by_env.items()}
            presence.append(PresenceDifference(shown(key), kinds[key], present, missing, locations))
    severity = {r.id: r.severity.rank for r in rules}
    differences.sort(key=lambda d: (-severity.get(d.rule_id, 0), d.rule_id, d.key))
    presence.sort(key=lambda p: (p.kind, p.key))
    return ParityResult(
        environments, rules, differences, presence, errors, str(root), [p.pattern for p in patterns]
    )


def run_parity(
    args: list[str],
    rules: list[Rule],
    root: Path,
    tfvars_root: Path | None = None,
    patterns: list[re.Pattern[str]] | None = None,
    workspace: str | None = None,
    chart: Path | None = None,
) -> ParityResult:
    """Parse ``ENV=PATH`` arguments, evaluate each environment and compare them. Raises
    ``ParityUsageError`` for a bad argument (fewer than two environments, a repeated name...)."""
    specs = [parse_environment(a, chart) for a in args]
    if len(specs) < 2:
        raise ParityUsageError("give at least two environments (ENV=PATH ENV=PATH ...)")
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise ParityUsageError(f"environment names must differ: {', '.join(names)}")
    evaluated = [evaluate_environment(s, rules, root, tfvars_root, workspace) for s in specs]
    return compare_environments(specs, evaluated, rules, root, list(patterns or []))
