"""benchmarks/corpus.py: per-corpus files, parse failures with Terraform's verdict, findings per
rule, unknowns per cause."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "corpus.py"


def _load():
    spec = importlib.util.spec_from_file_location("corpus_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


corpus = _load()


def test_causes_fold_names_and_numbers():
    msg = "var.x: cannot be decided statically (instances unknown: module.a[0]: count of var.n_nodes 3)"
    assert corpus.cause_of(msg) == "instances unknown: <ref>: count of <ref> N"


def test_report_of_a_small_corpus(tmp_path, monkeypatch):
    (tmp_path / "main.tf").write_text(
        'resource "oci_objectstorage_bucket" "b" {\n  compartment_id = "ocid1.compartment.oc1..x"\n'
        '  name = "b"\n  namespace = "ns"\n  access_type = "ObjectRead"\n}\n'
    )
    (tmp_path / "broken.tf").write_text('resource "x" "y" {\n')
    monkeypatch.chdir(tmp_path)
    report = corpus.scan_corpus(tmp_path, per_rule=2)
    assert report.files == 2
    [failure] = report.parse_failures
    assert failure["path"] == "broken.tf" and failure["terraform"] in ("invalid", "terraform not found")
    assert report.failed_by_rule["OCI-DAT-001"] == 1
    assert any(s["rule"] == "OCI-DAT-001" and s["where"] == "main.tf:5" for s in report.sample)
    assert report.sample[0]["source"]  # the lines to judge it by
    assert corpus.main([str(tmp_path), "--per-rule", "1", "--show-source"]) == 0
