"""Unit tests for the deploy-stage approval check (OCI-OPS-001)."""

from __future__ import annotations

from typing import Any

from scanner.checks.devops import deploy_stage_gated_by_approval
from scanner.engine.registry import ResourceIndex
from scanner.model import Provenance, Resource, Unknown

PIPELINE = Resource(
    "oci_devops_deploy_pipeline",
    "oci_devops_deploy_pipeline.app",
    {"display_name": "app"},
    Provenance(source="terraform"),
    {"scope": "/repo", "module": ""},
)


def id_of(kind: str, label: str) -> Unknown:
    return Unknown("after apply", nonnull=True, ref=f"{kind}.{label}", symbol=f"{kind}.{label}.id")


def stage(label: str, stage_type: Any, *predecessors: Any) -> Resource:
    preds = [{"items": [{"id": p} for p in predecessors]}]
    return Resource(
        "oci_devops_deploy_stage",
        f"oci_devops_deploy_stage.{label}",
        {"deploy_stage_type": stage_type, "deploy_stage_predecessor_collection": preds},
        Provenance(source="terraform"),
        {"scope": "/repo", "module": ""},
    )


def after(label: str) -> Unknown:
    return id_of("oci_devops_deploy_stage", label)


def gated(target: Resource, *others: Resource, **params: Any) -> bool | None:
    index = ResourceIndex([PIPELINE, target, *others])
    return deploy_stage_gated_by_approval(target, index, params).result


def test_deployment_after_approval_passes() -> None:
    approve = stage("approve", "MANUAL_APPROVAL", id_of("oci_devops_deploy_pipeline", "app"))
    deploy = stage("deploy", "OKE_DEPLOYMENT", after("approve"))
    assert gated(deploy, approve) is True


def test_approval_found_transitively_passes() -> None:
    approve = stage("approve", "MANUAL_APPROVAL", id_of("oci_devops_deploy_pipeline", "app"))
    wait = stage("wait", "WAIT", after("approve"))
    deploy = stage("deploy", "DEPLOY_FUNCTION", after("wait"))
    assert gated(deploy, approve, wait) is True


def test_deployment_straight_from_pipeline_fails() -> None:
    deploy = stage("deploy", "OKE_DEPLOYMENT", id_of("oci_devops_deploy_pipeline", "app"))
    assert gated(deploy) is False
    literal = stage("deploy", "OKE_DEPLOYMENT", "ocid1.devopsdeploypipeline.oc1.eu-frankfurt-1.aaa")
    assert gated(literal) is False


def test_approval_after_the_deployment_does_not_count() -> None:
    deploy = stage("deploy", "OKE_DEPLOYMENT", id_of("oci_devops_deploy_pipeline", "app"))
    approve = stage("approve", "MANUAL_APPROVAL", after("deploy"))
    assert gated(deploy, approve) is False


def test_unresolvable_predecessor_is_unknown() -> None:
    deploy = stage("deploy", "OKE_DEPLOYMENT", "ocid1.devopsdeploystage.oc1.eu-frankfurt-1.aaa")
    assert gated(deploy) is None
    wait = stage(
        "wait",
        Unknown("var.stage_type has no value", symbol="var.stage_type"),
        id_of("oci_devops_deploy_pipeline", "app"),
    )
    assert gated(stage("deploy", "OKE_DEPLOYMENT", after("wait")), wait) is None


def test_approval_types_parameter() -> None:
    canary = stage("canary", "OKE_CANARY_APPROVAL", id_of("oci_devops_deploy_pipeline", "app"))
    deploy = stage("deploy", "OKE_DEPLOYMENT", after("canary"))
    assert gated(deploy, canary) is False
    assert gated(deploy, canary, approval_stage_types=["MANUAL_APPROVAL", "OKE_CANARY_APPROVAL"]) is True


def test_predecessor_cycle_terminates() -> None:
    a = stage("a", "WAIT", after("b"))
    b = stage("b", "WAIT", after("a"))
    deploy = stage("deploy", "OKE_DEPLOYMENT", after("a"))
    assert gated(deploy, a, b) is False
