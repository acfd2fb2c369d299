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
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.guards.limits import LIMITS
from scanner.model import Finding, InputError, Location, Provenance, Resource, Status
from scanner.sources.helm.chartdata import files_read_by_templates, template_reading
from scanner.sources.helm.charts import (
    STANDALONE_VALUES,
    VALUES_OVERRIDE,
    ValuesFile,
    chart_services,
    chart_workloads,
    library_notes,
    lift_defaults,
    merge_values,
    read_values_file,
    scan_templates,
    validate_schema,
    values_resource,
)
from scanner.sources.helm.kustomize import KustomizePatches
from scanner.sources.helm.manifests import TEMPLATE_SYNTAX, has_manifest_markers, load_manifest_text
from scanner.sources.helm.packaged import (
    PackagedChart,
    missing_dependencies_note,
    packaged_subcharts,
    version_accepts,
    version_mismatches,
)
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
    readers: dict[Path, list[tuple[str, str]]] = {}  # chart -> files its templates read
    patches = KustomizePatches(root)
    for f in yaml_files:
        resolved = Path(os.path.abspath(f))
        chart = _owning_chart(resolved, chart_set)
        if chart is not None:
            relative = resolved.relative_to(chart)
            if relative.parts[0] == "templates":
                # Go templates, never parsed as YAML; but a PEM key written into one is found
                # (OCI-SEC-007 reads every file) and literal Secret data too (charts.py)
                rel_path = _rel(resolved, root)
                out.files.append(rel_path)
                out.resources.append(_file_resource(rel_path, resolved))
                continue
            if relative.parent == Path(".") and (
                resolved.name in _CHART_OWN_FILES or STANDALONE_VALUES.match(resolved.name)
            ):
                continue  # the chart's own files: Chart.yaml, values, requirements
            if relative.parts[0] == "tests" and len(relative.parts) > 1:
                # the chart's own test suites and the renderings they expect (headlamp's
                # tests/expected_templates, helm-unittest suites): what the chart's CI compares,
                # never applied to a cluster; a PEM key in them is still found (OCI-SEC-007)
                rel_path = _rel(resolved, root)
                out.files.append(rel_path)
                out.resources.append(_file_resource(rel_path, resolved))
                continue
            if relative.parts[0] == "files" and len(relative.parts) > 1:
                # files/ is data the templates embed (`.Files.Get`), not objects applied as they
                # are; still a file, so a PEM key written there is found (OCI-SEC-007)
                rel_path = _rel(resolved, root)
                out.files.append(rel_path)
                out.resources.append(_file_resource(rel_path, resolved))
                continue
            if relative.parts[0] in ("ci", "charts") or relative.parts[0].startswith("."):
                # ci/ values are test inputs, not environments; charts/ holds subcharts
                continue
            if chart not in readers:
                readers[chart] = files_read_by_templates(chart)
            reader = template_reading(relative.as_posix(), readers[chart])
            if reader is not None:
                # data a template embeds with `.Files.Get` (kubescape's assets/): not a manifest
                _load_chart_data(resolved, root, out, reader)
                continue
            # A manifest beside Chart.yaml or under manifests/, crds/...: applied as it is
        _load_yaml_file(f, root, out, standalone_values=chart is None, patch=patches.is_patch(resolved))
    vendored: dict[Path, list[Path]] = {}  # parent chart -> its charts/<sub> charts
    for c in charts:
        if c.parent.name == "charts" and c.parent.parent in chart_set:
            vendored.setdefault(c.parent.parent, []).append(c)
    subcharts = {c for subs in vendored.values() for c in subs}
    for chart in charts:
        if chart not in subcharts:
            _load_chart(chart, root, values_files, render, out, vendored.get(chart, []))
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


def _read_or_report(path: Path, rel_path: str, out: KubernetesResult) -> str | None:
    """The text of ``path``; None, with an input error naming the file (and line), when it
    cannot be read as YAML text (too large, not UTF-8, ...)."""
    try:
        return read_yaml_text(path)
    except YamlInputError as exc:
        out.errors.append(InputError(rel_path, exc.message, exc.line))
        return None


def _load_chart_data(path: Path, root: Path, out: KubernetesResult, reader: str) -> None:
    """A chart file (not under templates/) that the template ``reader`` reads with ``.Files``:
    chart data, neither a manifest nor a template to render first (kubescape's
    ``assets/*-cronjob-full.yaml``, CronJob bodies written with ``{{ .Values.x }}``). Its template
    syntax is a note naming the reader, never an input error; it stays a file, so a PEM key
    written in it is found (OCI-SEC-007)."""
    rel_path = _rel(path, root)
    text = _read_or_report(path, rel_path, out)
    if text is None:
        return
    if TEMPLATE_SYNTAX.search(text):
        what = f"chart data that {reader} reads with .Files: not a manifest, not checked as one"
        line = next((n for n, ln in enumerate(text.splitlines(), 1) if "{{" in ln), None)
        out.errors.append(InputError(rel_path, what, line, level="note"))
    out.files.append(rel_path)
    out.resources.append(_file_resource(rel_path, path))


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


_CHART_OWN_FILES = {"Chart.yaml", "Chart.lock", "requirements.yaml", "requirements.lock"}


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


def _load_yaml_file(
    path: Path, root: Path, out: KubernetesResult, standalone_values: bool, patch: bool = False
) -> None:
    """A manifest, or a standalone values file; ``patch``: a kustomization names the file as a
    patch (``kustomize.py``), so its objects are partial."""
    rel_path = _rel(path, root)
    text = _read_or_report(path, rel_path, out)
    if text is None:
        return
    if has_manifest_markers(text):
        before = len(out.resources)
        resources, errors = load_manifest_text(text, rel_path, _rel(path.parent, root) or ".", patch=patch)
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
        out.resources += values_resource(chart, rel_path, "base", vf.data, vf.locations, None, anchor)
        out.files.append(rel_path)
        out.resources.append(_file_resource(rel_path, path))


def _chart_meta(chart: Path) -> dict[str, Any]:
    """``Chart.yaml`` as data (its name and dependencies); {} when it cannot be read (the
    chart is still judged by its directory name)."""
    try:
        from scanner.sources.helm.yamlmarks import load_yaml_documents

        docs = load_yaml_documents(read_yaml_text(chart / "Chart.yaml"))
        meta = next((d.data for d in docs if isinstance(d.data, dict)), {})
        if (chart / "requirements.yaml").is_file() and "dependencies" not in meta:
            # Helm 2 charts list their dependencies in requirements.yaml
            req = load_yaml_documents(read_yaml_text(chart / "requirements.yaml"))
            if req and isinstance(req[0].data, dict):
                meta = {**meta, "dependencies": req[0].data.get("dependencies")}
        return meta
    except YamlInputError:
        return {}


def _chart_name(chart: Path) -> str:
    name = _chart_meta(chart).get("name")
    return name if isinstance(name, str) and name else chart.name


@dataclass
class _Dependency:
    """A subchart as its parent declares it: values under ``alias`` (or its name), rendered when
    ``condition`` holds, vendored under ``charts/`` or fetched from a repository."""

    name: str
    alias: str
    condition: str | None
    directory: Path | None  # the vendored chart, when it is in the repository
    # Where a user finds it, relative to the scan root, when that is not the directory's own path:
    # a packaged subchart unpacked in a private directory is `parent/charts/etcd-12.0.18.tgz/etcd`.
    shown: str | None = None


def _dependencies(
    meta: dict[str, Any], subcharts: list[Path], packaged: list[PackagedChart] | None = None
) -> list[_Dependency]:
    """The parent's dependencies matched with the charts under its ``charts/``, as helm matches
    them: by the name in the subchart's own Chart.yaml (not its directory or archive file name),
    and, for a packaged one, a version the declared range accepts; an archive that matches no
    declaration is rendered by helm under its own name, like an undeclared directory."""
    vendored = {_chart_name(c): c for c in subcharts}
    shown: dict[str, str] = {}
    for p in packaged or []:
        # A directory and an archive of the same chart: helm loads both and keeps whichever it
        # meets first in a Go map (no fixed order); the directory, the one people edit, is read
        # here, and the note (packaged_subcharts) says so.
        if p.name not in vendored:
            vendored[p.name] = p.directory
            shown[p.name] = p.shown
    versions = {p.name: p.version for p in packaged or []}
    deps: list[_Dependency] = []
    declared = meta.get("dependencies") if isinstance(meta.get("dependencies"), list) else []
    for d in declared:
        if not isinstance(d, dict) or not isinstance(d.get("name"), str):
            continue
        alias = d.get("alias") if isinstance(d.get("alias"), str) and d.get("alias") else d["name"]
        condition = d.get("condition") if isinstance(d.get("condition"), str) else None
        name = d["name"]
        if name in shown and not version_accepts(d.get("version"), versions.get(name)):
            deps.append(_Dependency(name, alias, condition, None))  # helm: not this archive
            continue
        deps.append(_Dependency(name, alias, condition, vendored.pop(name, None), shown.get(name)))
    # Vendored charts the parent does not declare are still rendered by helm, under their name,
    # unless a declared dependency of that name (its alias, or its name when it has none) is
    # switched off: helm then drops every chart of that name, an archive of a version the range
    # does not accept included (pkg/chartutil/dependencies.go, k8sgpt-operator's interplex).
    named = {d.alias: d.condition for d in reversed(deps)}
    deps += [_Dependency(n, n, named.get(n), c, shown.get(n)) for n, c in sorted(vendored.items())]
    return deps


def _condition_holds(condition: str | None, values: dict[str, Any]) -> bool:
    """A dependency's ``condition`` (comma-separated paths, the first one set decides)."""
    for path in (condition or "").split(","):
        value: Any = values
        for seg in path.strip().split("."):
            value = value.get(seg) if isinstance(value, dict) else None
        if isinstance(value, bool):
            return value
    return True


def _slice(data: dict[str, Any], located: dict[str, Location], key: str) -> tuple[dict[str, Any], dict]:
    """The values a parent sets for one subchart (under its alias), plus ``global``, with the
    parent's lines."""
    sub = data.get(key) if isinstance(data.get(key), dict) else {}
    out = dict(sub)
    if isinstance(data.get("global"), dict):
        out["global"] = {**(sub.get("global") or {}), **data["global"]}
    cut = len(key) + 1
    loc = {p[cut:]: where for p, where in located.items() if p.startswith(key + ".")}
    loc.update({p: where for p, where in located.items() if p == "global" or p.startswith("global.")})
    return out, loc


def _load_chart(
    chart: Path,
    root: Path,
    extra: list[Path],
    render: bool,
    out: KubernetesResult,
    subcharts: list[Path] | None = None,
) -> None:
    chart_rel = _rel(chart, root)
    meta = _chart_meta(chart)
    name = meta["name"] if isinstance(meta.get("name"), str) and meta["name"] else chart.name
    templates = scan_templates(chart)
    for template, reason in templates.unreadable.items():
        prefix = f"{chart_rel}/" if chart_rel not in ("", ".") else ""
        out.errors.append(InputError(f"{prefix}{template}", f"template not read: {reason}"))
    files: list[tuple[str, Path]] = []
    for candidate in sorted(chart.iterdir()):
        m = VALUES_OVERRIDE.match(candidate.name)
        # Not only regular files: a FIFO or device named like values is refused by name when
        # read (read_regular_file), never skipped in silence.
        if m and not candidate.is_dir() and m.group("env") != "schema":  # values.schema.yaml is a schema
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
    # A packaged subchart (charts/*.tgz) is unpacked privately and read as a vendored directory;
    # a chart without a charts/ directory costs one stat.
    packaged = packaged_subcharts(chart, chart_rel, subcharts or [], out.errors)
    deps = _dependencies(meta, subcharts or [], packaged)
    # A library that renders this chart's objects and is not here: said once, never a silent pass
    names = [d.name for d in deps]
    vendored = frozenset(d.name for d in deps if d.directory is not None)
    said: set[str] = set()  # dependencies a library note already names: not said twice
    for loader, message in library_notes(templates, base.data, names, vendored):
        where = f"{chart_rel}/{loader.template}" if chart_rel not in ("", ".") else loader.template
        out.errors.append(InputError(where, message, loader.line, level="note"))
        named = re.search(r"\(dependency ([^)]*)\)", message)
        said.update(named.group(1).split(", ") if named else ())
    if packaged:
        out.errors += version_mismatches(meta, packaged)
        # an archive of the chart at a version the dependency does not accept: said there
        said.update(d.name for d in deps if d.directory is None and any(p.name == d.name for p in packaged))
    subs = {d.alias: _load_subchart(d, root, out.errors) for d in deps if d.directory is not None}
    for sub in subs.values():
        # A packaged subchart's templates are files of the chart too, as a vendored directory's
        # are (OCI-SEC-007 reads every file): at their path inside the archive.
        for shown, path in sub.archive_files() if sub is not None else ():
            out.files.append(shown)
            out.resources.append(_file_resource(shown, path))
    unfetched: list[str] = []  # dependencies helm would render that are not here
    for env, layers in environments:
        data, located = base.data, dict(base.locations)
        current = base
        for layer in layers:
            data, located = merge_values(current, loaded[layer])
            current = ValuesFile(loaded[layer].path, data, located)
        fallback = loaded[layers[-1]].path if layers else base.path
        # a fault of the schema itself is the same in every environment: said once
        out.errors += [
            e for e in validate_schema(chart, chart_rel, env, data, located, fallback) if e not in out.errors
        ]
        env_anchor = Location(fallback, 1, 1) if layers else anchor
        data, located = lift_defaults(data, located, templates.defaults_key)
        resources = values_resource(name, chart_rel, env, data, located, templates, env_anchor)
        # A vendored subchart's values are judged with the subchart (below), not twice; those of
        # one switched off here stay with the parent (a password shipped there is still shipped).
        on = {d.alias for d in deps if _condition_holds(d.condition, data)}
        resources[0].attributes["subcharts"] = sorted(a for a in subs if a in on)
        out.resources += resources
        for dep in deps:
            if not _condition_holds(dep.condition, data):
                continue
            values, where = _slice(data, located, dep.alias)
            sub_name = f"{name}/{dep.alias}"
            if dep.directory is None and dep.name not in unfetched and dep.name not in said:
                unfetched.append(dep.name)
            sub = subs.get(dep.alias)
            if sub is not None:
                _judge_subchart(out, sub_name, dep.name, sub, env, values, where, fallback)
            elif dep.alias in data:
                # Not in the repository: the parent's values for it are all there is to judge,
                # read by the values' conventions (`controller.replicaCount`).
                out.resources += chart_workloads(
                    sub_name, chart_rel, env, values, where, None, env_anchor, False, chart_name=dep.name
                )
                out.resources += chart_services(sub_name, chart_rel, env, values, where, None, env_anchor)
        if render:
            _render(chart, chart_rel, name, env, [p for p in [base_path] if p] + layers, out)
    if unfetched:
        out.errors.append(missing_dependencies_note(chart_rel, unfetched))


@dataclass
class _Subchart:
    """A vendored or packaged subchart, read: its own values and templates, and its own
    subcharts (under its ``charts/``, directories or archives) with their dependencies."""

    rel: str
    base: ValuesFile
    templates: Any
    deps: list[_Dependency]
    subs: dict[str, _Subchart | None]
    directory: Path | None = None  # set when unpacked from an archive
    packaged: bool = False

    def archive_files(self) -> list[tuple[str, Path]]:
        """(shown path, unpacked path) of the template files of this subchart and its nested
        ones that came out of an archive (a directory's are found by the walk)."""
        out: list[tuple[str, Path]] = []
        if self.packaged and self.directory is not None and (self.directory / "templates").is_dir():
            for path in sorted((self.directory / "templates").rglob("*")):
                if path.is_file() and not path.is_symlink():
                    out.append((f"{self.rel}/{path.relative_to(self.directory).as_posix()}", path))
        for sub in self.subs.values():
            out += sub.archive_files() if sub is not None else []
        return out


# Subcharts of subcharts of ...: a bound on the recursion (archives are bounded by
# max_archive_depth; this bounds directories nested in a repository too).
_MAX_SUBCHART_DEPTH = 4


def _load_subchart(
    dep: _Dependency, root: Path, errors: list[InputError], depth: int = 1
) -> _Subchart | None:
    """A vendored subchart's own values, templates and nested subcharts, or None when its values
    cannot be read."""
    assert dep.directory is not None
    sub_rel = dep.shown or _rel(dep.directory, root)
    names = ("values.yaml", "values.yml")
    path = next((dep.directory / n for n in names if (dep.directory / n).is_file()), None)
    try:
        empty = ValuesFile(f"{sub_rel}/values.yaml", {}, {})
        base = read_values_file(path, f"{sub_rel}/{path.name}") if path else empty
    except YamlInputError:
        return None
    deps: list[_Dependency] = []
    charts_dir = dep.directory / "charts"
    if depth < _MAX_SUBCHART_DEPTH and charts_dir.is_dir():
        directories = sorted(
            c
            for c in charts_dir.iterdir()
            if c.is_dir() and c.suffix != ".tgz" and c.name[0] not in "_." and (c / "Chart.yaml").is_file()
        )
        packaged = packaged_subcharts(dep.directory, sub_rel, directories, errors)
        for d in _dependencies(_chart_meta(dep.directory), directories, packaged):
            if d.directory is None or _chart_meta(d.directory).get("type") == "library":
                continue  # helm renders no library chart; a fetched one is not here
            # where a user finds it: under this subchart's path (inside the archive, if it is one)
            d.shown = d.shown or f"{sub_rel}/charts/{d.directory.name}"
            deps.append(d)
    subs = {d.alias: _load_subchart(d, root, errors, depth + 1) for d in deps}
    packaged = dep.shown is not None and ".tgz/" in dep.shown
    return _Subchart(sub_rel, base, scan_templates(dep.directory), deps, subs, dep.directory, packaged)


def _judge_subchart(
    out: KubernetesResult,
    name: str,
    chart_name: str,
    sub: _Subchart,
    env: str,
    values: dict[str, Any],
    where: dict[str, Location],
    fallback: str,
) -> None:
    """Evaluate one subchart with the values its parent gives it (``values``, at the parent's
    lines), then its own subcharts with theirs, as ``parent/alias/alias2[env]``."""
    merged, merged_loc = merge_values(sub.base, ValuesFile(fallback, values, where))
    resources = values_resource(
        name,
        sub.rel,
        env,
        merged,
        merged_loc,
        sub.templates,
        Location(sub.base.path, 1, 1),
        chart_name=chart_name,
    )
    on = [d for d in sub.deps if _condition_holds(d.condition, merged) and sub.subs.get(d.alias) is not None]
    if on and resources:
        resources[0].attributes["subcharts"] = sorted(d.alias for d in on)
    out.resources += resources
    for d in on:
        nested = sub.subs[d.alias]
        assert nested is not None
        nested_values, nested_where = _slice(merged, merged_loc, d.alias)
        _judge_subchart(out, f"{name}/{d.alias}", d.name, nested, env, nested_values, nested_where, fallback)


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
    same values line (a mistake in the base ``values.yaml``, inherited), keep the first and name
    every environment in its message. A value an environment file sets or overrides has its own
    line there, so it stays a finding of its own, with its own fingerprint."""
    kept: list[Finding] = []
    first: dict[tuple, int] = {}
    also: dict[int, list[str]] = {}
    for f in findings:
        res = f.resource
        chart_finding = res.kind in ("helm.values", "helm.workload")
        if not chart_finding or f.status is not Status.FAILED or f.location is None:
            kept.append(f)
            continue
        env = str(res.context.get("environment"))
        subject = res.address[: -len(f"[{env}]")] if res.address.endswith(f"[{env}]") else res.address
        key = (f.rule_id, res.kind, subject, f.location.file, f.location.start_line, f.attribute)
        if key in first:
            also.setdefault(first[key], []).append(env)
            continue
        first[key] = len(kept)
        kept.append(f)
    for i, envs in also.items():
        f = kept[i]
        env = str(f.resource.context.get("environment"))
        kept[i] = dataclasses.replace(f, message=f"{f.message} [environments: {', '.join([env, *envs])}]")
    return kept
