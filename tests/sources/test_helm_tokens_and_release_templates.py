"""Misses found on public charts (issue 17, benchmarks/helm_corpus.yaml): a token that is a chosen
name (bitnami etcd's ``initialClusterToken``), an OCI auth token under a neutral key, and a
release tool's template outside a chart (ingress-nginx ``cmd/plugin/krew.yaml``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helm_scan import FIX, ROOT, _env  # noqa: F401  (_env: the shared autouse fixture)
from helm_scan import failed as _failed
from typer.testing import CliRunner

from scanner.cli import app
from scanner.guards.secretnames import is_secret_entry, looks_like_credential
from scanner.model import Status
from scanner.workflow.scan import ScanOptions, run_scan

runner = CliRunner()


@pytest.mark.parametrize(
    ("key", "value", "secret"),
    [
        ("initialClusterToken", "etcd-cluster-k8s", False),  # a chosen name
        ("clusterToken", "member-store-prod", False),
        ("hub.token", "traefik-hub-license", False),  # traefik: the name of the license Secret
        ("hub.token", "Xk9fQ2LmW7pR3tY8vB1nC4dE6gH0jK5", True),  # the license token itself
        ("joinToken", "k3s-Join-7f3c9a1e5b2d", True),  # generated: mixed case and digits
        ("token", "a1b2c3d4e5f6a7b8c9d0-prod", True),  # a word longer than four, not letters
        ("password", "etcd-cluster-k8s", True),  # passwords may be words; only tokens are names
        ("adminPassword", "change-me-now", True),
    ],
)
def test_a_token_that_is_a_chosen_name_is_not_a_secret(key, value, secret):
    assert is_secret_entry(key, value) is secret


@pytest.mark.parametrize(
    ("value", "credential"),
    [
        ("5rR:]9#K3wT<S]oJ_aX1", True),  # OCI auth token: 20 characters, mixed, punctuation
        ("x7k:Q(1o>8Yz4j3sR]u.", True),
        ("2006-01-02T15:04:05Z", False),  # a timestamp: no lower case
        ("k8s.gcr.io/pause:3.1", False),  # an image: a slash, no upper case
        ("%Y-%m-%dT%H:%M:%S.%L", False),  # a time format: no digit
        ("Abcdefghij1234567890", False),  # no punctuation
        ("5rR:]9#K3wT<S]oJ_aX12", False),  # 21 characters
        ("{{ .Values.aB1:2 }}x", False),  # a template
    ],
)
def test_oci_auth_token_shape(value, credential):
    assert looks_like_credential(value) is credential
    assert is_secret_entry("login", value) is credential


def test_chart_reports_the_generated_token_and_the_auth_token_not_the_cluster_token():
    chart = FIX / "tokens"
    found = {(Path(f.location.file).name, f.attribute) for f in _failed(chart, "OCI-SEC-101")}
    assert found == {("values.yaml", "values.auth.token"), ("values.yaml", "values.registry.login")}


def test_release_tool_template_outside_a_chart_is_a_note_not_an_input_error():
    res = runner.invoke(app, ["scan", str(FIX / "release-template"), "--no-color"])
    assert res.exit_code == 0, res.output
    assert "kind Plugin (krew.googlecontainertools.github.com/v1alpha2)" in res.output


@pytest.mark.parametrize(
    "text",
    [
        # a kind ocisec checks, written by a template outside a chart: render it first
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replicas: {{ .R }}\n",
        # the kind itself is templated: it could be anything
        "apiVersion: example.com/v1\nkind: {{ .Kind }}\nmetadata: {name: x}\n",
        # one foreign document and one Secret
        "apiVersion: krew.googlecontainertools.github.com/v1alpha2\nkind: Plugin\nspec: {{ .X }}\n---\n"
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n",
    ],
)
def test_templates_that_could_hold_checked_objects_stay_input_errors(tmp_path, text):
    (tmp_path / "thing.yaml").write_text(text)
    res = runner.invoke(app, ["scan", str(tmp_path / "thing.yaml"), "--no-color"])
    assert res.exit_code == 2, res.output
    assert "render it first" in res.output


# --- short passwords (pihole's `adminPassword: admin`) and what redaction masks -----------------
@pytest.mark.parametrize(
    ("key", "value", "secret"),
    [
        ("adminPassword", "admin", True),
        ("smtp.password", "pass", True),
        ("mysql.pass", "root", True),
        ("password", "1", False),  # a flag
        ("pass", "1234", False),  # a number
        ("password", "none", False),
        ("passwordKey", "pwd", False),  # the key of a Secret
        ("token", "abc", False),  # tokens are generated, never this short
    ],
)
def test_a_short_password_is_a_secret_when_a_password_key_holds_it(key, value, secret):
    assert is_secret_entry(key, value) is secret


def test_short_passwords_are_findings_and_masked_as_whole_words_only():
    chart = FIX / "short-passwords"
    found = {
        (f.rule_id, f.attribute, f.location.start_line) for f in _failed(chart, "OCI-SEC-101", "OCI-SEC-103")
    }
    # the Secret template renders adminPassword (line 3); the SMTP password is only in the values
    assert found == {
        ("OCI-SEC-101", "values.adminPassword", 3),
        ("OCI-SEC-101", "values.mail.smtp.password", 12),
        ("OCI-SEC-103", "templated_secrets.templates/secret.yaml:adminPassword", 3),
    }
    res = runner.invoke(app, ["scan", str(chart), "--no-color", "--rule", "OCI-SEC-101"])
    out = res.stdout
    assert res.exit_code == 1, res.output
    assert '"admin"' not in out and "password: pass" not in out  # the values are masked
    assert "(adminPassword)" in out  # the name is not: `admin` is masked only as a word
    assert "dns-admin[base]" in out and "dns-***" not in out  # nor inside the chart's name
    assert "Administrator password" in out  # `password` is the key of a Secret, not a secret
    assert "passed" in out


def test_strategy_fields_filled_from_separate_values_are_read_from_them():
    chart = FIX / "strategy-fields"
    result, _ = run_scan([chart], ScanOptions(rule_ids=["OCI-HA-104"], cache_dir=None))
    by_env = {f.resource.address: f for f in result.findings}
    base, prod = by_env["dns-cache[base]"], by_env["dns-cache[prod]"]
    assert base.status is Status.FAILED  # maxUnavailable 1 of 1 replica
    assert (Path(base.location.file).name, base.location.start_line) == ("values.yaml", 6)
    assert prod.status is Status.PASSED  # 1 of 3


def test_max_unavailable_written_in_the_template_counts_against_the_replicas():
    chart = FIX / "written-strategy"
    result, _ = run_scan([chart], ScanOptions(rule_ids=["OCI-HA-104"], cache_dir=None))
    by_env = {f.resource.address: f for f in result.findings}
    base, prod = by_env["shop-ui[base]"], by_env["shop-ui[prod]"]
    assert base.status is Status.FAILED  # 1 of 1
    assert base.location.file.endswith("written-strategy/templates/deployment.yaml")
    assert base.location.start_line == 11
    assert prod.status is Status.PASSED  # 1 of 3


def _budget_outcomes(path: Path) -> dict[str, tuple[Status, str, int]]:
    result, _ = run_scan([path], ScanOptions(rule_ids=["OCI-HA-103"], cache_dir=None))
    return {
        f.resource.address: (f.status, Path(f.location.file).name, f.location.start_line)
        for f in result.findings
    }


def test_a_budget_rendered_by_a_template_counts_for_the_workload_of_the_same_name():
    got = _budget_outcomes(FIX / "budget-templates")
    budget = "policy-guard-controller-manager-poddisruptionbudget.yaml"
    assert got["policy-guard[base]"][0] is Status.PASSED  # minAvailable 1 of 3
    assert got["policy-guard[strict]"] == (Status.FAILED, budget, 2)  # minAvailable 3 of 3
    # the audit Deployment has no budget of its own
    assert got["policy-guard/policy-guard-audit-deployment[base]"][0] is Status.FAILED


@pytest.mark.parametrize(("max_unavailable", "status"), [(1, Status.PASSED), (0, Status.FAILED)])
def test_a_budget_guarded_by_a_top_level_value_renders_when_it_is_set(tmp_path, max_unavailable, status):
    # shaped like elasticsearch: `{{- if .Values.maxUnavailable }}` around the only budget
    (tmp_path / "templates").mkdir()
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: search\nversion: 1.0.0\n")
    (tmp_path / "values.yaml").write_text(f"replicas: 3\nmaxUnavailable: {max_unavailable}\n")
    (tmp_path / "templates" / "statefulset.yaml").write_text(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: search\nspec:\n"
        "  replicas: {{ .Values.replicas }}\n"
    )
    (tmp_path / "templates" / "poddisruptionbudget.yaml").write_text(
        "{{- if .Values.maxUnavailable }}\napiVersion: policy/v1\nkind: PodDisruptionBudget\n"
        "metadata:\n  name: search-pdb\nspec:\n  maxUnavailable: {{ .Values.maxUnavailable }}\n{{- end }}\n"
    )
    # 0 is falsy: the budget is not rendered at all, so there is none
    assert _budget_outcomes(tmp_path)["search[base]"][0] is status
