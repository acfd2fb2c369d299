"""Terraform semantics read as Terraform reads them: override files, duplicate addresses, JSON
syntax forms, remote modules, unknown expansion, module cycles, workspace, symlinks, scopes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.scan import discover
from scanner.sources.terraform import load_terraform

ROOT = Path(__file__).resolve().parents[2]
TF = ROOT / "fixtures" / "terraform"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("TF_WORKSPACE", raising=False)


def _load(path: Path, root: Path = ROOT, **kw):
    inputs = discover([path], root)
    return load_terraform(inputs.tf, root, **kw)


def _resources(result) -> dict:
    return {r.address: r for r in result.resources if r.kind.startswith("oci_")}


def scan_json(*args: str) -> tuple[int, dict]:
    res = runner.invoke(app, ["scan", *args, "--format", "json", "--no-cache"])
    return res.exit_code, json.loads(res.stdout)


def _failed(doc: dict, rule_id: str) -> list[dict]:
    return [f for f in doc["findings"] if f["rule_id"] == rule_id]


# --- override files ----------------------------------------------------------------------------


def test_override_merges_attribute_by_attribute_in_lexical_order():
    res = _resources(_load(TF / "override" / "merge"))
    bucket = res["oci_objectstorage_bucket.public"]
    assert bucket.attributes["access_type"] == "ObjectRead"  # kept from main.tf
    assert bucket.attributes["versioning"] == "Enabled"  # from main_override.tf
    # override.tf then z_override.tf.json: the last one in lexical order wins
    assert bucket.attributes["kms_key_id"] == "ocid1.key.oc1..override"
    locs = bucket.provenance.attribute_locations
    assert locs["versioning"].file.endswith("main_override.tf")
    assert locs["access_type"].file.endswith("/main.tf")
    assert len([r for r in res if r.startswith("oci_objectstorage_bucket.")]) == 1


def test_override_adding_versioning_keeps_public_bucket_failing():
    code, doc = scan_json(str(TF / "override" / "merge"))
    public = _failed(doc, "OCI-DAT-001")
    assert [f["location"]["file"] for f in public] == ["fixtures/terraform/override/merge/main.tf"]
    assert code == 1


def test_override_replaces_nested_blocks_whole(tmp_path):
    (tmp_path / "main.tf").write_text(
        'resource "oci_core_instance" "vm" {\n  shape = "a"\n'
        '  source_details {\n    source_type = "image"\n    boot_volume_size_in_gbs = 50\n  }\n}\n'
    )
    (tmp_path / "vm_override.tf").write_text(
        'resource "oci_core_instance" "vm" {\n  source_details {\n    source_type = "bootVolume"\n  }\n}\n'
    )
    vm = _resources(_load(tmp_path, tmp_path))["oci_core_instance.vm"]
    assert vm.attributes["source_details"] == [{"source_type": "bootVolume"}]
    assert vm.attributes["shape"] == "a"


def test_override_of_an_undeclared_block_is_an_input_error(tmp_path):
    (tmp_path / "main.tf").write_text("locals {\n  a = 1\n}\n")
    (tmp_path / "override.tf").write_text('resource "oci_core_vcn" "v" {\n  cidr_block = "10.0.0.0/16"\n}\n')
    result = _load(tmp_path, tmp_path)
    assert [(e.path, e.line) for e in result.errors] == [("override.tf", 1)]
    assert "oci_core_vcn.v" in result.errors[0].message


def test_duplicate_resource_address_is_an_input_error_naming_both_places():
    result = _load(TF / "override" / "dup")
    [err] = result.errors
    assert err.level == "error"
    assert "dup/a.tf:1" in err.message and "dup/b.tf:1" in err.message
    code, doc = scan_json(str(TF / "override" / "dup"))
    assert code == 2 and doc["errors"]


# --- .tf.json ------------------------------------------------------------------------------------


def test_tf_json_duplicate_keys_and_array_forms_are_all_read():
    res = _resources(_load(TF / "json_forms"))
    assert res["oci_objectstorage_bucket.first"].attributes["access_type"] == "NoPublicAccess"
    public = res["oci_objectstorage_bucket.public_array"]
    assert public.attributes["access_type"] == "ObjectRead"
    assert public.provenance.location.start_line == 11  # the second "resource" key's block
    code, doc = scan_json(str(TF / "json_forms"))
    assert [f["resource"]["address"] for f in _failed(doc, "OCI-DAT-001")] == [
        "oci_objectstorage_bucket.public_array"
    ]
    assert code == 1


def test_tf_json_repeated_nested_key_is_a_list_of_blocks(tmp_path):
    (tmp_path / "main.tf.json").write_text(
        '{"resource": {"oci_core_instance": {"vm": {"shape": "a",'
        ' "source_details": {"source_type": "image"}, "source_details": {"source_type": "bootVolume"}}}}}'
    )
    vm = _resources(_load(tmp_path, tmp_path))["oci_core_instance.vm"]
    assert vm.attributes["source_details"] == [{"source_type": "image"}, {"source_type": "bootVolume"}]
