"""A file a kustomization names as a patch is a patch, not an object (issue 17, heldout15:
argocd-example-apps' ``plugins/kustomized-helm/overlays/guestbook-deployment.yaml``, a Deployment
with a name and an image, read as a one-replica Deployment of its own). Patches are not judged as
workloads; the literal secrets they write (env, a Secret's data) and PEM keys still are. Files
listed under ``resources:`` stay objects. Fixture: ``fixtures/helm/kustomize-patches``."""

from __future__ import annotations

import shutil

from helm_scan import FIX, _env  # noqa: F401  (_env: the shared autouse fixture)

from scanner.sources.helm import load_kubernetes
from scanner.sources.helm.kustomize import KustomizePatches
from scanner.workflow.scan import ScanOptions, run_scan

TREE = FIX / "kustomize-patches"


def _failed(path, *rules):
    result, _ = run_scan([path], ScanOptions(rule_ids=list(rules), cache_dir=None))
    assert [e for e in result.errors if e.level == "error"] == []
    return {
        (f.rule_id, f.location.file.rsplit("/", 1)[-1], f.location.start_line)
        for f in result.findings
        if f.status.name == "FAILED"
    }


def test_which_files_are_patches():
    patches = KustomizePatches(TREE)
    assert patches.is_patch(TREE / "overlays" / "guestbook-deployment.yaml")  # `- path` string
    assert patches.is_patch(TREE / "overlays" / "guestbook-env.yaml")  # `- path:` with a target
    assert patches.is_patch(TREE / "overlays" / "guestbook-secret.yaml")  # patchesStrategicMerge
    assert not patches.is_patch(TREE / "base" / "guestbook.yaml")  # resources: an object


def test_a_patch_is_not_judged_as_a_workload():
    failed = _failed(TREE, "OCI-HA-101", "OCI-HA-102", "OCI-HA-103", "OCI-HA-104", "OCI-IAM-406")
    assert {(r, f) for r, f, _ in failed} == {
        ("OCI-HA-101", "guestbook.yaml"),  # the base Deployment, listed under resources:
        ("OCI-IAM-406", "guestbook.yaml"),
    }


def test_literal_secrets_in_patches_are_still_found():
    failed = _failed(TREE, "OCI-SEC-102", "OCI-SEC-103")
    assert failed == {("OCI-SEC-102", "guestbook-env.yaml", 11), ("OCI-SEC-103", "guestbook-secret.yaml", 5)}


def test_patch_resources_and_files():
    files = sorted(TREE.rglob("*.yaml"))
    loaded = load_kubernetes(files, TREE)
    kinds = {r.address: r.kind for r in loaded.resources if r.kind != "file"}
    assert kinds["patch:Deployment/guestbook-ui"] == "kustomize.patch"
    assert kinds["patch:Deployment/guestbook-env.yaml"] == "kustomize.patch"  # nameless: its file
    assert kinds["Secret/guestbook-redis"] == "k8s.Secret"
    assert kinds["Deployment/guestbook-ui"] == "k8s.Deployment"
    # every file is still a file resource: a PEM key in a patch is OCI-SEC-007
    assert {"overlays/guestbook-deployment.yaml", "overlays/guestbook-env.yaml"} <= set(loaded.files)


def test_without_the_kustomization_the_same_file_is_an_object(tmp_path):
    (tmp_path / "overlays").mkdir()
    shutil.copy(TREE / "overlays" / "guestbook-deployment.yaml", tmp_path / "overlays")
    failed = _failed(tmp_path, "OCI-HA-101")
    assert failed == {("OCI-HA-101", "guestbook-deployment.yaml", 2)}  # the document starts after the comment


def test_a_file_listed_as_a_resource_anywhere_stays_an_object(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(TREE, tree)
    # a second kustomization, in the overlay's own directory, lists the file as a resource
    (tree / "overlays" / "kustomization.yaml").write_text("resources:\n  - guestbook-deployment.yaml\n")
    assert not KustomizePatches(tree).is_patch(tree / "overlays" / "guestbook-deployment.yaml")


def test_a_literal_in_a_patch_is_masked_in_reports():
    from typer.testing import CliRunner

    from scanner.cli import app

    out = CliRunner().invoke(app, ["scan", str(TREE), "--format", "text"]).output
    assert "REDIS_PASSWORD" in out and "Gu3stb00k-Redis-Pw-7731" not in out


def test_an_unreadable_kustomization_names_no_patch(tmp_path):
    # attacker-controlled input: broken YAML, a list instead of a mapping, a device behind a
    # symlink, odd entries. None may crash the scan; the files stay objects.
    target = tmp_path / "deployment.yaml"
    shutil.copy(TREE / "overlays" / "guestbook-deployment.yaml", target)
    for text in ("patches: [deployment.yaml\n", "- deployment.yaml\n", "patches: [1, {path: 2}, null]\n"):
        (tmp_path / "kustomization.yaml").write_text(text)
        assert not KustomizePatches(tmp_path).is_patch(target)
    (tmp_path / "kustomization.yaml").unlink()
    (tmp_path / "kustomization.yaml").symlink_to("/dev/zero")
    assert not KustomizePatches(tmp_path).is_patch(target)
    result, _ = run_scan([tmp_path], ScanOptions(rule_ids=["OCI-HA-101"], cache_dir=None))
    assert [(e.path, e.level) for e in result.errors] == [
        ("kustomization.yaml", "error")
    ]  # said, not skipped
    assert [f.location.file for f in result.findings if f.status.name == "FAILED"] == ["deployment.yaml"]
