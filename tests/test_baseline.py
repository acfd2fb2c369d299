"""Baselines: accept today's findings, fail only on new ones, survive code that moves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.workflow.baseline import BaselineError, load_baseline

runner = CliRunner()

BUCKET = """\
resource "oci_objectstorage_bucket" "{name}" {{
  compartment_id = "ocid1.compartment.oc1..x"
  namespace      = "ns"
  name           = "{name}"
}}
"""


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / ".cache"))
    monkeypatch.delenv("OCISEC_BASELINE", raising=False)


def create(infra: Path, out: Path) -> dict:
    res = runner.invoke(app, ["baseline", "create", str(infra), "-o", str(out)])
    assert res.exit_code == 0, res.output
    return json.loads(out.read_text())


def scan(infra: Path, *args: str) -> tuple[int, dict, str]:
    res = runner.invoke(app, ["scan", str(infra), "--format", "json", *args])
    return res.exit_code, json.loads(res.stdout), res.output


def test_baseline_accepts_todays_findings_and_fails_on_new_ones(tmp_path):
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "main.tf").write_text(BUCKET.format(name="old"))
    doc = create(infra, tmp_path / ".ocisec-baseline.json")
    assert doc["ocisec_baseline"] == 1 and len(doc["findings"]) >= 3
    assert {e["resource"] for e in doc["findings"]} == {"oci_objectstorage_bucket.old"}
    assert all(len(e["fingerprint"]) == 64 for e in doc["findings"])

    code, report, out = scan(infra, "--baseline", str(tmp_path / ".ocisec-baseline.json"))
    assert code == 0 and report["findings"] == []
    assert report["summary"]["baselined"] == report["summary"]["suppressed"] == len(doc["findings"])
    assert f"{len(doc['findings'])} finding(s) baselined" in out

    (infra / "new.tf").write_text(BUCKET.format(name="fresh"))
    code, report, out = scan(infra, "--baseline", str(tmp_path / ".ocisec-baseline.json"))
    assert code == 1
    assert {f["resource"]["address"] for f in report["findings"]} == {"oci_objectstorage_bucket.fresh"}
    assert report["summary"]["baselined"] == len(doc["findings"])


def test_moving_code_does_not_make_a_baselined_finding_new(tmp_path):
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "main.tf").write_text(BUCKET.format(name="a") + BUCKET.format(name="b"))
    baseline = tmp_path / "b.json"
    create(infra, baseline)
    # Lines move: other code above, the blocks swapped, blank lines in between.
    (infra / "main.tf").write_text(
        'variable "region" {\n  default = "eu-frankfurt-1"\n}\n\n\n'
        + BUCKET.format(name="b") + "\n\n" + BUCKET.format(name="a")
    )
    code, report, _ = scan(infra, "--baseline", str(baseline))
    assert code == 0 and report["findings"] == [] and report["summary"]["baselined"] > 0
    # A block moved unchanged into another file is still the same finding.
    (infra / "main.tf").write_text(BUCKET.format(name="a"))
    (infra / "storage.tf").write_text(BUCKET.format(name="b"))
    code, report, _ = scan(infra, "--baseline", str(baseline))
    assert code == 0 and report["findings"] == []
    # But a copy of a baselined resource under a new name is new.
    (infra / "copy.tf").write_text(BUCKET.format(name="c"))
    code, report, _ = scan(infra, "--baseline", str(baseline))
    assert code == 1 and {f["resource"]["address"] for f in report["findings"]} == {"oci_objectstorage_bucket.c"}


def test_one_baseline_entry_accepts_one_finding(tmp_path):
    """Two roots with the same address: the entry of one does not accept the other's finding."""
    for root in ("dev", "prod"):
        (tmp_path / root).mkdir()
    (tmp_path / "dev" / "main.tf").write_text(BUCKET.format(name="data"))
    baseline = tmp_path / "b.json"
    create(tmp_path / "dev", baseline)
    # Same paths relative to the working directory, so the fingerprints of dev hold.
    (tmp_path / "prod" / "main.tf").write_text(BUCKET.format(name="data"))
    res = runner.invoke(app, ["scan", "dev", "prod", "--format", "json", "--baseline", str(baseline)])
    report = json.loads(res.stdout)
    assert res.exit_code == 1
    assert {f["location"]["file"] for f in report["findings"]} == {"prod/main.tf"}


def test_baselined_findings_are_external_suppressions_in_sarif(tmp_path):
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "main.tf").write_text(BUCKET.format(name="old"))
    baseline = tmp_path / "b.json"
    create(infra, baseline)
    res = runner.invoke(app, ["scan", str(infra), "--format", "sarif", "--baseline", str(baseline)])
    assert res.exit_code == 0
    results = json.loads(res.stdout)["runs"][0]["results"]
    assert results and all(r["suppressions"][0]["kind"] == "external" for r in results)
    assert all(r["suppressions"][0]["properties"]["origin"] == str(baseline) for r in results)
    text = runner.invoke(app, ["scan", str(infra), "--baseline", str(baseline)]).stdout
    assert "baselined" in text


def test_inline_suppressions_are_not_written_into_a_baseline(tmp_path):
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "main.tf").write_text("# ocisec:ignore:OCI-ENC-001 CDN key\n" + BUCKET.format(name="old"))
    doc = create(infra, tmp_path / "b.json")
    assert "OCI-ENC-001" not in {e["rule_id"] for e in doc["findings"]}


def test_bad_baseline_files_exit_2_naming_the_file(tmp_path):
    (tmp_path / "main.tf").write_text(BUCKET.format(name="x"))
    for name, text in (("missing.json", None), ("broken.json", "{"), ("other.json", '{"version": 1}')):
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        res = runner.invoke(app, ["scan", str(tmp_path), "--baseline", str(path)])
        assert res.exit_code == 2 and name in res.output
    (tmp_path / "bad.json").write_text('{"ocisec_baseline": 1, "findings": [{"rule_id": "X"}]}')
    with pytest.raises(BaselineError, match=r"findings\[0\]"):
        load_baseline(tmp_path / "bad.json")


def test_baseline_is_not_written_when_inputs_cannot_be_read(tmp_path):
    (tmp_path / "main.tf").write_text('resource "x" "y" {\n  a = \n')
    out = tmp_path / "b.json"
    res = runner.invoke(app, ["baseline", "create", str(tmp_path), "-o", str(out)])
    assert res.exit_code == 2 and not out.exists()


LIVE = Path(__file__).resolve().parents[1] / "fixtures" / "live" / "tenancy.json"


def create_live(out: Path) -> dict:
    res = runner.invoke(app, ["baseline", "create", "--from-snapshot", str(LIVE), "-o", str(out)])
    assert res.exit_code == 0, res.output
    return json.loads(out.read_text())


def test_baseline_create_needs_paths_or_a_snapshot(tmp_path):
    assert runner.invoke(app, ["baseline", "create"]).exit_code == 2
    res = runner.invoke(app, ["baseline", "create", str(tmp_path), "--from-snapshot", str(LIVE)])
    assert res.exit_code == 2


def test_live_audit_takes_waivers_by_ocid_and_a_baseline(tmp_path):
    """`ocisec audit` applies the same configuration: a waiver on an OCID glob, then a baseline
    of the snapshot (`baseline create --from-snapshot`) accepts every remaining finding."""
    def audit(*args: str) -> tuple[int, dict]:
        res = runner.invoke(app, ["audit", "--from-snapshot", str(LIVE), "--format", "json", *args])
        return res.exit_code, json.loads(res.stdout)

    code, before = audit("--no-config")
    assert code == 1
    subnets = [f for f in before["findings"] if f["rule_id"] == "OCI-HA-004"]
    assert subnets
    (tmp_path / ".ocisec.yaml").write_text(
        "waivers:\n  - rule: OCI-HA-004\n    resource: 'ocid1.subnet.oc1.*'\n"
        "    reason: single-AD subnets by design in these regions\n    expires: 2099-01-01\n"
    )
    code, waived = audit()
    assert not [f for f in waived["findings"] if f["rule_id"] == "OCI-HA-004"]
    assert {f["resource"]["address"] for f in waived["suppressed"]} == {f["resource"]["address"] for f in subnets}
    assert waived["summary"]["failed"] == before["summary"]["failed"] - len(subnets)

    entries = create_live(tmp_path / "live-baseline.json")["findings"]
    # The waived ones are not in it; unknown results (facts the snapshot lacks) are.
    assert len(entries) == len(waived["findings"]) + len(waived["unknown"])
    code, accepted = audit("--baseline", str(tmp_path / "live-baseline.json"))
    assert code == 0 and accepted["findings"] == []
    assert accepted["summary"]["baselined"] == len(entries)

    res = runner.invoke(app, ["audit", "--from-snapshot", str(LIVE), "--rule", "OCI-NOPE-001"])
    assert res.exit_code == 2 and "unknown rule id 'OCI-NOPE-001'" in res.output
