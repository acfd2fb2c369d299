"""Shared scaffolding of the Helm source tests: scan from the repository root with a private
cache, and keep a scan's failed findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.model import Finding, Status
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
