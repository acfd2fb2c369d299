"""Where a scan's reports go, and how they look: several outputs from one scan, colour, and the
source root that SARIF paths are relative to.

``--output`` takes ``FORMAT=FILE`` (a report in that format written to FILE; ``-`` is stdout),
``FORMAT`` alone (that format on stdout) or ``FILE`` (the ``--format`` format written to FILE), so
one CI step gets its log and its SARIF from one scan:
``ocisec scan . --output sarif=results.sarif --output text``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class OutputSpec:
    """One report to produce: its format and its file (``None``: stdout)."""

    fmt: str
    path: Path | None = None


class OutputSpecError(ValueError):
    """An ``--output`` value that names an unknown format or is otherwise unusable."""


def parse_outputs(values: list[str], default_fmt: str, formats: list[str]) -> list[OutputSpec]:
    """The reports asked for by ``--output`` values (none given: ``default_fmt`` on stdout).

    Raises ``OutputSpecError`` for an unknown format or when more than one report would go to
    stdout (they would be interleaved into something no tool can read).
    """
    if not values:
        return [OutputSpec(default_fmt)]
    specs: list[OutputSpec] = []
    for value in values:
        fmt, sep, target = value.partition("=")
        if sep:
            if fmt not in formats:
                choices = ", ".join(formats)
                raise OutputSpecError(f"--output {value}: unknown format {fmt!r}; choose one of {choices}")
            if not target:
                raise OutputSpecError(f"--output {value}: no file after '='; use '{fmt}=-' for stdout")
            specs.append(OutputSpec(fmt, None if target == "-" else Path(target)))
        elif value in formats:
            specs.append(OutputSpec(value))
        else:
            specs.append(OutputSpec(default_fmt, Path(value)))
    if sum(1 for s in specs if s.path is None) > 1:
        raise OutputSpecError("only one --output can go to stdout; give the others a file (FORMAT=FILE)")
    return specs


def use_color(no_color: bool, is_tty: bool, environ: Mapping[str, str] | None = None) -> bool:
    """Whether the text report is coloured: ``--no-color`` and ``NO_COLOR`` (https://no-color.org)
    turn it off, ``FORCE_COLOR`` turns it on (for CI logs that render ANSI), else only on a terminal.
    An empty variable counts as unset, as both conventions say."""
    env = os.environ if environ is None else environ
    if no_color or env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR") and env.get("FORCE_COLOR") != "0":
        return True
    return is_tty


def git_root(path: Path) -> Path | None:
    """The top of the git work tree holding ``path`` (a ``.git`` directory, or file for worktrees
    and submodules), found without running git; ``None`` outside any repository."""
    current = path.resolve()
    if not current.is_dir():
        current = current.parent
    for candidate in (current, *current.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def source_root(paths: list[Path], explicit: Path | None, scan_root: Path) -> Path:
    """What SARIF's ``%SRCROOT%`` stands for: ``--source-root`` when given, else the git root of
    the scanned paths (so code-scanning alerts point at repository paths whatever the working
    directory), else the scan root."""
    if explicit is not None:
        return explicit.resolve()
    roots = {git_root(p) for p in paths if p.exists()}
    if len(roots) == 1 and None not in roots:
        root = roots.pop()
        assert root is not None
        return root
    return scan_root
