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
    compartment_path: str | None = None  # "(root)/apps": the compartment as a person reads it


@dataclass
class CloudChanges:
    """What ``ocisec diff`` says about two audits given ``--state``: drift that appeared, was
    resolved or persists (matched by rule, Terraform address and direction), and live objects
    that became unmanaged or are no longer (imported into a state, or deleted)."""

    drift_new: list[Drift] = field(default_factory=list)
    drift_resolved: list[Drift] = field(default_factory=list)
    drift_persisting: list[Drift] = field(default_factory=list)
    unmanaged_new: list[UnmanagedResource] = field(default_factory=list)
    unmanaged_gone: list[UnmanagedResource] = field(default_factory=list)
    unmanaged_persisting: list[UnmanagedResource] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Sizes of every category, for summaries."""
        return {
            "drift_new": len(self.drift_new),
            "drift_resolved": len(self.drift_resolved),
            "drift_persisting": len(self.drift_persisting),
            "unmanaged_new": len(self.unmanaged_new),
            "unmanaged_gone": len(self.unmanaged_gone),
            "unmanaged_persisting": len(self.unmanaged_persisting),
        }


def drift_key(d: Drift) -> tuple[str, str, str]:
    """The identity of a drift across audits (its values may change; the drift is the same)."""
    return (d.rule_id, d.address, d.direction)


def compare_cloud(
    old_drift: list[Drift],
    new_drift: list[Drift],
    old_unmanaged: list[UnmanagedResource],
    new_unmanaged: list[UnmanagedResource],
) -> CloudChanges:
    """Match drift by ``drift_key`` and unmanaged objects by OCID."""
    old_d = {drift_key(d): d for d in old_drift}
    new_d = {drift_key(d): d for d in new_drift}
    old_u = {u.ocid: u for u in old_unmanaged}
    new_u = {u.ocid: u for u in new_unmanaged}
    return CloudChanges(
        drift_new=[d for k, d in new_d.items() if k not in old_d],
        drift_resolved=[d for k, d in old_d.items() if k not in new_d],
        drift_persisting=[d for k, d in new_d.items() if k in old_d],
        unmanaged_new=[u for k, u in new_u.items() if k not in old_u],
        unmanaged_gone=[u for k, u in old_u.items() if k not in new_u],
        unmanaged_persisting=[u for k, u in new_u.items() if k in old_u],
    )
