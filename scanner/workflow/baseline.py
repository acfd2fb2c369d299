"""Baselines: the findings a team has accepted as they stand, so a CI gate fails only on new ones.

A baseline file lists the SARIF fingerprint of every open finding (``scanner.report.fingerprint``:
rule, file, resource address and attribute — never line numbers, so edits elsewhere in a file
leave it valid). A finding matches an entry by its fingerprint; failing that, by rule, resource
address and attribute, one entry per finding, so a block moved to another file unchanged stays
baselined. Matched findings become suppressions of kind ``external`` whose origin is the file,
so SARIF consumers see them as suppressed results rather than losing them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scanner.model import BASELINE_JUSTIFICATION, Finding, Status, Suppression
from scanner.report.fingerprint import finding_file, fingerprint

BASELINE_FORMAT = 1


class BaselineError(Exception):
    """A baseline file that cannot be read; the message names the file."""


@dataclass
class Baseline:
    """Accepted findings, keyed by fingerprint; ``apply`` marks the matching findings."""

    path: str
    entries: list[dict[str, Any]] = field(default_factory=list)
    matched: int = 0

    @staticmethod
    def _loose_key(rule_id: str, address: str, attribute: str | None) -> tuple[str, str, str]:
        return (rule_id, address, attribute or "")

    def apply(self, findings: list[Finding]) -> int:
        """Suppress every finding the baseline holds; returns how many it matched."""
        by_print: dict[str, list[dict[str, Any]]] = defaultdict(list)
        by_key: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        for entry in self.entries:
            by_print[entry["fingerprint"]].append(entry)
            by_key[self._loose_key(entry["rule_id"], entry["resource"], entry.get("attribute"))].append(entry)
        used: set[int] = set()
        rest: list[Finding] = []
        for finding in findings:
            entry = next((e for e in by_print.get(fingerprint(finding), []) if id(e) not in used), None)
            if entry is None:
                rest.append(finding)
                continue
            used.add(id(entry))
            self._suppress(finding)
        # Second pass, only over entries no exact match took: the same problem in another file.
        for finding in rest:
            key = self._loose_key(finding.rule_id, finding.resource.address, finding.attribute)
            entry = next((e for e in by_key.get(key, []) if id(e) not in used), None)
            if entry is not None:
                used.add(id(entry))
                self._suppress(finding)
        self.matched = len(used)
        return self.matched

    def _suppress(self, finding: Finding) -> None:
        finding.suppression = Suppression(
            "external", f"{BASELINE_JUSTIFICATION} {self.path}", None, self.path
        )


def entry_of(finding: Finding) -> dict[str, Any]:
    """What the baseline keeps of a finding: identity only, never messages or values."""
    return {
        "fingerprint": fingerprint(finding),
        "rule_id": finding.rule_id,
        "resource": finding.resource.address,
        "attribute": finding.attribute,
        "file": finding_file(finding),
    }


def baseline_document(findings: list[Finding]) -> dict[str, Any]:
    """The baseline of the open (failed or unknown, not suppressed) findings."""
    from scanner import __version__

    open_findings = [f for f in findings if f.status is not Status.PASSED and f.suppression is None]
    entries = sorted(
        (entry_of(f) for f in open_findings),
        key=lambda e: (e["rule_id"], e["file"] or "", e["resource"], e["attribute"] or ""),
    )
    return {
        "ocisec_baseline": BASELINE_FORMAT,
        "tool_version": __version__,
        "created": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "findings": entries,
    }


def load_baseline(path: Path) -> Baseline:
    """Read a baseline file; ``BaselineError`` naming the file (and the JSON path of a wrong
    shape) when it is missing, too large, too deep or malformed."""
    from scanner.guards.safe_json import JsonInputError, check_schema, read_json

    try:
        doc = read_json(path)
    except JsonInputError as exc:
        raise BaselineError(f"{path}: not a baseline ({exc})") from None
    if not isinstance(doc, dict) or doc.get("ocisec_baseline") != BASELINE_FORMAT:
        raise BaselineError(
            f"{path}: not an ocisec baseline (format {BASELINE_FORMAT}); create one with "
            "`ocisec baseline create`"
        )
    try:
        check_schema(doc, _schema())
    except JsonInputError as exc:
        raise BaselineError(f"{path}: not a valid baseline at {exc}") from None
    return Baseline(str(path), doc["findings"])


_SCHEMA: dict[str, Any] = {}


def _schema() -> dict[str, Any]:
    """``baseline.schema.json``, shipped beside this module."""
    if not _SCHEMA:
        _SCHEMA.update(json.loads(Path(__file__).with_name("baseline.schema.json").read_text(encoding="utf-8")))
    return _SCHEMA
