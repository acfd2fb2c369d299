"""Accepted risks, applied to the engine's findings: inline comments, config waivers, baseline.

Inline comments use the syntax known from tfsec/Trivy, in any ``#`` or ``//`` comment::

    # ocisec:ignore:OCI-ENC-001 public assets, encrypted at the CDN
    # ocisec:ignore:OCI-ENC-001:exp:2027-03-31 until the key migration

on the line(s) directly above a block (the whole block, and for a ``module`` call block everything
reached through that call), or above or at the end of the line of the attribute a finding
points at. The comment is looked up in the finding's own file, through
``Location`` alone, so every file-based source (HCL, YAML values files, Kubernetes manifests)
gets it without code of its own. An expired comment or waiver no longer suppresses and is said
in a warning naming where it is. Suppressed findings are kept (``Finding.suppression``), so every
report can show them; they do not fail the scan.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from scanner.guards.limits import LIMITS
from scanner.guards.safe_io import read_regular_file
from scanner.model import Finding, InputError, Location, ScanResult, Status, Suppression, strip_instance_keys
from scanner.sources.comments import comments as comment_tokens

# One directive: rule ids (a comma list, or "*") and an optional expiry date.
_DIRECTIVE = re.compile(r"ocisec:ignore:([A-Za-z0-9_*?,-]+)(?::exp:([0-9A-Za-z-]+))?", re.IGNORECASE)


@dataclass(frozen=True)
class InlineIgnore:
    """One ``ocisec:ignore`` directive found in a comment."""

    rule: str  # upper-cased id or glob ("*", "OCI-ENC-*")
    expires: str | None
    reason: str
    file: str
    line: int

    @property
    def origin(self) -> str:
        """``file:line`` of the comment."""
        return f"{self.file}:{self.line}"

    def covers(self, rule_id: str) -> bool:
        """Whether the directive names ``rule_id`` (a glob: ``*`` names every rule)."""
        return fnmatch.fnmatchcase(rule_id.upper(), self.rule)


class _CommentIndex:
    """The ``ocisec:ignore`` directives of the files findings point at, read once per file.

    Only real comments count: the comment tokens of the file's own parser
    (``scanner.sources.comments``), never text that looks like a comment inside a YAML block
    scalar, a quoted or flow string, an HCL heredoc or string. Files are read bounded
    (``max_file_bytes``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, dict[int, list[InlineIgnore]] | None] = {}
        self._comment_lines: dict[str, set[int]] = {}

    def _load(self, file: str) -> dict[int, list[InlineIgnore]] | None:
        if file not in self._files:
            self._files[file] = None
            try:
                data = read_regular_file(self.root / file, LIMITS.max_file_bytes)
            except OSError:  # UnreadableInput too; the source reported the file already
                return None
            if b"ocisec:ignore" not in data.lower():  # the common case: one substring test per file
                return None
            found_comments = comment_tokens(file, data.decode("utf-8", errors="replace"))
            if not found_comments:
                return None
            found: dict[int, list[InlineIgnore]] = {}
            alone: set[int] = set()
            for comment in found_comments:
                if comment.alone:
                    alone.update(range(comment.line, comment.end_line + 1))
                for offset, text in enumerate(comment.text.split("\n")):
                    directives = _directives(text, file, comment.line + offset)
                    if directives:
                        found.setdefault(comment.line + offset, []).extend(directives)
            self._comment_lines[file] = alone
            self._files[file] = found
        return self._files[file]

    def _is_comment_line(self, file: str, number: int) -> bool:
        return number in self._comment_lines.get(file, ())

    def above(self, file: str, line: int) -> list[InlineIgnore]:
        """Directives in the run of comment lines directly above ``line``."""
        found = self._load(file)
        if not found:
            return []
        out: list[InlineIgnore] = []
        number = line - 1
        while number >= 1 and self._is_comment_line(file, number):
            out += found.get(number, [])
            number -= 1
        return out

    def on(self, file: str, line: int) -> list[InlineIgnore]:
        """Directives in a comment at the end of ``line``."""
        found = self._load(file)
        return list(found.get(line, [])) if found else []

    def all(self, file: str) -> list[InlineIgnore]:
        """Every directive of ``file``, in line order."""
        found = self._load(file) or {}
        return [d for line in sorted(found) for d in found[line]]


def _directives(comment: str, file: str, number: int) -> list[InlineIgnore]:
    """The directives in one line of a comment's text."""
    if "ocisec:ignore:" not in comment.lower():
        return []
    matches = list(_DIRECTIVE.finditer(comment))
    if not matches:
        return []
    reason = comment[matches[-1].end() :].strip()
    for closing in ("*/", "-->"):
        reason = reason.removesuffix(closing).strip()
    return [
        InlineIgnore(rule.upper(), m.group(2), reason, file, number)
        for m in matches
        for rule in m.group(1).split(",")
        if rule
    ]


def unknown_rule_warnings(
    files: list[str], root: Path, known_ids: set[str], comments_index: _CommentIndex | None = None
) -> list[InputError]:
    """A warning for every ``ocisec:ignore`` directive (in a real comment of ``files``) whose
    rule id or glob names no known rule: like an unknown id in the configuration or on the
    command line, a typo must not pass in silence (the finding it meant stays reported)."""
    if not known_ids:
        return []
    index = comments_index or _CommentIndex(root)
    known = {rule_id.upper() for rule_id in known_ids}
    warnings: dict[tuple[str, str], InputError] = {}
    for file in files:
        for directive in index.all(file):
            if any(directive.covers(rule_id) for rule_id in known):
                continue
            warnings.setdefault(
                (directive.origin, directive.rule),
                InputError(
                    file,
                    f"ocisec:ignore:{directive.rule} names no known rule; it suppresses nothing "
                    "(run `ocisec rules` for the ids)",
                    directive.line,
                    level="warning",
                ),
            )
    return list(warnings.values())


def _candidates(finding: Finding, comments: _CommentIndex) -> list[InlineIgnore]:
    """Directives that may cover ``finding``: above/at the block's first line, and above/at the
    end of the lines of the attribute it points at."""
    out: list[InlineIgnore] = []
    block = finding.resource.provenance.location
    spots: list[Location] = []
    if block is not None:
        spots.append(block)
    if finding.location is not None and finding.location != block:
        spots.append(finding.location)
    for spot in spots:
        out += comments.above(spot.file, spot.start_line)
        out += comments.on(spot.file, spot.start_line)
        if spot is not block and spot.end_line != spot.start_line:
            out += comments.on(spot.file, spot.end_line)
    # The module call blocks this finding was reached through: a comment above a call covers
    # what that call instantiates, and only that (another caller of the module is unaffected).
    for call in finding.related:
        out += comments.above(call.file, call.start_line)
        out += comments.on(call.file, call.start_line)
    return out


def _expiry(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def apply_suppressions(
    findings: list[Finding],
    root: Path,
    settings: object | None = None,
    baseline: object | None = None,
    today: date | None = None,
    known_ids: set[str] | None = None,
    files: list[str] | None = None,
) -> list[InputError]:
    """Set ``suppression`` on every failed or unknown finding an inline comment, a waiver of
    ``settings`` (``scanner.workflow.config.Settings``) or ``baseline``
    (``scanner.workflow.baseline.Baseline``) covers, in that order. Returns warnings: expired or
    malformed suppressions, each once, and (given ``known_ids``, the ids of every available
    rule) directives in ``files`` that name no known rule."""
    today = today or getattr(settings, "today", None) or date.today()
    comments = _CommentIndex(root)
    warnings: dict[tuple[str, str], InputError] = {}
    open_findings = [f for f in findings if f.status is not Status.PASSED and f.suppression is None]
    for finding in open_findings:
        for directive in _candidates(finding, comments):
            if not directive.covers(finding.rule_id):
                continue
            try:
                expires = _expiry(directive.expires)
            except ValueError:
                warnings[(directive.origin, "date")] = InputError(
                    directive.file,
                    f"ocisec:ignore:{directive.rule}: expiry {directive.expires!r} is not a date "
                    "(YYYY-MM-DD); the finding is reported",
                    directive.line,
                    level="warning",
                )
                continue
            if expires is not None and expires < today:
                warnings[(directive.origin, "expired")] = InputError(
                    directive.file,
                    f"ocisec:ignore:{directive.rule} expired on {expires.isoformat()}; "
                    "the finding is reported again",
                    directive.line,
                    level="warning",
                )
                continue
            finding.suppression = Suppression(
                "in_source", directive.reason or "(no reason given)", directive.expires, directive.origin
            )
            break
    waivers = list(getattr(settings, "waivers", []) or [])
    for waiver in waivers:
        if waiver.expires < today:
            warnings[(waiver.origin, "expired")] = InputError(
                _relative(waiver.file, root) if waiver.file else waiver.origin,
                f"{waiver.entry} for {waiver.rule} expired on {waiver.expires.isoformat()}; "
                "its findings are reported again",
                level="warning",
            )
    active = [w for w in waivers if w.expires >= today]
    if active:
        for finding in open_findings:
            if finding.suppression is not None:
                continue
            res = finding.resource
            addresses = [res.address, strip_instance_keys(res.address)]
            if res.provenance.ocid:
                addresses.append(res.provenance.ocid)
            file = _finding_path(finding, root)
            for waiver in active:
                if waiver.matches(finding.rule_id, addresses, file):
                    finding.suppression = Suppression(
                        "external", waiver.reason, waiver.expires.isoformat(), waiver.origin
                    )
                    break
    if baseline is not None:
        baseline.apply([f for f in open_findings if f.suppression is None])  # type: ignore[attr-defined]
    unknown = unknown_rule_warnings(files or [], root, known_ids or set(), comments)
    return list(warnings.values()) + unknown


def _relative(path: str, root: Path) -> str:
    """``path`` relative to the scan root when it lies below it (how every report names files)."""
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path


def _finding_path(finding: Finding, root: Path) -> Path | None:
    location = finding.location or finding.resource.provenance.location
    return (root / location.file) if location is not None else None


def accept_risks(result: ScanResult, settings: object | None = None, baseline: object | None = None) -> None:
    """Apply suppressions to a finished ``ScanResult`` whatever produced it (a live audit of a
    tenancy snapshot, say: its findings have no file, so waivers match by address / OCID and the
    baseline by fingerprint); warnings are added to ``result.errors``."""
    result.errors += apply_suppressions(result.findings, Path(result.root), settings, baseline)
