"""Rule semantics found wrong on public code, each pinned by its fixture."""

from __future__ import annotations

from pathlib import Path

from scanner.model import Status
from scanner.workflow.scan import ScanOptions, run_scan

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "fixtures" / "rules"


def _findings(rule_id: str, kind: str) -> dict[str, object]:
    result, _ = run_scan([RULES / rule_id / kind], ScanOptions(rule_ids=[rule_id]))
    assert result.errors == []
    return {f.resource.address: f for f in result.findings if f.rule_id == rule_id}


def test_iam_001_user_without_key_passes_and_failure_points_at_the_key():
    passing = _findings("OCI-IAM-001", "pass")
    assert passing["provider.oci.user_only"].status is Status.PASSED
    [failed] = [f for f in _findings("OCI-IAM-001", "fail").values() if f.status is Status.FAILED]
    assert failed.attribute == "private_key_path"
    assert failed.location.start_line == failed.location.end_line  # the key's own line


def test_ha_001_data_source_ads_with_different_numbers_and_legacy_subnet_ids():
    passing = _findings("OCI-HA-001", "pass")
    assert passing["oci_containerengine_node_pool.spread_by_data_sources"].status is Status.PASSED
    assert passing["oci_containerengine_node_pool.legacy_subnets"].status is Status.PASSED
    failing = _findings("OCI-HA-001", "fail")
    assert failing["oci_containerengine_node_pool.legacy_one_ad"].status is Status.FAILED


def test_enc_010_redirect_of_one_path_does_not_count():
    failing = _findings("OCI-ENC-010", "fail")
    assert failing["oci_load_balancer_listener.http_login_redirect"].status is Status.FAILED
    assert _findings("OCI-ENC-010", "pass")["oci_load_balancer_listener.http"].status is Status.PASSED


def test_enc_005_006_accept_external_and_block_keys():
    passing = _findings("OCI-ENC-005", "pass")
    for name in ("aws", "azure", "okv", "vault_block"):
        assert passing[f"oci_database_autonomous_database.{name}"].status is Status.PASSED, name
    failing = _findings("OCI-ENC-005", "fail")
    assert failing["oci_database_autonomous_database.oracle_managed"].status is Status.FAILED
    passing = _findings("OCI-ENC-006", "pass")
    assert passing["oci_database_database.okv"].status is Status.PASSED
    assert passing["oci_database_database.azure"].status is Status.PASSED
