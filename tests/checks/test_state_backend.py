"""OCI-SUP-404: where a Terraform root keeps its state, and the bucket it keeps it in."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.model import Status
from scanner.workflow.scan import ScanOptions, run_scan

PROVIDER = 'provider "oci" {\n  region = "eu-frankfurt-1"\n}\n'


def bucket(name: str = "tfstate", **attrs: str) -> str:
    settings = {"access_type": '"NoPublicAccess"', "versioning": '"Enabled"', "kms_key_id": '"ocid1.key.oc1..k"'}
    settings.update(attrs)
    body = "".join(f"  {k} = {v}\n" for k, v in settings.items() if v is not None)
    return f'resource "oci_objectstorage_bucket" "state" {{\n  name = "{name}"\n  namespace = "ns"\n{body}}}\n'


def judge(tmp_path: Path, *texts: str, files: dict[str, str] | None = None) -> list[tuple[Status, str | None]]:
    (tmp_path / "main.tf").write_text("\n".join(texts))
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(text)
    result, _ = run_scan([tmp_path], ScanOptions(rule_ids=["OCI-SUP-404"]))
    assert result.errors == [], result.errors
    return [(f.status, f.message) for f in result.findings if f.rule_id == "OCI-SUP-404"]


@pytest.fixture(autouse=True)
def _cache(monkeypatch, tmp_path):
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))


def test_no_backend_and_local_backend_fail(tmp_path):
    assert [s for s, _ in judge(tmp_path / "", PROVIDER)] == [Status.FAILED]
    local = tmp_path / "local"
    local.mkdir()
    assert [s for s, _ in judge(local, PROVIDER, 'terraform {\n  backend "local" {}\n}\n')] == [Status.FAILED]


def test_a_module_without_provider_or_backend_is_not_a_root(tmp_path):
    assert judge(tmp_path, bucket()) == []


OCI_BACKEND = 'terraform {\n  backend "oci" {\n    bucket = "tfstate"\n    namespace = "ns"\n  }\n}\n'


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, Status.PASSED),
        ({"access_type": '"ObjectRead"'}, Status.FAILED),
        ({"versioning": '"Disabled"'}, Status.FAILED),
        ({"kms_key_id": None}, Status.FAILED),
        ({"versioning": "var.versioning"}, Status.UNKNOWN),
    ],
)
def test_an_oci_state_bucket_declared_in_the_root(tmp_path, settings, expected):
    extra = 'variable "versioning" {}\n'
    assert [s for s, _ in judge(tmp_path, OCI_BACKEND, bucket(**settings), extra)] == [expected]


def test_a_state_bucket_declared_elsewhere_is_unknown(tmp_path):
    assert [s for s, _ in judge(tmp_path, OCI_BACKEND, bucket("other"))] == [Status.UNKNOWN]


def test_s3_on_object_storage_and_http_to_a_par_name_their_bucket(tmp_path):
    s3 = (
        'terraform {\n  backend "s3" {\n    bucket = "tfstate"\n    key = "x"\n'
        '    endpoint = "https://ns.compat.objectstorage.eu-frankfurt-1.oraclecloud.com"\n  }\n}\n'
    )
    assert [s for s, _ in judge(tmp_path, s3, bucket(versioning='"Disabled"'))] == [Status.FAILED]
    http = tmp_path / "http"
    http.mkdir()
    par = (
        'terraform {\n  backend "http" {\n    address = "https://objectstorage.eu-frankfurt-1.oraclecloud.com'
        '/p/tok/n/ns/b/tfstate/o/platform.tfstate"\n    update_method = "PUT"\n  }\n}\n'
    )
    assert [s for s, _ in judge(http, par, bucket())] == [Status.PASSED]


def test_other_remote_backends_pass(tmp_path):
    aws = 'terraform {\n  backend "s3" {\n    bucket = "tfstate"\n    key = "x"\n    region = "eu-west-1"\n  }\n}\n'
    assert [s for s, _ in judge(tmp_path, aws, bucket(access_type='"ObjectRead"'))] == [Status.PASSED]
    cloud = tmp_path / "cloud"
    cloud.mkdir()
    hcp = 'terraform {\n  cloud {\n    organization = "bank"\n    workspaces { name = "platform" }\n  }\n}\n'
    assert [s for s, _ in judge(cloud, hcp, PROVIDER)] == [Status.PASSED]


def test_an_override_file_replaces_the_backend(tmp_path):
    override = {"backend_override.tf": 'terraform {\n  backend "local" {}\n}\n'}
    assert [s for s, _ in judge(tmp_path, OCI_BACKEND, bucket(), files=override)] == [Status.FAILED]


def test_a_resource_manager_stack_keeps_no_local_state(tmp_path):
    (tmp_path / "schema.yaml").write_text("title: Platform\nschemaVersion: 1.1.0\nversion: '20190304'\n")
    assert [s for s, _ in judge(tmp_path, PROVIDER)] == [Status.PASSED]


def test_a_schema_added_later_is_seen_through_the_evaluation_cache(tmp_path, monkeypatch):
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text(PROVIDER)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "shared-cache"))

    def status() -> list[Status]:
        result, _ = run_scan([root], ScanOptions(rule_ids=["OCI-SUP-404"], cache_dir=tmp_path / "shared-cache"))
        return [f.status for f in result.findings if f.rule_id == "OCI-SUP-404"]

    assert status() == [Status.FAILED]
    (root / "schema.yaml").write_text("schemaVersion: 1.1.0\n")
    assert status() == [Status.PASSED]
