"""Reading Terraform state: addresses, module paths, instance keys and OCIDs, and nothing else."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from scanner.sources.terraform_state import instance_address, load_state, parse_state, parse_state_bytes

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "fixtures" / "cloud" / "terraform-real"
PLATFORM_STATE = ROOT / "fixtures" / "cloud" / "platform" / "state" / "terraform.tfstate"
EXPECTED_REAL = [
    'module.pool["app"].terraform_data.node[0]',
    'module.pool["app"].terraform_data.node[1]',
    'module.pool["workers"].terraform_data.node[0]',
    'module.pool["workers"].terraform_data.node[1]',
    "terraform_data.bucket",
]


def _addresses(state) -> list[str]:
    return sorted(r.address for r in state.resources)


def test_checked_in_state_and_show_json_written_by_terraform_give_the_same_addresses():
    v4 = load_state([REAL / "terraform.tfstate"])
    shown = load_state([REAL / "show.json"])
    assert not v4.errors and not shown.errors
    assert _addresses(v4) == _addresses(shown) == EXPECTED_REAL
    modules = {r.address: r.module for r in v4.resources}
    assert modules['module.pool["workers"].terraform_data.node[1]'] == 'module.pool["workers"]'
    indexes = {r.address: r.index for r in shown.resources}
    assert indexes['module.pool["app"].terraform_data.node[1]'] == 1


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform binary not on PATH")
def test_state_built_now_by_the_terraform_binary(tmp_path: Path):
    """Build the state afresh with the real binary and read both of its forms."""
    for item in ("main.tf", "modules"):
        src = REAL / item
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / item)
    env = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "PATH": "/usr/local/bin:/usr/bin:/bin"}
    for cmd in (["init", "-input=false"], ["apply", "-auto-approve", "-input=false"]):
        done = subprocess.run(["terraform", *cmd], cwd=tmp_path, env=env, capture_output=True, timeout=300)
        if done.returncode != 0:
            pytest.skip(f"terraform {cmd[0]} failed here: {done.stderr.decode(errors='replace')[-300:]}")
    shown = subprocess.run(["terraform", "show", "-json"], cwd=tmp_path, env=env, capture_output=True, timeout=120)
    assert shown.returncode == 0
    assert _addresses(load_state([tmp_path / "terraform.tfstate"])) == EXPECTED_REAL
    assert _addresses(parse_state_bytes(shown.stdout, "show.json")) == EXPECTED_REAL
    # A directory is searched for state files (the .terraform directory is not).
    assert _addresses(load_state([tmp_path])) == EXPECTED_REAL


def test_platform_state_maps_ocids_including_buckets_by_bucket_id():
    state = load_state([PLATFORM_STATE])
    owners = state.by_identity()
    assert owners["ocid1.bucket.oc1.eu-frankfurt-1.aaaaaaaadocuments"].address == (
        'module.data.oci_objectstorage_bucket.this["documents"]'
    )
    assert owners["ocid1.key.oc1.eu-frankfurt-1.aaaaaaaabuckets"].address == 'module.vault.oci_kms_key.this["buckets"]'
    # A bucket's id is "n/<namespace>/b/<name>", not an OCID: it is not an identity.
    assert "n/bankns/b/platform-documents" not in owners


def test_only_rule_read_non_secret_non_sensitive_attributes_are_kept():
    wanted = {"oci_database_autonomous_database": {"kms_key_id", "admin_password", "display_name"},
              "oci_vault_secret": {"secret_content"}, "tls_private_key": {"private_key_pem", "algorithm"}}
    state = load_state([PLATFORM_STATE], wanted=wanted)
    kept = {r.address: r.attributes for r in state.resources}
    adb = kept["module.data.oci_database_autonomous_database.core"]
    assert adb == {"kms_key_id": "ocid1.key.oc1.eu-frankfurt-1.aaaaaaaadatabase", "display_name": "core"}
    assert kept['module.vault.oci_vault_secret.this["payments-api"]'] == {}
    assert kept["tls_private_key.deploy"] == {"algorithm": "RSA"}
    assert "PLANTED" not in repr(state)
    # Without a wish list nothing but identities and addresses is kept.
    assert all(r.attributes == {} for r in load_state([PLATFORM_STATE]).resources)


def test_sensitive_values_of_show_json_are_dropped_even_under_harmless_names():
    doc = {"format_version": "1.0", "values": {"root_module": {"resources": [{
        "address": "oci_core_instance.app", "mode": "managed", "type": "oci_core_instance", "name": "app",
        "values": {"id": "ocid1.instance.oc1..x", "metadata": {"user_data": "PLANTED"}, "shape": "E5"},
        "sensitive_values": {"metadata": {"user_data": True}, "shape": False}}]}}}
    state = parse_state(doc, "show.json", {"oci_core_instance": {"metadata", "shape"}})
    assert state.resources[0].attributes == {"shape": "E5"}
    assert state.resources[0].ocid == "ocid1.instance.oc1..x"


def test_load_balancer_parts_and_credentials_get_the_live_sources_identities():
    doc = {"version": 4, "resources": [
        {"mode": "managed", "type": "oci_load_balancer_listener", "name": "https", "instances": [
            {"attributes": {"id": "loadBalancers/x/listeners/https", "load_balancer_id": "ocid1.loadbalancer.oc1..lb",
                            "name": "https"}}]},
        {"mode": "managed", "type": "oci_identity_api_key", "name": "ci", "instances": [
            {"attributes": {"id": "ocid1.credential.oc1..k", "user_id": "ocid1.user.oc1..u",
                            "key_value": "-----BEGIN PUBLIC KEY-----", "fingerprint": "aa:bb"}}]},
        {"mode": "data", "type": "oci_identity_user", "name": "me", "instances": [
            {"attributes": {"id": "ocid1.user.oc1..u"}}]},
    ]}
    owners = parse_state(doc, "s").by_identity()
    assert owners["ocid1.loadbalancer.oc1..lb/listeners/https"].address == "oci_load_balancer_listener.https"
    assert owners["ocid1.user.oc1..u/api_keys/aa:bb"].address == "oci_identity_api_key.ci"
    assert "ocid1.user.oc1..u" not in owners  # a data source manages nothing


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"version": 3, "modules": []}', "state format version 3 is not supported"),
        (b'{"format_version": "1.2", "planned_values": {}, "resource_changes": []}', "is a plan"),
        (b"[1, 2]", "not a Terraform state"),
        (b'{"version": 4, "resources": [', "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b'{"version": 4, "resources": {}}', "'resources' must be a list"),
    ],
)
def test_what_is_not_a_v4_state_is_an_error_naming_the_file(content: bytes, expected: str):
    state = parse_state_bytes(content, "envs/prod.tfstate")
    assert not state.resources
    assert [e.path for e in state.errors] == ["envs/prod.tfstate"]
    assert expected in state.errors[0].message


def test_a_malformed_entry_is_reported_and_the_rest_is_read(tmp_path: Path):
    doc = {"version": 4, "resources": [
        {"mode": "managed", "type": "oci_core_vcn"},
        {"mode": "managed", "type": "oci_core_vcn", "name": "ok", "instances": [{"attributes": {"id": "ocid1.vcn.oc1..v"}}]},
    ]}
    (tmp_path / "terraform.tfstate").write_text(json.dumps(doc))
    state = load_state([tmp_path / "terraform.tfstate", tmp_path / "missing.tfstate"])
    assert _addresses(state) == ["oci_core_vcn.ok"]
    assert len(state.errors) == 2
    assert "missing.tfstate" in state.errors[1].path and "no such file" in state.errors[1].message


def test_real_world_v3_states_are_refused_clearly():
    """States committed to public repositories by Terraform 0.10/0.11 users (corpus kept outside
    the repository, see benchmarks/README.md); skipped where the corpus is absent."""
    corpus = Path("/work/corpus/cloud/anjanidevio")
    files = sorted(corpus.rglob("*.tfstate")) if corpus.is_dir() else []
    files = [f for f in files if f.stat().st_size]
    if not files:
        pytest.skip("public state corpus not present on this machine")
    state = load_state(files)
    assert not state.resources
    assert len(state.errors) == len(files)
    assert all("version 3 is not supported" in e.message for e in state.errors)


def test_instance_addresses_are_rendered_as_terraform_prints_them():
    assert instance_address("", "managed", "oci_kms_key", "k", None) == "oci_kms_key.k"
    assert instance_address('module.a["x"]', "managed", "t", "n", 0) == 'module.a["x"].t.n[0]'
    assert instance_address("", "managed", "t", "n", 'say "hi"') == 't.n["say \\"hi\\""]'


def test_a_directory_yields_its_states_and_workspaces_only(tmp_path: Path):
    from scanner.sources.terraform_state import state_files

    v4 = '{"version": 4, "resources": []}'
    (tmp_path / "terraform.tfstate").write_text(v4)
    (tmp_path / "terraform.tfstate.backup").write_text(v4)
    (tmp_path / "terraform.tfstate.d" / "dev").mkdir(parents=True)
    (tmp_path / "terraform.tfstate.d" / "dev" / "terraform.tfstate").write_text(v4)
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "x.tfstate").write_text(v4)
    (tmp_path / "plan.json").write_text('{"format_version": "1.2", "planned_values": {}}')
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    found = [p.relative_to(tmp_path).as_posix() for p in state_files(tmp_path)]
    assert found == ["terraform.tfstate", "terraform.tfstate.d/dev/terraform.tfstate"]
