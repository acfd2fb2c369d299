"""The result of ``ocisec parity``: environments compared rule by rule and resource by resource."""

from __future__ import annotations

from dataclasses import dataclass, field

from scanner.model import InputError, Location, Rule


@dataclass
class Environment:
    """One environment as given (``prod=envs/prod.tfvars``): what it is and how much it holds."""

    name: str
    path: str
    kind: str  # "directory" | "tfvars" | "helm-values" | "snapshot"
    resources: int = 0
    inputs: list[str] = field(default_factory=list)


@dataclass
class EnvironmentOutcome:
    """A rule on one logical resource in one environment: ``status`` is passed, failed, unknown,
    absent (no such resource there) or not_applicable (the rule does not apply there)."""

    environment: str
    status: str
    address: str | None
    location: Location | None
    message: str | None = None
    attribute: str | None = None


@dataclass
class RuleDifference:
    """A rule that passes on a logical resource in one environment and fails in another."""

    rule_id: str
    key: str
    kind: str
    outcomes: list[EnvironmentOutcome]

    @property
    def passing(self) -> list[str]:
        """Environments where the rule passes."""
        return [o.environment for o in self.outcomes if o.status == "passed"]

    @property
    def failing(self) -> list[str]:
        """Environments where the rule fails."""
        return [o.environment for o in self.outcomes if o.status == "failed"]


@dataclass
class PresenceDifference:
    """A logical resource present in some environments and absent from others."""

    key: str
    kind: str
    present: dict[str, str]  # environment -> address there
    absent: list[str]
    locations: dict[str, Location | None] = field(default_factory=dict)


@dataclass
class ParityResult:
    """Everything the parity reporters need."""

    environments: list[Environment]
    rules: list[Rule]
    differences: list[RuleDifference]
    presence: list[PresenceDifference]
    errors: list[InputError]
    root: str
    name_patterns: list[str] = field(default_factory=list)

    @property
    def input_errors(self) -> list[InputError]:
        """Errors that make the comparison incomplete (exit code 2)."""
        return [e for e in self.errors if e.level == "error"]

    def rule(self, rule_id: str) -> Rule | None:
        """The rule with this id, if it ran."""
        return next((r for r in self.rules if r.id == rule_id), None)
