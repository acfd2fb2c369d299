"""Shared scaffolding of the Helm source tests: scan from the repository root with a private
cache, and keep a scan's failed findings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.model import Finding, ScanResult, Status
from scanner.workflow.scan import ScanOptions, run_scan

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures" / "helm"


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    """Import this fixture into a test module to run its tests from the root, cache private."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))


def failed(path: Path, *rules: str) -> list[Finding]:
    """The failed findings of ``rules`` in a scan of ``path``."""
    result, _ = run_scan([path], ScanOptions(rule_ids=list(rules), cache_dir=None))
    return [f for f in result.findings if f.status is Status.FAILED]


def write_chart(parent: Path, name: str, files: dict[str, str]) -> Path:
    """Write a chart named ``name`` under ``parent``: its Chart.yaml, then each of ``files``
    (path relative to the chart -> text). Returns the chart's directory."""
    chart = parent / name
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
    for rel, text in files.items():
        (chart / rel).parent.mkdir(parents=True, exist_ok=True)
        (chart / rel).write_text(text)
    return chart


def findings_by_address(path: Path, *rules: str) -> dict[tuple[str, str], Finding]:
    """Every finding of ``rules``, passed or failed, in a scan of ``path``, by (rule, address)."""
    result, _ = run_scan([path], ScanOptions(rule_ids=list(rules), cache_dir=None))
    return {(f.rule_id, f.resource.address): f for f in result.findings}


def scan(path: Path, *rules: str) -> ScanResult:
    """A whole scan of ``path``, limited to ``rules`` (every rule when none), without a cache."""
    result, _ = run_scan([path], ScanOptions(rule_ids=list(rules) or None, cache_dir=None))
    return result


def failed_in(result: ScanResult, rule: str | None = None) -> list[Finding]:
    """The failed findings of ``result`` (of ``rule`` only, when given)."""
    return [f for f in result.findings if f.status is Status.FAILED and (rule is None or f.rule_id == rule)]


def line_of(path: Path, text: str) -> int:
    """The first line of ``path`` that contains ``text``."""
    return next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if text in ln)


def at(f: Finding) -> tuple[str, int]:
    """Where ``f`` points: its file's name and line."""
    return Path(f.location.file).name, f.location.start_line


def copy_chart(src: Path, parent: Path, name: str, with_prod: bool) -> Path:
    """A copy of the chart ``src`` named ``name`` under ``parent``; without its
    ``values-prod.yaml`` unless ``with_prod`` (a state before the prod override existed)."""
    chart = parent / name
    shutil.copytree(src, chart)
    if not with_prod:
        (chart / "values-prod.yaml").unlink()
    return chart


def scan_json(path: Path, rule: str, *args: str) -> tuple[int, dict]:
    """``ocisec scan PATH --format json --rule RULE ARGS``: its exit code and its JSON report."""
    res = CliRunner().invoke(app, ["scan", str(path), "--format", "json", "--rule", rule, *args])
    assert res.exit_code in (0, 1), res.output
    return res.exit_code, json.loads(res.stdout)
