"""The base install leaves out the oci SDK: ``ocisec audit`` says how to get it and exits 2."""

from __future__ import annotations

import re
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


def test_hook_and_ci_examples_install_the_base_package_and_the_cronjob_the_extra():
    import yaml

    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["language"] == "python" and "additional_dependencies" not in hook  # the repo alone: base
    for example in ("examples/github-actions/ocisec.yml", "examples/gitlab-ci/.gitlab-ci.yml"):
        installs = [line for line in (ROOT / example).read_text().splitlines()
                    if "pip install" in line and not line.lstrip().startswith("#")]
        assert installs and all("[audit]" not in line and "oci-cli" not in line for line in installs), example
    dockerfile = (ROOT / "examples/oke-audit-cronjob/Dockerfile").read_text()
    assert '"/src[audit]"' in dockerfile


def test_ci_setup_installs_only_what_is_missing_and_never_upgrades():
    setup = (ROOT / ".ci" / "setup").read_text()
    commands = [line.strip() for line in setup.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert not any(re.search(r"(^|\s)(-U|--upgrade)(\s|$)", c) for c in commands)
    assert not any(re.search(r"apt-get (dist-|full-)?upgrade", c) for c in commands)
    apt_installs = [c for c in commands if "apt-get install" in c]
    assert apt_installs and all("--no-upgrade" in c for c in apt_installs)
    # every install is guarded by a test for what it installs, and announced first
    assert "[ -x .venv/bin/python ] ||" in setup and "if ! command -v chromium" in setup
    assert "[ ! -x .venv-checkov/bin/checkov ]" in setup
    assert setup.count('say "') >= 4
    assert "'.[audit,test]'" in setup  # the audit tests need the oci SDK


def test_release_workflow_refuses_a_tag_that_is_not_the_version(tmp_path):
    import subprocess

    import yaml

    workflow = yaml.safe_load((ROOT / ".github/workflows/release.yml").read_text())
    step = next(s for s in workflow["jobs"]["build"]["steps"] if s.get("name") == "The tag names the package version")
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]

    def run(tag: str, changelog: str) -> subprocess.CompletedProcess:
        work = tmp_path / f"run{len(list(tmp_path.iterdir()))}"
        work.mkdir()
        (work / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
        (work / "CHANGELOG.md").write_text(changelog)
        return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=work, capture_output=True, text=True,
                              env={"PATH": "/usr/bin:/bin", "TAG": tag})

    released = f"# Changelog\n\n## [{version}] - 2027-01-15\n\n### Added\n- x\n"
    assert run(f"v{version}", released).returncode == 0
    wrong = run("v9.9.9", released)
    assert wrong.returncode == 1 and "does not match" in wrong.stdout
    unreleased = run(f"v{version}", "# Changelog\n\n## [Unreleased]\n")
    assert unreleased.returncode == 1 and "no section" in unreleased.stdout
