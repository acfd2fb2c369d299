"""GitLab Code Quality report (``--format gitlab-codequality``): what GitLab reads on every tier."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.engine.policy import load_rules
from scanner.model import Finding, Location, Provenance, Resource, ScanResult, Status
from scanner.report import render

ROOT = Path(__file__).resolve().parents[2]
INSECURE = ROOT / "fixtures" / "platform" / "insecure"
COMPLIANT = ROOT / "fixtures" / "platform" / "compliant"
SEVERITIES = {"info", "minor", "major", "critical", "blocker"}
runner = CliRunner()


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))


def scan(*paths: Path) -> tuple[int, list[dict]]:
    res = runner.invoke(app, ["scan", *map(str, paths), "--format", "gitlab-codequality"])
    return res.exit_code, json.loads(res.stdout)


def test_every_failing_finding_is_an_issue_gitlab_can_place():
    code, issues = scan(INSECURE)
    assert code == 1 and len(issues) >= 39
    rules = {r.id: r for r in load_rules()[0]}
    for issue in issues:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(issue)
        assert issue["severity"] in SEVERITIES
        path, line = issue["location"]["path"], issue["location"]["lines"]["begin"]
        assert path.startswith("fixtures/platform/insecure/") and (ROOT / path).is_file() and line >= 1
        # headed by what is wrong (the policy's failure phrase), not by the passing title
        rule = rules[issue["check_name"]]
        assert issue["description"].startswith(f"{rule.id} {rule.failure}: ")
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_fingerprints_are_stable_across_runs_and_severities_map_in_order():
    _, first = scan(INSECURE)
    _, second = scan(INSECURE)
    assert [i["fingerprint"] for i in first] == [i["fingerprint"] for i in second]
    order = ["blocker", "critical", "major", "minor"]  # critical, high, medium, low; most severe first
    ranks = [order.index(i["severity"]) for i in first]
    assert ranks == sorted(ranks) and {"blocker", "critical", "major"} <= set(i["severity"] for i in first)


def test_a_clean_scan_is_an_empty_array():
    code, issues = scan(COMPLIANT)
    assert code == 0 and issues == []


def test_live_finding_without_a_file_points_at_its_ocid():
    rule = next(r for r in load_rules()[0] if r.id == "OCI-ENC-001")
    ocid = "ocid1.bucket.oc1.eu-frankfurt-1.aaaa"
    res = Resource(kind="oci_objectstorage_bucket", address=ocid, attributes={},
                   provenance=Provenance(source="oci", ocid=ocid))
    finding = Finding(rule.id, Status.FAILED, res, "bucket uses an Oracle-managed key", None)
    (issue,) = json.loads(render(ScanResult(rules=[rule], findings=[finding], errors=[], root=str(ROOT)), "gitlab-codequality"))
    assert issue["location"] == {"path": ocid, "lines": {"begin": 1}}


def test_secret_values_never_reach_the_report():
    rule = next(r for r in load_rules()[0] if r.id == "OCI-SEC-003")
    secret = "Sup3r-Secret-Passw0rd"
    res = Resource(kind="oci_database_autonomous_database", address="oci_database_autonomous_database.db",
                   attributes={"admin_password": secret},
                   provenance=Provenance(source="terraform", location=Location("main.tf", 1, 4)))
    finding = Finding(rule.id, Status.FAILED, res, f"admin_password is the literal {secret}",
                      Location("main.tf", 2, 2), attribute="admin_password")
    out = render(ScanResult(rules=[rule], findings=[finding], errors=[], root=str(ROOT)), "gitlab-codequality")
    assert secret not in out and json.loads(out)[0]["location"] == {"path": "main.tf", "lines": {"begin": 2}}
