"""A release as the release workflow makes it: the sdist and the wheel from a committed clone,
``twine check``, the commit recorded for ``ocisec --version``, one version everywhere."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
from _clone import committed_copy, git
from typer.testing import CliRunner

import scanner
from scanner.cli import app

ROOT = Path(__file__).resolve().parents[1]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> tuple[Path, str]:
    """``python -m build`` (sdist, then the wheel from the sdist) of a committed copy; its commit."""
    repo = committed_copy(tmp_path_factory.mktemp("release") / "ocisec")
    commit = git("rev-parse", "HEAD", cwd=repo).strip()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(repo / "dist"), str(repo)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return repo / "dist", commit


def test_sdist_and_wheel_pass_twine_check(artifacts):
    dist, _ = artifacts
    files = sorted(p.name for p in dist.iterdir())
    assert files == [f"ocisec-{VERSION}-py3-none-any.whl", f"ocisec-{VERSION}.tar.gz"]
    proc = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.iterdir())],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("PASSED") == 2


def test_both_artifacts_record_the_commit_and_carry_the_rules(artifacts):
    dist, commit = artifacts
    with zipfile.ZipFile(dist / f"ocisec-{VERSION}-py3-none-any.whl") as wheel:
        names = set(wheel.namelist())
        assert wheel.read("scanner/_commit.txt").decode().strip() == commit
    assert {f"scanner/policies/{p.name}" for p in (ROOT / "policies").glob("*.yaml")} <= names
    with tarfile.open(dist / f"ocisec-{VERSION}.tar.gz") as sdist:
        member = sdist.extractfile(f"ocisec-{VERSION}/scanner/_commit.txt")
        assert member is not None and member.read().decode().strip() == commit


def test_version_of_the_built_wheel_names_its_commit(artifacts, tmp_path):
    dist, commit = artifacts
    wheel = dist / f"ocisec-{VERSION}-py3-none-any.whl"
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PYTHONPATH"] = str(wheel)  # the wheel itself, imported from the zip: not the source tree
    code = "import scanner.cli.version as v; print(v.__file__); print(v.version_line())"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env)
    where, line = proc.stdout.splitlines()
    assert str(wheel) in where, where
    assert line == f"ocisec {VERSION} (commit {commit[:12]})"


def test_version_option_prints_version_and_the_checkout_commit():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert re.fullmatch(rf"ocisec {re.escape(VERSION)}( \(commit [0-9a-f]{{12}}(-dirty)?\))?\n", result.output)
    if (ROOT / ".git").exists():  # a checkout (tests run from one): its HEAD is named
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
        assert head[:12] in result.output


def test_one_version_everywhere_and_a_keep_a_changelog_file():
    assert scanner.__version__ == VERSION
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION)  # tags are v<version>: the release workflow checks it
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert changelog.startswith("# Changelog\n") and "keepachangelog.com" in changelog
    sections = re.findall(r"^## \[([^\]]+)\]", changelog, re.M)
    assert sections and sections[0] == "Unreleased"
    for name in sections:  # every section has its link reference at the bottom
        assert re.search(rf"^\[{re.escape(name)}\]: https://", changelog, re.M), name
    for heading in re.findall(r"^### (.+)$", changelog, re.M):
        assert heading in {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}, heading
