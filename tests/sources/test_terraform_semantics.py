"""Terraform semantics read as Terraform reads them: override files, duplicate addresses, JSON
syntax forms, remote modules, unknown expansion, module cycles, workspace, symlinks, scopes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.sources.terraform import load_terraform
from scanner.workflow.scan import discover

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


# --- modules: cycles, unreached modules, registry modules, unknown expansion ---------------------

MODS = TF / "modules_semantics"


def test_self_calling_module_is_an_input_error_and_its_resources_are_scanned():
    code, doc = scan_json(str(MODS / "self_call"))
    assert [f["resource"]["address"] for f in _failed(doc, "OCI-DAT-001")] == [
        "oci_objectstorage_bucket.public"
    ]
    [err] = doc["errors"]
    assert "module call cycle" in err["message"] and "module.me" in err["message"]
    assert err["path"].endswith("self_call/main.tf") and err["line"] == 1
    assert code == 2


def test_module_cycle_names_every_call():
    code, doc = scan_json(str(MODS / "cycle"))
    [err] = doc["errors"]
    assert "module.b (fixtures/terraform/modules_semantics/cycle/a/main.tf:1)" in err["message"]
    assert "module.a (fixtures/terraform/modules_semantics/cycle/b/main.tf:1)" in err["message"]
    assert _failed(doc, "OCI-DAT-001")
    assert code == 2


def test_module_called_only_with_count_zero_is_evaluated_as_a_root():
    code, doc = scan_json(str(MODS / "count_zero"))
    [public] = _failed(doc, "OCI-DAT-001")
    assert public["resource"]["address"] == "oci_objectstorage_bucket.public"
    assert public["location"]["file"].endswith("count_zero/shared/main.tf")
    assert code == 1


def test_registry_module_resolved_through_modules_json_is_scanned():
    code, doc = scan_json(str(MODS / "registry" / "with_init"))
    [public] = _failed(doc, "OCI-DAT-001")
    assert public["resource"]["address"] == "module.storage.oci_objectstorage_bucket.this"
    assert public["location"]["file"].endswith(".terraform/modules/storage/main.tf")
    assert doc["errors"] == []
    assert code == 1


@pytest.mark.parametrize("fmt", ["json", "text", "sarif", "junit"])
def test_unresolved_registry_module_is_a_notice_in_every_format(fmt):
    res = runner.invoke(app, ["scan", str(MODS / "registry" / "without_init"), "--format", fmt, "--no-cache"])
    assert "1 module call(s) with a registry or git source were not resolved" in res.stdout
    assert "terraform init" in res.stdout
    assert res.exit_code == 0  # a notice: the scan of what is there is complete


def test_unknown_for_each_and_count_give_one_unknown_per_rule_never_a_failure():
    code, doc = scan_json(str(MODS / "unknown_each"))
    assert doc["findings"] == []
    unknown = [(f["rule_id"], f["resource"]["address"]) for f in doc["unknown"]]
    each = [r for r, a in unknown if a == "oci_objectstorage_bucket.each"]
    child = [r for r, a in unknown if a == "module.per_env.oci_objectstorage_bucket.child"]
    assert "OCI-DAT-001" in each and len(each) == len(set(each))
    assert "OCI-DAT-001" in child and len(child) == len(set(child))
    reasons = {f["message"] for f in doc["unknown"] if f["resource"]["address"].startswith("oci_")}
    assert all("for_each not known statically" in m for m in reasons)
    assert code == 0


# --- terraform.workspace -------------------------------------------------------------------------


def _access(doc: dict) -> str:
    for status in ("findings", "unknown"):
        if any(f["rule_id"] == "OCI-DAT-001" for f in doc[status]):
            return status
    return "passed"


def test_workspace_is_unknown_unless_given(monkeypatch):
    ws = str(TF / "workspace")
    assert _access(scan_json(ws)[1]) == "unknown"
    assert _access(scan_json(ws, "--workspace", "dev")[1]) == "findings"
    assert _access(scan_json(ws, "--workspace", "prod")[1]) == "passed"
    monkeypatch.setenv("TF_WORKSPACE", "dev")
    code, doc = scan_json(ws)
    assert _access(doc) == "findings" and code == 1


# --- symlinked directories -------------------------------------------------------------------------

PUBLIC = (
    'resource "oci_objectstorage_bucket" "b" {\n  compartment_id = "ocid1.compartment.oc1..x"\n'
    '  name = "b"\n  namespace = "ns"\n  access_type = "ObjectRead"\n}\n'
)


def test_symlinked_directories_inside_the_tree_are_followed_once_and_others_reported(tmp_path, monkeypatch):
    tree = tmp_path / "repo"
    (tree / "modules" / "real").mkdir(parents=True)
    (tree / "modules" / "real" / "main.tf").write_text(PUBLIC)
    (tree / "envs").mkdir()
    (tree / "envs" / "linked").symlink_to(tree / "modules" / "real")  # inside: followed
    (tree / "envs" / "loop").symlink_to(tree / "envs")  # a loop: walked once
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "main.tf").write_text(PUBLIC)
    (tree / "external").symlink_to(outside)  # outside the tree: skipped, by name
    monkeypatch.chdir(tree)
    inputs = discover([tree], tree)
    assert len({p.resolve() for p in inputs.tf}) == 1
    [notice] = inputs.errors
    assert (
        notice.path == "external"
        and notice.level == "warning"
        and "outside the scanned tree" in notice.message
    )
    for fmt in ("json", "text", "sarif", "junit"):
        res = runner.invoke(app, ["scan", str(tree), "--format", fmt, "--no-cache"])
        assert "external" in res.stdout and "symlinked directory skipped" in res.stdout, fmt
        assert res.exit_code == 1  # the public bucket, found once


def test_terraform_init_after_a_cached_scan_is_seen(tmp_path, monkeypatch):
    import shutil

    src = MODS / "registry" / "with_init"
    tree = tmp_path / "root"
    shutil.copytree(src, tree, ignore=shutil.ignore_patterns(".terraform"))
    monkeypatch.chdir(tree)
    cache = ["--cache-dir", str(tmp_path / "cache")]
    first = runner.invoke(app, ["scan", str(tree), "--format", "json", *cache])
    assert first.exit_code == 0 and "were not resolved" in first.stdout
    shutil.copytree(src / ".terraform", tree / ".terraform")  # `terraform init`
    second = runner.invoke(app, ["scan", str(tree), "--format", "json", *cache])
    assert second.exit_code == 1 and "were not resolved" not in second.stdout


def test_count_from_a_numeric_string_expands_like_terraform():
    res = _resources(_load(TF / "count_string"))
    assert sorted(res) == ["oci_objectstorage_bucket.numbered[0]", "oci_objectstorage_bucket.numbered[1]"]
    assert res["oci_objectstorage_bucket.numbered[1]"].attributes["name"] == "bucket-1"


def test_optional_object_attributes_are_filled_as_terraform_converts_them():
    result = _load(TF / "optional_attrs")
    res = _resources(result)
    assert sorted(res) == [
        'oci_objectstorage_bucket.these["logs"]',
        'oci_objectstorage_bucket.these["public"]',
    ]
    assert res['oci_objectstorage_bucket.these["logs"]'].attributes["access_type"] == "NoPublicAccess"
    assert res['oci_objectstorage_bucket.these["public"]'].attributes["access_type"] == "ObjectRead"
    assert res['oci_objectstorage_bucket.these["logs"]'].attributes["versioning"] == "Enabled"
    assert not any(r.context.get("unknown_expansion") for r in result.resources)
