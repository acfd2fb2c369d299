"""Code and cloud side by side: drift between a managed object and its configuration, and the
live objects no Terraform state manages."""

from __future__ import annotations

from dataclasses import dataclass, field

from scanner.model import Location

# A rule that passes in code and fails live: the cloud was changed outside Terraform.
FAILS_LIVE = "fails_live"
# A rule that fails in code and passes live: fixed by hand; the code still has the problem.
FIXED_LIVE = "fixed_live"


@dataclass
class Drift:
    """One rule whose outcome on a managed object differs between code and cloud.

    ``code_value`` / ``live_value`` are display strings of the attribute the rule names (a secret
    attribute shows as ``(secret, not shown)``). ``location`` is the ``.tf`` block or attribute,
    ``live_location`` the object's line in the snapshot, when there is one.
    """

    rule_id: str
    direction: str  # FAILS_LIVE | FIXED_LIVE
    address: str  # the Terraform resource address
    ocid: str  # the live object
    kind: str
    attribute: str | None
    code_value: str
    live_value: str
    message: str
    location: Location | None = None
    live_location: Location | None = None
    region: str | None = None
    compartment_id: str | None = None


@dataclass
class UnmanagedResource:
    """A live object no state given to the audit manages (made in the console, by a script, or
    by a Terraform root that was not given), with the rules it fails."""

    kind: str
    ocid: str
    name: str | None
    compartment_id: str | None
    region: str | None
    failing: list[str] = field(default_factory=list)
    location: Location | None = None
