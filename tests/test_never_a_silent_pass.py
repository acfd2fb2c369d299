"""Issue 13, §3: what ocisec did not scan is said, and a scan that judged nothing is exit 2.

A pull request can change ``skip_paths``, add only YAML that is neither a chart nor a manifest,
or hand ocisec a snapshot with object types it does not know: none of that may end in "No
failed findings." and exit 0 without a word.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "fixtures" / "live" / "example-snapshot.json"
runner = CliRunner()
VCN = 'resource "oci_core_vcn" "v" {}\n'


def run(*args: str) -> tuple[int, dict]:
    res = runner.invoke(app, [*args, "--format", "json"])
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    return res.exit_code, json.loads(res.stdout)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_skip_paths_removing_every_file_is_said_and_exits_2(repo):
    (repo / "infra").mkdir()
    (repo / "infra" / "main.tf").write_text(VCN)
    (repo / "infra" / "net.tf").write_text(VCN.replace('"v"', '"w"'))
    (repo / ".ocisec.yaml").write_text('skip_paths: ["**"]\n')
    code, doc = run("scan", "infra", "--no-cache")
    assert code == 2
    messages = [(e["path"], e["level"], e["message"]) for e in doc["errors"]]
    assert (".ocisec.yaml", "note", "2 files skipped by skip_paths in .ocisec.yaml") in messages
    assert any(level == "error" and "nothing to scan" in msg for _, level, msg in messages), messages


def test_skip_paths_that_leave_something_is_a_note(repo):
    (repo / "infra").mkdir()
    (repo / "examples").mkdir()
    (repo / "infra" / "main.tf").write_text(VCN)
    (repo / "examples" / "a.tf").write_text(VCN)
    (repo / "examples" / "b.tf").write_text(VCN)
    (repo / ".ocisec.yaml").write_text("skip_paths: [examples]\n")
    code, doc = run("scan", ".", "--no-cache")
    assert code in (0, 1)  # findings or not: the scan ran on what was left
    assert [(e["message"], e["level"]) for e in doc["errors"]] == [
        ("2 files skipped by skip_paths in .ocisec.yaml", "note")
    ]


def test_skipping_the_only_named_directory_exits_2(repo):
    (repo / "infra").mkdir()
    (repo / "infra" / "main.tf").write_text(VCN)
    (repo / ".ocisec.yaml").write_text("skip_paths: [infra]\n")
    code, doc = run("scan", "infra", "--no-cache")
    assert code == 2 and "1 file skipped by skip_paths" in json.dumps(doc["errors"])


@pytest.mark.parametrize(
    "files",
    [
        {"site.yml": "- hosts: all\n  tasks:\n    - name: x\n      apt: name=nginx\n"},
        {"ci.yaml": "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n", "docker-compose.yml": "services: {}\n"},
        # tool configuration shaped like an object, never applied to a cluster
        {"kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"},
    ],
)
def test_a_directory_of_yaml_that_is_neither_chart_nor_manifest_is_nothing_to_scan(tmp_path, files):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    code, doc = run("scan", str(tmp_path), "--no-cache")
    assert code == 2
    assert any("nothing to scan" in e["message"] and e["level"] == "error" for e in doc["errors"])


def test_a_named_yaml_file_that_is_not_kubernetes_is_ignored_as_pre_commit_needs(tmp_path):
    """Files named one by one are pre-commit's staged files: a commit that only touches a
    workflow must pass, so such a file is read and ignored (a directory is not)."""
    (tmp_path / "playbook.yml").write_text("- hosts: all\n")
    code, doc = run("scan", str(tmp_path / "playbook.yml"), "--no-cache")
    assert code == 0 and doc["errors"] == []


def test_a_directory_with_a_manifest_beside_other_yaml_is_scanned(tmp_path):
    (tmp_path / "site.yml").write_text("- hosts: all\n")
    (tmp_path / "svc.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n")
    code, doc = run("scan", str(tmp_path), "--no-cache")
    assert code == 0 and not doc["errors"]


def test_unknown_snapshot_types_are_notes_with_a_count_per_type(tmp_path):
    doc = json.loads(SNAPSHOT.read_text())
    for i in range(3):
        doc["resources"].append({"type": "bastion.Bastion", "region": "eu-frankfurt-1", "data": {"id": f"b{i}"}})
    doc["resources"].append({"type": "example.Widget", "region": "eu-frankfurt-1", "data": {"id": "w"}})
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(doc))
    code, result = run("audit", "--from-snapshot", str(path), "--no-config")
    notes = sorted(e["message"] for e in result["errors"] if e["level"] == "note")
    assert notes == [
        "1 object of type example.Widget not audited: ocisec has no mapping for this type",
        "3 objects of type bastion.Bastion not audited: ocisec has no mapping for this type",
    ]
    assert code in (0, 1)


def test_a_list_inside_a_list_is_unwrapped_and_odd_items_are_reported(tmp_path):
    (tmp_path / "l.yaml").write_text(
        "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: List\n    items:\n"
        "      - apiVersion: apps/v1\n        kind: Deployment\n        metadata:\n          name: inner\n"
        "        spec:\n          replicas: 1\n"
        "  - just: a map\n"
        "  - apiVersion: v1\n    kind: ConfigMapList\n    items: {a: b}\n"
    )
    code, doc = run("scan", str(tmp_path / "l.yaml"), "--no-cache", "--rule", "OCI-HA-101")
    assert [f["resource"]["address"] for f in doc["findings"]] == ["Deployment/inner"]
    assert doc["findings"][0]["location"]["start_line"] == 12
    levels = sorted((e["line"], e["level"]) for e in doc["errors"])
    assert levels == [(13, "note"), (16, "error")]
    assert code == 2
