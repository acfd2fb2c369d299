"""Issue 17's items that had no chart fixture (or only a unit test) before, each judged here
through a whole scan of a fixture shaped like the real chart it names (``fixtures/helm/README.md``
says which): cert-manager's webhook and cainjector components, settings that only look like
secrets, an AWS-style key pair, redaction that spares the rule's own text, a manifest beside
``Chart.yaml``, traefik's ``hub.token`` and a secret overridden per environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from tests.sources.helm_scan import FIX, ROOT, at, copy_chart, scan, scan_json
from tests.sources.helm_scan import failed_in as failed
from tests.sources.helm_scan import line_of as line

runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("OCISEC_BASELINE", raising=False)


def text_report(path: Path, *rules: str) -> str:
    args = ["scan", str(path), "--format", "text", "--no-color"]
    for rule in rules:
        args += ["--rule", rule]
    res = runner.invoke(app, args)
    assert res.exit_code == 1, res.output
    return res.stdout


# --- #21, #22: cert-manager's webhook.replicaCount and cainjector.replicaCount ---------------------
def test_cert_manager_webhook_and_cainjector_are_components_judged_at_their_replica_counts():
    chart = FIX / "cert-manager-components"
    result = scan(chart, "OCI-HA-101")
    single = {f.resource.address: at(f) for f in failed(result)}
    values = chart / "values.yaml"
    webhook = line(values, "Number of replicas of the cert-manager webhook") + 1
    cainjector = line(values, "Number of replicas of the cert-manager cainjector") + 1
    assert single == {
        "cert-manager/webhook[base]": ("values.yaml", webhook),
        "cert-manager/cainjector[base]": ("values.yaml", cainjector),
    }
    # values-prod.yaml runs 3 and 2: each component passes there, judged under its own name
    judged = {f.resource.address for f in result.findings if f.rule_id == "OCI-HA-101"}
    assert {"cert-manager/webhook[prod]", "cert-manager/cainjector[prod]"} <= judged
    assert not {a for a in single if a.endswith("[prod]")}
    # the controller (top-level replicaCount: 2) is its own workload, not the components'
    assert "cert-manager[base]" in judged and "cert-manager[base]" not in single


# --- #4: durations, host names and URLs without credentials -----------------------------------
def test_durations_hostnames_and_plain_urls_under_secret_keys_are_not_secrets():
    chart = FIX / "settings-not-secrets"
    result = scan(chart, "OCI-SEC-101", "OCI-SEC-103")
    # only the SMTP password beside them
    assert [(f.rule_id, f.attribute, at(f)) for f in failed(result)] == [
        ("OCI-SEC-101", "values.smtp.password", ("values.yaml", line(chart / "values.yaml", "password: \"Sm7p")))
    ]
    out = text_report(chart, "OCI-SEC-101")
    assert "Sm7p-Relay-Passw0rd-4410" not in out
    assert "smtp.example.com" in out  # a host name in the snippet is shown, not masked


# --- #9: an AWS-style access key pair under neutral keys ----------------------------------------
def test_aws_style_key_pair_under_neutral_keys_is_a_secret_and_masked():
    chart = FIX / "aws-key-pair"
    findings = failed(scan(chart, "OCI-SEC-101"))
    values = chart / "values.yaml"
    # the id by its shape, and the secret half (no shape of its own, under `key`) beside it
    assert sorted((f.attribute, at(f)) for f in findings) == [
        ("values.backup.s3.id", ("values.yaml", line(values, "id: AKIA"))),
        ("values.backup.s3.key", ("values.yaml", line(values, "key: wJalr"))),
    ]
    out = text_report(chart, "OCI-SEC-101")
    assert "AKIAIOSFODNN7EXAMPLE" not in out
    assert "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" not in out  # the secret half too
    assert "region: eu-frankfurt-1" in out  # a neighbour that is no secret is shown as it is


# --- #11: redaction spares names and the rule's own text ----------------------------------------
def test_a_secret_that_is_a_word_of_the_remediation_masks_the_value_not_the_rule_text():
    manifests = FIX / "tutorial-env-password"
    args = ["scan", str(manifests), "--rule", "OCI-SEC-102"]
    res = runner.invoke(app, [*args, "--format", "json"])
    assert res.exit_code == 1, res.output
    doc = json.loads(res.stdout)
    (finding,) = doc["findings"]
    assert finding["location"]["start_line"] == line(manifests / "mysql-deployment.yaml", "value: password")
    assert "MYSQL_ROOT_PASSWORD" in finding["message"]  # the variable's name is never masked
    assert "key: password" in finding["remediation"]  # the rule's own example, as written
    (rule,) = [r for r in doc["rules"] if r["id"] == "OCI-SEC-102"] if isinstance(doc["rules"], list) else [
        doc["rules"]["OCI-SEC-102"]
    ]
    assert "key: password" in rule["remediation"] and "***" not in rule["remediation"]
    out = text_report(manifests, "OCI-SEC-102")
    assert "(MYSQL_ROOT_PASSWORD)" in out
    assert 'value: "***"' in out and "value: password" not in out  # the value is masked
    assert "Take the variable from a Vault-backed Secret with valueFrom.secretKeyRef." in out


# --- #16: a manifest directly beside Chart.yaml ---------------------------------------------------
def test_a_manifest_beside_chart_yaml_is_judged_as_a_manifest_and_the_chart_still_is():
    chart = FIX / "manifest-beside-chart"
    result = scan(chart, "OCI-HA-101", "OCI-HA-102", "OCI-SEC-103")
    smoke = chart / "smoke-test.yaml"
    assert not result.errors
    (single,) = failed(result, "OCI-HA-101")
    assert single.resource.address == "Deployment/podinfo-smoke"
    assert at(single) == ("smoke-test.yaml", line(smoke, "replicas: 1"))
    (literal,) = failed(result, "OCI-SEC-103")
    assert literal.resource.address == "Secret/podinfo-smoke-auth"
    assert at(literal) == ("smoke-test.yaml", line(smoke, "stringData:"))  # the literal data block
    # the chart itself is still rendered and judged (its values, two replicas, no AD spread)
    assert "podinfo[base]" in {f.resource.address for f in failed(result, "OCI-HA-102")}
    out = text_report(chart, "OCI-SEC-103")
    assert "Sm0ke-T3st-T0ken-88c1d2e4" not in out


# --- #26: traefik's hub.token names the license Secret ------------------------------------------
def test_hub_token_naming_a_secret_is_no_secret_and_an_inline_license_still_is():
    chart = FIX / "hub-license-name"
    result = scan(chart, "OCI-SEC-101", "OCI-SEC-103")
    # values-hub.yaml names the Secret: no finding in any environment but the inline one
    assert not [f for f in failed(result) if not f.resource.address.endswith("[inline]")]
    assert "traefik[hub]" in {f.resource.address for f in result.findings if f.rule_id == "OCI-SEC-101"}
    # the deprecated inline token (longer than a license name) is rendered into the license Secret
    (inline,) = failed(result)
    assert inline.rule_id == "OCI-SEC-103"
    assert at(inline) == ("values-inline.yaml", line(chart / "values-inline.yaml", "token:"))
    out = text_report(chart, "OCI-SEC-103")
    assert "hUbL1c3nS3T0k3n4" not in out


# --- #29: the same key, a secret in values.yaml and another one in values-prod.yaml ----------------
OVERRIDE = FIX / "per-environment-override"


def _override_chart(tmp_path: Path, with_prod: bool) -> Path:
    return copy_chart(OVERRIDE, tmp_path, "ledger-db", with_prod)


def _sec101(path: Path, *args: str) -> tuple[int, dict]:
    return scan_json(path, "OCI-SEC-101", *args)


def test_an_overridden_secret_is_two_findings_each_at_its_own_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    chart = _override_chart(tmp_path, with_prod=True)
    _, doc = _sec101(chart)
    found = {(f["location"]["file"], f["location"]["start_line"]): f for f in doc["findings"]}
    base = found.pop(("ledger-db/values.yaml", line(chart / "values.yaml", "password: \"Ledger")))
    prod = found.pop(("ledger-db/values-prod.yaml", line(chart / "values-prod.yaml", "password: \"Ledger")))
    assert not found
    assert base["resource"]["address"] == "ledger-db[base]" and "prod" not in base["message"]
    assert prod["resource"]["address"] == "ledger-db[prod]"
    assert base["fingerprint"] != prod["fingerprint"]
    dumped = json.dumps(doc)
    assert "Ledger-Base-Passw0rd" not in dumped and "Ledger-Prod-Passw0rd" not in dumped


# A baseline from the base-only state, `ocisec diff` and an inline ignore on the base line, each
# over this fixture too: tests/sources/test_helm_environments.py (parametrized "overrides").


def test_a_forty_character_string_without_an_access_key_id_beside_it_is_no_secret(tmp_path):
    # the same 40 characters under the same neutral key, with a bucket name where the id was
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: backup\nversion: 1.0.0\n")
    values = (FIX / "aws-key-pair" / "values.yaml").read_text().replace("id: AKIAIOSFODNN7EXAMPLE", "id: cluster-b")
    (tmp_path / "values.yaml").write_text(values)
    assert not failed(scan(tmp_path, "OCI-SEC-101"))
