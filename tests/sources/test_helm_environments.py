"""Each environment's findings are its own: a secret set in values-prod.yaml is a finding on
that line, with its own fingerprint, seen as new by a baseline and by ``ocisec diff``, and not
suppressed by an inline ignore on the base file's line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from tests.sources.helm_scan import copy_chart, scan_json

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "fixtures" / "helm" / "per-environment"
# values-prod.yaml adds a secret (CHART) or sets the base file's secret key again (OVERRIDE):
# either way the prod value is its own finding for a baseline, a diff and an inline ignore.
OVERRIDE = ROOT / "fixtures" / "helm" / "per-environment-override"
PROD_ADDS_OR_OVERRIDES = pytest.mark.parametrize("src", [CHART, OVERRIDE], ids=["adds", "overrides"])
runner = CliRunner()


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / ".cache"))
    monkeypatch.delenv("OCISEC_BASELINE", raising=False)


def _chart(tmp_path: Path, with_prod: bool, src: Path = CHART) -> Path:
    return copy_chart(src, tmp_path, "ledger-db", with_prod)


def _scan(path: Path, *args: str) -> tuple[int, dict]:
    return scan_json(path, "OCI-SEC-101", *args)


def _line(path: Path, text: str) -> int:
    return next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if text in ln)


def test_inherited_value_is_one_finding_and_an_override_is_its_own(tmp_path):
    chart = _chart(tmp_path, with_prod=True)
    _, doc = _scan(chart)
    found = {(f["location"]["file"], f["location"]["start_line"]): f for f in doc["findings"]}
    base = found[("ledger-db/values.yaml", _line(chart / "values.yaml", "password: \"Ledger"))]
    prod = found[("ledger-db/values-prod.yaml", _line(chart / "values-prod.yaml", "replicationPassword"))]
    assert len(found) == 2
    assert "[environments: base, prod]" in base["message"]  # one finding for every environment
    assert prod["resource"]["address"] == "ledger-db[prod]" and "environments" not in prod["message"]
    assert "auth.replicationPassword" in prod["message"]  # names the key...
    assert "Ledger-Prod" not in json.dumps(doc)  # ...never the value
    assert base["fingerprint"] != prod["fingerprint"]


@PROD_ADDS_OR_OVERRIDES
def test_a_baseline_taken_before_reports_the_prod_secret_as_new(tmp_path, src):
    chart = _chart(tmp_path, with_prod=False, src=src)
    baseline = tmp_path / "baseline.json"
    res = runner.invoke(app, ["baseline", "create", str(chart), "-o", str(baseline)])
    assert res.exit_code == 0, res.output
    code, _ = _scan(chart, "--baseline", str(baseline))
    assert code == 0
    shutil.copy(src / "values-prod.yaml", chart / "values-prod.yaml")
    code, doc = _scan(chart, "--baseline", str(baseline))
    assert code == 1
    (new,) = doc["findings"]
    assert new["location"]["file"] == "ledger-db/values-prod.yaml"


@PROD_ADDS_OR_OVERRIDES
def test_diff_calls_the_prod_secret_new_and_the_base_one_persisting(tmp_path, src):
    chart = _chart(tmp_path, with_prod=False, src=src)
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    assert runner.invoke(app, ["scan", str(chart), "--format", "json", "-o", str(old)]).exit_code == 1
    shutil.copy(src / "values-prod.yaml", chart / "values-prod.yaml")
    assert runner.invoke(app, ["scan", str(chart), "--format", "json", "-o", str(new)]).exit_code == 1
    res = runner.invoke(app, ["diff", str(old), str(new), "--format", "json"])
    doc = json.loads(res.stdout)
    new_sec = [e for e in doc["new"] if e["rule_id"] == "OCI-SEC-101"]
    persisting = [e for e in doc["persisting"] if e["rule_id"] == "OCI-SEC-101"]
    assert [e["location"]["file"] for e in new_sec] == ["ledger-db/values-prod.yaml"]
    assert [e["location"]["file"] for e in persisting] == ["ledger-db/values.yaml"]


@PROD_ADDS_OR_OVERRIDES
def test_an_inline_ignore_on_the_base_line_does_not_hide_the_prod_secret(tmp_path, src):
    chart = _chart(tmp_path, with_prod=True, src=src)
    values = chart / "values.yaml"
    values.write_text(
        values.read_text().replace(
            "  password:", "  # ocisec:ignore:OCI-SEC-101 rotated weekly, demo only\n  password:"
        )
    )
    _, doc = _scan(chart)
    assert [f["location"]["file"] for f in doc["findings"]] == ["ledger-db/values-prod.yaml"]
    assert [s["location"]["file"] for s in doc["suppressed"]] == ["ledger-db/values.yaml"]
