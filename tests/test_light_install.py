"""The base install leaves out the oci SDK: ``ocisec audit`` says how to get it and exits 2."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.cli.extras import has_oci_sdk

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "fixtures" / "live" / "example-snapshot.json"
runner = CliRunner()


@pytest.fixture
def without_oci(monkeypatch):
    """As if the ``audit`` extra were not installed: ``import oci`` fails."""
    for name in [m for m in sys.modules if m == "oci" or m.startswith("oci.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "oci", None)


def test_oci_is_an_extra_not_a_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(dep.split(">")[0].split("=")[0].strip() == "oci" for dep in project["dependencies"])
    assert any(dep.startswith("oci") for dep in project["optional-dependencies"]["audit"])


def test_live_audit_without_the_extra_says_how_to_install_it_and_exits_2(without_oci, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert not has_oci_sdk()
    result = runner.invoke(app, ["audit", "--profile", "PROD"])
    assert result.exit_code == 2, result.output
    assert 'pip install "ocisec[audit]"' in result.output
    assert "Traceback" not in result.output


def test_snapshot_replay_needs_no_extra(without_oci, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))
    result = runner.invoke(app, ["audit", "--from-snapshot", str(SNAPSHOT), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    assert '"findings"' in result.output and "ocisec[audit]" not in result.output


def test_the_sdk_is_found_when_installed():
    pytest.importorskip("oci")
    assert has_oci_sdk()
