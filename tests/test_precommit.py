"""The pre-commit hook run by the real pre-commit framework, as a team adopting it would.

A temporary git repository names a committed copy of this repository in its
``.pre-commit-config.yaml`` (``repo: <path>``, ``rev: <sha>``), exactly as a team pins a release;
pre-commit clones it, installs it non-editable into its own venv (once for the module: the
environment is keyed by repo and rev, which ``try-repo``'s temporary shadow copies defeat) and
runs the ``ocisec`` hook of ``.pre-commit-hooks.yaml`` on the files given.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _clone import committed_copy, git

PRE_COMMIT = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))
SECRET = "Sup3r-Secret-Passw0rd"

UNENCRYPTED_BUCKET = """resource "oci_objectstorage_bucket" "raw" {
  compartment_id        = var.compartment_ocid
  namespace             = "bank"
  name                  = "raw"
  access_type           = "NoPublicAccess"
  versioning            = "Enabled"
  object_events_enabled = true
}
"""
COMPLIANT_BUCKET = """resource "oci_objectstorage_bucket" "reports" {
  compartment_id        = var.compartment_ocid
  namespace             = "bank"
  name                  = "reports"
  access_type           = "NoPublicAccess"
  versioning            = "Enabled"
  object_events_enabled = true
  kms_key_id            = "ocid1.key.oc1.eu-frankfurt-1.aaaastorage"
}
"""
VARIABLES = """variable "compartment_ocid" {
  type = string
}

variable "db_password" {
  type      = string
  sensitive = true
}
"""


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> Path:
    if not Path(PRE_COMMIT).exists():
        pytest.fail("pre-commit is not installed: it is in the test extras, run `bash .ci/setup`")
    return committed_copy(tmp_path_factory.mktemp("hook") / "ocisec")


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory) -> Path:
    """One pre-commit cache for the module: the hook's venv is built once, then reused."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def work_repo(tmp_path, hook_repo) -> Path:
    repo = tmp_path / "infra"
    repo.mkdir()
    git("init", "-q", cwd=repo)
    rev = git("rev-parse", "HEAD", cwd=hook_repo).strip()
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n      - id: ocisec\n"
    )
    (repo / "variables.tf").write_text(VARIABLES)
    (repo / "ok.tf").write_text(COMPLIANT_BUCKET)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "base", cwd=repo)
    return repo


def run_hook(home: Path, repo: Path, *files: str) -> subprocess.CompletedProcess:
    """``pre-commit run ocisec --files ...`` in ``repo`` (verbose: a passing hook's output too)."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(PRE_COMMIT_HOME=str(home), OCISEC_CACHE_DIR=str(home / "ocisec-cache"), NO_COLOR="1")
    return subprocess.run(
        [PRE_COMMIT, "run", "ocisec", "--verbose", "--files", *files],
        cwd=repo, capture_output=True, text=True, env=env, timeout=600,
    )


def test_unencrypted_bucket_is_blocked_with_the_rule_id(hook_repo, pre_commit_home, work_repo):
    (work_repo / "bucket.tf").write_text(UNENCRYPTED_BUCKET)
    git("add", "bucket.tf", cwd=work_repo)
    proc = run_hook(pre_commit_home, work_repo, "bucket.tf")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "OCI-ENC-001" in proc.stdout and "bucket.tf:1" in proc.stdout
    assert "Failed" in proc.stdout


def test_compliant_file_passes(hook_repo, pre_commit_home, work_repo):
    proc = run_hook(pre_commit_home, work_repo, "ok.tf")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout


def test_staged_tfvars_with_a_literal_password_is_blocked(hook_repo, pre_commit_home, work_repo):
    (work_repo / "prod.tfvars").write_text(f'db_password = "{SECRET}"\n')
    git("add", "prod.tfvars", cwd=work_repo)
    proc = run_hook(pre_commit_home, work_repo, "prod.tfvars")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "OCI-SEC-001" in proc.stdout and "var.db_password" in proc.stdout
    assert SECRET not in proc.stdout + proc.stderr


def test_a_broken_sibling_only_warns(hook_repo, pre_commit_home, work_repo):
    # An untracked, half-written file beside the staged one must not block the commit.
    (work_repo / "wip.tf").write_text('resource "oci_core_vcn" "half" {\n  cidr_blocks = [\n')
    proc = run_hook(pre_commit_home, work_repo, "ok.tf")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "wip.tf" in proc.stdout and "Warnings" in proc.stdout


CHART = "apiVersion: v2\nname: payments\nversion: 0.1.0\n"
BASE_VALUES = "replicaCount: 2\ndatabase:\n  host: db.internal\n  existingSecret: payments-db\n"
STRING_DATA_SECRET = f"""apiVersion: v1
kind: Secret
metadata:
  name: payments-db
stringData:
  password: {SECRET}
"""
WORKFLOW = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"


def test_plaintext_password_added_to_helm_prod_values_is_blocked(hook_repo, pre_commit_home, work_repo):
    chart = work_repo / "charts" / "payments"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text(CHART)
    (chart / "values.yaml").write_text(BASE_VALUES)
    git("add", "-A", cwd=work_repo)
    git("commit", "-q", "-m", "chart", cwd=work_repo)
    (chart / "values-prod.yaml").write_text(f"database:\n  password: \"{SECRET}\"\n")
    git("add", "charts/payments/values-prod.yaml", cwd=work_repo)
    proc = run_hook(pre_commit_home, work_repo, "charts/payments/values-prod.yaml")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "OCI-SEC-101" in proc.stdout and "charts/payments/values-prod.yaml:2" in proc.stdout
    assert SECRET not in proc.stdout + proc.stderr


def test_kubernetes_secret_with_string_data_is_blocked(hook_repo, pre_commit_home, work_repo):
    (work_repo / "k8s").mkdir()
    (work_repo / "k8s" / "db-secret.yaml").write_text(STRING_DATA_SECRET)
    git("add", "k8s/db-secret.yaml", cwd=work_repo)
    proc = run_hook(pre_commit_home, work_repo, "k8s/db-secret.yaml")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "OCI-SEC-103" in proc.stdout and "k8s/db-secret.yaml" in proc.stdout
    assert SECRET not in proc.stdout + proc.stderr


def test_other_yaml_is_read_and_ignored_without_a_word(hook_repo, pre_commit_home, work_repo):
    (work_repo / ".github" / "workflows").mkdir(parents=True)
    (work_repo / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    (work_repo / ".ocisec.yaml").write_text("fail_on: low\n")
    # Tool configuration shaped like objects (apiVersion + kind) but never sent to a cluster.
    (work_repo / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deploy.yaml\n")
    (work_repo / "kind-config.yaml").write_text("apiVersion: kind.x-k8s.io/v1alpha4\nkind: Cluster\nnodes: []\n")
    git("add", "-A", cwd=work_repo)
    proc = run_hook(pre_commit_home, work_repo, ".github/workflows/ci.yml", ".ocisec.yaml",
                    ".pre-commit-config.yaml", "kustomization.yaml", "kind-config.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout
    assert "error" not in proc.stdout.lower() and "warning" not in proc.stdout.lower()
    assert "note" not in proc.stdout.lower() and "Kustomization" not in proc.stdout


def test_hook_selects_terraform_helm_and_manifests_but_not_other_files():
    import re

    import yaml

    (hook,) = yaml.safe_load((Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml").read_text())
    pattern = re.compile(hook["files"])
    for name in ("main.tf", "prod.tfvars", "main.tf.json", "x.tfvars.json", "charts/a/values-prod.yaml",
                 "charts/a/Chart.yaml", "charts/a/templates/deployment.yaml", "k8s/secret.yml"):
        assert pattern.search(name), name
    for name in ("README.md", "main.py", "plan.json", "values.yaml.bak"):
        assert not pattern.search(name), name
