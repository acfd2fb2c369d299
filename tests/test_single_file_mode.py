"""Single-file (pre-commit) mode: unnamed files beside the named ones are context only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app

runner = CliRunner()
BUCKET = """resource "oci_objectstorage_bucket" "data" {
  name                  = "data"
  access_type           = "NoPublicAccess"
  versioning            = "Enabled"
  object_events_enabled = true
  kms_key_id            = local.storage_key
}
"""
HALF_WRITTEN = 'locals {\n  storage_key = "ocid1.key.oc1..aaaa"\n  broken = [\n'


@pytest.fixture
def stack(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / ".cache"))
    (tmp_path / "main.tf").write_text(BUCKET)
    (tmp_path / "wip.tf").write_text(HALF_WRITTEN)  # declares local.storage_key, but cannot be parsed
    return tmp_path


def scan_json(*args: str) -> tuple[int, dict]:
    res = runner.invoke(app, ["scan", *args, "--format", "json"])
    return res.exit_code, json.loads(res.stdout)


def test_broken_unnamed_sibling_is_a_warning_and_dependent_results_are_unknown(stack):
    code, doc = scan_json("main.tf")
    assert code == 0
    (err,) = doc["errors"]
    assert err["path"] == "wip.tf" and err["level"] == "warning" and err["line"]
    assert doc["summary"]["errors"] == 0
    # kms_key_id refers to a local the broken file declares: neither passed nor failed.
    assert [(f["rule_id"], f["status"]) for f in doc["unknown"]] == [("OCI-ENC-001", "unknown")]
    assert doc["findings"] == []


def test_text_report_shows_the_warning_without_calling_the_scan_incomplete(stack):
    res = runner.invoke(app, ["scan", "main.tf"])
    assert res.exit_code == 0
    assert res.stdout.splitlines()[0] == "No failed findings."
    assert "Warnings" in res.stdout and "wip.tf:" in res.stdout and "1 warning" in res.stdout


def test_a_named_file_that_cannot_be_parsed_is_still_an_error(stack):
    code, doc = scan_json("main.tf", "wip.tf")
    assert code == 2
    assert [(e["path"], e["level"]) for e in doc["errors"]] == [("wip.tf", "error")]


def test_scanning_the_directory_keeps_the_error(stack):
    code, doc = scan_json(".")
    assert code == 2 and doc["errors"][0]["level"] == "error"
