"""Helm charts and Kubernetes manifests as a source.

``load_kubernetes`` takes the YAML files discovery found (plus ``-`` for stdin) and returns
``Resource`` objects: ``helm.values`` per chart and environment (``charts.py``) and ``k8s.<Kind>``
per manifest object (``manifests.py``), with their input errors. Chart templates are never
parsed as YAML; with ``render=True`` and ``helm`` on PATH each chart environment is also rendered
with ``helm template`` and the output scanned as manifests.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from scanner.guards.limits import LIMITS
from scanner.model import Finding, InputError, Location, Provenance, Resource, Status
from scanner.sources.helm.charts import (
    STANDALONE_VALUES,
    VALUES_OVERRIDE,
    ValuesFile,
    merge_values,
    read_values_file,
    scan_templates,
    validate_schema,
    values_resource,
)
from scanner.sources.helm.manifests import has_manifest_markers, load_manifest_text
from scanner.sources.helm.yamlmarks import YamlInputError, read_yaml_text

STDIN = "-"
STDIN_NAME = "<stdin>"
RENDER_TIMEOUT_SECONDS = 60


def is_yaml(path: Path) -> bool:
    """A YAML file discovery hands to this source."""
    return path.suffix in (".yaml", ".yml")


@dataclass
class KubernetesResult:
    """What the Helm / Kubernetes source produced."""

    resources: list[Resource] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


def _rel(path: Path, root: Path) -> str:
    # String operations, not Path.resolve: no lstat of every path component of thousands of files
    absolute = os.path.abspath(path)
    base = str(root).rstrip(os.sep) + os.sep
    if absolute.startswith(base):
        absolute = absolute[len(base) :]
    elif absolute == str(root):
        return "."
    return absolute.replace(os.sep, "/")


def load_kubernetes(
    yaml_files: list[Path],
    root: Path,
    values_files: list[Path] | None = None,
    render: bool = False,
    stdin: bool = False,
    stdin_text: str | None = None,
) -> KubernetesResult:
    """Charts, standalone values files and manifests among ``yaml_files`` (and stdin)."""
    out = KubernetesResult()
    values_files = values_files or []
    # A chart is found by its Chart.yaml, or by a values file or template named on the command
    # line (pre-commit passes the changed files): the chart is what gets judged.
    charts = sorted({Path(os.path.abspath(c)) for f in yaml_files if (c := _chart_of(f)) is not None})
    chart_set = set(charts)
    for f in yaml_files:
        resolved = Path(os.path.abspath(f))
        chart = _owning_chart(resolved, chart_set)
        if chart is not None:
            relative = resolved.relative_to(chart)
            if relative.parts[0] == "templates" or relative.parent == Path("."):
                continue  # templates are Go templates; root files are the chart's own
            if relative.parts[0] not in ("crds",):
                continue  # ci/ values, vendored files: not environments, not manifests
        _load_yaml_file(f, root, out, standalone_values=chart is None)
    for chart in charts:
        _load_chart(chart, root, values_files, render, out)
    if stdin or stdin_text is not None:
        text = stdin_text if stdin_text is not None else read_stdin()
        if text is None:
            out.errors.append(
                InputError(
                    STDIN_NAME,
                    f"standard input is larger than max_file_bytes={LIMITS.max_file_bytes}; not read "
                    "(raise it with --limit max_file_bytes=N)",
                )
            )
        else:
            resources, errors = load_manifest_text(text, STDIN_NAME, STDIN_NAME, "kubernetes")
            out.resources += resources
            out.errors += errors
        out.files.append(STDIN_NAME)
    kinds = {r.kind for r in out.resources}
    if "helm.values" in kinds:
        out.categories.append("helm")
    if any(k.startswith("k8s.") for k in kinds):
        out.categories.append("kubernetes")
    return out


def read_stdin() -> str | None:
    """Standard input (``scan -``), at most ``max_file_bytes``; None when there is more (``yes |
    ocisec scan -`` must stop, not fill the memory). Invalid UTF-8 is replaced, as a pipe from
    ``helm template`` is text."""
    limit = LIMITS.max_file_bytes
    stream = getattr(sys.stdin, "buffer", None)
    if stream is not None:
        data = stream.read(limit + 1)
        return None if len(data) > limit else data.decode("utf-8", errors="replace")
    text = sys.stdin.read(limit + 1)
    return None if len(text.encode("utf-8", errors="replace")) > limit else text


def _chart_of(path: Path) -> Path | None:
    """The chart directory ``path`` declares (Chart.yaml) or belongs to as a values file or a
    template; None for anything else (the walk finds each chart's Chart.yaml anyway)."""
    if path.name == "Chart.yaml":
        return path.parent
    if STANDALONE_VALUES.match(path.name) and (path.parent / "Chart.yaml").is_file():
        return path.parent
    for parent in path.parents:
        if parent.name == "templates":
            return parent.parent if (parent.parent / "Chart.yaml").is_file() else None
    return None


def _owning_chart(path: Path, charts: set[Path]) -> Path | None:
    for parent in path.parents:
        if parent in charts:
            return parent
    return None


def _file_resource(rel_path: str, abs_path: Path) -> Resource:
    prov = Provenance("kubernetes", Location(rel_path, 1, 1))
    return Resource("file", rel_path, {"path": rel_path}, prov, {"abs_path": str(abs_path), "scope": ""})


def _load_yaml_file(path: Path, root: Path, out: KubernetesResult, standalone_values: bool) -> None:
    rel_path = _rel(path, root)
    try:
        text = read_yaml_text(path)
    except YamlInputError as exc:
        out.errors.append(InputError(rel_path, exc.message, exc.line))
        return
    if has_manifest_markers(text):
        before = len(out.resources)
        resources, errors = load_manifest_text(text, rel_path, _rel(path.parent, root) or ".")
        out.resources += resources
        out.errors += errors
        if len(out.resources) > before or errors:
            out.files.append(rel_path)
            out.resources.append(_file_resource(rel_path, path))
            return
    if standalone_values and STANDALONE_VALUES.match(path.name):
        try:
            vf = read_values_file(path, rel_path)
        except YamlInputError as exc:
            out.errors.append(InputError(rel_path, exc.message, exc.line))
            return
        stem = path.name.rsplit(".", 1)[0]
        chart = stem.replace("values", "").strip("-_.") or path.parent.name
        anchor = Location(rel_path, 1, 1)
        out.resources.append(values_resource(chart, rel_path, "base", vf.data, vf.locations, None, anchor))
        out.files.append(rel_path)
        out.resources.append(_file_resource(rel_path, path))


def _chart_name(chart: Path) -> str:
    try:
        from scanner.sources.helm.yamlmarks import load_yaml_documents

        docs = load_yaml_documents(read_yaml_text(chart / "Chart.yaml"))
        if docs and isinstance(docs[0].data, dict) and isinstance(docs[0].data.get("name"), str):
            return docs[0].data["name"]
    except YamlInputError:
        pass
    return chart.name


def _load_chart(chart: Path, root: Path, extra: list[Path], render: bool, out: KubernetesResult) -> None:
    chart_rel = _rel(chart, root)
    name = _chart_name(chart)
    templates = scan_templates(chart)
    for template, reason in templates.unreadable.items():
        prefix = f"{chart_rel}/" if chart_rel not in ("", ".") else ""
        out.errors.append(InputError(f"{prefix}{template}", f"template not read: {reason}"))
    files: list[tuple[str, Path]] = []
    for candidate in sorted(chart.iterdir()):
        m = VALUES_OVERRIDE.match(candidate.name)
        # Not only regular files: a FIFO or device named like values is refused by name when
        # read (read_regular_file), never skipped in silence.
        if m and not candidate.is_dir():
            files.append((m.group("env"), candidate))
    base_path = next((chart / n for n in ("values.yaml", "values.yml") if (chart / n).is_file()), None)
    loaded: dict[Path, ValuesFile] = {}
    for path in [p for p in [base_path] if p] + [p for _, p in files] + list(extra):
        rel_path = _rel(path, root)
        try:
            loaded[path] = read_values_file(path, rel_path)
        except YamlInputError as exc:
            out.errors.append(InputError(rel_path, exc.message, exc.line))
            continue
        out.files.append(rel_path)
        out.resources.append(_file_resource(rel_path, path))
    base = loaded.get(base_path) if base_path else None
    if base_path is not None and base is None:
        return  # the base values could not be read: no environment can be evaluated
    base = base or ValuesFile(f"{chart_rel}/values.yaml", {}, {})
    environments: list[tuple[str, list[Path]]] = [("base", [])]
    environments += [(env, [p]) for env, p in files if p in loaded]
    if extra and all(p in loaded for p in extra):
        environments.append(("+".join(p.name.rsplit(".", 1)[0] for p in extra), list(extra)))
    anchor = Location(base.path, 1, 1)
    for env, layers in environments:
        data, located = base.data, dict(base.locations)
        current = base
        for layer in layers:
            data, located = merge_values(current, loaded[layer])
            current = ValuesFile(loaded[layer].path, data, located)
        fallback = loaded[layers[-1]].path if layers else base.path
        out.errors += validate_schema(chart, chart_rel, env, data, located, fallback)
        env_anchor = Location(fallback, 1, 1) if layers else anchor
        out.resources.append(values_resource(name, chart_rel, env, data, located, templates, env_anchor))
        if render:
            _render(chart, chart_rel, name, env, [p for p in [base_path] if p] + layers, out)


def _render(
    chart: Path, chart_rel: str, name: str, env: str, layers: list[Path], out: KubernetesResult
) -> None:
    """Render one chart environment with ``helm template`` and scan the output as manifests."""
    helm = shutil.which("helm")
    if helm is None:
        if env == "base":
            out.errors.append(
                InputError(
                    chart_rel,
                    "--render: helm is not on PATH; rendering skipped, "
                    "the chart is judged through its values",
                    level="note",
                )
            )
        return
    cmd = [helm, "template", name, str(chart)]
    for layer in layers:
        cmd += ["--values", str(layer)]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=RENDER_TIMEOUT_SECONDS, check=False
        )  # noqa: S603
    except subprocess.TimeoutExpired:
        out.errors.append(
            InputError(chart_rel, f"helm template timed out after {RENDER_TIMEOUT_SECONDS} s ({env})")
        )
        return
    except OSError as exc:
        out.errors.append(InputError(chart_rel, f"helm template could not run: {exc.strerror or exc}"))
        return
    if proc.returncode != 0:
        first = (proc.stderr or "").strip().splitlines()[:1]
        detail = first[0][:200] if first else f"exit code {proc.returncode}"
        out.errors.append(InputError(chart_rel, f"helm template failed ({env}): {detail}"))
        return
    label = f"{chart_rel}/templates (rendered, {env})"
    resources, errors = load_manifest_text(proc.stdout, label, f"helm-render:{chart_rel}:{env}", "helm")
    for res in resources:
        res.context["environment"] = env
        res.address = f"{res.address}[{env}]"
    out.resources += resources
    out.errors += errors


def collapse_environments(findings: list[Finding]) -> list[Finding]:
    """One failing finding per mistake: when several environments of a chart fail a rule at the
    same values line (a mistake in the base ``values.yaml``), keep the first and name every
    environment in its message."""
    kept: list[Finding] = []
    first: dict[tuple, int] = {}
    also: dict[int, list[str]] = {}
    for f in findings:
        res = f.resource
        if res.kind != "helm.values" or f.status is not Status.FAILED or f.location is None:
            kept.append(f)
            continue
        key = (f.rule_id, res.context.get("chart"), f.location.file, f.location.start_line, f.attribute)
        if key in first:
            also.setdefault(first[key], []).append(str(res.context.get("environment")))
            continue
        first[key] = len(kept)
        kept.append(f)
    for i, envs in also.items():
        f = kept[i]
        env = str(f.resource.context.get("environment"))
        kept[i] = dataclasses.replace(f, message=f"{f.message} [environments: {', '.join([env, *envs])}]")
    return kept
