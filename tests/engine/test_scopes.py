"""Cross-resource joins stay inside one scope (one Terraform root), even when two roots declare
the same addresses (envs/dev and envs/prod)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from scanner.cli import app
from scanner.engine.registry import ResourceIndex
from scanner.model import Provenance, Resource, Unknown

ROOT = Path(__file__).resolve().parents[2]
ENVS = ROOT / "fixtures" / "terraform" / "scopes" / "envs"


def _res(address: str, scope: str) -> Resource:
    return Resource("oci_core_subnet", address, {}, Provenance("terraform"), {"scope": scope})


def test_index_keeps_every_root_at_one_address_and_joins_within_scope():
    dev, prod = _res("oci_core_subnet.app", "envs/dev"), _res("oci_core_subnet.app", "envs/prod")
    index = ResourceIndex([dev, prod])
    assert index.by_address("oci_core_subnet.app") == [dev, prod]
    ref = Unknown("id", nonnull=True, ref="oci_core_subnet.app")
    assert index.referenced(ref, within=dev) == [dev]
    assert index.referenced(ref, within=prod) == [prod]


def test_two_environments_with_the_same_names_only_the_ungated_one_fails(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path))
    res = CliRunner().invoke(
        app, ["scan", str(ENVS), "--rule", "OCI-OPS-001", "--format", "json", "--no-cache"]
    )
    doc = json.loads(res.stdout)
    assert [f["location"]["file"] for f in doc["findings"]] == ["fixtures/terraform/scopes/envs/prod/main.tf"]
    assert doc["unknown"] == []
    assert doc["summary"]["passed"] == 1
    assert res.exit_code == 1


def test_iam_join_per_environment_api_key_user_group_policy(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    iam = ROOT / "fixtures" / "terraform" / "scopes" / "iam"
    res = CliRunner().invoke(
        app, ["scan", str(iam), "--rule", "OCI-IAM-005", "--format", "json", "--no-cache"]
    )
    doc = json.loads(res.stdout)
    assert [f["location"]["file"] for f in doc["findings"]] == ["fixtures/terraform/scopes/iam/prod/main.tf"]
    assert doc["unknown"] == []  # dev's join resolves inside dev, not to prod's same-named resources
    assert doc["summary"]["passed"] == 1
