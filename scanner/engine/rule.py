"""Rule metadata as loaded from ``policies/*.yaml``, and the result of a whole scan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scanner.model import Finding, InputError, Severity, Status

HELP_URI_BASE = "https://github.com/ocisec/ocisec/blob/main/docs/rules.md"


@dataclass
class Target:
    """What a rule inspects: resource kinds, an optional applicability condition, and the
    condition a compliant resource satisfies (declarative dict, see docs/policy-language.md)."""

    resources: list[str]
    condition: dict[str, Any]
    when: dict[str, Any] | None = None


@dataclass
class Rule:
    """One policy: metadata for humans and reporters, targets for the engine."""

    id: str
    title: str
    severity: Severity
    category: str
    rationale: str
    remediation: str
    targets: list[Target]
    message: str  # failure message; "{address}" is replaced by the resource address
    references: list[dict[str, str]] = field(default_factory=list)  # {framework, id, title?, url?}
    parameters: dict[str, Any] = field(default_factory=dict)  # name -> effective value
    parameter_docs: dict[str, str] = field(default_factory=dict)
    examples: dict[str, str] = field(default_factory=dict)  # "pass"/"fail" -> HCL snippet
    tags: list[str] = field(default_factory=list)
    source_file: str = ""

    @property
    def resource_kinds(self) -> list[str]:
        """Every kind any target of this rule inspects, in order, without repeats."""
        seen: dict[str, None] = {}
        for target in self.targets:
            for kind in target.resources:
                seen.setdefault(kind, None)
        return list(seen)

    @property
    def help_uri(self) -> str:
        """Where the rule's documentation lives."""
        return f"{HELP_URI_BASE}#{self.id.lower()}"


@dataclass
class ScanResult:
    """Everything the reporters need: rules that ran, findings (all statuses) and input errors."""

    rules: list[Rule]
    findings: list[Finding]
    errors: list[InputError]
    root: str  # absolute scan root; locations are relative to it
    inputs: list[str] = field(default_factory=list)  # scanned files, relative to root
    source_categories: list[str] = field(default_factory=list)  # e.g. ["terraform"]
    strict: bool = False
    resource_count: int = 0

    def by_status(self, status: Status) -> list[Finding]:
        """Findings with the given status, in report order."""
        return [f for f in self.findings if f.status is status]

    @property
    def failed(self) -> list[Finding]:
        """Findings that count as failures: failed, plus unknown under --strict."""
        bad = {Status.FAILED, Status.UNKNOWN} if self.strict else {Status.FAILED}
        return [f for f in self.findings if f.status in bad]

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)
