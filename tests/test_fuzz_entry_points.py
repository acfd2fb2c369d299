"""Property-based tests over every parser entry point (issue 6, §6): HCL, ``.tf.json``, tfvars,
plan JSON and policy YAML. For any input: no uncaught exception, a bounded time per file, and an
input that cannot be read is reported by name. Bounded for CI (few examples, no shrinking
deadline); crash seeds found along the way are kept as regular tests at the end."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.engine.policy import load_rule_file
from scanner.model import Rule
from scanner.sources.terraform import load_terraform
from scanner.sources.terraform.hclparse import parse_hcl
from scanner.sources.terraform.jsonsyntax import parse_tf_json
from scanner.sources.terraform.syntax import Body, HclSyntaxError
from scanner.sources.terraform_plan import load_plan

# Seconds one small generated file may take end to end: far above normal (milliseconds),
# far below a hang.
PER_FILE_SECONDS = 10
# OCISEC_FUZZ_EXAMPLES=2000 for a longer hunt (random then, not the fixed CI examples).
_EXAMPLES = int(os.environ.get("OCISEC_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=_EXAMPLES,
    deadline=None,
    derandomize=_EXAMPLES <= 40,  # the same examples on every CI run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

HCL_TOKENS = [
    'resource "oci_objectstorage_bucket" "b" {', "}", "{", "[", "]", "(", ")", "=", "\n", '"', "${",
    "%{", "<<EOF\n", "EOF\n", "<<-X\n", "X\n", "count", "for_each", "dynamic", "content", "each.key",
    "var.x", "local.y", "for x in", ":", "=>", "...", "?", "true", "null", "1e999", "-1", "0.5",
    "range(", "setproduct(", "regex(", "toset(", "pow(", "cidrsubnet(", "yamldecode(", ",", "#",
    "//", "/*", "*/", "\\", "é", "\x00", "\r\n", "locals {", "variable \"x\" {", "module \"m\" {",
    'source = "./"', "access_type", '"ObjectRead"', "try(", "can(",
]  # fmt: skip
hcl_text = st.lists(st.sampled_from(HCL_TOKENS) | st.text(max_size=8), max_size=60).map("".join)

json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)


def _timed(fn, *args):
    start = time.monotonic()
    out = fn(*args)
    assert time.monotonic() - start < PER_FILE_SECONDS
    return out


@FUZZ
@given(text=hcl_text)
def test_hcl_parses_or_raises_a_syntax_error(text):
    try:
        body = _timed(parse_hcl, text)
    except HclSyntaxError as exc:
        assert str(exc)
    else:
        assert isinstance(body, Body)


@FUZZ
@given(doc=json_value | st.text(max_size=40))
def test_tf_json_parses_or_raises_a_syntax_error(doc):
    text = doc if isinstance(doc, str) else json.dumps(doc)
    try:
        body = _timed(parse_tf_json, text)
    except HclSyntaxError as exc:
        assert str(exc)
    else:
        assert isinstance(body, Body)


@FUZZ
@given(tf=hcl_text, tfvars=hcl_text)
def test_a_module_with_tfvars_always_evaluates(tmp_path_factory, tf, tfvars):
    d = tmp_path_factory.mktemp("m")
    (d / "main.tf").write_text(tf, encoding="utf-8", errors="surrogatepass")
    (d / "terraform.tfvars").write_text(tfvars, encoding="utf-8", errors="surrogatepass")
    result = _timed(load_terraform, [d / "main.tf"], d)
    for err in result.errors:
        assert err.path in ("main.tf", "terraform.tfvars") and err.message


@FUZZ
@given(values=json_value, shape=st.sampled_from(["plan", "resources", "raw"]))
def test_plan_json_loads_or_reports_the_file(tmp_path_factory, values, shape):
    d = tmp_path_factory.mktemp("p")
    if shape == "plan":
        doc = {"format_version": "1.2", "planned_values": values, "resource_changes": values}
    elif shape == "resources":
        doc = {
            "format_version": "1.2",
            "planned_values": {"root_module": {"resources": [
                {"address": "oci_core_vcn.v", "type": "oci_core_vcn", "name": "v", "mode": "managed", "values": values}
            ]}},
        }  # fmt: skip
    else:
        doc = values
    (d / "plan.json").write_text(json.dumps(doc))
    resources, errors = _timed(load_plan, d / "plan.json", d)
    assert isinstance(resources, list)
    for err in errors:
        assert err.path == "plan.json"


POLICY_KEYS = ["id", "title", "severity", "category", "rationale", "remediation", "message",
               "resources", "condition", "targets", "parameters", "when"]  # fmt: skip
yaml_text = st.lists(
    st.sampled_from(POLICY_KEYS + [": ", "\n", "  ", "- ", "&a ", "*a", "{", "}", "[", "]", "op: matches",
                                   "value: '(a+)+$'", "all: ", "attr: x", "X-1", "high", "'", '"', "!!python/object"])
    | st.text(max_size=6),
    max_size=50,
).map("".join)  # fmt: skip


@FUZZ
@given(text=yaml_text)
def test_policy_yaml_loads_or_raises_a_value_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("y") / "X-1.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        rule = _timed(load_rule_file, path)
    except ValueError as exc:
        assert str(exc)
    else:
        assert isinstance(rule, Rule)


# --- crash seeds found by the properties above, kept as plain tests ------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "x = <<EOF\n" + "\n" * 20,  # unterminated heredoc (quadratic in the lexer)
        "a = 1e999\nb = -1e999\n",
        'a = "\x00"\n',
        "a = [" * 400 + "]" * 400 + "\n",
    ],
)
def test_hcl_crash_seeds(text):
    try:
        _timed(parse_hcl, text)
    except HclSyntaxError:
        pass


def test_unreadable_inputs_are_reported_by_name(tmp_path: Path):
    (tmp_path / "bad.tf").write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "ok.tf").write_text('resource "oci_core_vcn" "v" {}\n')
    result = load_terraform([tmp_path / "bad.tf", tmp_path / "ok.tf"], tmp_path)
    assert [e.path for e in result.errors] == ["bad.tf"]
