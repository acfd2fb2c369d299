"""Expressions that would hang or exhaust memory end in an input error naming file and line;
the rest of the module is still scanned (issue 6, §3), and one bad expression never drops its
module (§4)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.sources.terraform import load_terraform

runner = CliRunner()

PUBLIC = 'resource "oci_objectstorage_bucket" "public" {\n  name = "p"\n  namespace = "ns"\n  compartment_id = "c"\n  access_type = "ObjectRead"\n}\n'


def scan_dir(tmp_path: Path, hostile: str) -> tuple[int, dict, float]:
    (tmp_path / "public.tf").write_text(PUBLIC)
    (tmp_path / "hostile.tf").write_text(hostile)
    start = time.monotonic()
    res = runner.invoke(app, ["scan", str(tmp_path), "--no-cache", "--format", "json", "--rule", "OCI-DAT-001"])
    elapsed = time.monotonic() - start
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    return res.exit_code, json.loads(res.stdout), elapsed


def assert_rest_intact(doc: dict) -> None:
    assert any(f["resource"]["address"] == "oci_objectstorage_bucket.public" for f in doc["findings"]), doc


@pytest.mark.parametrize(
    "hostile, limit, line",
    [
        ('resource "oci_core_vcn" "v" {\n  count = 1e9\n}\n', "max_instances", 2),
        ('resource "oci_core_vcn" "v" {\n  for_each = toset([for i in range(20000) : tostring(i)])\n}\n', "max_instances", 2),
        ('locals {\n  big = setproduct(range(1000), range(1000))\n}\nresource "oci_core_vcn" "v" {\n  display_name = length(local.big)\n}\n', "max_collection", 2),
        ('resource "oci_core_vcn" "v" {\n  display_name = pow(10, 100000000)\n}\n', "max_number_bits", 2),
        ('resource "oci_core_vcn" "v" {\n  display_name = length(range(1e12))\n}\n', "max_collection", 2),
        ('resource "oci_core_vcn" "v" {\n  display_name = join("", [for i in range(100) : join("", [for j in range(100) : join("", [for k in range(100) : "0123456789"])])])\n}\n', "max_string", 2),
        ('resource "oci_core_vcn" "v" {\n  display_name = yamldecode(' + json.dumps(
            "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdef", "bcdefg", strict=True))
        ) + ')\n}\n', "max_yaml_nodes", 2),
    ],
    ids=["count-1e9", "for_each-20000", "setproduct", "pow", "range-1e12", "string-10MB", "yamldecode-bomb"],
)
def test_limit_is_an_input_error_naming_file_and_line(tmp_path, hostile, limit, line):
    code, doc, elapsed = scan_dir(tmp_path, hostile)
    assert elapsed < 20
    errs = [e for e in doc["errors"] if e["path"].endswith("hostile.tf")]
    assert errs and limit in errs[0]["message"] and errs[0]["line"] == line, doc["errors"]
    assert_rest_intact(doc)
    assert code == 2


def test_nested_dynamic_blocks_are_bounded(tmp_path):
    inner = "content {\n  x = 1\n}\n"
    for depth in range(8):
        inner = f'dynamic "b{depth}" {{\n  for_each = range(10)\n  content {{\n{inner}}}\n}}\n'
    code, doc, elapsed = scan_dir(tmp_path, 'resource "oci_core_vcn" "v" {\n' + inner + "}\n")
    assert elapsed < 30
    assert any("max_blocks" in e["message"] and e["line"] for e in doc["errors"]), doc["errors"]
    assert_rest_intact(doc)
    assert code == 2


def test_unterminated_heredoc_is_a_syntax_error_fast(tmp_path):
    code, doc, elapsed = scan_dir(tmp_path, 'resource "oci_core_vcn" "v" {\n  display_name = <<EOF\n' + "\n" * 160_000)
    assert elapsed < 10
    (err,) = [e for e in doc["errors"] if e["path"].endswith("hostile.tf")]
    assert "unterminated heredoc" in err["message"] and err["line"] == 2
    assert_rest_intact(doc)
    assert code == 2


def _values(tmp_path: Path, **exprs: str) -> dict:
    body = "".join(f"  {k} = {v}\n" for k, v in exprs.items())
    (tmp_path / "main.tf").write_text(f'resource "oci_core_vcn" "v" {{\n{body}}}\n' + PUBLIC)
    result = load_terraform([tmp_path / "main.tf"], tmp_path)
    by_addr = {r.address: r for r in result.resources}
    assert "oci_objectstorage_bucket.public" in by_addr  # one bad value never drops the module
    return by_addr["oci_core_vcn.v"].attributes


def test_functions_evaluate_correctly_within_limits(tmp_path):
    start = time.monotonic()
    v = _values(
        tmp_path,
        product="setproduct([\"a\", \"b\"], [1, 2])",
        subnet='cidrsubnet("10.0.0.0/8", 24, 5)',
        subnet16='cidrsubnet("10.1.0.0/16", 8, 2)',
        distinct="length(toset([for i in range(60000) : i % 7]))",
        big_set="length(toset(range(60000)))",
        backtrack='regexall("^(a+)+$", "${join("", [for i in range(5000) : "a"])}!")',
        unicode='try(regex("\\\\p{L}+", "héllo!"), "x")',
        bad_regex='try(regex("(a)\\\\1", "aa"), "fallback")',
        yaml_round='yamldecode(yamlencode({b = [1, "two"], a = true}))',
        yaml_text='yamlencode({b = 1, a = "x"})',
        power="pow(2, 10)",
    )
    assert time.monotonic() - start < 15
    assert v["product"] == [["a", 1], ["a", 2], ["b", 1], ["b", 2]]
    assert v["subnet"] == "10.0.0.5/32" and v["subnet16"] == "10.1.2.0/24"
    assert v["distinct"] == 7 and v["big_set"] == 60000
    assert v["backtrack"] == []
    assert v["unicode"] == "héllo"
    assert v["bad_regex"] == "fallback"
    assert v["yaml_round"] == {"a": True, "b": [1, "two"]}
    assert v["yaml_text"] == "a: x\nb: 1\n"
    assert v["power"] == 1024


def test_infinite_count_is_an_error_not_a_lost_module(tmp_path):
    (tmp_path / "main.tf").write_text('resource "oci_core_vcn" "v" {\n  count = 1e999\n}\n' + PUBLIC)
    result = load_terraform([tmp_path / "main.tf"], tmp_path)
    assert "oci_objectstorage_bucket.public" in {r.address for r in result.resources}
    assert [(e.path, e.line) for e in result.errors] == [("main.tf", 2)]


def test_limits_are_configurable(tmp_path, monkeypatch):
    from scanner.guards.limits import LIMITS, Limits

    monkeypatch.setattr(LIMITS, "max_instances", LIMITS.max_instances)  # restored afterwards
    code, doc, _ = scan_dir(tmp_path, 'resource "oci_core_vcn" "v" {\n  count = 4\n}\n')
    assert code == 1 and not doc["errors"]
    res = runner.invoke(
        app, ["scan", str(tmp_path), "--no-cache", "--format", "json", "--limit", "max_instances=3"]
    )
    doc = json.loads(res.stdout)
    assert res.exit_code == 2 and "max_instances=3" in doc["errors"][0]["message"]
    bad = runner.invoke(app, ["scan", str(tmp_path), "--limit", "max_everything=3"])
    assert bad.exit_code == 2 and "unknown limit" in bad.output

    monkeypatch.setenv("OCISEC_LIMIT_MAX_INSTANCES", "5")
    limits = Limits()
    assert limits.load_environment() == [] and limits.max_instances == 5
