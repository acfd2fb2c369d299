"""Help texts and messages a newcomer reads first (issue 16, "Help and messages")."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("TERMINAL_WIDTH", "100")


def help_of(*command: str) -> str:
    res = runner.invoke(app, [*command, "--help"])
    assert res.exit_code == 0, res.output
    return res.output


def test_top_level_help_names_every_source():
    text = help_of()
    for source in ("Terraform", "plan", "Helm", "Kubernetes manifests", "live"):
        assert source in text, source


@pytest.mark.parametrize("command", [(), ("scan",), ("audit",), ("baseline", "create"), ("baseline",),
                                     ("rules",), ("rules", "show"), ("diff",)])
def test_help_has_no_stray_spaces(command):
    # Square brackets are rich markup: "[default: low]" vanished and left "exit code 1 ." behind.
    for line in help_of(*command).splitlines():
        body = line.strip("│ ").rstrip()
        assert not re.search(r"\w \.(\s|$)", body), line


def test_command_summaries_are_one_line_so_help_never_hard_wraps():
    import typer.main

    group = typer.main.get_command(app)

    def commands(cmd):
        yield cmd
        for sub in (getattr(cmd, "commands", None) or {}).values():
            yield from commands(sub)

    for cmd in commands(group):
        first_paragraph = (cmd.help or "").strip().split("\n\n")[0]
        assert "\n" not in first_paragraph, f"{cmd.name}: {first_paragraph!r}"


def test_config_key_typo_suggests_the_closest_key(tmp_path):
    (tmp_path / ".ocisec.yaml").write_text("fail_onn: high\n")
    (tmp_path / "main.tf").write_text('resource "oci_core_vcn" "v" {\n  cidr_block = "10.0.0.0/16"\n}\n')
    res = runner.invoke(app, ["scan", str(tmp_path)])
    assert res.exit_code == 2
    assert "fail_onn" in res.output and "did you mean `fail_on`?" in res.output


def test_nested_config_key_typo_suggests_too(tmp_path):
    (tmp_path / ".ocisec.yaml").write_text("rules:\n  selct: [OCI-ENC-*]\n")
    (tmp_path / "main.tf").write_text('resource "oci_core_vcn" "v" {\n  cidr_block = "10.0.0.0/16"\n}\n')
    res = runner.invoke(app, ["scan", str(tmp_path)])
    assert res.exit_code == 2 and "did you mean `select`?" in res.output


def test_a_file_ocisec_does_not_read_is_named_with_what_it_reads():
    res = runner.invoke(app, ["scan", "README.md"])
    assert res.exit_code == 2
    assert "README.md" in res.stdout and "YAML" in res.stdout and "Terraform" in res.stdout


def test_single_file_summary_counts_the_files_named():
    named = ROOT / "fixtures" / "rules" / "OCI-SEC-003" / "fail" / "main.tf"
    assert len(list(named.parent.glob("*.tf"))) > 1  # siblings are context, not scanned files
    res = runner.invoke(app, ["scan", str(named), "--compact"])
    assert res.stdout.rstrip().endswith("in 1 file"), res.stdout[-200:]


def test_single_values_file_summary_counts_only_it(tmp_path):
    chart = tmp_path / "chart"
    chart.mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: pay\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("replicaCount: 2\n")
    (chart / "values-prod.yaml").write_text("replicaCount: 3\n")
    res = runner.invoke(app, ["scan", str(chart / "values-prod.yaml"), "--compact"])
    assert res.stdout.rstrip().endswith("in 1 file"), res.stdout[-300:]


def test_baseline_file_is_named_once(tmp_path, monkeypatch):
    src = ROOT / "fixtures" / "rules" / "OCI-ENC-001" / "fail" / "main.tf"
    (tmp_path / "main.tf").write_text(src.read_text())
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["baseline", "create", "."]).exit_code == 0
    res = runner.invoke(app, ["scan", ".", "--baseline", ".ocisec-baseline.json"])
    assert res.exit_code == 0
    for line in res.output.splitlines():
        assert line.count(".ocisec-baseline.json") <= 1, line
    assert res.output.count(".ocisec-baseline.json") <= 4  # once per suppressed finding, nothing more


@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_rules_show_in_json_and_markdown(fmt):
    res = runner.invoke(app, ["rules", "show", "OCI-ENC-001", "--format", fmt])
    assert res.exit_code == 0, res.output
    if fmt == "json":
        doc = json.loads(res.stdout)
        assert doc["id"] == "OCI-ENC-001" and doc["failure"] and doc["remediation"]
    else:
        assert res.stdout.startswith("## OCI-ENC-001") or "OCI-ENC-001" in res.stdout.splitlines()[0]
