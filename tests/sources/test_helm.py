"""Helm charts and Kubernetes manifests: discovery, environments, line numbers, bad input, output."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.model import Status
from scanner.sources.helm.charts import ValuesFile, merge_values
from scanner.sources.helm.yamlmarks import YamlInputError, load_yaml_documents
from scanner.workflow.config import settings_from_file
from scanner.workflow.scan import ScanOptions, run_scan

ROOT = Path(__file__).resolve().parents[2]
CHARTS = ROOT / "fixtures" / "platform" / "charts"
INSECURE, COMPLIANT = CHARTS / "insecure", CHARTS / "compliant"
SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
NEW_RULES = [
    "OCI-SEC-101", "OCI-SEC-102", "OCI-SEC-103", "OCI-SEC-104", "OCI-IAM-101",
    "OCI-HA-101", "OCI-HA-102", "OCI-HA-103", "OCI-HA-104", "OCI-HA-105", "OCI-ENC-101",
]  # fmt: skip
# Literal secrets written in the insecure fixtures: none may reach any report.
SECRETS = ["Sup3r-S3cret-Passw0rd-41", "Db-Adm1n-Passw0rd-2024", "tok-7f3a9c2e5b1d4e6f8a0b", "RGItQWRtMW4t"]
runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))


def scan(*paths: Path, **options):
    result, secrets = run_scan(list(paths), ScanOptions(**options))
    return result


def line_of(path: Path, text: str, after: str | None = None) -> int:
    """1-based line of the first line containing ``text`` (after the line containing ``after``)."""
    lines = path.read_text().splitlines()
    start = 0
    if after is not None:
        start = next(i for i, ln in enumerate(lines) if after in ln) + 1
    return next(i for i, ln in enumerate(lines) if i >= start and text in ln) + 1


def failed(result, rule_id: str | None = None):
    return [f for f in result.failed if rule_id is None or f.rule_id == rule_id]


# --- the YAML loader ------------------------------------------------------------------------------
def test_loader_keeps_the_line_of_every_path():
    text = "a: 1\nspec:\n  items:\n    - name: x\n      value: y\n---\nkind: Pod\n"
    first, second = load_yaml_documents(text)
    assert first.data == {"a": 1, "spec": {"items": [{"name": "x", "value": "y"}]}}
    assert first.lines["spec.items.0.value"] == (5, 5)
    assert first.lines["spec"][0] == 2 and first.lines["spec.items.0"] == (4, 5)
    assert second.lines["kind"] == (7, 7)


def test_loader_refuses_unsafe_tags_and_alias_bombs():
    with pytest.raises(YamlInputError, match="not allowed"):
        load_yaml_documents("a: !!python/object/apply:os.system ['true']\n")
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for i in range(1, 9):
        prev, name = chr(96 + i), chr(97 + i)
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    with pytest.raises(YamlInputError, match="alias"):
        load_yaml_documents(bomb)


def test_merge_is_helms_maps_deep_lists_replaced_null_deletes():
    base = ValuesFile("values.yaml", {"a": {"x": 1, "y": 2}, "l": [1, 2], "gone": {"k": 1}}, {})
    base.locations = {p: f"base:{p}" for p in ("a", "a.x", "a.y", "l", "l.0", "l.1", "gone", "gone.k")}
    over = ValuesFile("values-prod.yaml", {"a": {"y": 3}, "l": [9], "gone": None}, {})
    over.locations = {p: f"prod:{p}" for p in ("a", "a.y", "l", "l.0", "gone")}
    merged, located = merge_values(base, over)
    assert merged == {"a": {"x": 1, "y": 3}, "l": [9]}
    assert located["a.x"] == "base:a.x" and located["a.y"] == "prod:a.y"
    assert located["l.0"] == "prod:l.0" and "l.1" not in located and "gone.k" not in located


# --- the example platform -------------------------------------------------------------------------
def test_compliant_charts_scan_clean():
    # The platform's configuration lists its public front door (OCI-NET-406's public_allowed).
    result = scan(COMPLIANT, settings=settings_from_file(CHARTS.parent / ".ocisec.yaml"))
    assert result.errors == [] and failed(result) == [] and result.by_status(Status.UNKNOWN) == []
    kinds = {f.resource.kind for f in result.findings}
    assert {"helm.values", "k8s.Deployment", "k8s.Ingress", "k8s.ConfigMap"} <= kinds
    assert {f.rule_id for f in result.findings} >= set(NEW_RULES)  # every rule applied and passed


def test_insecure_charts_trip_every_new_rule_in_values_and_in_manifests():
    result = scan(INSECURE)
    assert result.errors == []
    for rule_id in NEW_RULES:
        kinds = {f.resource.kind for f in failed(result, rule_id)}
        assert kinds & {"helm.values", "helm.workload"}, rule_id
        if rule_id not in ("OCI-SEC-101", "OCI-HA-101"):  # values-only / fixed by the production override
            assert any(k.startswith("k8s.") for k in kinds), rule_id


def test_each_environment_is_evaluated_and_named():
    result = scan(INSECURE / "platform-app")
    envs = {f.resource.context["environment"] for f in result.findings if f.resource.kind == "helm.values"}
    assert envs == {"base", "production"}
    # replicaCount: 1 in the base, 3 in production: only the base fails OCI-HA-101...
    ha101 = failed(result, "OCI-HA-101")
    assert [f.resource.address for f in ha101] == ["platform-app[base]"]
    # ...and only production (replicated) lacks spread and a PDB.
    assert [f.resource.address for f in failed(result, "OCI-HA-102")] == ["platform-app[production]"]
    # A mistake in values.yaml shared by both environments is one finding naming both.
    (sec102,) = failed(result, "OCI-SEC-102")
    assert "environments: base, production" in sec102.message


def test_same_mistake_in_values_and_in_rendered_manifest_one_finding_each_at_its_line():
    result = scan(INSECURE)
    values = INSECURE / "platform-app" / "values.yaml"
    prod = INSECURE / "platform-app" / "values-production.yaml"
    rendered = INSECURE / "rendered" / "platform-app.yaml"
    expected = {
        # rule: (values file, text on the values line, text on the manifest line)
        "OCI-SEC-102": (values, "value: ", "value: "),  # the literal value below DB_PASSWORD
        "OCI-IAM-101": (values, "name: OCI_CLI_USER", "name: OCI_CLI_USER"),
        "OCI-HA-104": (values, "type: Recreate", "type: Recreate"),
        "OCI-ENC-101": (prod, "host: payments.bank.example", "- host: payments.bank.example"),
        # the password the Secret template renders, at its line (not `credentials:`, nor the user name)
        "OCI-SEC-103": (values, "password:", "stringData:"),
    }
    for rule_id, (vfile, vtext, mtext) in expected.items():
        found = failed(result, rule_id)
        vrel = vfile.relative_to(ROOT).as_posix()
        in_values = [f for f in found if f.resource.kind.startswith("helm.") and f.location.file == vrel]
        in_manifest = [f for f in found if f.location and f.location.file.endswith("rendered/platform-app.yaml")]
        assert len(in_values) == 1 and len(in_manifest) == 1, (rule_id, [f.message for f in found])
        anchor = {"OCI-SEC-102": "name: DB_PASSWORD", "OCI-SEC-103": "credentials:"}.get(rule_id)
        assert in_values[0].location.start_line == line_of(vfile, vtext, anchor), rule_id
        anchor = "name: DB_PASSWORD" if rule_id == "OCI-SEC-102" else None
        assert in_manifest[0].location.start_line == line_of(rendered, mtext, anchor), rule_id
    # OCI-SEC-104: each secret-like key of the ConfigMap is its own finding, at its own line; in a
    # config file held there, at the line of the file that sets it
    found = failed(result, "OCI-SEC-104")
    vrel, mrel = values.relative_to(ROOT).as_posix(), rendered.relative_to(ROOT).as_posix()
    lines = {(f.location.file, f.location.start_line) for f in found}
    assert lines == {
        (vrel, line_of(values, "API_TOKEN")),
        (vrel, line_of(values, "spring.datasource.password=")),
        (mrel, line_of(rendered, "API_TOKEN")),
        (mrel, line_of(rendered, "spring.datasource.password=")),
    }, [f.message for f in found]


def test_ingress_nginx_controller_values_and_manifest():
    result = scan(INSECURE)
    found = failed(result, "OCI-HA-105")
    values = INSECURE / "ingress-nginx-values.yaml"
    on_values = [f for f in found if f.resource.kind == "helm.workload"]
    assert len(on_values) == 1 and on_values[0].location.start_line == line_of(values, "replicaCount: 1")
    assert on_values[0].resource.address == "ingress-nginx/controller[base]"  # the component, by name
    assert [f.resource.kind for f in found if f.resource.kind != "helm.workload"] == ["k8s.Deployment"]
    # The controller is judged by OCI-HA-105 only, not also as an application workload.
    assert not [f for f in failed(result, "OCI-HA-101") if "ingress-nginx" in f.resource.address]


def test_oke_service_annotations_are_kept():
    from scanner.sources.helm import load_kubernetes
    from scanner.workflow.scan import discover

    inputs = discover([COMPLIANT], ROOT)
    kube = load_kubernetes(inputs.yaml, ROOT)
    rendered = [r for r in kube.resources if r.kind == "k8s.Service" and r.provenance.source == "kubernetes"]
    services = {r.address: r.attributes["oci_load_balancer"] for r in rendered}
    assert services["Service/ingress-nginx/ingress-nginx-controller"] == {"load_balancer_type": "nlb"}
    internal = services["Service/ingress-nginx/ingress-nginx-controller-internal"]
    assert internal == {"load_balancer_type": "nlb", "internal": "true"}
    # the same Services from the ingress-nginx values, with the same normalized view
    from_values = {r.address: r for r in kube.resources if r.attributes.get("from_values")}
    assert from_values["Service/ingress-nginx/controller-service-internal[base]"].attributes[
        "oci_load_balancer"
    ] == internal
    stores = [r for r in kube.resources if r.kind == "k8s.ClusterSecretStore"]
    assert stores and stores[0].attributes["vault_backed"] is True


# --- outputs --------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit"])
def test_every_format_shows_the_findings_and_no_secret(fmt):
    res = runner.invoke(app, ["scan", str(INSECURE), "--format", fmt])
    assert res.exit_code == 1, res.output
    out = res.stdout
    for rule_id in NEW_RULES:
        assert rule_id in out, (fmt, rule_id)
    assert "values.yaml" in out and "rendered/platform-app.yaml" in out
    for secret in SECRETS:
        assert secret not in out, (fmt, secret)
    if fmt == "json":
        schema = ROOT / "scanner" / "report" / "json-output.schema.json"
        jsonschema.validate(json.loads(out), json.loads(schema.read_text()))


def test_sarif_has_a_helm_category_and_locations_in_values_files():
    res = runner.invoke(app, ["scan", str(INSECURE), "--format", "sarif"])
    log = json.loads(res.stdout)
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text()))
    run = log["runs"][0]
    assert run["automationDetails"]["id"] == "ocisec/helm+kubernetes/"
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert "fixtures/platform/charts/insecure/platform-app/values.yaml" in uris
    assert "fixtures/platform/charts/insecure/rendered/platform-app.yaml" in uris


def test_stdin_reads_rendered_manifests():
    text = (INSECURE / "rendered" / "platform-app.yaml").read_text()
    res = runner.invoke(app, ["scan", "-", "--format", "json"], input=text)
    assert res.exit_code == 1, res.output
    doc = json.loads(res.stdout)
    rules = {f["rule_id"] for f in doc["findings"]}
    assert {"OCI-SEC-102", "OCI-SEC-103", "OCI-HA-104", "OCI-ENC-101"} <= rules
    lines = {f["rule_id"]: f["location"]["start_line"] for f in doc["findings"]}
    assert lines["OCI-HA-104"] == line_of(INSECURE / "rendered" / "platform-app.yaml", "type: Recreate")


def test_values_option_adds_an_environment(tmp_path):
    override = tmp_path / "eu-prod.yaml"
    override.write_text("replicaCount: 1\nstrategy:\n  type: RollingUpdate\n")
    result = scan(COMPLIANT / "platform-app", values_files=[override])
    (finding,) = failed(result)
    assert finding.rule_id == "OCI-HA-101" and finding.resource.address == "platform-app[eu-prod]"
    assert finding.location.file.endswith("eu-prod.yaml") and finding.location.start_line == 1


# --- bad input ------------------------------------------------------------------------------------
def _chart(tmp_path: Path, values: str, templates: dict[str, str] | None = None) -> Path:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text(values)
    for name, text in (templates or {}).items():
        (chart / "templates" / name).write_text(text)
    return chart


def test_schema_violation_is_an_input_error_naming_key_and_file(tmp_path):
    chart = _chart(tmp_path, "replicaCount: Sup3r-S3cret-Passw0rd-41\nimage: {repository: r, tag: t}\n")
    (chart / "values.schema.json").write_text((COMPLIANT / "platform-app" / "values.schema.json").read_text())
    res = runner.invoke(app, ["scan", str(chart), "--format", "json"])
    assert res.exit_code == 2
    (err,) = json.loads(res.stdout)["errors"]
    assert err["path"].endswith("values.yaml") and err["line"] == 1
    assert "replicaCount" in err["message"] and "integer" in err["message"]
    assert "Sup3r" not in res.stdout


def test_templates_are_never_parsed_as_yaml(tmp_path):
    broken = "{{- if .Values.x }}\nkind: Deployment\n  bad: [indent\n{{ end }}\n"
    chart = _chart(tmp_path, "replicaCount: 2\n", {"deployment.yaml": broken})
    result = scan(chart)
    assert result.errors == []
    assert any(f.resource.kind == "helm.values" for f in result.findings)


def test_broken_files_are_named_and_the_rest_is_scanned(tmp_path):
    (tmp_path / "invalid.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n")
    (tmp_path / "templated.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}\n"
    )
    (tmp_path / "quoted.yaml").write_text('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "{{ .Values.n }}"\n')
    (tmp_path / "crd.yaml").write_text("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n")
    (tmp_path / "big.yaml").write_bytes(b"")
    os.truncate(tmp_path / "big.yaml", 50 * 1024 * 1024)  # sparse: 50 MB without writing them
    (tmp_path / "good.yaml").write_text((INSECURE / "rendered" / "platform-app.yaml").read_text())
    res = runner.invoke(app, ["scan", str(tmp_path), "--format", "json"])
    assert res.exit_code == 2
    doc = json.loads(res.stdout)
    errors = {Path(e["path"]).name: e for e in doc["errors"]}
    assert errors["invalid.yaml"]["line"] in (3, 4) and "invalid YAML" in errors["invalid.yaml"]["message"]
    assert "template syntax" in errors["templated.yaml"]["message"] and errors["templated.yaml"]["line"] == 4
    # A manifest that parses is data, whatever its strings look like (kubectl applies it as is).
    assert "quoted.yaml" not in errors
    assert "Widget" in errors["crd.yaml"]["message"]
    levels = {Path(e.path).name: e.level for e in scan(tmp_path).errors}
    assert levels["crd.yaml"] == "note" and levels["invalid.yaml"] == "error"  # an unknown kind was read
    assert "MiB" in errors["big.yaml"]["message"]
    assert any(f["rule_id"] == "OCI-SEC-103" for f in doc["findings"])  # good.yaml still scanned


def test_alias_bomb_in_a_manifest_is_refused(tmp_path):
    bomb = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\na: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for i in range(1, 9):
        prev, name = chr(96 + i), chr(97 + i)
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    (tmp_path / "bomb.yaml").write_text(bomb)
    result = scan(tmp_path)
    assert [e.path.endswith("bomb.yaml") for e in result.errors] == [True]
    assert "alias" in result.errors[0].message


# --- rendering ------------------------------------------------------------------------------------
def _fake_helm(tmp_path: Path, body: str) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    helm = bindir / "helm"
    helm.write_text("#!/bin/sh\n" + body)
    helm.chmod(helm.stat().st_mode | stat.S_IEXEC)
    return bindir


def test_render_without_helm_says_it_was_skipped(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    result = scan(COMPLIANT / "platform-app", render=True)
    assert [(e.level, "helm is not on PATH" in e.message) for e in result.errors] == [("note", True)]


def test_render_scans_helm_template_output(monkeypatch, tmp_path):
    rendered = INSECURE / "rendered" / "platform-app.yaml"
    bindir = _fake_helm(tmp_path, f'cat "{rendered}"\n')
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    result = scan(COMPLIANT / "platform-app", render=True)
    assert result.errors == []
    rendered_failures = [f for f in failed(result) if f.resource.kind.startswith("k8s.")]
    assert {f.resource.context["environment"] for f in rendered_failures} == {"base", "production"}
    assert {"OCI-SEC-103", "OCI-HA-104"} <= {f.rule_id for f in rendered_failures}


def test_render_failure_and_timeout_are_input_errors(monkeypatch, tmp_path):
    import scanner.sources.helm as helm_source

    bindir = _fake_helm(tmp_path, 'echo "Error: template: bad" >&2\nexit 1\n')
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    result = scan(COMPLIANT / "platform-app", render=True)
    assert result.input_errors and all("helm template failed" in e.message for e in result.input_errors)
    (bindir / "helm").write_text("#!/bin/sh\nsleep 5\n")
    monkeypatch.setattr(helm_source, "RENDER_TIMEOUT_SECONDS", 0.2)
    result = scan(COMPLIANT / "platform-app", render=True)
    assert result.input_errors and all("timed out" in e.message for e in result.input_errors)


def test_a_values_file_named_alone_scans_its_chart():
    result = scan(INSECURE / "platform-app" / "values-production.yaml")
    addresses = {f.resource.address for f in result.findings if f.resource.kind == "helm.values"}
    assert addresses == {"platform-app[base]", "platform-app[production]"}


def test_benchmark_corpus_is_what_it_claims(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_helm", ROOT / "benchmarks" / "bench_helm.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    everything, manifests = bench.generate(tmp_path)
    assert len(list(manifests.glob("*.yaml"))) == bench.MANIFESTS == 500
    assert len(list((everything / "charts").glob("*/Chart.yaml"))) == bench.CHARTS == 100
    result = scan(manifests / "svc-000.yaml", manifests / "svc-007.yaml")
    # svc-000: Deployment, Service, PDB, HPA, ConfigMap; svc-007: Deployment, Service
    assert result.errors == [] and result.resource_count == 7
    assert [f.resource.address for f in failed(result, "OCI-SEC-102")] == ["Deployment/team-0/svc-000", "Deployment/team-7/svc-007"]  # every 7th


def test_secret_template_judged_by_its_payload_not_its_name(tmp_path):
    template = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Values.fullnameOverride }}\n"
        "stringData:\n  {{- toYaml .Values.secrets | nindent 2 }}\n"
    )
    chart = _chart(tmp_path, "fullnameOverride: payments-api\nsecrets: {}\n", {"secret.yaml": template})
    result = scan(chart, rule_ids=["OCI-SEC-103"])
    assert [f.status for f in result.findings] == [Status.PASSED]
    (chart / "values.yaml").write_text("fullnameOverride: payments-api\nsecrets:\n  TOKEN: tok-7f3a9c2e5b1d4e6f8a0b\n")
    result = scan(chart, rule_ids=["OCI-SEC-103"])
    (finding,) = result.findings
    # the value the template renders, at its own line (not `secrets:`, nor the Secret's name)
    assert finding.status is Status.FAILED and finding.location.start_line == 3


def test_a_template_named_alone_scans_its_chart_not_the_template():
    template = INSECURE / "platform-app" / "templates" / "deployment.yaml"
    result = scan(template)
    assert result.errors == []
    assert {f.resource.address for f in result.failed} >= {"platform-app[base]", "platform-app[production]"}


def test_a_pem_key_in_values_is_a_plaintext_secret_whatever_its_key(tmp_path):
    (tmp_path / "values.yaml").write_text(
        "replicaCount: 2\nociKey: |\n  -----BEGIN RSA PRIVATE KEY-----\n  MIIEow\n  -----END RSA PRIVATE KEY-----\n"
    )
    result = scan(tmp_path, rule_ids=["OCI-SEC-101"])
    (finding,) = result.failed
    assert finding.location.start_line == 2 and "ociKey" in finding.message


def test_nameless_object_of_an_unchecked_kind_beside_terraform_is_a_note(tmp_path):
    """A YAML template that Terraform fills in with templatefile() (terraform-oci-oke's
    istio.template.yaml: a CRD with no metadata.name) must not make every scan of the module
    exit 2; a nameless object of a kind ocisec checks still does."""
    (tmp_path / "main.tf").write_text('resource "oci_core_vcn" "v" {\n  compartment_id = "c"\n}\n')
    (tmp_path / "istio.template.yaml").write_text("apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec: {}\n")
    res = runner.invoke(app, ["scan", str(tmp_path), "--format", "json", "--no-cache"])
    doc = json.loads(res.stdout)
    notes = [e for e in doc["errors"] if e["path"].endswith("istio.template.yaml")]
    assert notes and notes[0]["level"] == "note" and res.exit_code != 2
    (tmp_path / "secret.yaml").write_text("apiVersion: v1\nkind: Secret\nstringData: {password: x}\n")
    res = runner.invoke(app, ["scan", str(tmp_path), "--format", "json", "--no-cache"])
    assert res.exit_code == 2
    assert any(e["level"] == "error" and e["path"].endswith("secret.yaml") for e in json.loads(res.stdout)["errors"])
