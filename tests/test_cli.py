"""The ocisec command: exit codes, formats, the example platform, secrets never printed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.engine.policy import load_rules

ROOT = Path(__file__).resolve().parents[1]
PLATFORM = ROOT / "fixtures" / "platform"
SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))


def run(*args: str):
    return runner.invoke(app, list(args))


def scan_json(*args: str) -> tuple[int, dict]:
    res = run("scan", *args, "--format", "json")
    return res.exit_code, json.loads(res.stdout)


def test_version():
    res = run("--version")
    assert res.exit_code == 0 and re.match(r"ocisec \d+\.\d+\.\d+", res.stdout)


def test_compliant_platform_has_no_findings_and_exits_0():
    code, doc = scan_json(str(PLATFORM / "compliant"), str(PLATFORM / "charts" / "compliant"))
    assert doc["findings"] == [] and doc["unknown"] == [] and doc["errors"] == []
    assert doc["summary"]["passed"] > 50
    assert code == 0


def test_insecure_platform_fails_every_rule():
    # The Terraform platform and its Helm charts (values and rendered manifests) together.
    code, doc = scan_json(str(PLATFORM / "insecure"), str(PLATFORM / "charts" / "insecure"))
    rules, _ = load_rules()
    failed_rules = {f["rule_id"] for f in doc["findings"]}
    # Rules tagged "live" judge what only a tenancy inventory knows (ages, Cloud Guard state).
    assert sorted({r.id for r in rules if "live" not in r.tags} - failed_rules) == []
    assert doc["errors"] == []
    assert code == 1


def test_text_output_of_insecure_platform_names_file_line_and_rule():
    res = run("scan", str(PLATFORM / "insecure"))
    assert res.exit_code == 1
    assert re.search(r"fixtures/platform/insecure/\S+\.tf:\d+", res.stdout)
    assert "OCI-ENC-001" in res.stdout


def test_fail_on_threshold():
    # OCI-DAT-003 (low) is the only failure here
    d = ROOT / "fixtures" / "rules" / "OCI-DAT-003" / "fail"
    assert run("scan", str(d), "--rule", "OCI-DAT-003").exit_code == 1
    assert run("scan", str(d), "--rule", "OCI-DAT-003", "--fail-on", "high").exit_code == 0


def test_unknowns_fail_only_under_strict():
    d = str(ROOT / "fixtures" / "terraform" / "unknowns")
    code, doc = scan_json(d, "--rule", "OCI-ENC-002")
    assert code == 0 and doc["findings"] == []
    assert {u["resource"]["address"] for u in doc["unknown"]} == {
        "oci_core_volume.from_data",
        "oci_core_volume.from_var",
        "oci_core_volume.from_module",
    }
    code, _ = scan_json(d, "--rule", "OCI-ENC-002", "--strict")
    assert code == 1


def test_unparsable_file_gives_exit_2_and_findings_for_the_rest():
    code, doc = scan_json(str(ROOT / "fixtures" / "terraform" / "broken"))
    assert code == 2
    assert [e["path"] for e in doc["errors"]] == ["fixtures/terraform/broken/bad.tf"]
    assert any(f["resource"]["address"] == "oci_objectstorage_bucket.good" for f in doc["findings"])
    sarif = json.loads(
        run("scan", str(ROOT / "fixtures" / "terraform" / "broken"), "--format", "sarif").stdout
    )
    inv = sarif["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    note = inv["toolExecutionNotifications"][0]
    assert (
        note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "fixtures/terraform/broken/bad.tf"
    )


def test_missing_path_is_an_input_error():
    res = run("scan", "does/not/exist")
    assert res.exit_code == 2
    # Said once, in the report: a text report on stdout makes a copy on stderr noise.
    assert res.stdout.splitlines()[0] == "Scan incomplete: 1 input could not be read"
    assert res.stdout.count("does/not/exist") == 1 and "does/not/exist" not in res.stderr
    assert "No failed findings" not in res.stdout
    res = run("scan", "does/not/exist", "--format", "json")
    assert res.exit_code == 2 and res.stderr.count("does/not/exist") == 1  # no text report: on stderr


def test_sarif_of_the_example_validates_against_the_official_schema():
    jsonschema = pytest.importorskip("jsonschema")
    res = run("scan", str(PLATFORM / "insecure"), "--format", "sarif")
    log = json.loads(res.stdout)
    jsonschema.validate(log, json.loads(SCHEMA.read_text()))
    run0 = log["runs"][0]
    results = run0["results"]
    assert results and all(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        for r in results
        if "physicalLocation" in r["locations"][0]
    )
    ids = [r["id"] for r in run0["tool"]["driver"]["rules"]]
    assert all(run0["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    assert len(ids) == len(set(ids)) and len(ids) >= 34
    fps = [r["partialFingerprints"]["ocisecFingerprint/v1"] for r in results]
    assert len(set(fps)) == len(fps)


def test_fingerprints_survive_unrelated_line_moves(tmp_path):
    src = ROOT / "fixtures" / "rules" / "OCI-ENC-001" / "fail" / "main.tf"
    a = tmp_path / "a"
    a.mkdir()
    (a / "main.tf").write_text(src.read_text())
    first = json.loads(run("scan", str(a), "--format", "sarif", "--no-cache").stdout)
    (a / "main.tf").write_text("# a comment\n\n\n" + src.read_text())
    second = json.loads(run("scan", str(a), "--format", "sarif", "--no-cache").stdout)

    def fp(log):
        return sorted(
            (
                r["ruleId"],
                r["partialFingerprints"]["ocisecFingerprint/v1"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
            )
            for r in log["runs"][0]["results"]
        )

    f1, f2 = fp(first), fp(second)
    assert [x[:2] for x in f1] == [x[:2] for x in f2]
    assert all(b[2] == a_[2] + 3 for a_, b in zip(f1, f2, strict=True))


# Every secret planted in the insecure example: a variable default, a tfvars value, resource
# arguments, the provider block and a PEM block. None may appear in any output.
PLANTED = [
    "Sup3r-S3cret-Passw0rd-41",
    "Ledg3r-Sys-Passw0rd-2024!",
    "Y3AtbGl2ZS1GQUtFLWZpeHR1cmUtb25seS03ZjNhOWMyZA==",
]


def _planted_secrets() -> list[str]:
    text = "\n".join(p.read_text() for p in (PLATFORM / "insecure").rglob("*") if p.is_file())
    for secret in PLANTED:
        assert secret in text, f"fixture no longer plants {secret!r}"
    pem = re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----\n(.+?)-----END", text, re.S)
    assert pem, "fixture no longer plants a PEM private key"
    return PLANTED + [ln.strip() for ln in pem.group(1).splitlines() if len(ln.strip()) > 20]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit"])
def test_no_planted_secret_in_any_output(fmt, tmp_path):
    secrets = _planted_secrets()
    assert len(secrets) >= 4, secrets  # the example really plants them
    out = tmp_path / f"report.{fmt}"
    res = run("scan", str(PLATFORM / "insecure"), "--format", fmt, "--output", str(out))
    assert res.exit_code == 1
    stdout_and_file = res.stdout + res.stderr + out.read_text()
    leaked = [s for s in secrets if s in stdout_and_file]
    assert leaked == []


def test_rules_table_and_show():
    res = run("rules")
    assert res.exit_code == 0
    for rule in load_rules()[0]:
        assert rule.id in res.stdout
    show = run("rules", "show", "OCI-ROT-001")
    assert show.exit_code == 0 and "Remediation:" in show.stdout and "Parameters:" in show.stdout
    assert run("rules", "show", "OCI-NOPE-999").exit_code == 2


def test_broken_policy_file_is_named_and_other_rules_still_run(tmp_path):
    pol = tmp_path / "policies"
    pol.mkdir()
    good = ROOT / "policies" / "OCI-DAT-001.yaml"
    (pol / good.name).write_text(good.read_text())
    (pol / "OCI-XXX-001.yaml").write_text("id: OCI-XXX-001\ntitle: [unclosed\n")
    res = run(
        "scan",
        str(ROOT / "fixtures" / "rules" / "OCI-DAT-001" / "fail"),
        "--policies-only",
        str(pol),
        "--format",
        "json",
    )
    assert res.exit_code == 2
    doc = json.loads(res.stdout)
    assert any("OCI-XXX-001.yaml" in e["path"] for e in doc["errors"])
    assert [f["rule_id"] for f in doc["findings"]] == ["OCI-DAT-001"]


def test_insecure_platform_fails_exactly_what_expected_md_lists():
    expected = set()
    for line in (PLATFORM / "insecure" / "EXPECTED.md").read_text().splitlines():
        m = re.match(r"^\| (OCI-[A-Z]+-\d+) \| (.+?) \| ", line)
        if m:
            expected |= {(m.group(1), addr) for addr in re.findall(r"`([^`]+)`", m.group(2))}
    _, doc = scan_json(str(PLATFORM / "insecure"))
    got = {(f["rule_id"], f["resource"]["address"]) for f in doc["findings"]}
    assert sorted(got - expected) == [] and sorted(expected - got) == []
    assert doc["unknown"] == []


def test_plan_json_findings_point_at_the_configuration_lines():
    plan = ROOT / "fixtures" / "plans" / "with_config" / "plan.json"
    code, doc = scan_json(str(plan))
    assert code == 1 and doc["errors"] == []
    failed = {(f["rule_id"], f["resource"]["address"]): f["location"] for f in doc["findings"]}
    # the bucket whose key is a reference is encrypted; the other is not, located in main.tf
    assert ("OCI-ENC-001", "oci_objectstorage_bucket.uploads") not in failed
    loc = failed[("OCI-ENC-001", "oci_objectstorage_bucket.exports")]
    assert loc == {"file": "fixtures/plans/with_config/main.tf", "start_line": 23, "end_line": 27}
    # a password resolved in the plan but written as a variable reference is not a literal in code
    assert not any(f["rule_id"] in ("OCI-SEC-001", "OCI-SEC-003") for f in doc["findings"])
    assert "Plan-Only-Passw0rd-77" not in json.dumps(doc)


def test_directory_scan_does_not_double_count_plan_files():
    _, doc = scan_json(str(ROOT / "fixtures" / "plans" / "with_config"))
    assert {f["resource"]["source"] for f in doc["findings"]} == {"terraform"}
