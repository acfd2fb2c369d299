"""The normalized resource model shared by every source, the engine and the reporters.

Every source (Terraform HCL, Terraform plan JSON, Kubernetes/Helm, live OCI) yields ``Resource``
objects whose ``attributes`` use the Terraform provider's attribute names, so one rule serves all.
Nested blocks are lists of dicts (as in plan JSON); values that cannot be resolved statically are
``Unknown``.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Unknown:
    """A value that cannot be known before apply (or was not collected).

    ``nonnull`` says the value is certainly present (e.g. the ``id`` of a managed resource), so
    "is it set?" can still be answered. ``ref`` names the resource address a reference points at
    (``oci_kms_key.app``) so cross-resource checks can follow it. ``symbol`` is a normalized
    rendering of the expression, used to tell two unknowns apart (``ads[0]`` vs ``ads[1]``).
    """

    reason: str
    nonnull: bool = False
    ref: str | None = None
    symbol: str | None = None

    def __repr__(self) -> str:  # keeps reports short and never shows an underlying value
        return f"<unknown: {self.reason}>"


def is_unknown(value: Any) -> bool:
    """True when ``value`` is an ``Unknown``."""
    return isinstance(value, Unknown)


@dataclass(frozen=True)
class Location:
    """A span of lines in one file; ``file`` is relative to the scan root, POSIX separators."""

    file: str
    start_line: int
    end_line: int


@dataclass
class Provenance:
    """Where a resource came from.

    File-based sources fill ``location`` (the whole block) and ``attribute_locations`` keyed by
    concrete attribute path (``placement_configs.1.availability_domain``). Live sources fill
    ``ocid``, ``region`` and ``compartment_id`` instead.
    """

    source: str  # "terraform" | "terraform-plan" | "kubernetes" | "helm" | "oci"
    location: Location | None = None
    attribute_locations: dict[str, Location] = field(default_factory=dict)
    ocid: str | None = None
    region: str | None = None
    compartment_id: str | None = None

    def locate(self, path: str | None) -> Location | None:
        """The location of ``path`` or of its nearest located ancestor, else of the block."""
        while path:
            loc = self.attribute_locations.get(path)
            if loc is not None:
                return loc
            path = path.rpartition(".")[0]
        return self.location


@dataclass
class Resource:
    """One object under audit.

    ``kind``: a Terraform resource type for OCI objects (``oci_objectstorage_bucket``), or one of
    ``provider.oci``, ``variable``, ``file`` (a scanned file), and later ``k8s.<Kind>``.
    ``address``: stable identity (``module.net.oci_core_subnet.app[0]``, ``var.db_password``,
    an OCID for live objects). ``context`` carries facts about the surroundings that rules may
    need but that are not attributes:

    - ``scope``: the Terraform root, plan file or snapshot the resource belongs to; cross-resource
      checks join only within one scope (``ResourceIndex.same_scope``);
    - ``module``: ``""`` or the module address; ``region``: the provider's region when known;
    - plan JSON adds ``config_address``, ``expression_references`` (attribute path -> references
      in the configuration), ``sensitive_values`` and, on variables, ``plan_value``;
    - ``file`` resources carry ``abs_path`` for checks that read raw text;
    - ``unknown_expansion``: the reason, on a stand-in for instances whose ``count`` / ``for_each``
      is unknown (it may stand for none): every rule reports unknown on it;
    - Terraform variables carry ``assigned_to``: the arguments that take them directly.
    """

    kind: str
    address: str
    attributes: dict[str, Any]
    provenance: Provenance
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The last segment of the address (``app[0]`` for ``oci_core_subnet.app[0]``)."""
        return self.address.rpartition(".")[2]


class Severity(enum.StrEnum):
    """Rule severity; ordered from most to least severe."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """4 for critical down to 1 for low."""
        return {"critical": 4, "high": 3, "medium": 2, "low": 1}[self.value]


class Status(enum.StrEnum):
    """Outcome of one rule on one resource."""

    PASSED = "passed"
    FAILED = "failed"
    UNKNOWN = "unknown"  # could not be decided statically; fails only under --strict


@dataclass
class Finding:
    """The result of one rule on one resource (passed results are kept for JUnit and counts)."""

    rule_id: str
    status: Status
    resource: Resource
    message: str
    location: Location | None  # the offending attribute, or the block when it is missing
    attribute: str | None = None  # concrete attribute path that decided the result
    # Further places that belong to this finding: the callers of a module whose code is at
    # ``location``, or the ``.tf`` line that declares a live object.
    related: list[Location] = field(default_factory=list)
    suppression: Suppression | None = None  # set when an accepted risk covers this finding


# The justification a baseline gives the findings it accepts; reporters tell baselined findings apart by it.
BASELINE_JUSTIFICATION = "accepted in baseline"


@dataclass(frozen=True)
class Suppression:
    """Why a finding is accepted: an inline comment (``in_source``) or a config waiver / baseline
    (``external``). An expired one no longer suppresses; it is kept to say so."""

    kind: str  # "in_source" | "external"
    justification: str
    expires: str | None = None  # ISO date
    origin: str | None = None  # "file:line" of the comment, or the config / baseline file


@dataclass
class InputError:
    """An input that could not be read or parsed; the scan goes on without it."""

    path: str  # file (relative to scan root) or API call that failed
    message: str
    line: int | None = None
    # "error": the input was not (fully) read — exit 2; "warning"/"note": said in every format
    # but the scan is complete (a broken sibling file in pre-commit mode, unresolved modules).
    level: str = "error"


_INSTANCE_KEY = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|[^\]"]*)\]')


def strip_instance_keys(address: str) -> str:
    """``module.a["x"].oci_core_subnet.s[0]`` -> ``module.a.oci_core_subnet.s``: the address of
    the declaration, the same in HCL, plan and state."""
    return _INSTANCE_KEY.sub("", address) if "[" in address else address


# --- Rule metadata and the result of a scan: the contract every reporter reads -------------------

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
    # Benchmark recommendations the rule judges: {id, version, control, level, profile, coverage?}
    # (``scanner.model.benchmarks`` has the recommendations themselves).
    benchmarks: list[dict[str, Any]] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)  # name -> effective value
    parameter_docs: dict[str, str] = field(default_factory=dict)
    examples: dict[str, str] = field(default_factory=dict)  # "pass"/"fail" -> HCL snippet
    tags: list[str] = field(default_factory=list)
    source_file: str = ""
    # The text report's first screen: ``failure`` heads a failed finding (the title names the
    # passing state), ``fix`` is the one-sentence Fix: line. Empty when a policy has none.
    failure: str = ""
    fix: str = ""

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
    # Self-description, so results can be merged and compared later: tool version, time, and
    # for live audits tenancy / regions.
    metadata: dict[str, Any] = field(default_factory=dict)
    # Literal values of the scanned resources' secret-like attributes, collected once by the scan
    # (reporters mask them; a result read back from JSON has none and is collected afresh).
    secret_values: set[str] = field(default_factory=set, repr=False, compare=False)
    # The --fail-on threshold the exit code is decided with: the text headline says which
    # findings decide it.
    fail_on: str = "low"
    # Source lines around located findings, for the text report: "file:start:end" -> [(line
    # number, text)], secrets masked. Read by the workflow (scanner.workflow.snippets), since
    # reporters never re-read input; empty when not asked for (--compact, other formats).
    snippets: dict[str, list[tuple[int, str]]] = field(default_factory=dict, repr=False, compare=False)
    # ``--benchmark cis-oci-3.0``: the reports add a compliance section for this benchmark.
    benchmark: str | None = None

    @property
    def input_errors(self) -> list[InputError]:
        """Errors that make the scan incomplete (exit code 2)."""
        return [e for e in self.errors if e.level == "error"]

    def by_status(self, status: Status) -> list[Finding]:
        """Findings with the given status that no accepted risk covers (suppressed ones are in
        ``suppressed``), in report order."""
        return [f for f in self.findings if f.status is status and f.suppression is None]

    @property
    def failed(self) -> list[Finding]:
        """Findings that count as failures: failed, plus unknown under --strict; never suppressed."""
        bad = {Status.FAILED, Status.UNKNOWN} if self.strict else {Status.FAILED}
        return [f for f in self.findings if f.status in bad and f.suppression is None]

    @property
    def suppressed(self) -> list[Finding]:
        """Failed or unknown findings an inline comment, waiver or baseline accepts."""
        return [f for f in self.findings if f.suppression is not None and f.status is not Status.PASSED]

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)
