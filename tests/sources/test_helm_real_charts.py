"""Helm and Kubernetes as public charts are written (issue 17), one test per item, each on a
fixture shaped like a real chart (``fixtures/helm/README.md`` says which)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from tests.sources.helm_scan import FIX, ROOT, at, scan
from tests.sources.helm_scan import failed_in as failed
from tests.sources.helm_scan import line_of as line

runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))


# --- 1. what is a secret ----------------------------------------------------------------------------
def test_templated_secret_is_a_finding_for_the_secret_it_renders_at_its_line():
    chart = FIX / "templated-secret"
    result = scan(chart, "OCI-SEC-103", "OCI-SEC-101")
    (sec103,) = failed(result, "OCI-SEC-103")  # not host: localhost, not user: exporter
    assert at(sec103) == ("values.yaml", line(chart / "values.yaml", "pass:"))
    assert "mysql.pass" in sec103.message and "Exp0rter" not in sec103.message
    (sec101,) = failed(result, "OCI-SEC-101")
    assert at(sec101) == at(sec103)


def test_redaction_masks_values_never_names_nor_rule_text():
    res = runner.invoke(app, ["scan", str(FIX / "templated-secret"), "--format", "text", "--no-color"])
    out = res.stdout
    assert "Exp0rter-Passw0rd-5531" not in out
    assert "prometheus-mysql-exporter[base]" in out  # the chart name (it holds "exporter")
    assert "user: exporter" not in out  # (values are never printed at all)


def test_a_secret_that_is_also_a_word_of_the_rule_text_leaves_the_rule_text_alone(tmp_path):
    # A weak password that happens to be a word of OCI-SEC-101's fix line: masked wherever it
    # is the value, never inside the rule's own text.
    (tmp_path / "values.yaml").write_text("replicaCount: 2\ndb:\n  password: ExternalSecret\n")
    res = runner.invoke(app, ["scan", str(tmp_path), "--format", "text", "--no-color", "--rule", "OCI-SEC-101"])
    assert res.exit_code == 1, res.output
    assert "through existingSecret or an ExternalSecret." in res.stdout
    assert "(db.password)" in res.stdout


def test_references_settings_flags_and_paths_are_not_secrets():
    result = scan(FIX / "names-of-secrets", "OCI-SEC-101", "OCI-SEC-102")
    flagged = {f.attribute for f in failed(result)}
    # values.yaml holds only names of Secrets, keys inside them, settings and flags
    assert not [f for f in failed(result) if f.location.file.endswith("/values.yaml")], flagged
    # secrets-values.yaml: short key names and a credential shape under a neutral key
    assert flagged == {"values.mysql.pass", "values.ftp.passwd", "values.legacy.pwd", "values.notifier.webhook"}


def test_env_secret_message_names_the_variable_never_its_value(tmp_path):
    manifest = tmp_path / "deploy.yaml"
    manifest.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: notifier}\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: app\n          image: app:1\n          env:\n"
        "            - {name: MYSQL_ALLOW_EMPTY_PASSWORD, value: \"1\"}\n"
        "            - {name: PRIV_KEY_PATH, value: /tmp/.ssh/privatekey}\n"
        "            - {name: PUSH_API_TOKEN, value: Push-T0ken-2f1e9a7c3b5d}\n"
    )
    (finding,) = failed(scan(manifest, "OCI-SEC-102"))
    assert "PUSH_API_TOKEN" in finding.message and "Push-T0ken" not in finding.message
    assert finding.location.start_line == 13


# --- 2. charts as they are written ------------------------------------------------------------------
def test_component_workloads_are_found_from_the_templates_and_judged_by_name():
    chart = FIX / "components"
    result = scan(chart)
    assert not [f for f in failed(result) if f.location.start_line == 1]  # no invented top-level workload
    (ha105,) = failed(result, "OCI-HA-105")
    assert ha105.resource.address == "ingress-nginx/controller[base]"
    assert at(ha105) == ("values.yaml", line(chart / "values.yaml", "replicaCount: 1"))
    addresses = {f.resource.address for f in result.findings}
    assert "ingress-nginx/controller[prod]" in addresses  # prod: an HPA with minReplicas 3, spread
    assert not [a for a in addresses if "defaultBackend" in a]  # defaultBackend.enabled: false


def test_vault_server_is_standalone_unless_ha_and_a_hostname_spread_is_no_ad_spread():
    chart = FIX / "vault-like"
    result = scan(chart)
    by = {(f.rule_id, f.resource.address): f for f in failed(result)}
    standalone = by[("OCI-HA-101", "vault/server[base]")]
    assert at(standalone) == ("values.yaml", line(chart / "values.yaml", "enabled: false"))
    assert ("OCI-HA-101", "vault/server[ha]") not in by  # server.ha.replicas: 3 in HA mode
    assert ("OCI-HA-102", "vault/server[ha]") in by  # anti-affinity over kubernetes.io/hostname only
    assert ("OCI-HA-101", "vault/injector[base]") in by
    assert not failed(result, "OCI-SEC-101")  # enterpriseLicense.secretKey: license is a key name


def test_umbrella_chart_judges_subchart_values_under_their_alias_and_names_them():
    chart = FIX / "umbrella"
    result = scan(chart)
    names = {(f.rule_id, f.resource.address) for f in failed(result)}
    # ingress-nginx under its alias `ingress`: the controller, judged as the ingress controller
    assert ("OCI-HA-105", "platform/ingress/controller[base]") in names
    assert ("OCI-HA-101", "platform/ingress/controller[base]") not in names
    # the vendored api subchart with the parent's values (and its own PDB and spread in prod)
    assert ("OCI-HA-101", "platform/api[base]") in names and ("OCI-HA-101", "platform/api[prod]") not in names
    (token,) = failed(result, "OCI-SEC-101")  # once, under the subchart, at the parent's line
    assert token.resource.address == "platform/api[base]"
    assert at(token) == ("values.yaml", line(chart / "values.yaml", "apiToken"))
    # global: reaches the subchart
    api = [r for r in _resources(chart) if r.address == "platform/api[base]" and r.kind == "helm.values"]
    assert api[0].attributes["values"]["global"]["imageRegistry"] == "fra.ocir.io/bank"


def _resources(path: Path):
    from scanner.sources.helm import load_kubernetes
    from scanner.workflow.scan import discover

    return load_kubernetes(discover([path], ROOT).yaml, ROOT).resources


def test_files_in_a_chart_that_are_not_templates_are_scanned():
    chart = FIX / "chart-files"
    result = scan(chart)
    assert result.errors == []
    # a manifest under manifests/ beside the chart
    assert [f.resource.address for f in failed(result, "OCI-HA-101")] == ["Deployment/payments-migrator"]
    # a PEM key written in a template
    (pem,) = failed(result, "OCI-SEC-007")
    assert at(pem) == ("tls-secret.yaml", line(chart / "templates" / "tls-secret.yaml", "BEGIN RSA"))
    # literal Secret data in templates: OCI-SEC-103 at each literal's line
    lines = sorted(at(f) for f in failed(result, "OCI-SEC-103"))
    assert lines == [
        ("tls-secret.yaml", line(chart / "templates" / "tls-secret.yaml", "tls.key")),
        ("webhook-secret.yaml", line(chart / "templates" / "webhook-secret.yaml", "hmac")),
    ]


def test_text_that_merely_looks_like_a_template_is_data():
    result = scan(FIX / "looks-like-template")
    errors = {Path(e.path).name: e for e in result.errors if e.level == "error"}
    assert set(errors) == {"unrendered.yaml"}  # only what does not parse needs rendering
    assert "template syntax" in errors["unrendered.yaml"].message
    kinds = {f.resource.kind for f in result.findings}
    assert "k8s.ConfigMap" in kinds  # the Alertmanager config is checked like any ConfigMap


def test_update_strategy_has_one_reading_for_values_and_manifests():
    result = scan(FIX / "update-strategy", "OCI-HA-104")
    kinds = sorted(f.resource.kind for f in failed(result))
    assert kinds == ["helm.workload", "k8s.Deployment"]


def test_kustomization_files_need_no_name(tmp_path):
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n"
    )
    # The object it lists: a directory with only tool configuration is nothing to scan (exit 2).
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n")
    assert scan(tmp_path).errors == []


def test_schema_file_named_like_values_is_not_an_environment(tmp_path):
    chart = tmp_path / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 1.0.0\n")
    (chart / "values.yaml").write_text("replicaCount: 1\n")
    (chart / "values.schema.yaml").write_text("type: object\n")
    (chart / "templates" / "d.yaml").write_text("kind: Deployment\nspec:\n  replicas: {{ .Values.replicaCount }}\n")
    envs = {f.resource.context.get("environment") for f in scan(chart).findings if f.resource.kind.startswith("helm.")}
    assert envs == {"base"}


def test_json_report_of_a_chart_holds_no_secret_value():
    res = runner.invoke(app, ["scan", str(FIX), "--format", "json"])
    doc = json.loads(res.stdout)
    for secret in ("Exp0rter-Passw0rd-5531", "Ledger-Base-Passw0rd-7731", "Api-T0ken-7d2e41c9b8a5f360"):
        assert secret not in res.stdout
    assert doc["findings"]


def test_bitnami_style_ingress_values_without_tls_are_an_ingress_without_tls():
    chart = FIX / "bitnami-ingress"
    found = failed(scan(chart, "OCI-ENC-101"))
    assert [f.resource.address for f in found] == ["wordpress[prod]"]  # base: disabled; secure: tls
    assert at(found[0]) == ("values.yaml", line(chart / "values.yaml", "hostname:"))


def test_hostile_templates_are_read_without_blowing_up(tmp_path):
    # Thousands of nested guards, unclosed comments and stray braces: read in one pass each.
    chart = tmp_path / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 1.0.0\n")
    (chart / "values.yaml").write_text("a: true\nreplicaCount: 1\n")
    hostile = (
        "{{ if .Values.a }}" * 3000
        + "\nkind: Deployment\nspec:\n  replicas: {{ .Values.replicaCount }}\n"
        + "{{/*" * 3000
        + "{{" * 5000
        + "((" * 2000
    )
    (chart / "templates" / "d.yaml").write_text(hostile)
    result = scan(chart, "OCI-HA-101")
    assert [f.resource.address for f in failed(result)] == ["c[base]"]


def test_kinds_counts_and_helper_guards_computed_by_the_template():
    chart = FIX / "computed"
    found = {(f.resource.address, at(f)) for f in failed(scan(chart, "OCI-HA-101"))}
    # standalone: the template caps replicaCount 2 at one pod, at the template's line; the
    # arbiter's helper is false outside the replicaset architecture
    dep = chart / "templates" / "standalone" / "dep-sts.yaml"
    arbiter = chart / "templates" / "arbiter" / "statefulset.yaml"
    assert found == {
        ("mongodb[base]", ("dep-sts.yaml", line(dep, "replicas:"))),
        # in the replicaset architecture the arbiter runs, written with replicas: 1 (and does not
        # borrow the main workload's replicaCount)
        ("mongodb/arbiter[replicaset]", ("statefulset.yaml", line(arbiter, "replicas:"))),
    }
    kinds = {r.attributes["workload"]["kind"] for r in _resources(chart) if r.kind == "helm.workload"}
    assert kinds == {"Deployment", "StatefulSet"}  # standalone Deployment; arbiter in replicaset


def test_fetched_dependency_with_only_an_image_is_no_invented_workload(tmp_path):
    # kube-prometheus-stack sets `prometheus-node-exporter: {image: ...}` for a DaemonSet subchart
    chart = tmp_path / "stack"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: stack\nversion: 1.0.0\ndependencies:\n"
        "  - {name: prometheus-node-exporter, version: 4.0.0, repository: https://example.invalid}\n"
    )
    (chart / "values.yaml").write_text("prometheus-node-exporter:\n  image: {tag: v1.8.2}\n")
    (chart / "templates" / "cm.yaml").write_text("kind: ConfigMap\n")
    assert not [r for r in _resources(chart) if r.kind == "helm.workload"]


def test_a_plain_equals_sign_key_is_a_string(tmp_path):
    # CRD schemas (prometheus-operator's AlertmanagerConfig) have `=` as an enum value and key
    from scanner.sources.helm.yamlmarks import load_yaml_documents

    (doc,) = load_yaml_documents("enum:\n  - =\n  - '!='\n=: x\n")
    assert doc.data == {"enum": ["=", "!="], "=": "x"}
