"""Files of a chart that its templates read with ``.Files``: chart data, not manifests.

A chart ships files outside ``templates/`` that its templates embed (kubescape-operator's
``assets/kubescape-cronjob-full.yaml``, a CronJob body written with ``{{ .Values.x }}`` and put
into a ConfigMap by ``tpl (.Files.Get "assets/…") .``). Such a file is neither a manifest kubectl
applies nor a template Helm renders on its own: its template syntax is no defect of the input.
This module finds which template reads a file, so the source can say so in a note instead of
asking for the file to be rendered first. A templated file no template reads keeps its error.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from scanner.guards.limits import LIMITS
from scanner.guards.safe_io import UnreadableInput, read_regular_file

# `.Files.Get "assets/x.yaml"`, `$.Files.Glob "files/*.json"`, `.Files.Get (printf "a/%s.yaml" .n)`
_FILES_CALL = re.compile(
    r"\.Files\.(?P<fn>Get|Glob|Lines|GetBytes)\s*\(?\s*"
    r"(?:\"(?P<path>[^\"{}]*)\"|\(?\s*printf\s+\"(?P<fmt>[^\"{}]*)\")"
)
_FORMAT_VERB = re.compile(r"%[-+# 0-9.]*[svdqx]")
_TEMPLATE_SUFFIXES = (".yaml", ".yml", ".tpl", ".txt", ".json")
# Distinct paths kept per chart: every file of the chart is matched against each, so a hostile
# chart with a million `.Files.Get` calls must not make that quadratic. Paths past the cap are
# not read as chart data: their files are judged as manifests, as before (an error if templated).
MAX_READ_PATTERNS = 1000


def files_read_by_templates(chart: Path) -> list[tuple[str, str]]:
    """``(pattern, template)`` for every chart file a template under ``templates/`` reads with
    ``.Files.Get`` / ``.Glob`` / ``.Lines``: a path relative to the chart, or a glob where the
    template builds the path (``printf "assets/%s.yaml"`` -> ``assets/*.yaml``)."""
    tdir = chart / "templates"
    if not tdir.is_dir():
        return []
    found: dict[str, str] = {}  # pattern -> the first template that reads it
    for path in sorted(tdir.rglob("*")):
        if path.suffix not in _TEMPLATE_SUFFIXES or not path.is_file():
            continue
        try:  # bounded like every input
            text = read_regular_file(path, LIMITS.max_file_bytes).decode("utf-8", errors="replace")
        except UnreadableInput:
            continue  # the chart's own reading of its templates reports it
        if ".Files." not in text:
            continue
        name = path.relative_to(chart).as_posix()
        for m in _FILES_CALL.finditer(text):
            literal = m.group("path")
            pattern = literal if literal is not None else _FORMAT_VERB.sub("*", m.group("fmt"))
            pattern = pattern[2:] if pattern.startswith("./") else pattern
            if pattern and pattern not in found:
                if len(found) >= MAX_READ_PATTERNS:
                    return list(found.items())
                found[pattern] = name
    return list(found.items())


def template_reading(rel: str, readers: list[tuple[str, str]]) -> str | None:
    """The template that reads the chart file ``rel`` (relative to the chart), or None."""
    for pattern, template in readers:
        if rel == pattern or fnmatch.fnmatchcase(rel, pattern.replace("**/", "*")):
            return template
    return None
