"""Packaged subcharts: ``charts/etcd-12.0.18.tgz``, what ``helm dependency build`` writes.

Helm reads an archive under ``charts/`` exactly like a subchart directory there, so ocisec does
too: the archive is unpacked into a private directory (``scanner.guards.safe_archive``, bounded
and refusing every trick a hostile archive can play) and handed to the Helm source as a vendored
subchart, with the path a user reads it by: ``parent/charts/etcd-12.0.18.tgz/etcd``. A values
line inside it is then ``charts/etcd-12.0.18.tgz/etcd/values.yaml:88`` in every reporter.

Helm's own rules, followed here (``pkg/chart/loader``, ``pkg/chartutil/dependencies.go``):

- entries of ``charts/`` whose name starts with ``_`` or ``.`` are ignored;
- a subchart's name is the ``name`` of its own Chart.yaml, not the archive's file name;
- a declared dependency takes the archive whose name matches and whose version its ``version``
  range accepts; an archive that matches no declaration is still rendered, under its own name;
- a directory and an archive of the same chart are both loaded, and which one helm keeps depends
  on Go's map order (none fixed): the directory is read here, and a note says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.guards.safe_archive import ArchiveError, unpack_chart_archive, unpacked_here
from scanner.model import InputError
from scanner.sources.helm.yamlmarks import YamlInputError, load_yaml_documents, read_yaml_text


@dataclass
class PackagedChart:
    """One chart archive under a parent's ``charts/``, unpacked."""

    name: str  # from the Chart.yaml inside
    version: str | None
    directory: Path  # the chart inside the private directory
    shown: str  # the chart as a user finds it: parent/charts/etcd-12.0.18.tgz/etcd
    archive: str  # parent/charts/etcd-12.0.18.tgz


def packaged_subcharts(
    chart: Path, chart_rel: str, directories: list[Path], errors: list[InputError]
) -> list[PackagedChart]:
    """The archives under ``chart/charts/``, unpacked; each refused one is an input error naming
    the archive and the member (the rest of the scan goes on). ``directories``: the subcharts
    vendored there as directories, to say when one is also packaged."""
    charts_dir = chart / "charts"
    if not charts_dir.is_dir():
        return []
    prefix = "" if chart_rel in ("", ".") else f"{chart_rel}/"
    out: list[PackagedChart] = []
    for archive in sorted(charts_dir.iterdir()):
        if archive.suffix != ".tgz" or archive.name[0] in "_.":
            continue
        shown_archive = f"{prefix}charts/{archive.name}"
        try:
            # an archive nested in an archive was unpacked with it, into a directory of its name
            unpacked = archive if unpacked_here(archive) else unpack_chart_archive(archive)
        except ArchiveError as exc:
            what = f"member {exc.member!r}: " if exc.member else ""
            errors.append(InputError(shown_archive, f"packaged subchart not read: {what}{exc.reason}"))
            continue
        tops = sorted(d for d in unpacked.iterdir() if d.is_dir() and (d / "Chart.yaml").is_file())
        if len(tops) != 1:
            errors.append(
                InputError(
                    shown_archive,
                    "packaged subchart not read: a chart archive holds one directory with a Chart.yaml "
                    f"(found {len(tops)})",
                )
            )
            continue
        meta = _meta(tops[0] / "Chart.yaml")
        name = meta.get("name") if isinstance(meta.get("name"), str) and meta.get("name") else tops[0].name
        version = str(meta["version"]) if meta.get("version") is not None else None
        out.append(PackagedChart(name, version, tops[0], f"{shown_archive}/{tops[0].name}", shown_archive))
    by_name = {_name_of(d): d for d in directories}
    for p in out:
        if p.name in by_name:
            errors.append(
                InputError(
                    p.archive,
                    f"subchart {p.name!r} is both a directory under charts/ and this archive: helm "
                    "loads both and keeps one in no fixed order; the directory is the one judged "
                    "(remove the one that is stale)",
                    level="note",
                )
            )
    return out


def _meta(path: Path) -> dict[str, Any]:
    try:
        docs = load_yaml_documents(read_yaml_text(path))
    except YamlInputError:
        return {}
    return next((d.data for d in docs if isinstance(d.data, dict)), {})


def _name_of(directory: Path) -> str:
    name = _meta(directory / "Chart.yaml").get("name")
    return name if isinstance(name, str) and name else directory.name


def missing_dependencies_note(chart_rel: str, names: list[str]) -> InputError:
    """One note per chart for the dependencies helm would render that are neither vendored nor
    packaged under ``charts/``: only the values the parent sets for them are judged."""
    where = "Chart.yaml" if chart_rel in ("", ".") else f"{chart_rel}/Chart.yaml"
    listed = ", ".join(repr(n) for n in names)
    plural = "dependencies" if len(names) > 1 else "dependency"
    return InputError(
        where,
        f"{plural} {listed} not under charts/ (neither a directory nor a .tgz): templates and "
        "defaults not judged, only the values this chart sets for it; run "
        "`helm dependency build` before scanning, or scan the rendered chart "
        "(helm template ... | ocisec scan -)",
        level="note",
    )


_VERSION = re.compile(r"^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:[-+].*)?$")
_CONSTRAINT = re.compile(r"^(=|!=|>=|<=|>|<|~>|~|\^)?\s*(.+)$")


def version_accepts(constraint: Any, version: str | None) -> bool:
    """Whether a dependency's ``version`` range (Helm's semver constraints: ``1.2.3``,
    ``~1.2``, ``^1``, ``>=1.0, <2``, ``1.x``, ``a || b``, ``1.0 - 2.0``) accepts ``version``.
    No range, or one this reading cannot parse, accepts (helm built the archive from it)."""
    if not isinstance(constraint, str) or not constraint.strip() or version is None:
        return True
    have = _parse(version)
    if have is None:
        return True
    for alternative in constraint.split("||"):
        text = re.sub(r"\s*-\s+", " - ", alternative.strip())
        hyphen = re.fullmatch(r"(\S+) - (\S+)", text)
        terms = [f">={hyphen.group(1)}", f"<={hyphen.group(2)}"] if hyphen else re.split(r"[\s,]+", text)
        results = [_term_accepts(t, have) for t in terms if t]
        if any(r is None for r in results):
            return True
        if all(results):
            return True
    return False


def _parse(text: str) -> tuple[list[int], int] | None:
    """(major, minor, patch) with wildcards as 0, and how many leading parts are fixed."""
    m = _VERSION.match(text.strip())
    if m is None:
        return None
    parts = [p for p in m.groups() if p is not None]
    fixed = next((i for i, p in enumerate(parts) if not p.isdigit()), len(parts))
    numbers = [int(p) if p.isdigit() else 0 for p in parts[:fixed]]
    return numbers + [0] * (3 - len(numbers)), fixed


def _term_accepts(term: str, have: tuple[list[int], int]) -> bool | None:
    m = _CONSTRAINT.match(term)
    parsed = _parse(m.group(2)) if m else None
    if m is None or parsed is None:
        return None
    op = m.group(1) or "="
    want, fixed = parsed
    v = have[0]
    if op in ("=", "!="):
        same = v[:fixed] == want[:fixed]
        return same if op == "=" else not same
    if op in ("~", "~>"):
        upper = [want[0], want[1] + 1, 0] if fixed >= 2 else [want[0] + 1, 0, 0]
        return want <= v < upper
    if op == "^":
        if want[0] > 0 or fixed == 1:
            upper = [want[0] + 1, 0, 0]
        elif want[1] > 0 or fixed == 2:
            upper = [0, want[1] + 1, 0]
        else:
            upper = [0, 0, want[2] + 1]
        return want <= v < upper
    return {">": v > want, "<": v < want, ">=": v >= want, "<=": v <= want}[op]


def version_mismatches(meta: dict[str, Any], packaged: list[PackagedChart]) -> list[InputError]:
    """A note per archive whose chart a declared dependency names with a version range that does
    not accept it: helm then renders the archive under its own name (an alias and the values under
    it do not apply to it; without an alias, the dependency's condition still switches it off) and
    the declared dependency is missing."""
    declared = meta.get("dependencies") if isinstance(meta.get("dependencies"), list) else []
    out: list[InputError] = []
    for d in declared:
        if not isinstance(d, dict) or not isinstance(d.get("name"), str):
            continue
        for p in packaged:
            if p.name == d["name"] and not version_accepts(d.get("version"), p.version):
                alias = d.get("alias") if isinstance(d.get("alias"), str) and d.get("alias") else p.name
                out.append(
                    InputError(
                        p.archive,
                        f"holds {p.name} {p.version}, which the dependency's version "
                        f"{str(d.get('version'))!r} does not accept: helm renders it under its own "
                        f"name {p.name!r} "
                        + (
                            f"(not as {alias!r}, whatever its condition)"
                            if alias != p.name
                            else "while the dependency's condition holds"
                        )
                        + ", and judged so; run `helm dependency build` to package the declared version",
                        level="note",
                    )
                )
    return out
