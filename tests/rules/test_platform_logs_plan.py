"""The platform rules of issue 18 part B on a Terraform plan (``terraform show -json``): values
known at plan time are judged, computed ones (``data_safe_status``, a vault created in the same
plan) stay unknown or are followed through the configuration's references."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scanner.model import Status
from scanner.workflow.config import Settings
from scanner.workflow.scan import ScanOptions, run_scan

PROVIDER = "registry.terraform.io/oracle/oci"
COMP = "ocid1.compartment.oc1..aaaaaaaaplatform"


def _resource(kind: str, name: str, values: dict[str, Any], unknown: dict[str, Any]) -> tuple[dict, dict]:
    address = f"{kind}.{name}"
    planned = {
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": name,
        "provider_name": PROVIDER,
        "schema_version": 0,
        "values": values,
        "sensitive_values": {},
    }
    change = {
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": name,
        "provider_name": PROVIDER,
        "change": {
            "actions": ["create"],
            "before": None,
            "after": values,
            "after_unknown": unknown,
            "before_sensitive": False,
            "after_sensitive": {},
        },
    }
    return planned, change


def _plan(tmp_path: Path) -> Path:
    parts = [
        _resource(
            "oci_database_autonomous_database",
            "core",
            {"compartment_id": COMP, "db_name": "core", "subnet_id": "ocid1.subnet.oc1..db"},
            {"id": True, "data_safe_status": True},
        ),
        _resource(
            "oci_database_autonomous_database",
            "ledger",
            {
                "compartment_id": COMP,
                "db_name": "ledger",
                "subnet_id": "ocid1.subnet.oc1..db",
                "data_safe_status": "NOT_REGISTERED",
            },
            {"id": True},
        ),
        _resource(
            "oci_streaming_stream",
            "uploads",
            {
                "name": "uploads",
                "partitions": 1,
                "retention_in_hours": 24,
                "stream_pool_id": "ocid1.streampool.oc1..events",
            },
            {"id": True},
        ),
        _resource(
            "oci_audit_configuration",
            "this",
            {"compartment_id": "ocid1.tenancy.oc1..bank", "retention_period_days": 90},
            {"id": True},
        ),
        _resource(
            "oci_kms_vault",
            "private",
            {"compartment_id": COMP, "display_name": "private", "vault_type": "VIRTUAL_PRIVATE"},
            {"id": True, "management_endpoint": True},
        ),
        _resource(
            "oci_kms_key",
            "data",
            {
                "compartment_id": COMP,
                "display_name": "data",
                "protection_mode": "SOFTWARE",
                "key_shape": [{"algorithm": "AES", "length": 32}],
            },
            {"id": True, "management_endpoint": True},
        ),
    ]
    configuration = {
        "root_module": {
            "resources": [
                {
                    "address": "oci_kms_key.data",
                    "mode": "managed",
                    "type": "oci_kms_key",
                    "name": "data",
                    "expressions": {
                        "management_endpoint": {
                            "references": [
                                "oci_kms_vault.private.management_endpoint",
                                "oci_kms_vault.private",
                            ]
                        }
                    },
                },
            ]
        }
    }
    plan = {
        "format_version": "1.2",
        "terraform_version": "1.11.0",
        "planned_values": {"root_module": {"resources": [p for p, _ in parts]}},
        "resource_changes": [c for _, c in parts],
        "configuration": configuration,
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    return path


def _statuses(result, rule: str) -> dict[str, Status]:
    return {f.resource.address: f.status for f in result.findings if f.rule_id == rule}


def test_plan_values_are_judged_and_computed_ones_stay_unknown(tmp_path: Path):
    plan = _plan(tmp_path)
    rules = ["OCI-DAT-403", "OCI-DAT-404", "OCI-LOG-406", "OCI-ENC-401"]
    result, _ = run_scan([plan], ScanOptions(rule_ids=rules))
    assert result.errors == []
    assert _statuses(result, "OCI-DAT-403") == {
        "oci_database_autonomous_database.core": Status.UNKNOWN,
        "oci_database_autonomous_database.ledger": Status.FAILED,
    }
    assert _statuses(result, "OCI-DAT-404") == {"oci_streaming_stream.uploads": Status.FAILED}
    assert _statuses(result, "OCI-LOG-406") == {"oci_audit_configuration.this": Status.FAILED}
    assert _statuses(result, "OCI-ENC-401") == {"oci_kms_key.data": Status.FAILED}


def test_a_private_vault_in_the_same_plan_is_followed_when_accepted(tmp_path: Path):
    plan = _plan(tmp_path)
    settings = Settings(rule_parameters={"OCI-ENC-401": {"vault_types": ["VIRTUAL_PRIVATE"]}})
    result, _ = run_scan([plan], ScanOptions(rule_ids=["OCI-ENC-401"], settings=settings))
    assert _statuses(result, "OCI-ENC-401") == {"oci_kms_key.data": Status.PASSED}
