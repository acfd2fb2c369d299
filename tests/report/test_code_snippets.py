"""The text report's first screen: the offending lines under each finding (two lines of context,
line numbers, the offending ones marked), secrets masked, ``--compact`` without them, the docs
hint, and a headline that says which findings decide the exit code under ``--fail-on``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.workflow.snippets import mask_line

ROOT = Path(__file__).resolve().parents[2]
ENC_FAIL = ROOT / "fixtures" / "rules" / "OCI-ENC-001" / "fail"
SEC_FAIL = ROOT / "fixtures" / "rules" / "OCI-SEC-003" / "fail"
FIXTURE_SECRET = "Sup3r-S3cret-Passw0rd-41"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("OCISEC_FAIL_ON", raising=False)


def scan(*args: str):
    return runner.invoke(app, ["scan", *args])


def finding_block(output: str, rule_id: str) -> str:
    """The lines of the first finding of ``rule_id`` in a text report."""
    start = output.index(f"  {rule_id}  ")
    end = output.find("\n\n", start)
    return output[start:end if end >= 0 else None]


def test_missing_attribute_marks_the_block_header_with_two_lines_of_context():
    res = scan(str(ENC_FAIL), "--rule", "OCI-ENC-001")
    assert res.exit_code == 1
    block = finding_block(res.stdout, "OCI-ENC-001")
    lines = [line for line in block.splitlines() if re.match(r"^\s+(> )?\s*\d+ \| ", line)]
    assert lines == [
        "       8 | ",
        "       9 | # Encrypted with an Oracle-managed key only.",
        '    > 10 | resource "oci_objectstorage_bucket" "data" {',
        "      11 |   compartment_id = var.compartment_ocid",
        "      12 |   namespace      = data.oci_objectstorage_namespace.ns.namespace",
    ]
    assert block.rstrip().endswith("Docs: ocisec rules show OCI-ENC-001")


def test_offending_attribute_line_is_marked_and_its_secret_masked():
    res = scan(str(SEC_FAIL), "--rule", "OCI-SEC-003")
    assert res.exit_code == 1
    assert '    > 29 |   admin_password      = "***"' in res.stdout
    assert "      28 |   admin_username      = \"admin\"" in res.stdout  # context is shown as written
    assert FIXTURE_SECRET not in res.stdout


def test_compact_leaves_out_the_lines_but_keeps_the_docs_hint():
    res = scan(str(SEC_FAIL), "--rule", "OCI-SEC-003", "--compact")
    assert res.exit_code == 1
    assert not re.search(r"^\s+(> )?\s*\d+ \| ", res.stdout, re.M)
    assert "Docs: ocisec rules show OCI-SEC-003" in res.stdout


def test_other_formats_carry_no_source_lines():
    res = scan(str(SEC_FAIL), "--rule", "OCI-SEC-003", "--format", "json")
    assert res.exit_code == 1 and "admin_username" not in res.stdout


def test_helm_values_secret_and_variable_default_are_masked(tmp_path):
    chart = tmp_path / "chart"
    chart.mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: pay\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("replicaCount: 2\ndatabase:\n  host: db\n  password: Hunter2-Passw0rd\n")
    (tmp_path / "vars.tf").write_text('variable "db_password" {\n  type    = string\n  default = "Rt7-uQx9"\n}\n')
    res = scan(str(tmp_path), "--rule", "OCI-SEC-101,OCI-SEC-001")
    assert res.exit_code == 1, res.stdout
    assert "Hunter2-Passw0rd" not in res.stdout and "Rt7-uQx9" not in res.stdout
    assert '    > 4 |   password: "***"' in res.stdout
    assert '    > 3 |   default = "***"' in res.stdout  # a secrets rule's line is masked whatever the key


def test_mask_line_keeps_references_and_block_openers():
    assert mask_line('  admin_password = "x-y-z"') == '  admin_password = "***"'
    assert mask_line("  password: plain,") == '  password: "***",'
    assert mask_line("  admin_password = var.db_password") == "  admin_password = var.db_password"
    assert mask_line("  secret_content {") == "  secret_content {"
    assert mask_line('  name = "app"') == '  name = "app"'
    assert mask_line('  name = "app"', force=True) == '  name = "***"'


def test_fail_on_headline_names_the_gating_findings_and_lists_them_first():
    res = scan(str(SEC_FAIL), str(ENC_FAIL), "--fail-on", "high")
    assert res.exit_code == 1
    first = res.stdout.splitlines()[0]
    m = re.fullmatch(r"(\d+) failing at or above high \((.+)\); (\d+) below the threshold \((.+)\)", first)
    assert m, first
    below_at = res.stdout.index("Below the --fail-on threshold (high)")
    assert res.stdout.index("HIGH ") < below_at < res.stdout.index("MEDIUM ")
    assert "HIGH " not in res.stdout[below_at:]


def test_fail_on_above_every_finding_says_none_gate_and_exits_0():
    res = scan(str(ENC_FAIL), "--rule", "OCI-ENC-001", "--fail-on", "critical")
    assert res.exit_code == 0
    assert res.stdout.splitlines()[0] == "none failing at or above critical; 1 below the threshold (1 medium)"


def test_scan_without_a_path_scans_the_current_directory(tmp_path, monkeypatch):
    (tmp_path / "main.tf").write_text((ENC_FAIL / "main.tf").read_text())
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["scan", "--rule", "OCI-ENC-001"])
    assert res.exit_code == 1 and "main.tf:10" in res.stdout


def test_pem_blocks_and_long_tokens_never_show(tmp_path):
    from scanner.workflow.snippets import _read_lines

    key = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"
    (tmp_path / "f.tf").write_text(
        f'x = <<EOT\n-----BEGIN PRIVATE KEY-----\n{key}\n-----END PRIVATE KEY-----\nEOT\n'
        f'token = "{key}"\nid = "ocid1.key.oc1.eu-frankfurt-1.aaaaaaaabbbbbbbbccccccccddddddddeeee"\n'
    )
    lines = _read_lines(tmp_path / "f.tf")
    assert lines[1:4] == ["*** (PEM key material)"] * 3 and lines[4] == "EOT"
    assert key not in "\n".join(lines) and lines[5] == 'token = "***"'
    assert lines[6].endswith("eu-frankfurt-1.aaaaaaaabbbbbbbbccccccccddddddddeeee\"")


def test_markdown_summary_headline_names_the_threshold_too():
    res = scan(str(SEC_FAIL), str(ENC_FAIL), "--fail-on", "high", "--format", "markdown")
    assert res.exit_code == 1
    assert re.match(r"## ocisec: \d+ failing at or above high \(.+\); \d+ below the threshold \(.+\)$",
                    res.stdout.splitlines()[0]), res.stdout.splitlines()[0]


def test_mask_line_leaves_empty_values_empty():
    # issue 17: `existingSecret: ""` shown as `existingSecret: "***"` says a value is there
    assert mask_line('  existingSecret: ""') == '  existingSecret: ""'
    assert mask_line("  password: ~") == "  password: ~"
    assert mask_line('  password: "hunter22"') == '  password: "***"'
