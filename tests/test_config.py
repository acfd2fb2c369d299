"""Configuration: where the file is found, its validation, what it sets, and precedence
(command line > OCISEC_* environment > file)."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from scanner.cli import app
from scanner.model import Finding, Location, Provenance, Resource, Status
from scanner.workflow.baseline import baseline_document
from scanner.workflow.config import ConfigError, Settings, build_settings, find_config, read_config_file
from scanner.workflow.suppress import apply_suppressions

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

BUCKET = """\
resource "oci_objectstorage_bucket" "{name}" {{
  compartment_id = "ocid1.compartment.oc1..x"
  namespace      = "ns"
  name           = "{name}"
}}
"""
SECRET = """\
resource "oci_vault_secret" "db" {
  compartment_id = "ocid1.compartment.oc1..x"
  secret_name    = "db"
  vault_id       = "ocid1.vault.oc1..x"
  key_id         = "ocid1.key.oc1..x"
  rotation_config {
    is_scheduled_rotation_enabled = true
    rotation_interval             = "P60D"
    target_system_details {
      target_system_type = "ADB"
      adb_id             = "ocid1.autonomousdatabase.oc1..x"
    }
  }
}
"""


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / ".cache"))
    for name in ("OCISEC_CONFIG", "OCISEC_FORMAT", "OCISEC_FAIL_ON", "OCISEC_STRICT", "OCISEC_RULE",
                 "OCISEC_SKIP_RULE", "OCISEC_SEVERITY", "OCISEC_CATEGORY", "OCISEC_POLICIES", "OCISEC_BASELINE",
                 "OCISEC_SOFT_FAIL"):
        monkeypatch.delenv(name, raising=False)


def project(tmp_path: Path, config: dict | None = None, files: dict[str, str] | None = None) -> Path:
    root = tmp_path / "repo"
    root.mkdir(exist_ok=True)
    for name, text in (files or {"main.tf": BUCKET.format(name="data")}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    if config is not None:
        (root / ".ocisec.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root


def scan(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict, str]:
    res = runner.invoke(app, ["scan", *args, "--format", "json"], env=env)
    try:
        doc = json.loads(res.stdout)
    except json.JSONDecodeError:
        doc = {}
    return res.exit_code, doc, res.output


def failed_rules(doc: dict) -> set[str]:
    return {f["rule_id"] for f in doc["findings"]}


# --- discovery -------------------------------------------------------------------------------------


def test_config_at_the_scan_root_is_found(tmp_path):
    root = project(tmp_path, {"rules": {"select": ["OCI-ENC-001"]}})
    code, doc, _ = scan(str(root))
    assert code == 1 and failed_rules(doc) == {"OCI-ENC-001"}


def test_config_at_the_git_root_applies_to_a_subdirectory(tmp_path):
    root = project(tmp_path, {"rules": {"skip": ["OCI-DAT-*"]}}, {"infra/app/main.tf": BUCKET.format(name="d")})
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    assert find_config([root / "infra" / "app"]) == root / ".ocisec.yaml"
    _, doc, _ = scan(str(root / "infra" / "app"))
    assert failed_rules(doc) == {"OCI-ENC-001"}


def test_no_config_above_the_git_root_is_read(tmp_path):
    (tmp_path / ".ocisec.yaml").write_text("rules: {select: [OCI-ENC-001]}\n")
    root = project(tmp_path)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    assert find_config([root]) is None


def test_pyproject_tool_table(tmp_path):
    root = project(tmp_path)
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.ocisec.rules]\nselect = ["oci-enc-001"]\n')
    assert find_config([root]) == root / "pyproject.toml"
    _, doc, _ = scan(str(root))
    assert failed_rules(doc) == {"OCI-ENC-001"}


def test_pyproject_without_the_table_is_not_a_config(tmp_path):
    root = project(tmp_path)
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_config([root]) is None


def test_no_config_flag_and_explicit_config(tmp_path):
    root = project(tmp_path, {"rules": {"select": ["OCI-ENC-001"]}})
    _, doc, _ = scan(str(root), "--no-config")
    assert len(failed_rules(doc)) > 1
    other = tmp_path / "other.yaml"
    other.write_text("rules: {select: [OCI-DAT-002]}\n")
    _, doc, _ = scan(str(root), "--config", str(other))
    assert failed_rules(doc) == {"OCI-DAT-002"}
    code, _, out = scan(str(root), "--config", str(tmp_path / "missing.yaml"))
    assert code == 2 and "missing.yaml" in out


# --- validation: errors name the file and the key, exit 2 ------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("fail_on: hgih\n", "fail_on"),
        ("rulez: {}\n", "(top level)"),
        ("rules: {select: [1]}\n", "rules.select"),
        ("waivers:\n  - {rule: OCI-ENC-001, expires: 2027-01-01}\n", "waivers.0"),
        ("waivers:\n  - {rule: OCI-ENC-001, reason: x, expires: soon}\n", "waivers.0.expires"),
        ("strict: [yes]\n", "strict"),
        ("format: pdf\n", "format"),
        ("format: [oops\n", "invalid YAML at line"),
    ],
)
def test_invalid_config_names_file_and_key(tmp_path, text, key):
    root = project(tmp_path)
    (root / ".ocisec.yaml").write_text(text)
    if key != "format":  # a format name is checked by the command line, which knows the formats
        with pytest.raises(ConfigError) as err:
            read_config_file(root / ".ocisec.yaml")
        assert str(root / ".ocisec.yaml") in str(err.value) and key in str(err.value)
    res = runner.invoke(app, ["scan", str(root)])
    assert res.exit_code == 2 and ".ocisec.yaml" in res.output and key in res.output


def test_mandatory_waiver_reason_and_expiry(tmp_path):
    root = project(tmp_path, {"waivers": [{"rule": "OCI-ENC-001", "resource": "*", "reason": "x"}]})
    code, _, out = scan(str(root))
    assert code == 2 and "'expires' is a required property" in out


def test_unknown_rule_ids_in_the_file_are_errors(tmp_path):
    root = project(tmp_path, {"rules": {"skip": ["OCI-ENC-999"]}})
    code, _, out = scan(str(root))
    assert code == 2 and "rules.skip" in out and "OCI-ENC-999" in out


def test_unknown_ids_on_the_command_line_exit_2(tmp_path):
    root = project(tmp_path)
    for flag in ("--rule", "--skip-rule"):
        code, _, out = scan(str(root), flag, "OCI-NOPE-001")
        assert code == 2 and f"{flag}: unknown rule id 'OCI-NOPE-001'" in out


def test_ids_and_severities_case_insensitive_with_comma_lists(tmp_path):
    root = project(tmp_path)
    code, doc, _ = scan(str(root), "--rule", "oci-enc-001,Oci-Dat-002", "--rule", "OCI-DAT-003")
    assert failed_rules(doc) == {"OCI-ENC-001", "OCI-DAT-002", "OCI-DAT-003"}
    _, doc, _ = scan(str(root), "--skip-rule", "oci-dat-002,OCI-DAT-003", "--rule", "OCI-DAT-*,oci-enc-001")
    assert failed_rules(doc) == {"OCI-ENC-001"}
    code, _, _ = scan(str(root), "--rule", "OCI-ENC-001", "--fail-on", "HIGH")
    assert code == 0  # ENC-001 is medium
    _, doc, _ = scan(str(root), "--severity", "LOW")
    assert failed_rules(doc) == {"OCI-DAT-003"}
    _, doc, _ = scan(str(root), "--category", "Encryption")
    assert failed_rules(doc) == {"OCI-ENC-001"}


# --- what the file sets ----------------------------------------------------------------------------


def test_rule_selection_by_category_and_severity_in_the_file(tmp_path):
    root = project(tmp_path, {"rules": {"categories": "data", "severities": ["medium"]}})
    _, doc, _ = scan(str(root))
    assert failed_rules(doc) == {"OCI-DAT-002"}


def test_rule_parameters_per_rule_and_shared(tmp_path):
    files = {"main.tf": SECRET}
    root = project(tmp_path, None, files)
    _, doc, _ = scan(str(root), "--rule", "OCI-ROT-001")
    assert failed_rules(doc) == set()  # 60 days <= the default 90
    (root / ".ocisec.yaml").write_text("rule_parameters:\n  oci-rot-001: {max_days: 30}\n")
    _, doc, _ = scan(str(root), "--rule", "OCI-ROT-001")
    assert failed_rules(doc) == {"OCI-ROT-001"}
    assert next(r for r in doc["rules"] if r["id"] == "OCI-ROT-001")["parameters"]["max_days"] == 30
    (root / ".ocisec.yaml").write_text("parameters: {max_days: 45}\n")
    _, doc, _ = scan(str(root), "--rule", "OCI-ROT-00*")
    assert "OCI-ROT-001" in failed_rules(doc)
    assert {r["id"]: r["parameters"]["max_days"] for r in doc["rules"]} == {
        "OCI-ROT-001": 45, "OCI-ROT-002": 45, "OCI-ROT-003": 45,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rule_parameters:\n  OCI-ROT-001: {max_dayz: 30}\n", "rule_parameters.OCI-ROT-001.max_dayz"),
        ("rule_parameters:\n  OCI-ROT-001: {max_days: thirty}\n", "expected a number"),
        ("rule_parameters:\n  OCI-XYZ-001: {max_days: 1}\n", "rule_parameters.OCI-XYZ-001: no such rule"),
        ("parameters: {max_dayz: 30}\n", "parameters.max_dayz: no rule declares"),
    ],
)
def test_bad_rule_parameters_are_named(tmp_path, text, message):
    root = project(tmp_path)
    (root / ".ocisec.yaml").write_text(text)
    code, _, out = scan(str(root))
    assert code == 2 and message in out and ".ocisec.yaml" in out


def test_skip_paths(tmp_path):
    root = project(
        tmp_path,
        {"skip_paths": ["examples", "**/legacy_*.tf"]},
        {"main.tf": BUCKET.format(name="a"), "examples/demo/main.tf": BUCKET.format(name="b"),
         "mod/legacy_x.tf": BUCKET.format(name="c"), "mod/main.tf": BUCKET.format(name="d")},
    )
    _, doc, _ = scan(str(root), "--rule", "OCI-ENC-001")
    assert sorted(doc["inputs"]) == ["repo/main.tf", "repo/mod/main.tf"] or sorted(doc["inputs"]) == [
        "main.tf", "mod/main.tf"]
    assert {f["resource"]["address"] for f in doc["findings"]} == {
        "oci_objectstorage_bucket.a", "oci_objectstorage_bucket.d"}
    # A file named on the command line (pre-commit) that lies in a skipped path: a note, exit 0.
    code, doc, _ = scan(str(root / "examples" / "demo" / "main.tf"))
    assert code == 0 and doc["findings"] == []
    assert [e["message"] for e in doc["errors"]] == ["not scanned: matches skip_paths"]


def test_policies_adds_and_policies_only_replaces(tmp_path):
    extra = tmp_path / "org-policies"
    extra.mkdir()
    rule = yaml.safe_load((ROOT / "policies" / "OCI-DAT-003.yaml").read_text())
    rule["id"] = "OCI-ORG-001"
    (extra / "OCI-ORG-001.yaml").write_text(yaml.safe_dump(rule))
    root = project(tmp_path)
    _, added, _ = scan(str(root), "--policies", str(extra))
    assert {"OCI-ORG-001", "OCI-ENC-001"} <= failed_rules(added)
    _, only, _ = scan(str(root), "--policies-only", str(extra))
    assert failed_rules(only) == {"OCI-ORG-001"}
    (root / ".ocisec.yaml").write_text(f"policies: [{extra}]\n")
    _, from_file, _ = scan(str(root))
    assert {"OCI-ORG-001", "OCI-ENC-001"} <= failed_rules(from_file)
    (root / ".ocisec.yaml").write_text("policies: [nowhere]\n")
    code, _, out = scan(str(root))
    assert code == 2 and "nowhere" in out


def test_same_rule_twice_is_an_error(tmp_path):
    root = project(tmp_path)
    code, doc, _ = scan(str(root), "--policies", str(ROOT / "policies"))
    assert code == 2 and any("duplicate id" in e["message"] for e in doc["errors"])


# --- waivers --------------------------------------------------------------------------------------


def test_waiver_by_resource_glob_and_by_path(tmp_path):
    root = project(
        tmp_path,
        {"waivers": [
            {"rule": "oci-enc-001", "resource": "oci_objectstorage_bucket.public*", "reason": "CDN",
             "expires": "2099-01-01"},
            {"rule": "OCI-DAT-*", "path": "legacy/*", "reason": "decommissioned in Q3", "expires": "2099-01-01"},
        ]},
        {"main.tf": BUCKET.format(name="public_site") + BUCKET.format(name="data"),
         "legacy/main.tf": BUCKET.format(name="old")},
    )
    _, doc, _ = scan(str(root), "--rule", "OCI-ENC-001,OCI-DAT-002")
    open_ = {(f["rule_id"], f["resource"]["address"]) for f in doc["findings"]}
    assert ("OCI-ENC-001", "oci_objectstorage_bucket.public_site") not in open_
    assert ("OCI-ENC-001", "oci_objectstorage_bucket.data") in open_
    assert ("OCI-DAT-002", "oci_objectstorage_bucket.old") not in open_
    assert ("OCI-ENC-001", "oci_objectstorage_bucket.old") in open_
    waived = {(f["rule_id"], f["resource"]["address"]): f["suppression"] for f in doc["suppressed"]}
    sup = waived[("OCI-ENC-001", "oci_objectstorage_bucket.public_site")]
    assert sup["kind"] == "external" and sup["justification"] == "CDN" and sup["expires"] == "2099-01-01"
    assert sup["origin"].endswith(".ocisec.yaml (waivers[0])")
    assert waived[("OCI-DAT-002", "oci_objectstorage_bucket.old")]["justification"] == "decommissioned in Q3"

    sarif = json.loads(runner.invoke(app, ["scan", str(root), "--format", "sarif"]).stdout)
    externals = [r for r in sarif["runs"][0]["results"] if r.get("suppressions")]
    assert externals and all(r["suppressions"][0]["kind"] == "external" for r in externals)


def test_expired_waiver_stops_suppressing_and_says_so(tmp_path):
    root = project(tmp_path, {"waivers": [
        {"rule": "OCI-ENC-001", "resource": "*", "reason": "old", "expires": "2020-06-30"}]})
    code, doc, out = scan(str(root), "--rule", "OCI-ENC-001")
    assert code == 1 and failed_rules(doc) == {"OCI-ENC-001"} and doc["suppressed"] == []
    assert any("waivers[0]" in e["message"] and "expired on 2020-06-30" in e["message"] for e in doc["errors"])


def test_waivers_match_live_resources_by_ocid():
    ocid = "ocid1.bucket.oc1.eu-frankfurt-1.aaaa"
    res = Resource("oci_objectstorage_bucket", ocid, {}, Provenance("oci", ocid=ocid, region="eu-frankfurt-1"))
    other = Resource("oci_objectstorage_bucket", "ocid1.bucket.oc1.eu-frankfurt-1.bbbb", {}, Provenance("oci"))
    settings = Settings(waivers=[
        __import__("scanner.workflow.config", fromlist=["Waiver"]).Waiver(
            rule="OCI-ENC-001", reason="vendor bucket", expires=date(2099, 1, 1), file="c.yaml",
            entry="waivers[0]", resource="ocid1.bucket.oc1.*.aaaa")
    ])
    live = Finding("OCI-ENC-001", Status.FAILED, res, "m", None)
    nope = Finding("OCI-ENC-001", Status.FAILED, other, "m", None)
    assert apply_suppressions([live, nope], Path("/nonexistent"), settings) == []
    assert live.suppression is not None and live.suppression.justification == "vendor bucket"
    assert nope.suppression is None


def test_path_waiver_never_matches_a_finding_without_a_file():
    res = Resource("oci_objectstorage_bucket", "b", {}, Provenance("oci"))
    from scanner.workflow.config import Waiver

    waiver = Waiver("OCI-ENC-001", "r", date(2099, 1, 1), "c", "w", path="*", base=Path("/"))
    assert not waiver.matches("OCI-ENC-001", [res.address], None)
    assert waiver.matches("oci-enc-001", [res.address], Path("/x/main.tf"))
    assert Location  # imported for symmetry with other tests


# --- precedence: command line > environment > file -------------------------------------------------


def test_precedence_cli_over_environment_over_file(tmp_path):
    root = project(tmp_path, {"fail_on": "critical", "rules": {"select": ["OCI-ENC-001"]}})
    code, _, _ = scan(str(root))
    assert code == 0  # the file: only critical fails, ENC-001 is medium
    code, _, _ = scan(str(root), env={"OCISEC_FAIL_ON": "medium"})
    assert code == 1  # the environment beats the file
    code, _, _ = scan(str(root), "--fail-on", "high", env={"OCISEC_FAIL_ON": "medium"})
    assert code == 0  # the command line beats the environment
    _, doc, _ = scan(str(root), env={"OCISEC_RULE": "OCI-DAT-002"})
    assert failed_rules(doc) == {"OCI-DAT-002"}
    _, doc, _ = scan(str(root), "--rule", "OCI-DAT-003", env={"OCISEC_RULE": "OCI-DAT-002"})
    assert failed_rules(doc) == {"OCI-DAT-003"}


def test_output_defaults_from_the_file(tmp_path):
    root = project(tmp_path, {"format": "sarif", "strict": True})
    res = runner.invoke(app, ["scan", str(root)])
    log = json.loads(res.stdout)
    assert log["version"] == "2.1.0" and log["runs"][0]["properties"]["strict"] is True
    res = runner.invoke(app, ["scan", str(root), "--format", "json", "--no-strict"])
    assert json.loads(res.stdout)["strict"] is False
    res = runner.invoke(app, ["scan", str(root)], env={"OCISEC_FORMAT": "junit"})
    assert res.stdout.startswith("<?xml")


def test_build_settings_merges_without_a_file(tmp_path):
    settings = build_settings([tmp_path], no_config=True, select=["a,b"], severities=["HIGH"], strict=False)
    assert settings.select == ["A", "B"] and settings.severities == ["high"] and settings.strict is False
    assert settings.config_file is None and settings.builtin_policies


def test_example_config_in_the_docs_is_valid(tmp_path):
    readme = (ROOT / "docs" / "configuration.md").read_text()
    start = readme.index("```yaml\n# .ocisec.yaml")
    example = readme[start + len("```yaml\n") : readme.index("```", start + 8)]
    path = tmp_path / ".ocisec.yaml"
    path.write_text(example)
    doc = read_config_file(path)
    assert doc["waivers"] and doc["rules"] and doc["rule_parameters"]
    # and a scan with it runs: every parameter and rule it names exists
    (tmp_path / "org-policies").mkdir()
    (tmp_path / "main.tf").write_text(BUCKET.format(name="public_site"))
    (tmp_path / ".ocisec-baseline.json").write_text(json.dumps(baseline_document([])))
    code, doc, out = scan(str(tmp_path))
    assert code in (0, 1), out
    assert doc["suppressed"][0]["suppression"]["justification"].startswith("Public website assets")


def test_validated_config_is_remembered_but_a_changed_one_is_validated_again(tmp_path):
    cache = tmp_path / "c"
    path = tmp_path / ".ocisec.yaml"
    path.write_text("fail_on: high\n")
    assert read_config_file(path, cache) == {"fail_on": "high"}
    assert len(list((cache / "config").iterdir())) == 1
    assert read_config_file(path, cache) == {"fail_on": "high"}
    path.write_text("fail_on: hihg\n")
    with pytest.raises(ConfigError, match="fail_on"):
        read_config_file(path, cache)


def test_live_audit_results_take_waivers_and_baselines(tmp_path):
    """A result without files (a tenancy snapshot): waivers by OCID glob, baseline by fingerprint."""
    from scanner.engine.policy import load_rules
    from scanner.model import ScanResult
    from scanner.workflow.baseline import load_baseline
    from scanner.workflow.suppress import accept_risks

    rules, _ = load_rules()

    def live(ocid: str) -> Finding:
        res = Resource("oci_objectstorage_bucket", ocid, {}, Provenance("oci", ocid=ocid, region="eu-frankfurt-1"))
        return Finding("OCI-ENC-001", Status.FAILED, res, "m", None)

    accepted, known, new = live("ocid1.bucket.oc1..vendor1"), live("ocid1.bucket.oc1..old"), live("ocid1.bucket.oc1..new")
    (tmp_path / "b.json").write_text(json.dumps(baseline_document([live("ocid1.bucket.oc1..old")])))
    (tmp_path / "c.yaml").write_text(
        "waivers:\n  - {rule: OCI-ENC-001, resource: 'ocid1.bucket.oc1..vendor*', reason: vendor, expires: 2099-01-01}\n"
    )
    settings = build_settings([tmp_path], config=tmp_path / "c.yaml")
    result = ScanResult(rules=rules, findings=[accepted, known, new], errors=[], root=str(tmp_path))
    accept_risks(result, settings, load_baseline(tmp_path / "b.json"))
    assert [f.resource.address for f in result.failed] == ["ocid1.bucket.oc1..new"]
    assert accepted.suppression.justification == "vendor"
    assert known.suppression.kind == "external" and known.suppression.origin == str(tmp_path / "b.json")


def test_soft_fail_from_file_environment_and_flag(tmp_path):
    root = project(tmp_path, {"soft_fail": True})
    assert scan(str(root))[0] == 0
    assert scan(str(root), "--no-soft-fail")[0] == 1
    assert scan(str(root), env={"OCISEC_SOFT_FAIL": "0"})[0] == 1
    (root / ".ocisec.yaml").write_text("soft_fail: false\n")
    assert scan(str(root), env={"OCISEC_SOFT_FAIL": "true"})[0] == 0
    (root / "broken.tf").write_text('resource "x" "y" {\n  a = \n')
    assert scan(str(root), "--soft-fail")[0] == 2


def test_a_selection_that_runs_nothing_is_an_error(tmp_path):
    root = project(tmp_path, {"rules": {"categories": ["rotation"], "severities": ["critical"]}})
    code, _, out = scan(str(root))
    assert code == 2 and "leaves no rule to run" in out
    (root / ".ocisec.yaml").write_text("builtin_policies: false\n")
    code, _, out = scan(str(root))
    assert code == 2 and "no policy directory" in out


def test_rules_show_the_configured_parameters_and_policies(tmp_path):
    (tmp_path / ".ocisec.yaml").write_text("rule_parameters:\n  OCI-ROT-001: {max_days: 30}\nrules: {select: [OCI-ENC-001]}\n")
    res = runner.invoke(app, ["rules", "show", "oci-rot-001"])
    assert res.exit_code == 0 and "max_days = 30" in res.stdout
    listing = json.loads(runner.invoke(app, ["rules", "--format", "json"]).stdout)
    assert len(listing) > 30  # the selection does not hide rules from the list
    assert runner.invoke(app, ["rules", "show", "OCI-ROT-001", "--no-config"]).stdout.count("max_days = 90") == 1
    (tmp_path / ".ocisec.yaml").write_text("rule_parameters:\n  OCI-ROT-001: {max_dayz: 30}\n")
    res = runner.invoke(app, ["rules"])
    assert res.exit_code == 2 and "max_dayz" in res.output
