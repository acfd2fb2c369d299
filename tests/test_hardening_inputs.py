"""Hostile inputs end in an error naming the file, never a hang or a traceback (issue 6, §3-§4)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.engine.policy import POLICY_DIR, load_rules

runner = CliRunner()

BUCKET = 'resource "oci_objectstorage_bucket" "b" {\n  name = "b"\n  namespace = "ns"\n  compartment_id = "c"\n  access_type = "ObjectRead"\n}\n'


def scan(*args: str) -> tuple[int, dict]:
    res = runner.invoke(app, ["scan", *args, "--no-cache", "--format", "json", "--rule", "OCI-DAT-001"])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, json.loads(res.stdout)


def errors_by_path(doc: dict) -> dict[str, str]:
    return {Path(e["path"]).name: e["message"] for e in doc["errors"]}


def test_fifo_and_device_named_tf_are_reported_not_read(tmp_path):
    (tmp_path / "main.tf").write_text(BUCKET)
    os.mkfifo(tmp_path / "pipe.tf")
    os.mkfifo(tmp_path / "terraform.tfvars")
    (tmp_path / "z.tf").symlink_to("/dev/zero")
    code, doc = scan(str(tmp_path))
    errs = errors_by_path(doc)
    assert "named pipe" in errs["pipe.tf"] and "named pipe" in errs["terraform.tfvars"]
    assert "device" in errs["z.tf"]
    assert any(f["rule_id"] == "OCI-DAT-001" for f in doc["findings"])  # the rest is intact
    assert code == 2


def test_fifo_sibling_of_a_single_file_target(tmp_path):
    (tmp_path / "main.tf").write_text(BUCKET)
    os.mkfifo(tmp_path / "other.tf")
    code, doc = scan(str(tmp_path / "main.tf"))
    assert "named pipe" in errors_by_path(doc)["other.tf"]
    assert any(f["rule_id"] == "OCI-DAT-001" for f in doc["findings"])


def test_plan_over_the_size_limit(tmp_path, monkeypatch):
    from scanner.guards.limits import LIMITS

    monkeypatch.setattr(LIMITS, "max_plan_bytes", 1000)
    plan = {"format_version": "1.2", "planned_values": {"root_module": {}}, "pad": "x" * 2000}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    code, doc = scan(str(tmp_path / "plan.json"))
    assert "too large" in errors_by_path(doc)["plan.json"]
    assert code == 2


def _policy_dir(tmp_path: Path) -> Path:
    d = tmp_path / "policies"
    d.mkdir()
    (d / "OCI-DAT-001.yaml").write_text((POLICY_DIR / "OCI-DAT-001.yaml").read_text())
    return d


@pytest.mark.parametrize(
    "name, text, expect",
    [
        ("ALIAS-BOMB.yaml", "a: &a [x,x,x,x,x,x,x,x,x]\n"
         + "".join(f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)),
         "alias bomb"),
        ("REC-1.yaml", "id: REC-1\ncondition: &c {all: [*c]}\n", "recursive YAML alias"),
    ],
)
def test_yaml_bombs_in_policies_are_errors(tmp_path, name, text, expect):
    d = _policy_dir(tmp_path)
    (d / name).write_text(text)
    start = time.monotonic()
    rules, errors = load_rules(d)
    assert time.monotonic() - start < 10
    assert [r.id for r in rules] == ["OCI-DAT-001"]
    assert len(errors) == 1 and expect in errors[0].message and errors[0].path.endswith(name)


def test_directory_and_dangling_link_named_yaml_under_policies(tmp_path):
    d = _policy_dir(tmp_path)
    (d / "DIR.yaml").mkdir()
    (d / "GONE.yaml").symlink_to(tmp_path / "nowhere")
    (d / "LOOP.yaml").symlink_to(d / "LOOP.yaml")
    os.mkfifo(d / "PIPE.yaml")
    (tmp_path / "tf").mkdir()
    (tmp_path / "tf" / "main.tf").write_text(BUCKET)
    for cache in (["--no-cache"], ["--cache-dir", str(tmp_path / "c")]):
        res = runner.invoke(app, ["scan", str(tmp_path / "tf"), "--policies-only", str(d), "--format", "json", *cache])
        assert res.exit_code == 2, res.output
        doc = json.loads(res.stdout)
        assert {"DIR.yaml", "GONE.yaml", "LOOP.yaml", "PIPE.yaml"} <= set(errors_by_path(doc))
        assert any(f["rule_id"] == "OCI-DAT-001" for f in doc["findings"])


def test_catastrophic_policy_regex_is_bounded():
    from scanner.guards.safe_regex import RegexError, compile_policy

    start = time.monotonic()
    assert compile_policy(r"^(a+)+$").search("a" * 5000 + "!") is None  # RE2: linear
    with pytest.raises(RegexError):  # RE2 rejects lookahead: the bounded engine gives up in time
        compile_policy(r"(?=(a|aa)+$)(a|aa)+$").search("a" * 5000 + "!")
    assert time.monotonic() - start < 5


def test_catastrophic_regex_in_a_policy_is_a_rule_error_not_a_hang(tmp_path):
    d = _policy_dir(tmp_path)
    text = (d / "OCI-DAT-001.yaml").read_text()
    start = text.index("condition:")
    (d / "OCI-DAT-001.yaml").write_text(
        text[:start] + "condition: {attr: name, op: not_matches, value: '(?=(a|aa)+$)(a|aa)+$'}\n"
    )
    (tmp_path / "tf").mkdir()
    (tmp_path / "tf" / "main.tf").write_text(BUCKET.replace('name = "b"', 'name = "' + "a" * 5000 + '!"'))
    began = time.monotonic()
    res = runner.invoke(app, ["scan", str(tmp_path / "tf"), "--policies-only", str(d), "--no-cache", "--format", "json"])
    assert time.monotonic() - began < 10
    assert res.exit_code == 2 and "backtracking" in res.stdout
