"""Drift and unmanaged live resources in every report format (shared by the reporters).

An audit given ``--state`` carries ``result.drift`` (rules whose outcome on a managed object
differs between code and cloud) and ``result.unmanaged`` (live objects no state manages). Each
reporter shows them in its own way through the helpers here, so the wording is the same
everywhere. Values were made safe when the result was scrubbed (``Redactor.scrub_result``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from scanner.model import Location, ScanResult
from scanner.model.cloud import FAILS_LIVE, Drift, UnmanagedResource

DRIFT_HEADINGS = {
    FAILS_LIVE: "Drift: passes in code, fails live (changed outside Terraform)",
    "fixed_live": "Drift: fails in code, passes live (fixed by hand; the code still has the problem)",
}


def has_cloud_sections(result: ScanResult) -> bool:
    """Whether the result came from an audit joined with Terraform state."""
    return "code_and_cloud" in result.metadata


def where(location: Location | None) -> str:
    """``file:line`` or ``""``."""
    return f"{location.file}:{location.start_line}" if location is not None else ""


def drift_by_direction(result: ScanResult) -> list[tuple[str, list[Drift]]]:
    """Drift grouped by direction, the direction that hurts first."""
    groups: dict[str, list[Drift]] = defaultdict(list)
    for d in result.drift:
        groups[d.direction].append(d)
    return [(k, groups[k]) for k in (FAILS_LIVE, "fixed_live") if groups.get(k)]


def unmanaged_groups(result: ScanResult) -> list[tuple[str, str, list[UnmanagedResource]]]:
    """Unmanaged objects by (kind, compartment): the click-ops inventory."""
    groups: dict[tuple[str, str], list[UnmanagedResource]] = defaultdict(list)
    for u in result.unmanaged:
        groups[(u.kind, compartment_label(u))].append(u)
    return [(kind, comp, items) for (kind, comp), items in sorted(groups.items())]


def compartment_label(u: UnmanagedResource) -> str:
    """``apps (ocid1.compartment…)``: the compartment's path when the audit knows it, and its OCID."""
    if u.compartment_path and u.compartment_path != u.compartment_id:
        return f"{u.compartment_path} ({u.compartment_id})"
    return u.compartment_id or "(no compartment)"


def drift_record(d: Drift) -> dict[str, Any]:
    """A drift entry as JSON."""
    return {
        "rule_id": d.rule_id,
        "direction": d.direction,
        "address": d.address,
        "ocid": d.ocid,
        "kind": d.kind,
        "attribute": d.attribute,
        "code_value": d.code_value,
        "live_value": d.live_value,
        "message": d.message,
        "location": _loc(d.location),
        "live_location": _loc(d.live_location),
        "region": d.region,
        "compartment_id": d.compartment_id,
    }


def unmanaged_record(u: UnmanagedResource) -> dict[str, Any]:
    """An unmanaged object as JSON."""
    return {
        "kind": u.kind,
        "ocid": u.ocid,
        "name": u.name,
        "compartment_id": u.compartment_id,
        "compartment_path": u.compartment_path,
        "region": u.region,
        "failing": list(u.failing),
        "location": _loc(u.location),
    }


def _loc(location: Location | None) -> dict[str, Any] | None:
    if location is None:
        return None
    return {"file": location.file, "start_line": location.start_line, "end_line": location.end_line}


def text_sections(result: ScanResult) -> list[tuple[str, list[str]]]:
    """Headed sections of the text report: drift by direction, then the unmanaged inventory
    (none when the result is not an audit given ``--state``)."""
    if not has_cloud_sections(result):
        return []
    sections: list[tuple[str, list[str]]] = []
    for direction, items in drift_by_direction(result):
        lines = []
        for d in items:
            lines.append(f"  {d.rule_id}  {d.address}  ({d.ocid})")
            lines.append(f"    {d.attribute or 'resource'}: code {d.code_value} | live {d.live_value}")
            if d.location is not None:
                lines.append(f"    {where(d.location)}")
        sections.append((f"{DRIFT_HEADINGS[direction]} ({len(items)})", lines))
    if not result.drift:
        sections.append(("Drift: none (every rule has the same outcome in code and live)", []))
    lines = []
    for kind, comp, items in unmanaged_groups(result):
        lines.append(f"  {kind} in {comp}")
        for u in items:
            failing = f"  fails {', '.join(u.failing)}" if u.failing else ""
            lines.append(f"    {u.name or '?'}  {u.ocid}{failing}")
    sections.append((f"Unmanaged live resources: no Terraform state entry ({len(result.unmanaged)})", lines))
    return sections


def markdown_lines(result: ScanResult, md: Any, md_code: Any) -> list[str]:
    """Markdown sections (``md`` / ``md_code`` are the caller's escapers)."""
    if not has_cloud_sections(result):
        return []
    out: list[str] = []
    for direction, items in drift_by_direction(result):
        out += [f"#### {md(DRIFT_HEADINGS[direction])} ({len(items)})", ""]
        out += ["| rule | resource | attribute | code | live | where |", "|---|---|---|---|---|---|"]
        for d in items:
            out.append(
                f"| {md(d.rule_id)} | {md_code(d.address)} | {md_code(d.attribute or '')} "
                f"| {md_code(d.code_value)} | {md_code(d.live_value)} | {md_code(where(d.location))} |"
            )
        out.append("")
    if result.unmanaged:
        out += [f"#### Unmanaged live resources ({len(result.unmanaged)})", ""]
        out += ["| kind | compartment | name | OCID | failing rules |", "|---|---|---|---|---|"]
        for kind, comp, items in unmanaged_groups(result):
            for u in items:
                out.append(
                    f"| {md_code(kind)} | {md_code(comp)} | {md(u.name or '')} | {md_code(u.ocid)} "
                    f"| {md(', '.join(u.failing))} |"
                )
        out.append("")
    return out


# --- ``ocisec diff`` of two audits given --state -------------------------------------------------

CHANGE_HEADINGS = {
    "drift_new": "New drift",
    "drift_resolved": "Drift resolved",
    "drift_persisting": "Drift persisting",
    "unmanaged_new": "Newly unmanaged live resources",
    "unmanaged_gone": "No longer unmanaged (imported into a state, or deleted)",
    "unmanaged_persisting": "Still unmanaged",
}


def change_sections(changes: Any) -> list[tuple[str, str, list[str]]]:
    """(category, heading, one line per item) for every category of a ``CloudChanges``."""
    out: list[tuple[str, str, list[str]]] = []
    for category in ("drift_new", "drift_resolved", "drift_persisting"):
        items: list[Drift] = getattr(changes, category)
        lines = [f"{d.address} ({d.ocid}): {d.message}" for d in items]
        out.append((category, CHANGE_HEADINGS[category], lines))
    for category in ("unmanaged_new", "unmanaged_gone", "unmanaged_persisting"):
        items_u: list[UnmanagedResource] = getattr(changes, category)
        lines = [
            f"{u.kind} {u.name or '?'} {u.ocid} in {u.compartment_id or '?'}"
            + (f"; fails {', '.join(u.failing)}" if u.failing else "")
            for u in items_u
        ]
        out.append((category, CHANGE_HEADINGS[category], lines))
    return out


def changes_document(changes: Any) -> dict[str, Any]:
    """A ``CloudChanges`` as JSON."""
    doc: dict[str, Any] = {"summary": changes.counts()}
    for category in ("drift_new", "drift_resolved", "drift_persisting"):
        doc[category] = [drift_record(d) for d in getattr(changes, category)]
    for category in ("unmanaged_new", "unmanaged_gone", "unmanaged_persisting"):
        doc[category] = [unmanaged_record(u) for u in getattr(changes, category)]
    return doc
