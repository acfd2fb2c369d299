"""The CI examples in examples/ are valid and their scan commands do what they promise."""

from __future__ import annotations

import json
import os
import re
import shutil
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
    assert doc["permissions"]["actions"] == "read"  # the SARIF upload needs it in private repositories
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
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] in scan["run"]
    setup = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["cache"] == "pip"
    install = next(s for s in steps if "pip install" in s.get("run", ""))
    assert "@main" not in install["run"] and "git+" not in install["run"]
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


def test_gitlab_job_produces_code_quality_junit_and_sast_reports(tmp_path, ocisec_on_path):
    text = GITLAB.read_text()
    doc = yaml.safe_load(text)
    job = doc["ocisec"]
    reports = job["artifacts"]["reports"]
    assert reports == {"codequality": "gl-code-quality-report.json", "junit": "ocisec-junit.xml",
                       "sast": "gl-sast-report.json"}
    assert job["artifacts"]["when"] == "always"
    # python:3.11-slim has no git: the install must not need it; the tiers are said.
    assert job["image"].startswith("python:3.11-slim")
    assert all("git+" not in line and "@main" not in line for line in job["script"])
    assert "Ultimate" in text and "every GitLab tier" in text
    scan = next(line for line in job["script"] if line.startswith("ocisec scan"))
    env = {**ocisec_on_path, **job["variables"], "OCISEC_PATHS": str(INSECURE)}
    proc = subprocess.run(["bash", "-c", scan], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    report = json.loads((tmp_path / "gl-sast-report.json").read_text())
    assert report["scan"]["type"] == "sast" and report["scan"]["status"] == "success"
    assert report["vulnerabilities"] and (tmp_path / "ocisec-junit.xml").is_file()
    quality = json.loads((tmp_path / "gl-code-quality-report.json").read_text())
    assert len(quality) == len(report["vulnerabilities"]) and quality[0]["location"]["path"]
    assert "failing finding" in proc.stdout.splitlines()[0]


def test_readme_links_the_examples():
    readme = (ROOT / "README.md").read_text()
    assert "examples/github-actions/ocisec.yml" in readme and "examples/gitlab-ci/.gitlab-ci.yml" in readme


# --- every workflow and action: pinned, no @main, zizmor clean ---------------------------------

ACTION = ROOT / "action.yml"
RELEASE = ROOT / ".github" / "workflows" / "release.yml"
PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*\s*$")


def _workflow_files() -> list[Path]:
    """Every GitHub workflow and action in the repository and in examples/."""
    found = [ACTION, *sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))]
    found += sorted((ROOT / "examples" / "github-actions").glob("*.y*ml"))
    return found


@pytest.mark.parametrize("path", _workflow_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_actions_are_pinned_by_sha_with_the_version_in_a_comment(path):
    uses = [line for line in path.read_text().splitlines() if re.match(r"^\s*(-\s+)?uses:", line)]
    assert uses, path
    for line in uses:
        assert PINNED.match(line), line
    assert "@main" not in path.read_text()


def test_zizmor_finds_nothing_at_medium_or_above_offline():
    zizmor = shutil.which("zizmor") or str(Path(sys.executable).with_name("zizmor"))
    if not Path(zizmor).exists():
        pytest.fail("zizmor is not installed: it is in the test extras, run `bash .ci/setup`")
    files = [str(p) for p in _workflow_files()]
    proc = subprocess.run(
        [zizmor, "--offline", "--format", "json", "--min-severity", "medium", "--no-progress", *files],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    findings = json.loads(proc.stdout or "[]")
    assert findings == [], json.dumps(findings, indent=1)[:4000]
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(files) >= 3


# --- the composite action ----------------------------------------------------------------------


def _action() -> dict:
    return yaml.safe_load(ACTION.read_text())


def _expand(value: str, inputs: dict[str, str]) -> str:
    """``${{ inputs.X }}`` as GitHub expands it in a step's ``env``."""
    return re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: inputs[m.group(1)], value)


def test_action_declares_its_inputs_and_steps():
    doc = _action()
    assert {"paths", "format", "sarif-file", "fail-on", "soft-fail"} <= set(doc["inputs"])
    assert doc["runs"]["using"] == "composite"
    steps = doc["runs"]["steps"]
    runs = " ".join(s.get("run", "") for s in steps)
    assert 'pip" install -q "$GITHUB_ACTION_PATH"' in runs  # installs the ref named in uses:
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["if"].startswith("always()")
    assert steps.index(upload) < len(steps) - 1  # the result step comes after the upload


def _run_action_scan(tmp_path: Path, env: dict[str, str], **given: str) -> tuple[subprocess.CompletedProcess, Path]:
    doc = _action()
    inputs = {name: str(spec.get("default", "")) for name, spec in doc["inputs"].items()}
    inputs.update(given)
    step = next(s for s in doc["runs"]["steps"] if s.get("id") == "scan")
    runner_temp = tmp_path / "runner-temp"
    venv_bin = runner_temp / "ocisec-venv" / "bin"  # where the install step puts ocisec
    venv_bin.mkdir(parents=True)
    shutil.copy(Path(env["PATH"].split(os.pathsep)[0]) / "ocisec", venv_bin / "ocisec")
    step_env = {**env, **{k: _expand(str(v), inputs) for k, v in step["env"].items()}}
    step_env.update(RUNNER_TEMP=str(runner_temp), GITHUB_OUTPUT=str(tmp_path / "output"),
                    GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"))
    step_env["PATH"] = os.pathsep.join(p for p in step_env["PATH"].split(os.pathsep)[1:])  # only the venv's
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run([step["shell"], "-e", "-c", step["run"]], cwd=work, env=step_env,
                          capture_output=True, text=True, timeout=120)
    return proc, work


def _result_step(tmp_path: Path, exit_code: str, soft_fail: str) -> int:
    step = next(s for s in _action()["runs"]["steps"] if s.get("name") == "Result")
    env = {"PATH": os.environ["PATH"], "EXIT_CODE": exit_code, "SOFT_FAIL": soft_fail}
    return subprocess.run([step["shell"], "-e", "-c", step["run"]], env=env, capture_output=True).returncode


def test_action_scan_step_reports_sarif_summary_and_the_exit_code(tmp_path, ocisec_on_path):
    proc, work = _run_action_scan(tmp_path, ocisec_on_path, paths=str(INSECURE), **{"fail-on": "high"})
    assert proc.returncode == 0, proc.stderr  # the step records the code; the Result step decides
    assert (tmp_path / "output").read_text().strip() == "exit_code=1"
    assert proc.stdout.startswith("::error file=fixtures/platform/insecure/")
    sarif = json.loads((work / "ocisec.sarif").read_text())
    assert sarif["runs"][0]["results"]
    assert (tmp_path / "summary.md").read_text().startswith("## ocisec: ")
    assert _result_step(tmp_path, "1", "false") == 1
    assert _result_step(tmp_path, "1", "true") == 0  # soft-fail: findings reported, step passes
    assert _result_step(tmp_path, "2", "true") == 1  # an unreadable input always fails


def test_action_scan_step_on_a_clean_tree_with_another_format(tmp_path, ocisec_on_path):
    compliant = ROOT / "fixtures" / "platform" / "compliant"
    proc, work = _run_action_scan(tmp_path, ocisec_on_path, paths=str(compliant), format="text",
                                  **{"sarif-file": ""})
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "output").read_text().strip() == "exit_code=0"
    assert proc.stdout.startswith("No failed findings.") and not (work / "ocisec.sarif").exists()
    assert _result_step(tmp_path, "0", "false") == 0
