"""``ocisec parity``: the same logical resource across environments, rule by rule."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.engine.policy import load_rules
from scanner.model import Location, Provenance, Resource
from scanner.report.parity_report import FORMATS, render
from scanner.workflow.parity import ParityUsageError, logical_key, parse_environment, run_parity

ROOT = Path(__file__).resolve().parents[2]
ENVS = ROOT / "fixtures" / "cloud" / "platform" / "envs"
LIVE = ROOT / "fixtures" / "cloud" / "platform" / "live"
COMPLIANT = ROOT / "fixtures" / "platform" / "compliant"
CHARTS = ROOT / "fixtures" / "platform" / "charts"
RULES = load_rules()[0]


def parity(*args: str, root: Path | None = None, patterns: list[str] | None = None):
    return run_parity(list(args), RULES, ROOT, root, [re.compile(p) for p in patterns or []])


def outcomes(result) -> set[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
    return {(d.rule_id, d.key, tuple(d.passing), tuple(d.failing)) for d in result.differences}


def test_tfvars_sets_on_one_root_dev_lacks_the_spread_production_has():
    result = parity(f"prod={ENVS / 'prod.tfvars'}", f"dev={ENVS / 'dev.tfvars'}", root=COMPLIANT)
    assert outcomes(result) == {
        ("OCI-HA-001", 'module.oke.oci_containerengine_node_pool.this["app"]', ("prod",), ("dev",)),
        ("OCI-HA-003", "module.batch.oci_core_instance_pool.workers", ("prod",), ("dev",)),
    }
    missing = {(p.key, tuple(p.present), tuple(p.absent)) for p in result.presence}
    assert missing == {('module.oke.oci_containerengine_node_pool.this["workers"]', ("prod",), ("dev",))}
    failing = next(o for d in result.differences for o in d.outcomes if o.status == "failed")
    assert failing.location.file == "fixtures/platform/compliant/modules/oke/main.tf"
    assert not result.input_errors


def test_two_terraform_roots_the_insecure_variant_differs_rule_by_rule():
    result = parity(f"prod={COMPLIANT}", f"dev={ROOT / 'fixtures' / 'platform' / 'insecure'}")
    keys = outcomes(result)
    assert ("OCI-ENC-005", "module.data.oci_database_autonomous_database.core", ("prod",), ("dev",)) in keys
    # No difference the other way: the compliant root fails nothing.
    assert all(d.passing == ["prod"] and d.failing == ["dev"] for d in result.differences)
    assert "module.data.oci_objectstorage_bucket.public_assets" in {p.key for p in result.presence}


def test_helm_values_environments_of_one_chart():
    chart = CHARTS / "insecure" / "platform-app"
    result = parity(f"production={chart / 'values-production.yaml'}", f"base={chart / 'values.yaml'}")
    assert outcomes(result) == {("OCI-HA-101", "helm.workload.platform-app", ("production",), ("base",))}
    base = next(o for o in result.differences[0].outcomes if o.environment == "base")
    assert base.location.file.endswith("insecure/platform-app/values.yaml")
    chart = CHARTS / "compliant" / "platform-app"
    same = parity(f"production={chart / 'values-production.yaml'}", f"base={chart / 'values.yaml'}")
    assert same.differences == [] and same.presence == []


def test_snapshots_match_live_objects_by_name_without_the_environment():
    result = parity(f"prod={LIVE / 'tenancy.json'}", f"dev={LIVE / 'dev-tenancy.json'}")
    assert outcomes(result) == {
        ("OCI-DAT-001", "oci_objectstorage_bucket.platform-documents", ("dev",), ("prod",)),
        ("OCI-ENC-001", "oci_objectstorage_bucket.platform-statements", ("prod",), ("dev",)),
        ("OCI-HA-001", "oci_containerengine_node_pool.app", ("prod",), ("dev",)),
    }
    assert {p.key for p in result.presence} == {
        "oci_containerengine_node_pool.workers", "oci_core_volume.manual-scratch", "oci_objectstorage_bucket.adhoc-exports"
    }


def test_a_name_pattern_removes_what_environment_names_alone_do_not():
    res = Resource("oci_core_vcn", "module.net_eu1_prod.oci_core_vcn.main", {}, Provenance("terraform"))
    assert logical_key(res, ["prod", "dev"], []) == "module.net_eu1.oci_core_vcn.main"
    assert logical_key(res, ["prod"], [re.compile(r"_eu\d")]) == "module.net.oci_core_vcn.main"
    # An environment name inside a longer word is left alone ("production" is not "prod").
    res2 = Resource("oci_core_vcn", "module.production_net.oci_core_vcn.main", {}, Provenance("terraform"))
    assert logical_key(res2, ["prod"], []) == "module.production_net.oci_core_vcn.main"
    live = Resource("oci_objectstorage_bucket", "ocid1.bucket.oc1..x", {"name": "payments-dev-exports"},
                    Provenance("oci", location=Location("s.json", 3, 3), ocid="ocid1.bucket.oc1..x"))
    assert logical_key(live, ["dev"], []) == "oci_objectstorage_bucket.payments-exports"


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("prod", "expected ENV=PATH"),
        ("prod=/no/such/dir", "no such file"),
        ("bad name=fixtures", "letters, digits"),
        (f"x={ROOT / 'README.md'}", "not a Terraform root"),
        (f"x={ROOT / 'fixtures' / 'platform' / 'charts' / 'compliant' / 'ingress-nginx-values.yaml'}", "beside Chart.yaml"),
    ],
)
def test_bad_environment_arguments_say_why(arg: str, message: str):
    with pytest.raises(ParityUsageError, match=re.escape(message)):
        parse_environment(arg)


def test_fewer_than_two_or_repeated_environments_are_usage_errors():
    with pytest.raises(ParityUsageError, match="at least two"):
        parity(f"prod={COMPLIANT}")
    with pytest.raises(ParityUsageError, match="must differ"):
        parity(f"prod={COMPLIANT}", f"prod={COMPLIANT}")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_shows_rule_and_presence_differences(fmt: str):
    result = parity(f"prod={ENVS / 'prod.tfvars'}", f"dev={ENVS / 'dev.tfvars'}", root=COMPLIANT)
    text = render(result, fmt)
    assert "OCI-HA-001" in text
    assert "workers" in text
    if fmt == "json":
        doc = json.loads(text)
        assert doc["summary"] == {"rule_differences": 2, "presence_differences": 1, "errors": 0}
        schema = json.loads((ROOT / "scanner" / "report" / "parity-output.schema.json").read_text())
        jsonschema.validate(doc, schema)
    if fmt == "sarif":
        schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
        log = json.loads(text)
        jsonschema.validate(log, schema)
        failing = [r for r in log["runs"][0]["results"] if r["ruleId"] == "OCI-HA-001"]
        assert failing[0]["properties"]["environment"] == "dev"
        assert failing[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("oke/main.tf")
    if fmt == "markdown":
        assert len(text) < 65_536 and "| ✅ pass | ❌ fail |" in text
    if fmt == "junit":
        import xml.etree.ElementTree as ET

        ET.fromstring(text.split("\n", 1)[1])


def test_markdown_and_html_make_hostile_names_inert(tmp_path: Path):
    snap = json.loads((LIVE / "dev-tenancy.json").read_text())
    for item in snap["resources"]:
        if item["data"].get("name") == "platform-dev-statements":
            item["data"]["name"] = "<img src=x onerror=alert(1)>[click](http://evil)\u001b[31m"
    hostile = tmp_path / "dev.json"
    hostile.write_text(json.dumps(snap))
    result = parity(f"prod={LIVE / 'tenancy.json'}", f"dev={hostile}")
    md = render(result, "markdown")
    outside_code = re.sub(r"(`+).*?\1", "", md)  # a code span shows its text, it renders nothing
    assert "<img" not in outside_code and "](http://evil" not in outside_code
    assert "img src" in md  # the name is still there, inert
    html = render(result, "html")
    assert "<img src=x" not in html
    assert "\u001b" not in render(result, "text")


def test_no_parity_output_line_reads_as_a_ci_command(tmp_path: Path):
    snap = json.loads((LIVE / "dev-tenancy.json").read_text())
    for item in snap["resources"]:
        if item["data"].get("name") == "platform-dev-statements":
            item["data"]["name"] = "x\n::add-mask::forged\n##[error]forged"
    hostile = tmp_path / "dev.json"
    hostile.write_text(json.dumps(snap))
    result = parity(f"prod={LIVE / 'tenancy.json'}", f"dev={hostile}")
    for fmt in ("text", "markdown", "json", "sarif", "junit", "html", "gitlab-sast"):
        out = render(result, fmt)
        assert not [ln for ln in out.splitlines() if ln.lstrip().startswith("::")], fmt
        assert "##[" not in out, fmt


def test_cli_exit_codes_and_several_outputs(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(ROOT)
    args = ["parity", f"prod={ENVS / 'prod.tfvars'}", f"dev={ENVS / 'dev.tfvars'}", "--root", str(COMPLIANT)]
    res = CliRunner().invoke(app, [*args, "--output", f"markdown={tmp_path / 'p.md'}", "--output", "json"])
    assert res.exit_code == 1, res.output
    assert json.loads(res.stdout)["summary"]["rule_differences"] == 2
    assert "OCI-HA-001" in (tmp_path / "p.md").read_text()
    # Only high and above fail: these differences are medium.
    assert CliRunner().invoke(app, [*args, "--fail-on", "high"]).exit_code == 0
    assert CliRunner().invoke(app, [*args, "--fail-on", "high", "--missing-fails"]).exit_code == 1
    same = ["parity", f"a={COMPLIANT}", f"b={COMPLIANT}"]
    assert CliRunner().invoke(app, same).exit_code == 0
    assert CliRunner().invoke(app, ["parity", "prod=/nope", f"dev={COMPLIANT}"]).exit_code == 2
    assert CliRunner().invoke(app, [*args, "--name-pattern", "(unclosed"]).exit_code == 2


def test_parity_follows_rule_selection_like_scan_and_audit(monkeypatch):
    monkeypatch.chdir(ROOT)
    args = ["parity", f"prod={ENVS / 'prod.tfvars'}", f"dev={ENVS / 'dev.tfvars'}", "--root", str(COMPLIANT),
            "--format", "json"]
    res = CliRunner().invoke(app, [*args, "--skip-rule", "OCI-HA-001"])
    rules = {d["rule_id"] for d in json.loads(res.stdout)["rule_differences"]}
    assert rules == {"OCI-HA-003"}
    assert CliRunner().invoke(app, [*args, "--rule", "OCI-NOPE-999"]).exit_code == 2


def test_values_files_outside_the_chart_are_environments_with_chart(tmp_path: Path):
    (tmp_path / "eu-prod.yaml").write_text("replicaCount: 1\n")
    (tmp_path / "us-prod.yaml").write_text("replicaCount: 3\n")
    chart = CHARTS / "compliant" / "platform-app"
    args = [f"eu={tmp_path / 'eu-prod.yaml'}", f"us={tmp_path / 'us-prod.yaml'}"]
    with pytest.raises(ParityUsageError, match="--chart"):
        parity(*args)
    result = run_parity(args, RULES, ROOT, chart=chart)
    assert outcomes(result) == {("OCI-HA-101", "helm.workload.platform-app", ("us",), ("eu",))}
    assert not result.errors


def test_an_unreadable_environment_is_an_input_error_and_the_others_are_compared(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(ROOT)
    broken = tmp_path / "broken.tfvars"
    broken.write_text('availability_domains = ["AD-1"\n')  # unterminated list
    res = CliRunner().invoke(app, ["parity", f"prod={ENVS / 'prod.tfvars'}", f"dev={broken}", "--root", str(COMPLIANT),
                                   "--format", "json"])
    assert res.exit_code == 2
    doc = json.loads(res.stdout)
    assert any("broken.tfvars" in e["path"] and e["level"] == "error" for e in doc["errors"])
    assert [e["name"] for e in doc["environments"]] == ["prod", "dev"]
