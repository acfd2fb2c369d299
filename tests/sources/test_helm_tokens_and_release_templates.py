"""Misses found on public charts (issue 17, benchmarks/helm_corpus.yaml): a token that is a chosen
name (bitnami etcd's ``initialClusterToken``), an OCI auth token under a neutral key, and a
release tool's template outside a chart (ingress-nginx ``cmd/plugin/krew.yaml``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.guards.secretnames import is_secret_entry, looks_like_credential
from scanner.model import Status
from scanner.workflow.scan import ScanOptions, run_scan

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures" / "helm"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))


def _failed(path: Path, *rules: str):
    result, _ = run_scan([path], ScanOptions(rule_ids=list(rules), cache_dir=None))
    return [f for f in result.findings if f.status is Status.FAILED]


@pytest.mark.parametrize(
    ("key", "value", "secret"),
    [
        ("initialClusterToken", "etcd-cluster-k8s", False),  # a chosen name
        ("clusterToken", "member-store-prod", False),
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
