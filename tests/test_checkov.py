"""`ocisec scan --with-checkov`: the real Checkov, from its own venv (`.ci/setup` installs it into
`.venv-checkov`), merged into every output format without duplicating ocisec's rules."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.engine.policy import load_rules
from scanner.workflow.checkov import DUPLICATES, checkov_command

ROOT = Path(__file__).resolve().parents[1]
INSECURE = ROOT / "fixtures" / "platform" / "insecure"
SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
runner = CliRunner()


def _checkov_bin() -> Path | None:
    for candidate in (os.environ.get("OCISEC_CHECKOV_BIN"), ROOT / ".venv-checkov" / "bin" / "checkov",
                      shutil.which("checkov")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="module")
def merged(tmp_path_factory) -> dict:
    """One real Checkov run over the insecure platform, reported as JSON, SARIF and text."""
    checkov = _checkov_bin()
    if checkov is None:
        if os.environ.get("CI"):
            pytest.fail("checkov is missing under CI: .ci/setup installs it into .venv-checkov")
        pytest.skip("checkov not installed (bash .ci/setup installs it into .venv-checkov)")
    out = tmp_path_factory.mktemp("checkov")
    os.environ.setdefault("OCISEC_CACHE_DIR", str(out / "cache"))
    res = runner.invoke(app, ["scan", str(INSECURE), "--with-checkov", "--checkov-bin", str(checkov),
                              "--output", f"json={out / 'r.json'}", "--output", f"sarif={out / 'r.sarif'}",
                              "--output", f"github={out / 'gh.txt'}", "--output", f"markdown={out / 'pr.md'}",
                              "--output", f"gitlab-sast={out / 'gl.json'}", "--output", f"junit={out / 'j.xml'}",
                              "--output", "text"])
    others = {name: (out / name).read_text() for name in ("gh.txt", "pr.md", "gl.json", "j.xml")}
    return {"code": res.exit_code, "text": res.stdout, "stderr": res.stderr, "others": others,
            "json": json.loads((out / "r.json").read_text()), "sarif": json.loads((out / "r.sarif").read_text())}


def test_checkov_findings_are_merged_under_their_ids(merged):
    assert merged["code"] == 1, merged["stderr"]
    doc = merged["json"]
    assert doc["errors"] == []
    ckv = {(f["rule_id"], f["resource"]["address"]) for f in doc["findings"] if f["rule_id"].startswith("CKV")}
    # Checks ocisec has no rule for stay: block volume backups, stateful NSG rules.
    assert ("CKV_OCI_2", "module.batch.oci_core_volume.spool") in ckv
    assert any(rule == "CKV_OCI_21" for rule, _ in ckv)
    for f in doc["findings"]:
        if f["rule_id"].startswith("CKV"):
            assert (Path(doc["root"]) / f["location"]["file"]).is_file() and f["location"]["start_line"] >= 1


def test_duplicates_of_ocisec_rules_are_dropped(merged):
    doc = merged["json"]
    found = {f["rule_id"] for f in doc["findings"]}
    # Checkov fails CKV_OCI_9 (bucket CMK) on public_assets; ocisec's OCI-ENC-001 already says so.
    assert "OCI-ENC-001" in found and "CKV_OCI_9" not in found
    for ckv, ours in DUPLICATES.items():
        assert ckv not in found or ours not in found


def test_checkov_findings_reach_sarif_and_text(merged):
    jsonschema = pytest.importorskip("jsonschema")
    log = merged["sarif"]
    jsonschema.validate(log, json.loads(SCHEMA.read_text()))
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert "CKV_OCI_2" in rules and rules["CKV_OCI_2"]["helpUri"].startswith("https://")
    assert any(r["ruleId"] == "CKV_OCI_2" for r in log["runs"][0]["results"])
    assert "CKV_OCI_2" in merged["text"]


def test_checkov_findings_reach_the_pr_formats(merged):
    for name, body in merged["others"].items():
        assert "CKV_OCI_2" in body, name
        assert "CKV_OCI_9" not in body, name


def test_json_report_with_checkov_matches_its_schema(merged):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "scanner" / "report" / "json-output.schema.json").read_text())
    jsonschema.validate(merged["json"], schema)


def test_without_checkov_a_clear_message_and_exit_2(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("OCISEC_CHECKOV_BIN", raising=False)
    res = runner.invoke(app, ["scan", str(INSECURE), "--with-checkov"])
    assert res.exit_code == 2
    assert "no checkov on PATH" in res.stderr and "--checkov-bin" in res.stderr
    res = runner.invoke(app, ["scan", str(INSECURE), "--with-checkov", "--checkov-bin", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "is not an executable file" in res.stderr


def test_duplicate_table_names_real_rules():
    ids = {r.id for r in load_rules()[0]}
    assert set(DUPLICATES.values()) <= ids


def test_command_uses_directories_and_files(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text("{}")
    cmd = checkov_command(Path("/x/checkov"), [tmp_path, plan])
    assert cmd[cmd.index("-d") + 1] == str(tmp_path) and cmd[cmd.index("-f") + 1] == str(plan)
    assert cmd[cmd.index("--framework") + 1:] == ["terraform", "terraform_plan"]
    assert "--soft-fail" in cmd and "--skip-download" in cmd
