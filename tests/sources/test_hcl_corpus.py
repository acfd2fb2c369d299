"""Every file Terraform accepts parses; every file it rejects is an input error with file and line.

``tests/data/hcl-corpus`` holds real-world-shaped configurations (written for these tests) with
the constructs public OCI modules use; ``tests/data/hcl-invalid`` holds files ``terraform fmt``
rejects, each with the line Terraform names. When ``terraform`` is on PATH both sets are
cross-checked against ``terraform fmt -check`` (exit 2 means invalid HCL).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from scanner.model import Unknown
from scanner.sources.terraform import load_terraform
from scanner.sources.terraform.evaluate import Scope, evaluate
from scanner.sources.terraform.hclparse import parse_hcl
from scanner.sources.terraform.module import ModuleConfig, ModuleInstance, TerraformProgram
from scanner.sources.terraform.syntax import ForExpr, HclSyntaxError, UnaryOp

DATA = Path(__file__).resolve().parents[1] / "data"
VALID = sorted((DATA / "hcl-corpus").glob("*.tf"))
# file -> the line Terraform reports the error on
INVALID = {
    "argument_set_twice.tf": 4,
    "condition_over_lines.tf": 2,
    "missing_equals.tf": 2,
    "operator_at_line_start.tf": 3,
    "single_line_block.tf": 2,
    "unclosed_block.tf": 1,
    "unterminated_directive.tf": 2,
}


def _terraform_verdict(path: Path) -> bool:
    """Whether ``terraform fmt -check`` accepts the file as HCL (exit 3 only means unformatted)."""
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not on PATH: the cross-check with terraform fmt is skipped")
    proc = subprocess.run(
        [terraform, "fmt", "-check", "-list=false", "-no-color", str(path)], capture_output=True, timeout=60
    )
    return proc.returncode != 2


def test_the_corpora_are_there():
    assert len(VALID) >= 5
    assert sorted(p.name for p in (DATA / "hcl-invalid").glob("*.tf")) == sorted(INVALID)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_file_parses_and_loads_without_errors(path: Path):
    body = parse_hcl(path.read_text())
    assert body.blocks
    result = load_terraform([path], path.parent, only_files={path})
    assert result.errors == []


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_terraform_accepts_every_valid_file(path: Path):
    assert _terraform_verdict(path), f"terraform fmt rejects {path.name}: it does not belong in the corpus"


@pytest.mark.parametrize("name, line", sorted(INVALID.items()))
def test_invalid_file_is_an_input_error_with_file_and_line(name: str, line: int):
    path = DATA / "hcl-invalid" / name
    text = path.read_text()
    with pytest.raises(HclSyntaxError) as err:
        parse_hcl(text)
    assert err.value.line == line
    result = load_terraform([path], path.parent, only_files={path})
    [error] = result.errors
    assert error.path == name and error.line == line
    assert "HCL syntax error" in error.message
    # the message names the place and the kind of token, never the source text
    for secret in ("s3cr3t-Value-in-a-broken-file", "hunter2-not-echoed", "var.", "ObjectRead"):
        assert secret not in error.message


@pytest.mark.parametrize("name", sorted(INVALID))
def test_terraform_rejects_every_invalid_file(name: str):
    assert not _terraform_verdict(DATA / "hcl-invalid" / name)


def _locals(path: Path, **variables):
    body = parse_hcl(path.read_text())
    inst = ModuleInstance(
        TerraformProgram({}, [], ""), ModuleConfig("", ""), "", {k: (v, None) for k, v in variables.items()}, ""
    )
    locs = {}
    for block in body.blocks_of("locals"):
        locs.update(block.body.attributes)
    return {name: evaluate(a.expr, Scope(inst)) for name, a in locs.items()}, locs


def test_operators_corpus_evaluates_like_terraform():
    values, attrs = _locals(DATA / "hcl-corpus" / "operators.tf", create_bastion=True, worker_count=2)
    assert attrs["bastion_enabled"].expr == UnaryOp("!", UnaryOp("!", attrs["bastion_enabled"].expr.operand.operand))
    assert values["bastion_enabled"] is True and values["not_not_not"] is False
    assert values["plus_one"] == 1 and values["offset"] == 3 and values["negative"] == -2
    assert values["precedence"] == 1 + 2 * 3 - 4 / 2 % 3
    assert values["comparisons"] is True and values["not_equal"] is True and values["needs_nat"] is True
    assert (attrs["needs_nat"].start, attrs["needs_nat"].end) == (25, 28)


def test_for_expressions_corpus_keeps_line_breaks_and_comments_out_of_the_meaning():
    path = DATA / "hcl-corpus" / "for_expressions.tf"
    body = parse_hcl(path.read_text())
    attrs = body.blocks_of("locals")[0].body.attributes
    enabled = attrs["enabled_pools"]
    assert isinstance(enabled.expr, ForExpr) and enabled.expr.cond is not None
    assert (enabled.start, enabled.end) == (10, 11)
    config = ModuleConfig(str(path.parent), ".")
    config.add_file(path.name, body)
    inst = ModuleInstance(TerraformProgram({".": config}, [], ""), config, "", {}, ".")
    assert sorted(inst.local("enabled_pools")) == ["app", "system"]
    assert inst.local("pool_sizes") == {"app": 3, "system": 2}
    assert inst.local("pool_shapes") == ["VM.STANDARD.E4.FLEX", "vm.standard3.flex"]
    assert inst.local("by_shape") == {"VM.Standard.E4.Flex": ["app", "batch"], "VM.Standard3.Flex": ["system"]}
    assert inst.local("flattened") == ["app-0", "app-1", "app-2", "system-0", "system-1"]


def test_templates_corpus_renders_directives_heredocs_and_escapes():
    values, _ = _locals(DATA / "hcl-corpus" / "templates.tf", admin_groups=["Administrators", "NetAdmins"])
    assert values["subnet_name"] == "sn-private-01"
    assert values["labels"] == "administrators,netadmins,"
    assert values["mode"] == "shared"
    assert values["escapes"] == "literal ${not_interpolated} and %{not_a_directive} and 100%%{kept}"
    assert values["quoted"] == 'tab\tquote"backslash\\ unicodeé'
    # as `terraform console` renders it: `%{~` leaves an unindented line, so <<- removes nothing
    assert values["cloud_init"] == (
        "    #cloud-config\n    # group Administrators\n    # group NetAdmins\n    runcmd:\n      - echo READY\n"
    )
    assert values["policy_doc"] == (
        "Allow group Administrators to read all-resources in tenancy\n"
        "Allow group NetAdmins to read all-resources in tenancy\n"
    )


def test_traversals_corpus_reads_legacy_index_splat_and_provider_functions():
    path = DATA / "hcl-corpus" / "traversals.tf"
    result = load_terraform([path], path.parent, only_files={path})
    subnets = {r.address: r for r in result.resources if r.kind == "oci_core_subnet"}
    assert set(subnets) == {'oci_core_subnet.each["a"]', 'oci_core_subnet.each["b"]'}
    assert subnets['oci_core_subnet.each["b"]'].attributes["prohibit_public_ip_on_vnic"] is False
    assert isinstance(subnets['oci_core_subnet.each["a"]'].attributes["availability_domain"], Unknown)
    [sl] = [r for r in result.resources if r.kind == "oci_core_security_list"]
    rules = sl.attributes["ingress_security_rules"]
    assert [r["source"] for r in rules] == ["10.0.1.0/24"] and rules[0]["tcp_options"] == [{"min": 22, "max": 22}]


def test_crlf_file_has_the_same_lines():
    body = parse_hcl((DATA / "hcl-corpus" / "crlf_lines.tf").read_bytes().decode())
    assert (body.blocks[0].start, body.blocks[0].end) == (1, 4)
    assert body.blocks[1].body.attributes["windows_lines"].start == 7


def test_a_file_with_every_once_rejected_construct_is_scanned_and_judged():
    from scanner.model import Status
    from scanner.workflow.scan import ScanOptions, run_scan

    fixture = Path(__file__).resolve().parents[2] / "fixtures" / "terraform" / "hcl-constructs"
    result, _ = run_scan([fixture], ScanOptions(rule_ids=["OCI-DAT-001"]))
    assert result.errors == []
    verdicts = {f.resource.address: (f.status, f.location.start_line) for f in result.findings}
    assert verdicts == {
        'oci_objectstorage_bucket.each["assets"]': (Status.FAILED, 30),
        'oci_objectstorage_bucket.each["logs"]': (Status.PASSED, 30),
    }


def test_the_parse_pool_gives_the_same_asts_and_errors_as_one_process(monkeypatch):
    from scanner.sources.terraform import parsing

    files = VALID + [DATA / "hcl-invalid" / name for name in sorted(INVALID)]
    alone = parsing.parse_files(files, parsing.ParseCache(None), workers=1)
    monkeypatch.setattr(parsing, "PARALLEL_MIN_BYTES", 0)
    pooled = parsing.parse_files(files, parsing.ParseCache(None), workers=2)
    assert {p: (r.body, r.error, r.error_line) for p, r in pooled.items()} == {
        p: (r.body, r.error, r.error_line) for p, r in alone.items()
    }
    assert sum(r.body is None for r in pooled.values()) == len(INVALID)
