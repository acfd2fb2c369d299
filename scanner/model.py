"""The normalized resource model shared by every source, the engine and the reporters.

Every source (Terraform HCL, Terraform plan JSON, Kubernetes/Helm, live OCI) yields ``Resource``
objects whose ``attributes`` use the Terraform provider's attribute names, so one rule serves all.
Nested blocks are lists of dicts (as in plan JSON); values that cannot be resolved statically are
``Unknown``.
"""

from __future__ import annotations

import enum
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
    - ``file`` resources carry ``abs_path`` for checks that read raw text.
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


@dataclass
class InputError:
    """An input that could not be read or parsed; the scan goes on without it."""

    path: str  # file (relative to scan root) or API call that failed
    message: str
    line: int | None = None
