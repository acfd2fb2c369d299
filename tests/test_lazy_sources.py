"""Start-up cost of a scan of charts and manifests: the Terraform source (HCL parser, evaluator,
parse cache) is imported only when there is Terraform to read. Checked in a fresh interpreter,
by the modules it loaded, never by a clock."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import scanner.sources.paths as paths
import scanner.sources.terraform as terraform

ROOT = Path(__file__).resolve().parents[1]

_PROBE = """
import json, sys
from pathlib import Path
from scanner.workflow.scan import run_scan
result, _ = run_scan([Path(p) for p in sys.argv[1:]])
print(json.dumps({"terraform": sorted(m for m in sys.modules if m.startswith("scanner.sources.terraform.")
                                      or m == "scanner.sources.terraform"),
                  "inputs": result.inputs}))
"""


def _modules_after_scan(*targets: Path) -> dict:
    out = subprocess.run(  # noqa: S603 - this interpreter, a fixed program
        [sys.executable, "-c", _PROBE, *map(str, targets)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_a_scan_of_charts_and_manifests_does_not_import_the_terraform_source(tmp_path):
    (tmp_path / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 2}\n"
    )
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("replicaCount: 1\n")
    seen = _modules_after_scan(tmp_path)
    assert seen["inputs"]  # the scan did read the files
    assert seen["terraform"] == []


def test_a_scan_with_terraform_still_reads_it(tmp_path):
    (tmp_path / "main.tf").write_text('resource "oci_objectstorage_bucket" "b" {\n  name = "b"\n}\n')
    seen = _modules_after_scan(tmp_path)
    assert "scanner.sources.terraform" in seen["terraform"]
    assert seen["inputs"] == ["main.tf"]


def test_the_terraform_source_names_files_with_the_shared_helpers():
    assert (terraform.is_tf, terraform.is_tfvars, terraform.rel) == (paths.is_tf, paths.is_tfvars, paths.rel)
