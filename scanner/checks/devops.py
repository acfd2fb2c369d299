"""Named checks over OCI DevOps deployment pipelines (OCI-OPS-*).

A deploy pipeline is a graph of ``oci_devops_deploy_stage`` resources: each stage lists its
predecessors (other stages, or the pipeline itself for a first stage) in
``deploy_stage_predecessor_collection.items.id``. A stage waits for all of its predecessors, so a
deployment is gated when any ancestor is a manual approval.

Policies that call these checks: OCI-OPS-001.
"""

from __future__ import annotations

from typing import Any

from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.model import Resource, is_unknown

STAGE_KIND = "oci_devops_deploy_stage"
PIPELINE_KIND = "oci_devops_deploy_pipeline"
DEFAULT_APPROVAL_STAGE_TYPES = ["MANUAL_APPROVAL"]
PREDECESSORS = "deploy_stage_predecessor_collection"

Params = dict[str, Any]


def predecessor_ids(stage: Resource) -> list[Any]:
    """The ``id`` values listed as predecessors of ``stage`` (literal OCIDs or unknowns)."""
    ids: list[Any] = []
    for collection in stage.attributes.get(PREDECESSORS) or []:
        if not isinstance(collection, dict):
            ids.append(collection)
            continue
        items = collection.get("items")
        if is_unknown(items):
            ids.append(items)
            continue
        for item in items or []:
            ids.append(item.get("id") if isinstance(item, dict) else item)
    return ids


def _resolve(stage: Resource, index: ResourceIndex, value: Any) -> Resource | None:
    scope = stage.context.get("scope")
    found = [r for r in index.referenced(value) if r.context.get("scope") == scope]
    return found[0] if len(found) == 1 else None


@check("deploy_stage_gated_by_approval")
def deploy_stage_gated_by_approval(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-OPS-001: a deployment stage has a manual-approval stage among its ancestors.

    Walks predecessors transitively. True when an ancestor's ``deploy_stage_type`` is in
    ``approval_stage_types``; False when every path reaches the pipeline without one; unknown
    when a predecessor cannot be resolved (a literal stage OCID, a variable, an unknown type).
    """
    approvals = {str(t).upper() for t in params.get("approval_stage_types", DEFAULT_APPROVAL_STAGE_TYPES)}
    if not resource.attributes.get(PREDECESSORS):
        return Outcome(None, path=PREDECESSORS, detail="the stage's predecessors are not known")
    seen = {resource.address}
    pending = [resource]
    unresolved = False
    while pending:
        stage = pending.pop()
        ids = predecessor_ids(stage)
        if not ids:
            unresolved = True
        for value in ids:
            if isinstance(value, str) and value.startswith("ocid1.devopsdeploypipeline."):
                continue  # first stage of the pipeline
            target = _resolve(stage, index, value)
            if target is None:
                unresolved = True
            elif target.kind == PIPELINE_KIND:
                continue
            elif target.kind != STAGE_KIND:
                unresolved = True
            elif target.address not in seen:
                seen.add(target.address)
                stage_type = target.attributes.get("deploy_stage_type")
                if isinstance(stage_type, str) and stage_type.upper() in approvals:
                    return Outcome(True, path=PREDECESSORS, detail=f"gated by {target.address}")
                if not isinstance(stage_type, str):
                    unresolved = True
                pending.append(target)
    if unresolved:
        return Outcome(None, path=PREDECESSORS, detail="a predecessor stage cannot be resolved statically")
    return Outcome(False, path=PREDECESSORS, detail="no manual approval stage precedes this deployment")
