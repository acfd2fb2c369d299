"""A values.schema.json whose `$ref` points at a URL (NGINX Inc's nginx-ingress chart, issue 17
heldout11) is not bad input: ocisec never fetches it, says so once as a note, and goes on."""

from __future__ import annotations

import json
from pathlib import Path

from scanner.workflow.scan import ScanOptions, run_scan


def _chart(root: Path, ref: str) -> Path:
    chart = root / "edge"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: edge\nversion: 1.0.0\n")
    (chart / "values.yaml").write_text("controller:\n  replicaCount: 2\n  resources: {}\n")
    (chart / "values-prod.yaml").write_text("controller:\n  replicaCount: 3\n")
    schema = {
        "type": "object",
        "properties": {
            "controller": {"type": "object", "properties": {"resources": {"$ref": ref}}},
        },
    }
    (chart / "values.schema.json").write_text(json.dumps(schema))
    return chart


def test_remote_schema_reference_is_one_note(tmp_path, monkeypatch):
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))
    chart = _chart(tmp_path, "https://schemas.example.com/k8s/_definitions.json#/definitions/Resources")
    result, _ = run_scan([chart], ScanOptions(cache_dir=None))
    schema_errors = [e for e in result.errors if "values.schema.json" in e.path]
    assert len(schema_errors) == 1  # the same fault in base and prod: said once
    assert schema_errors[0].level == "note"
    assert "https://schemas.example.com/k8s/_definitions.json" in schema_errors[0].message


def test_local_unresolvable_reference_stays_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))
    chart = _chart(tmp_path, "#/definitions/missing")
    result, _ = run_scan([chart], ScanOptions(cache_dir=None))
    schema_errors = [e for e in result.errors if "values.schema.json" in e.path]
    assert schema_errors and all(e.level == "error" for e in schema_errors)
    assert len(schema_errors) == 1
