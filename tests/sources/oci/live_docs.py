"""The reference tables of docs/live-audit.md, computed from the collector's specs, the live
mapping and the rules (a test holds the document equal to them)."""

from __future__ import annotations

from scanner.engine.policy import load_rules
from scanner.sources.oci.mapping import PART_KINDS, TYPES
from scanner.sources.oci.specs import SPECS


def collected_types_table() -> str:
    """One row per collected type: how it is enumerated, the permission, the resource kinds it
    becomes and the rules those kinds feed."""
    rules, _ = load_rules()
    by_kind: dict[str, set[str]] = {}
    for rule in rules:
        for target in rule.targets:
            for kind in target.resources:
                by_kind.setdefault(kind, set()).add(rule.id)
    rows = [
        "| SDK type | enumerated by | permission | becomes | rules it feeds |",
        "|---|---|---|---|---|",
    ]
    for spec in SPECS:
        mapping = TYPES[spec.type]
        kinds = [mapping.kind, *PART_KINDS.get(spec.type, ())]
        ids = sorted(set().union(*(by_kind.get(k, set()) for k in kinds)))
        how = {
            "search": f"Search `{spec.search_type}`"
            + (f" (where Search lacks it: `{spec.fallback}` per compartment)" if spec.fallback else ""),
            "tenancy": f"`{spec.list_call}` (tenancy)",
            "compartments": f"`{spec.list_call}` per compartment",
            "regional": (
                f"`{spec.list_call}` per compartment and AD holding a `{spec.follows}`"
                if spec.follows
                else f"`{spec.list_call}` per region and compartment" + (" and AD" if spec.per_ad else "")
                + (f" holding one (Search `{spec.located_by}` finds them)" if spec.located_by else "")
            ),
            "vault": "`list_keys` per vault",
            "singleton": f"`{spec.get}`",
        }.get(spec.scope, f"`{spec.list_call or spec.get}` ({spec.scope})")
        verb = "read" if spec.get else "inspect"
        rows.append(
            f"| `{spec.type}` | {how} | {verb} `{spec.iam}` | {', '.join(f'`{k}`' for k in kinds)} "
            f"| {', '.join(ids) or 'joins of other rules'} |"
        )
    return "\n".join(rows) + "\n"
