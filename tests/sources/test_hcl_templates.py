"""Template directives (``%{ if }``, ``%{ for }``), strip markers and ``templatefile()``: parsed
into the AST and evaluated as Terraform would render them."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.model import Status, Unknown
from scanner.sources.terraform import load_terraform
from scanner.sources.terraform.evaluate import Scope, evaluate
from scanner.sources.terraform.hclparse import parse_hcl
from scanner.sources.terraform.module import ModuleConfig, ModuleInstance, TerraformProgram
from scanner.sources.terraform.parsing import ParseCache
from scanner.sources.terraform.syntax import TemplateFor, TemplateIf
from scanner.sources.terraform.templates import parse_template
from scanner.workflow.scan import ScanOptions, run_scan

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_POLICY = ROOT / "fixtures" / "terraform" / "template-policy"


def _eval(text: str, **variables):
    body = parse_hcl(f"x = {text}\n")
    inst = ModuleInstance(
        TerraformProgram({}, [], ""), ModuleConfig("", ""), "", {k: (v, None) for k, v in variables.items()}, ""
    )
    return evaluate(body.attributes["x"].expr, Scope(inst))


@pytest.mark.parametrize(
    "expr, expected",
    [
        ('"%{ if var.on }yes%{ else }no%{ endif }"', "yes"),
        ('"%{ if !var.on }yes%{ endif }"', ""),
        ('"[%{ for s in var.l }${s};%{ endfor }]"', "[a;b;]"),
        ('"%{ for k, v in var.m }${k}=${v},%{ endfor }"', "x=1,y=2,"),  # map keys in lexical order
        ('"a  ${~ var.l[0] ~}  b"', "aab"),
        ('"a %{~ if var.on ~} b %{~ endif ~} c"', "abc"),
        ('"100%%{ if }, $${x} and %%%{y}"', "100%{ if }, ${x} and %%{y}"),
        ('"${var.n}"', 3),  # a lone interpolation keeps its type
        ('"%{ if var.on }${var.n}%{ endif }"', "3"),  # a directive always renders text
    ],
)
def test_template_directives_are_evaluated(expr, expected):
    assert _eval(expr, on=True, l=["a", "b"], m={"y": 2, "x": 1}, n=3) == expected


def test_heredoc_directives_with_strip_markers_render_as_terraform_does():
    text = (
        "x = <<-EOT\n"
        "  %{ for g in var.groups ~}\n"
        "  Allow group ${g} to read buckets in tenancy\n"
        "  %{ endfor ~}\n"
        "  EOT\n"
    )
    body = parse_hcl(text)
    groups = {"groups": (["A", "B"], None)}
    inst = ModuleInstance(TerraformProgram({}, [], ""), ModuleConfig("", ""), "", groups, "")
    value = evaluate(body.attributes["x"].expr, Scope(inst))
    # Terraform's own rendering: ``~}`` takes the line break, so the statement lines no longer
    # start a line for <<- and keep their indentation
    assert value == "  Allow group A to read buckets in tenancy\n  Allow group B to read buckets in tenancy\n"


def test_directives_are_nodes_of_the_ast():
    expr = parse_hcl('x = "%{ if a }%{ for i in l }${i}%{ endfor }%{ endif }"\n').attributes["x"].expr
    outer = expr.parts[0]
    assert isinstance(outer, TemplateIf)
    assert isinstance(outer.then.parts[0], TemplateFor)


def test_unknown_condition_or_collection_gives_an_unknown_string_with_the_reason():
    value = _eval('"%{ if data.x.y.on }a%{ endif }"')
    assert isinstance(value, Unknown) and value.nonnull and "template condition" in value.reason
    assert _eval('"%{ if data.x.y.on }same%{ else }same%{ endif }"') == "same"
    value = _eval('"%{ for s in data.x.y.l }${s}%{ endfor }"')
    assert isinstance(value, Unknown) and "unknown collection" in value.reason


def test_parse_template_reads_a_template_document():
    assert evaluate_template("Hello ${name}", name="x") == "Hello x"
    assert evaluate_template("%{ for n in names ~}\n${n}\n%{ endfor ~}", names=["a", "b"]) == "a\nb\n"


def evaluate_template(text: str, **names):
    inst = ModuleInstance(TerraformProgram({}, [], ""), ModuleConfig("", ""), "", {}, "")
    return evaluate(parse_template(text), Scope(inst, names))


@pytest.mark.parametrize("kind, status", [("fail", Status.FAILED), ("pass", Status.PASSED)])
def test_policy_statements_built_by_templatefile_are_judged(kind, status):
    result, _ = run_scan([TEMPLATE_POLICY / kind], ScanOptions(rule_ids=["OCI-IAM-004"]))
    assert result.errors == []
    assert [f.status for f in result.findings] == [status]


def test_templatefile_of_a_missing_file_is_unknown_with_the_reason():
    d = TEMPLATE_POLICY / "missing"
    result = load_terraform([d / "main.tf"], d)
    policy = next(r for r in result.resources if r.kind == "oci_identity_policy")
    statements = policy.attributes["statements"]
    assert isinstance(statements, Unknown)
    assert "absent.tpl" in statements.reason and "not found" in statements.reason
    findings, _ = run_scan([d], ScanOptions(rule_ids=["OCI-IAM-004"]))
    assert [f.status for f in findings.findings] == [Status.UNKNOWN]


def test_templatefile_limits_and_invalid_templates(tmp_path, monkeypatch):
    from scanner.sources.terraform import templates

    (tmp_path / "main.tf").write_text(
        'resource "oci_core_vcn" "big" {\n  display_name = templatefile("big.tpl", {})\n}\n'
        'resource "oci_core_vcn" "bad" {\n  display_name = templatefile("bad.tpl", {})\n}\n'
    )
    (tmp_path / "big.tpl").write_text("x" * 64)
    (tmp_path / "bad.tpl").write_text("%{ if }")
    monkeypatch.setattr(templates, "MAX_TEMPLATE_BYTES", 16)
    result = load_terraform([tmp_path / "main.tf"], tmp_path)
    names = {r.address: r.attributes["display_name"] for r in result.resources if r.kind == "oci_core_vcn"}
    assert isinstance(names["oci_core_vcn.big"], Unknown) and "larger than" in names["oci_core_vcn.big"].reason
    bad = names["oci_core_vcn.bad"]
    assert isinstance(bad, Unknown) and "not a valid template" in bad.reason and "line" in bad.reason


def test_evaluation_cache_sees_a_changed_template(tmp_path):
    (tmp_path / "main.tf").write_text(
        'resource "oci_core_vcn" "v" {\n  display_name = templatefile("${path.module}/n.tpl", { n = 1 })\n}\n'
    )
    cache = ParseCache(tmp_path / ".cache")

    def name():
        result = load_terraform([tmp_path / "main.tf"], tmp_path, cache=cache)
        return next(r for r in result.resources if r.kind == "oci_core_vcn").attributes["display_name"]

    (tmp_path / "n.tpl").write_text("vcn-${n}")
    assert name() == "vcn-1"
    (tmp_path / "n.tpl").write_text("net-${n}-changed")
    assert name() == "net-1-changed"


def test_templatefile_reads_nothing_outside_the_scanned_directory(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("hunter2")
    root = tmp_path / "scan"
    root.mkdir()
    (root / "link.tpl").symlink_to(secret)
    (root / "main.tf").write_text(
        f'resource "oci_core_vcn" "abs" {{\n  display_name = templatefile("{secret}", {{}})\n}}\n'
        'resource "oci_core_vcn" "up" {\n  display_name = templatefile("../secret.txt", {})\n}\n'
        'resource "oci_core_vcn" "link" {\n  display_name = templatefile("link.tpl", {})\n}\n'
    )
    result = load_terraform([root / "main.tf"], root)
    names = {r.address: r.attributes["display_name"] for r in result.resources if r.kind == "oci_core_vcn"}
    for name in ("abs", "up", "link"):
        value = names[f"oci_core_vcn.{name}"]
        assert isinstance(value, Unknown) and "outside the scanned directory" in value.reason, name
