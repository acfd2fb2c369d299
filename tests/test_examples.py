"""The CI examples in examples/ are valid and their scan commands do what they promise."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GITHUB = ROOT / "examples" / "github-actions" / "ocisec.yml"
GITLAB = ROOT / "examples" / "gitlab-ci" / ".gitlab-ci.yml"
INSECURE = ROOT / "fixtures" / "platform" / "insecure"


@pytest.fixture
def ocisec_on_path(tmp_path) -> dict[str, str]:
    """An environment whose ``ocisec`` is this source tree's (the workflow installs a release)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "ocisec"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m scanner.cli "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CI_"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["OCISEC_CACHE_DIR"] = str(tmp_path / "cache")
    return env


def _workflow() -> dict:
    doc = yaml.safe_load(GITHUB.read_text())
    # YAML 1.1 reads the bare key `on` as true; GitHub reads it as "on".
    doc["on"] = doc.pop(True, doc.get("on"))
    return doc


def test_github_workflow_is_a_valid_pull_request_workflow():
    doc = _workflow()
    assert "pull_request" in doc["on"]
    assert doc["permissions"]["security-events"] == "write"
    (job,) = doc["jobs"].values()
    assert job["runs-on"]
    steps = job["steps"]
    for step in steps:
        assert isinstance(step, dict) and (("uses" in step) != ("run" in step)), step
        assert set(step) <= {"name", "id", "if", "uses", "with", "run", "env", "shell"}, step
    names = [s.get("uses", "").split("@")[0] for s in steps]
    upload = steps[names.index("github/codeql-action/upload-sarif")]
    scan = next(s for s in steps if "ocisec scan" in s.get("run", ""))
    # SARIF is uploaded even when the scan found something, and the job fails only after it.
    assert upload["if"] == "always()"
    assert upload["with"]["sarif_file"] in scan["run"]
    assert steps.index(scan) < steps.index(upload) < len(steps) - 1
    assert "exit 1" in steps[-1]["run"] and scan["id"] in steps[-1]["if"]


def test_github_workflow_scan_step_reports_and_records_the_exit_code(tmp_path, ocisec_on_path):
    doc = _workflow()
    (job,) = doc["jobs"].values()
    scan = next(s for s in job["steps"] if "ocisec scan" in s.get("run", ""))
    env = {**ocisec_on_path, **job["env"], "OCISEC_PATHS": str(INSECURE)}
    env["GITHUB_OUTPUT"] = str(tmp_path / "output")
    env["GITHUB_STEP_SUMMARY"] = str(tmp_path / "summary.md")
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run(["bash", "-e", "-c", scan["run"]], cwd=work, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr  # the step itself succeeds; the last step fails the job
    assert (tmp_path / "output").read_text().strip() == "exit_code=1"
    assert proc.stdout.startswith("::error file=fixtures/platform/insecure/")
    sarif = json.loads((work / "ocisec.sarif").read_text())
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in sarif["runs"][0]["results"] for loc in r["locations"]}
    assert uris and all(u.startswith("fixtures/platform/insecure/") for u in uris)  # repository paths
    assert (tmp_path / "summary.md").read_text().startswith("## ocisec: ")


def test_gitlab_job_produces_a_sast_report(tmp_path, ocisec_on_path):
    doc = yaml.safe_load(GITLAB.read_text())
    job = doc["ocisec_sast"]
    assert job["artifacts"]["reports"]["sast"] == "gl-sast-report.json"
    assert job["artifacts"]["when"] == "always"
    scan = next(line for line in job["script"] if line.startswith("ocisec scan"))
    env = {**ocisec_on_path, **job["variables"], "OCISEC_PATHS": str(INSECURE)}
    proc = subprocess.run(["bash", "-c", scan], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    report = json.loads((tmp_path / "gl-sast-report.json").read_text())
    assert report["scan"]["type"] == "sast" and report["scan"]["status"] == "success"
    assert report["vulnerabilities"] and (tmp_path / "ocisec-junit.xml").is_file()
    assert "failing finding" in proc.stdout.splitlines()[0]


def test_readme_links_the_examples():
    readme = (ROOT / "README.md").read_text()
    assert "examples/github-actions/ocisec.yml" in readme and "examples/gitlab-ci/.gitlab-ci.yml" in readme
