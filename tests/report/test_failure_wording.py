"""Every format heads a failed finding with the policy's ``failure:`` phrase (what is wrong), never
with the passing ``title:`` alone: scan reports and ``ocisec diff`` reports alike."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.engine.policy import load_rules
from scanner.report import FORMATS

ROOT = Path(__file__).resolve().parents[2]
FAIL = ROOT / "fixtures" / "rules" / "OCI-ENC-001" / "fail"
PASS = ROOT / "fixtures" / "rules" / "OCI-ENC-001" / "pass"
RULE = next(r for r in load_rules()[0] if r.id == "OCI-ENC-001")
DIFF_FORMATS = ["text", "json", "sarif", "junit", "markdown", "html"]
runner = CliRunner()


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("NO_COLOR", "1")


def _says_failure(output: str) -> bool:
    # HTML and XML escape quotes and apostrophes, markdown punctuation: the phrase must be there
    # as a reader sees it.
    unescaped = re.sub(r"\\([^\w\s])", r"\1", html.unescape(output))
    return RULE.failure in output or RULE.failure in unescaped


def test_the_rule_has_a_failure_phrase_distinct_from_its_title():
    assert RULE.failure and RULE.failure != RULE.title


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_scan_format_uses_the_failure_phrase(fmt):
    res = runner.invoke(app, ["scan", str(FAIL), "--rule", RULE.id, "--format", fmt])
    assert res.exit_code == 1, res.output
    assert _says_failure(res.stdout), res.stdout[:3000]
    if fmt == "text":  # the heading line itself, not only somewhere below
        assert f"{RULE.id}  {RULE.failure}" in res.stdout and f"{RULE.id}  {RULE.title}" not in res.stdout
    if fmt == "html":  # the red card reads what is wrong, not "Bucket is encrypted ..."
        assert f">{RULE.id}</a> {html.escape(RULE.failure)}" in res.stdout
        assert f">{RULE.id}</a> {html.escape(RULE.title)}" not in res.stdout


@pytest.fixture
def results(tmp_path) -> tuple[Path, Path]:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    for path, tree in ((old, PASS), (new, FAIL)):
        res = runner.invoke(app, ["scan", str(tree), "--rule", RULE.id, "--format", "json", "-o", str(path)])
        assert res.exit_code in (0, 1), res.output
    return old, new


@pytest.mark.parametrize("fmt", DIFF_FORMATS)
def test_every_diff_format_uses_the_failure_phrase(fmt, results):
    old, new = results
    res = runner.invoke(app, ["diff", str(old), str(new), "--format", fmt])
    assert res.exit_code == 1, res.output  # one new failing finding
    assert _says_failure(res.stdout), res.stdout[:3000]
    if fmt == "html":  # the red card's heading: <h4>… OCI-ENC-001</a> failure phrase
        assert f">{RULE.id}</a> {html.escape(RULE.failure)}" in res.stdout


def test_json_finding_keeps_the_title_and_adds_the_heading(results):
    _, new = results
    doc = json.loads(new.read_text())
    (finding,) = doc["findings"]
    assert finding["title"] == RULE.title and finding["heading"] == RULE.failure
    assert next(r for r in doc["rules"] if r["id"] == RULE.id)["failure"] == RULE.failure
