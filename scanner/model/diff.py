"""What ``ocisec diff`` hands the reporters: each side, and every failing finding's state between them.

The comparison itself is ``scanner.workflow.diff``; the rendering is ``scanner.report.diff_report``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from scanner.model import Finding, InputError, Rule, ScanResult, Severity


class State(StrEnum):
    """What happened to one failing finding between OLD and NEW."""

    NEW = "new"
    FIXED = "fixed"
    PERSISTING = "persisting"
    UNDECIDED = "undecided"  # failing in OLD, unknown in NEW: not fixed, not failing
    ACCEPTED = "accepted"  # failing in OLD, suppressed in NEW: accepted, not fixed


@dataclass
class DiffEntry:
    """One finding of the diff. ``finding`` comes from NEW, except for fixed and undecided
    entries, where it is OLD's (NEW has no failing finding to show); ``rule`` likewise. An
    accepted entry is NEW's finding, with the suppression that accepts it."""

    state: State
    finding: Finding
    rule: Rule
    side: str  # "old" | "new": the result ``finding`` belongs to


@dataclass
class Side:
    """One input of the diff."""

    label: str  # the path as given
    kind: str  # "json" | "snapshot"
    result: ScanResult


@dataclass
class DiffResult:
    """The comparison, ready for the reporters (``scanner.report.diff_report``)."""

    old: Side
    new: Side
    entries: list[DiffEntry]
    unknown: list[DiffEntry] = field(default_factory=list)  # NEW's undecided results, not failing
    # Results before OLD, oldest first, given for the trend only (``ocisec diff R1 R2 ... OLD NEW``).
    earlier: list[Side] = field(default_factory=list)
    # Audits given --state on both sides: drift and unmanaged objects compared
    # (scanner.model.cloud.CloudChanges); None otherwise.
    cloud: Any = None

    @property
    def history(self) -> list[Side]:
        """Every result of the trend, oldest first, ending with OLD and NEW."""
        return [*self.earlier, self.old, self.new]

    def of(self, state: State) -> list[DiffEntry]:
        """Entries in ``state``, in report order (most severe first, then file, address)."""
        return [e for e in self.entries if e.state is state]

    @property
    def errors(self) -> list[tuple[str, InputError]]:
        """Input errors and notices of both sides, labelled ``old`` / ``new``."""
        return [("old", e) for e in self.old.result.errors] + [("new", e) for e in self.new.result.errors]

    @property
    def incomplete(self) -> bool:
        """True when a side could not read all of its inputs (exit code 2)."""
        return bool(self.old.result.input_errors or self.new.result.input_errors)

    def counts(self) -> dict[str, int]:
        """Number of entries per state, plus ``unknown``."""
        counts = {state.value: 0 for state in State}
        for entry in self.entries:
            counts[entry.state.value] += 1
        counts["unknown"] = len(self.unknown)
        return counts

    def new_at_or_above(self, severity: Severity) -> list[DiffEntry]:
        """New failing findings at or above ``severity`` (what makes the exit code 1)."""
        return [e for e in self.of(State.NEW) if e.rule.severity.rank >= severity.rank]
