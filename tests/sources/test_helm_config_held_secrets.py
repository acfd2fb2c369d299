"""Secrets heldout14 missed or invented (issue 17), each decided generically: a value a ConfigMap
template writes by itself (apisix's admin keys inside a ``credentials:`` block, milvus's
object-store secret key through an included helper) is OCI-SEC-104 at its line; a salt is
secret material (langfuse's ``salt.value``), a quoted number under a password key is a password
(skywalking's ``"123456"``), and an ``accessKey`` beside a ``secretKey`` is the pair's id, a user
name (milvus's ``minio.accessKey``). A Secret template that keeps a value in a variable and
replaces it only when empty (``{{ $password := .Values.x }}`` then ``{{ if not $password }}``)
renders the value when set (langfuse's ClickHouse and Redis Secrets).
Fixture: ``fixtures/helm/config-held-secrets`` (shaped like those four charts)."""

from __future__ import annotations

import pytest
from helm_scan import FIX, _env  # noqa: F401  (_env: the shared autouse fixture)
from helm_scan import failed as _failed
from typer.testing import CliRunner

from scanner.cli import app
from scanner.guards.secretnames import is_secret_entry, key_reading
from scanner.sources.helm.components import GuardIndex, fallback_variables

runner = CliRunner()
CHART = FIX / "config-held-secrets"
VALUES = CHART / "values.yaml"


def _line(text: str, path=VALUES) -> int:
    return next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if text in ln)


def _at(rule: str) -> set[tuple[str, int, str]]:
    return {
        (f.location.file.rsplit("/", 1)[-1], f.location.start_line, f.resource.address)
        for f in _failed(CHART, rule)
    }


@pytest.mark.parametrize(
    ("key", "value", "siblings", "secret"),
    [
        ("salt", "appSaltValue", (), True),
        ("passwordSalt", "k3Jq9vTz", (), True),
        ("saltLength", "32", (), False),  # a setting about the salt
        ("postgresPassword", "123456", (), True),  # quoted digits under a password key
        ("password", "12345678901", (), True),
        ("pass", "12345", (), False),  # five digits: may be a port, as `pass: "1234"` may be a count
        ("password", "1", (), False),  # a flag
        ("allowEmptyPassword", "1", (), False),
        ("port", "5432", (), False),
        ("password", 123456, (), False),  # YAML integers stay integers, not secrets
        ("accessKey", "minioadmin", ("accessKey", "secretKey", "existingSecret"), False),
        ("accessKey", "storeadmin", ("accessKey", "secretAccessKey"), False),
        ("secretKey", "minioadmin", ("accessKey", "secretKey", "existingSecret"), True),
        ("accessKey", "9f" * 32, ("keyId", "accessKey"), True),  # beside a key id: the secret half
        ("accessKey", "minioadmin", (), True),  # alone: decided as before
        ("accessKey", "AKIAIOSFODNN7EXAMPLE", ("accessKey", "secretKey"), True),  # credential-shaped
    ],
)
def test_salts_numeric_passwords_and_access_key_ids(key, value, siblings, secret):
    assert is_secret_entry(key, value, siblings) is secret


def test_salt_is_read_as_holding_a_secret():
    assert key_reading("salt") == "holds"
    assert key_reading("saltSecretName") == "reference"


def test_values_findings_at_their_lines_and_no_more():
    assert _at("OCI-SEC-101") == {
        ("values.yaml", _line("admin: 3b9f"), "config-held[base]"),
        ("values.yaml", _line("viewer: 7c2e"), "config-held[base]"),
        ("values.yaml", _line("secretKey: storeadmin"), "config-held[base]"),
        ("values.yaml", _line('value: "appSaltValue"'), "config-held[base]"),
        ("values.yaml", _line('postgresPassword: "123456"'), "config-held[base]"),
        ("values.yaml", _line('password: "654321"'), "config-held[base]"),
        ("values-lint.yaml", 3, "config-held[lint]"),
    }


def test_scalars_a_configmap_template_writes_are_sec104_at_their_lines():
    """Read directly (the admin keys) and through an included helper (the secret key); the
    access key id, the bucket name and the port reach the same ConfigMap and are no finding."""
    assert _at("OCI-SEC-104") == {
        ("values.yaml", _line("admin: 3b9f"), "config-held[base]"),
        ("values.yaml", _line("viewer: 7c2e"), "config-held[base]"),
        ("values.yaml", _line("secretKey: storeadmin"), "config-held[base]"),
    }


def test_a_secret_template_renders_a_variable_replaced_only_when_empty():
    """lint sets the cache password: the Secret renders it (SEC-103 at the lint line); base
    leaves it empty (generated). The salt is only tested by its template, so it is no SEC-103."""
    assert _at("OCI-SEC-103") == {("values-lint.yaml", 3, "config-held[lint]")}


def test_fallback_variables_keep_only_values_replaced_when_empty():
    text = (
        '{{- $password := .Values.auth.password -}}\n'
        "{{- if not $password -}}{{- $password = randAlphaNum 40 -}}{{- end -}}\n"
        "{{- $token := .Values.auth.token -}}\n"
        '{{- $token = "fixed" -}}\n'
        "{{- $user := .Values.auth.username -}}\n"
        "{{- if empty $user -}}{{- $user = \"admin\" -}}{{- end -}}\n"
        '{{- $name := printf "%s-x" .Release.Name -}}\n'
    )
    assert fallback_variables(text, GuardIndex(text)) == {
        "$password": ".Values.auth.password",
        "$user": ".Values.auth.username",
    }


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_no_value_shows_in_any_report_and_the_keys_do(fmt):
    res = runner.invoke(app, ["scan", str(CHART), "--format", fmt, "--no-color"])
    assert res.exit_code == 1, res.output
    for secret in ("3b9f0c6a21d84e7f95a0c2d6e1b47f83", "appSaltValue", "lintPassword", "654321"):
        assert secret not in res.output
    assert "gateway.admin.credentials.admin" in res.output
    assert "salt.value" in res.output
