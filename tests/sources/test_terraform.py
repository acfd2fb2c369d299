"""The Terraform source: evaluation, modules, provenance, unknowns and parse errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.model import Unknown
from scanner.sources.terraform import load_terraform
from scanner.sources.terraform.evaluate import Scope, evaluate
from scanner.sources.terraform.hclparse import parse_hcl
from scanner.sources.terraform.module import ModuleConfig, ModuleInstance, TerraformProgram
from scanner.sources.terraform.parsing import ParseCache
from scanner.workflow.scan import discover

ROOT = Path(__file__).resolve().parents[2]
TF = ROOT / "fixtures" / "terraform"


def _load(path: Path, **kw):
    inputs = discover([path], ROOT)
    return load_terraform(inputs.tf, ROOT, **kw)


def _by_address(result):
    return {r.address: r for r in result.resources}


def _eval(text: str, **variables):
    """Evaluate the expression ``text`` in a module whose variables have the given values."""
    body = parse_hcl(f"x = {text}\n")
    config = ModuleConfig("", "")
    inst = ModuleInstance(
        TerraformProgram({}, [], ""), config, "", {k: (v, None) for k, v in variables.items()}, ""
    )
    return evaluate(body.attributes["x"].expr, Scope(inst))


@pytest.mark.parametrize(
    "expr, expected",
    [
        ('"${var.a}-${var.n + 1}"', "x-3"),
        ('[for s in var.l : upper(s) if s != "b"]', ["A", "C"]),
        ("{for s in var.l : s => length(s)}", {"a": 1, "b": 1, "c": 1}),
        ('var.n > 1 ? "big" : "small"', "big"),
        ('lookup({a = 1}, "b", 7)', 7),
        ("merge({a = 1}, {b = 2})", {"a": 1, "b": 2}),
        ('cidrsubnet("10.0.0.0/16", 8, 2)', "10.0.2.0/24"),
        ('join(",", concat(["x"], var.l))', "x,a,b,c"),
        ("var.l[1]", "b"),
        ('try(var.m.missing, "fallback")', "fallback"),
        ("!true || false", False),
        ('format("%s-%d", "a", 3)', "a-3"),
        ("[for xs in [var.l] : [for x in xs : x]]", [["a", "b", "c"]]),
        ('regex("^ocid1\\\\.([a-z]+)\\\\.", "ocid1.vault.oc1..x")', ["vault"]),
        ("setproduct([\"a\"], [1, 2])", [["a", 1], ["a", 2]]),
        ('cidrsubnets("10.0.0.0/16", 8, 8, 4)', ["10.0.0.0/24", "10.0.1.0/24", "10.0.16.0/20"]),
        ('sha256("x")', "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"),
        ('{for s in var.l : (s == "a" ? "first" : "rest") => s...}', {"first": ["a"], "rest": ["b", "c"]}),
    ],
)
def test_expressions_evaluate(expr, expected):
    assert _eval(expr, a="x", n=2, l=["a", "b", "c"], m={"k": 1}) == expected


def test_unknowns_propagate_with_symbols():
    v = _eval("data.oci_identity_availability_domains.ads.availability_domains[1].name")
    assert isinstance(v, Unknown) and not v.nonnull
    assert v.symbol == "data.oci_identity_availability_domains.ads.availability_domains[1].name"
    t = _eval('"prefix-${data.x.y.id}"')
    assert isinstance(t, Unknown) and t.nonnull  # an interpolated string is never null


def test_module_calls_for_each_count_inputs_and_tfvars():
    res = _by_address(_load(TF / "modules_app"))
    uploads = res['module.bucket["uploads"].oci_objectstorage_bucket.this']
    reports = res['module.bucket["reports"].oci_objectstorage_bucket.this']
    archive = res["module.archive[0].oci_objectstorage_bucket.this"]
    # inputs flow into the child module; tfvars override defaults (env = "prod")
    assert uploads.attributes["name"] == "prod-app-uploads"
    assert reports.attributes["versioning"] == "Disabled"
    # a reference to a managed resource's id is unknown but certainly set, and names its target
    key = uploads.attributes["kms_key_id"]
    assert isinstance(key, Unknown) and key.nonnull and key.ref == "oci_kms_key.buckets"
    # the archive call passes no key: the child default null stays
    assert archive.attributes["kms_key_id"] is None
    assert archive.provenance.attribute_locations["kms_key_id"].file.endswith("modules/bucket/main.tf")
    # the called directory is evaluated through its calls, never as a root of its own
    assert "oci_objectstorage_bucket.this" not in res


def test_dynamic_blocks_expand_with_lines():
    res = _by_address(_load(TF / "modules_app"))
    pool = res["oci_containerengine_node_pool.workers"]
    pcs = pool.attributes["node_config_details"][0]["placement_configs"]
    assert [p["availability_domain"] for p in pcs] == [
        "Uocm:EU-FRANKFURT-1-AD-1",
        "Uocm:EU-FRANKFURT-1-AD-2",
        "Uocm:EU-FRANKFURT-1-AD-3",
    ]
    assert pool.attributes["node_config_details"][0]["size"] == 3
    loc = pool.provenance.attribute_locations["node_config_details.0.placement_configs.2.availability_domain"]
    assert (loc.file, loc.start_line) == ("fixtures/terraform/modules_app/main.tf", 48)


def test_tfvars_value_is_located_in_the_tfvars_file():
    res = _by_address(_load(TF / "modules_app"))
    env = res["var.env"]
    assert env.attributes["value"] == "prod" and env.attributes["default"] == "dev"
    assert env.provenance.attribute_locations["value"].file.endswith("terraform.tfvars")


def test_unresolvable_values_are_unknown_not_absent():
    res = _by_address(_load(TF / "unknowns"))
    for name in ("from_data", "from_var", "from_module"):
        value = res[f"oci_core_volume.{name}"].attributes["kms_key_id"]
        assert isinstance(value, Unknown), name
        assert not value.nonnull, name


def test_parse_error_names_file_and_line_and_other_files_still_load():
    result = _load(TF / "broken")
    assert [(e.path, e.line) for e in result.errors] == [("fixtures/terraform/broken/bad.tf", 3)]
    assert "Br0ken-File-Secret-99" not in result.errors[0].message
    assert "oci_objectstorage_bucket.good" in _by_address(result)


def test_parse_cache_round_trip(tmp_path):
    first = _load(TF / "modules_app", cache=ParseCache(tmp_path))
    assert any(tmp_path.rglob("*")), "cache written"
    second = _load(TF / "modules_app", cache=ParseCache(tmp_path))
    assert [(r.address, r.attributes) for r in first.resources if r.kind != "file"] == [
        (r.address, r.attributes) for r in second.resources if r.kind != "file"
    ]


def test_parse_failures_are_cached_too(tmp_path):
    _load(TF / "broken", cache=ParseCache(tmp_path))
    again = _load(TF / "broken", cache=ParseCache(tmp_path))
    assert [(e.path, e.line) for e in again.errors] == [("fixtures/terraform/broken/bad.tf", 3)]


def test_single_file_scan_keeps_only_that_files_resources():
    target = TF / "modules_app" / "variables.tf"
    inputs = discover([target], ROOT)
    result = load_terraform(inputs.tf, ROOT, only_files=inputs.only_files)
    kinds = {r.kind for r in result.resources}
    assert kinds == {"variable", "file"}


def test_tf_json_files_are_read(tmp_path):
    (tmp_path / "main.tf.json").write_text(
        '{"resource": {"oci_core_volume": {"v": {"kms_key_id": "${oci_kms_key.k.id}",'
        ' "compartment_id": "c"}}}, "variable": {"x": {"default": "y"}}}'
    )
    result = load_terraform([tmp_path / "main.tf.json"], tmp_path)
    res = _by_address(result)
    assert isinstance(res["oci_core_volume.v"].attributes["kms_key_id"], Unknown)
    assert res["var.x"].attributes["default"] == "y"


def test_attribute_and_block_line_spans():
    text = (
        'resource "oci_core_volume" "v" {\n'  # 1
        "  a = 1\n"  # 2
        "  cond = (length(var.x) > 0 &&\n"  # 3
        "    var.y) # trailing comment\n"  # 4
        "  doc = <<-EOT\n"  # 5
        "    line one\n"  # 6
        "    EOT\n"  # 7
        "  obj = {\n"  # 8
        '    k = "v"\n'  # 9
        "  }\n"  # 10
        "  nested { b = 2 }\n"  # 11
        "}\n"  # 12
    )
    body = parse_hcl(text)
    block = body.blocks[0]
    spans = {n: (a.start, a.end) for n, a in block.body.attributes.items()}
    assert spans == {"a": (2, 2), "cond": (3, 4), "doc": (5, 7), "obj": (8, 10)}
    assert (block.start, block.end) == (1, 12)
    nested = block.body.blocks[0]
    assert (nested.start, nested.end) == (11, 11) and nested.body.attributes["b"].end == 11


def test_evaluation_cache_is_invalidated_by_any_file_the_evaluation_read(tmp_path):
    root = tmp_path / "live"
    shared = tmp_path / "shared"
    root.mkdir()
    shared.mkdir()
    (root / "main.tf").write_text('module "b" {\n  source = "../shared"\n  name = "one"\n}\n')
    (shared / "main.tf").write_text(
        'variable "name" {}\nresource "oci_objectstorage_bucket" "b" {\n  name = var.name\n}\n'
    )
    cache = ParseCache(tmp_path / "cache")

    def names():
        result = load_terraform([root / "main.tf"], tmp_path, cache=cache)
        return [r.attributes.get("name") for r in result.resources if r.kind == "oci_objectstorage_bucket"]

    assert names() == ["one"]
    assert names() == ["one"]  # served from the cache
    (shared / "main.tf").write_text(  # outside the scanned path, read through the module call
        'variable "name" {}\nresource "oci_objectstorage_bucket" "b" {\n  name = "${var.name}-x"\n}\n'
    )
    assert names() == ["one-x"]
    (root / "main.tf").write_text('module "b" {\n  source = "../shared"\n  name = "two"\n}\n')
    assert names() == ["two-x"]


def test_variable_type_is_kept_as_written(tmp_path):
    (tmp_path / "v.tf").write_text(
        'variable "a" {\n  type = bool\n}\nvariable "b" {\n  type = map(object({ x = list(string) }))\n}\n'
    )
    res = _by_address(load_terraform([tmp_path / "v.tf"], tmp_path))
    assert res["var.a"].attributes["type"] == "bool"
    assert res["var.b"].attributes["type"] == "map(object({x = list(string)}))"


def test_counted_module_outputs_and_splat_over_counted_resources(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "main.tf").write_text(
        'variable "n" {}\nresource "oci_kms_key" "k" {\n  count = 2\n  display_name = "k${count.index}-${var.n}"\n}\n'
        'output "names" {\n  value = oci_kms_key.k[*].display_name\n}\n'
    )
    (tmp_path / "main.tf").write_text(
        'module "keys" {\n  source = "./m"\n  count = 2\n  n = count.index\n}\n'
        'resource "oci_objectstorage_bucket" "b" {\n  name = join(",", module.keys[1].names)\n}\n'
    )
    res = _by_address(load_terraform([tmp_path / "main.tf"], tmp_path))
    assert res["oci_objectstorage_bucket.b"].attributes["name"] == "k0-1,k1-1"
    assert "module.keys[0].oci_kms_key.k[1]" in res


def test_resources_carry_the_region_of_their_provider(tmp_path):
    (tmp_path / "main.tf").write_text(
        'provider "oci" {\n  region = "eu-frankfurt-1"\n}\n'
        'provider "oci" {\n  alias = "home"\n  region = "us-ashburn-1"\n}\n'
        'resource "oci_identity_group" "g" {\n  provider = oci.home\n  name = "g"\n}\n'
        'resource "oci_core_vcn" "v" {\n  cidr_block = "10.0.0.0/16"\n}\n'
    )
    res = _by_address(load_terraform([tmp_path / "main.tf"], tmp_path))
    assert res["oci_identity_group.g"].context["region"] == "us-ashburn-1"
    assert res["oci_core_vcn.v"].context["region"] == "eu-frankfurt-1"
    assert "provider" not in res["oci_identity_group.g"].attributes


def test_oversized_and_non_utf8_files_are_reported_not_parsed(tmp_path, monkeypatch):
    from scanner.guards.limits import LIMITS

    monkeypatch.setattr(LIMITS, "max_file_bytes", 100)
    (tmp_path / "big.tf").write_text("# " + "x" * 200 + "\n")
    (tmp_path / "latin1.tf").write_bytes(b'# caf\xe9\nresource "oci_core_vcn" "v" {}\n')
    (tmp_path / "ok.tf").write_text('resource "oci_core_vcn" "ok" {\n  cidr_block = "10.0.0.0/16"\n}\n')
    result = load_terraform(sorted(tmp_path.glob("*.tf")), tmp_path)
    messages = {e.path: e.message for e in result.errors}
    assert "too large" in messages["big.tf"]
    assert "not UTF-8" in messages["latin1.tf"]
    assert "oci_core_vcn.ok" in _by_address(result)
