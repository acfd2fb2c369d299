"""ocisec as users get it: a wheel installed into a fresh venv, and a lone copy of the repository.

Both are built from the files git would put in a fresh clone (tracked plus not-ignored new files),
copied to a temporary directory with nothing beside it, so neither the working tree's ignored
files (``.venv``, ``build/``) nor a ``../shared`` directory can make them pass by accident.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from _clone import clone_files

from scanner.engine.policy import load_rules

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def lone_clone(tmp_path_factory) -> Path:
    return clone_files(tmp_path_factory.mktemp("lone") / "ocisec")


@pytest.fixture(scope="module")
def installed(lone_clone, tmp_path_factory) -> Path:
    """The ``bin`` directory of a fresh venv with the wheel built from the clone installed."""
    work = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip"]
    subprocess.run([*pip, "wheel", "-q", "--no-deps", "-w", str(work / "dist"), str(lone_clone)],
                   check=True, cwd=work, capture_output=True)
    wheels = list((work / "dist").glob("ocisec-*.whl"))
    assert len(wheels) == 1
    # Without pip of its own (fast to create); this interpreter's pip installs into it.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(work / "venv")], check=True)
    subprocess.run([*pip, "--python", str(work / "venv" / "bin" / "python"), "install", "-q", str(wheels[0])],
                   check=True, cwd=work, capture_output=True)
    return work / "venv" / "bin"


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["OCISEC_CACHE_DIR"] = str(cwd / "cache")
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


def test_installed_wheel_lists_every_policy(installed, tmp_path):
    proc = _run([str(installed / "ocisec"), "rules", "--format", "json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    listed = {r["id"] for r in json.loads(proc.stdout)}
    expected = {p.stem for p in (ROOT / "policies").glob("*.yaml")}
    assert listed == expected and len(expected) >= 39


def test_installed_wheel_fails_the_insecure_platform(installed, tmp_path):
    proc = _run([str(installed / "ocisec"), "scan", str(ROOT / "fixtures/platform/insecure"), "--format", "json"],
                tmp_path)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    # The same rules fail as in the source tree: every rule that applies to Terraform (live-only
    # and Kubernetes rules have nothing to judge in this example).
    from scanner.workflow.config import settings_from_file
    from scanner.workflow.scan import ScanOptions, run_scan

    # With the configuration the installed command finds beside the platform (tenancy_root).
    settings = settings_from_file(ROOT / "fixtures/platform/.ocisec.yaml")
    in_tree, _ = run_scan([ROOT / "fixtures/platform/insecure"], ScanOptions(settings=settings))
    expected = {f.rule_id for f in in_tree.failed}
    assert len(expected) >= 39
    assert doc["errors"] == [] and {f["rule_id"] for f in doc["findings"]} == expected


def test_installed_wheel_reads_its_own_policies_not_the_source_tree(installed, tmp_path):
    # The wheel must carry the rules: nothing of the repository is importable from tmp_path.
    code = "import scanner.engine.policy as p; print(p.POLICY_DIR)"
    proc = _run([str(installed / "python"), "-c", code], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "site-packages" in proc.stdout and str(ROOT) not in proc.stdout


def test_lone_clone_passes_its_sarif_schema_tests(lone_clone):
    assert not (lone_clone.parent / "shared").exists()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/report/test_sarif.py", "tests/test_cli.py", "-k", "sarif"],
        cwd=lone_clone, capture_output=True, text=True, env=env, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "skipped" not in proc.stdout


def test_help_and_information_uris_point_at_the_repository_in_project_urls():
    from scanner.model import HELP_URI_BASE
    from scanner.report.sarif import INFORMATION_URI

    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    assert INFORMATION_URI == urls["Repository"]
    assert HELP_URI_BASE == urls["Documentation"]
    assert HELP_URI_BASE.startswith(urls["Repository"] + "/blob/") and HELP_URI_BASE.endswith("docs/rules.md")
    rules, _ = load_rules()
    docs = (ROOT / "docs" / "rules.md").read_text().lower()
    for rule in rules:  # every anchor exists in the generated docs
        anchor = rule.help_uri.rpartition("#")[2]
        assert f"## {anchor}" in docs or f'id="{anchor}"' in docs, rule.id


def test_installed_wheel_validates_configuration_with_its_packaged_schema(installed, tmp_path):
    (tmp_path / ".ocisec.yaml").write_text("fail_on: hgih\n")
    (tmp_path / "main.tf").write_text('resource "oci_objectstorage_bucket" "b" {\n  name = "b"\n}\n')
    proc = _run([str(installed / "ocisec"), "scan", "."], tmp_path)
    assert proc.returncode == 2 and ".ocisec.yaml: fail_on:" in proc.stderr


def test_installed_base_wheel_has_no_oci_sdk_and_says_how_to_get_it(installed, tmp_path):
    # The base install is the light one: `ocisec audit` names the extra instead of a traceback.
    assert not list(installed.parent.glob("lib/python*/site-packages/oci"))
    proc = _run([str(installed / "ocisec"), "audit"], tmp_path)
    assert proc.returncode == 2 and 'pip install "ocisec[audit]"' in proc.stderr, proc.stderr
    replay = _run([str(installed / "ocisec"), "audit", "--from-snapshot",
                   str(ROOT / "fixtures/live/example-snapshot.json"), "--format", "json"], tmp_path)
    assert replay.returncode in (0, 1) and json.loads(replay.stdout)["findings"], replay.stderr
