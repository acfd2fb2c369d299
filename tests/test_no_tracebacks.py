"""Input errors exit 2, internal errors exit 3 with one line; never a traceback, never exit 1
without a report (issue 6, §4)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
PUBLIC = 'resource "oci_objectstorage_bucket" "public" {\n  name = "p"\n  namespace = "ns"\n  compartment_id = "c"\n  access_type = "ObjectRead"\n}\n'


def scan(*args: str) -> tuple[int, dict]:
    res = runner.invoke(app, ["scan", *args, "--no-cache", "--format", "json", "--rule", "OCI-DAT-001"])
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    return res.exit_code, json.loads(res.stdout)


def test_plan_nested_900_deep(tmp_path):
    deep = '{"a": [' * 900 + '{"leaf": "x"}' + "]}" * 900  # written as text: json.dumps would recurse
    plan = (
        '{"format_version": "1.2", "planned_values": {"root_module": {"resources": [{'
        '"address": "oci_core_vcn.v", "mode": "managed", "type": "oci_core_vcn", "name": "v", '
        f'"values": {{"freeform_tags": {deep}, "admin_password": {deep}}}}}]}}}}}}'
    )
    (tmp_path / "plan.json").write_text(plan)
    code, doc = scan(str(tmp_path / "plan.json"))
    assert code in (0, 2)
    if code == 2:
        assert doc["errors"][0]["path"].endswith("plan.json")


def test_tf_json_nested_100k_deep(tmp_path):
    (tmp_path / "deep.tf.json").write_text('{"locals": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}")
    (tmp_path / "public.tf").write_text(PUBLIC)
    code, doc = scan(str(tmp_path))
    assert code == 2
    assert [e["path"] for e in doc["errors"]][0].endswith("deep.tf.json")
    assert any(f["resource"]["address"] == "oci_objectstorage_bucket.public" for f in doc["findings"])


def test_600_nested_blocks(tmp_path):
    body = "x = 1\n"
    for i in range(600):
        body = f"b{i % 3} {{\n{body}}}\n"
    (tmp_path / "deep.tf").write_text('resource "oci_core_vcn" "v" {\n  password = "Sup3rS3cretValue"\n' + body + "}\n")
    (tmp_path / "public.tf").write_text(PUBLIC)
    code, doc = scan(str(tmp_path))
    assert code in (1, 2)
    assert any(f["resource"]["address"] == "oci_objectstorage_bucket.public" for f in doc["findings"])


def test_self_referencing_symlink(tmp_path):
    (tmp_path / "loopy.tf").symlink_to(tmp_path / "loopy.tf")
    (tmp_path / "public.tf").write_text(PUBLIC)
    code, doc = scan(str(tmp_path))
    errs = {Path(e["path"]).name: e["message"] for e in doc["errors"]}
    assert "loop" in errs["loopy.tf"]
    assert code == 2


def test_module_source_that_is_a_symlink_loop(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "app" / "main.tf").write_text('module "m" {\n  source = "../loop"\n}\n' + PUBLIC)
    code, doc = scan(str(tmp_path / "app"))
    assert any(e["path"].endswith("main.tf") and e["line"] == 1 for e in doc["errors"]), doc["errors"]
    assert any(f["resource"]["address"] == "oci_objectstorage_bucket.public" for f in doc["findings"])
    assert code == 2


def test_recursive_condition_in_policy(tmp_path):
    d = tmp_path / "p"
    d.mkdir()
    (d / "X-1.yaml").write_text("id: X-1\ncondition: &c {all: [*c]}\n")
    (tmp_path / "main.tf").write_text(PUBLIC)
    res = runner.invoke(app, ["scan", str(tmp_path), "--policies", str(d), "--no-cache"])
    assert res.exit_code == 2 and "recursive YAML alias" in res.output


def test_writing_the_report_to_dev_full():
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "scanner.cli", "scan", "fixtures/platform/insecure", "--no-cache"],
            cwd=ROOT, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120,
        )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "cannot write the report" in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "scanner.cli", "scan", "fixtures/platform/insecure", "--no-cache", "-o", "/dev/full"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["diff", "fixtures/live/example-snapshot.json", "fixtures/live/example-snapshot.json"],
        ["parity", "a=fixtures/live/cis-compliant.json", "b=fixtures/live/cis-insecure.json"],
    ],
    ids=["diff", "parity"],
)
def test_every_command_says_when_stdout_is_full(args):
    """diff and parity write their reports through the same writer as scan: a full disk is exit 2
    with a sentence, never a traceback."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "scanner.cli", *args], cwd=ROOT, stdout=full, stderr=subprocess.PIPE,
            text=True, timeout=120,
        )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "cannot write the report" in proc.stderr


def test_internal_error_exits_3_with_one_line(monkeypatch, tmp_path):
    import scanner.workflow.scan

    def boom(*_a, **_k):
        raise KeyError("bug")

    monkeypatch.setattr(scanner.workflow.scan, "run_scan", boom)
    res = runner.invoke(app, ["scan", str(tmp_path)])
    assert res.exit_code == 3
    assert "internal error: KeyError" in res.output and "please report" in res.output
    assert "Traceback" not in res.output
