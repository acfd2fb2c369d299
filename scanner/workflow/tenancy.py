"""One ``oci_identity_tenancy`` resource per Terraform root and per plan, as a live snapshot has one.

Recommendations such as "an event rule notifies a topic of IAM policy changes" or "at least one
compartment exists" are facts about the tenancy, not about any one resource. Rules hang them on this
resource; the checks look for the objects in the same scope (the root with its modules, or the
plan). A root usually declares only part of a tenancy, so the checks call an absent object unknown,
unless the configuration says the root is the tenancy's baseline (``tenancy_root``): then the
tenancy resource carries ``context["tenancy_root"] = True`` and absence is a failure.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from scanner.model import InputError, Location, Provenance, Resource

if TYPE_CHECKING:
    from scanner.workflow.config import Settings

TENANCY_KIND = "oci_identity_tenancy"
CODE_SOURCES = ("terraform", "terraform-plan")


UNRESOLVED = "module call(s) with a registry or git source were not resolved"


def tenancy_resources(
    resources: list[Resource], root: Path, settings: Settings | None, errors: list[InputError] | None = None
) -> list[Resource]:
    """A tenancy resource for every scope of Terraform or plan resources in ``resources``, located
    at the root's ``provider "oci"`` block when it has one (else at its first resource). A root
    whose module calls were not all read (``errors`` says so) is incomplete: what it seems to lack
    may be in the modules, so its tenancy-level facts stay unknown even when it is the baseline."""
    incomplete = {
        e.path: e.message.split(":", 1)[0] for e in errors or [] if UNRESOLVED in e.message
    }
    first: dict[str, Resource] = {}
    provider: dict[str, Resource] = {}
    for res in resources:
        scope = res.context.get("scope")
        if res.provenance.source not in CODE_SOURCES or not scope or res.kind in ("file", TENANCY_KIND):
            continue
        if res.kind == "provider.oci" and res.context.get("module", "") == "":
            provider.setdefault(scope, res)
        if res.provenance.location is not None:
            first.setdefault(scope, res)
    out: list[Resource] = []
    for scope, anchor in first.items():
        near = provider.get(scope, anchor)
        loc = near.provenance.location
        location = Location(loc.file, loc.start_line, loc.start_line) if loc is not None else None
        baseline = settings is not None and settings.is_tenancy_root(root / scope if scope else root)
        out.append(
            Resource(
                TENANCY_KIND,
                f"tenancy({scope})",
                {},
                Provenance(anchor.provenance.source, location=location),
                dict(
                    scope=scope,
                    module="",
                    tenancy_root=baseline,
                    region=near.context.get("region"),
                    incomplete=incomplete.get(scope or ".") or incomplete.get(scope),
                ),
            )
        )
    return out
