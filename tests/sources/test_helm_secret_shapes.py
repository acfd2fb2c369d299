"""Secrets that real charts write in shapes the key alone does not show (issue 17, dev13 round):
falcosidekick's ``webui.user: "admin:admin"`` (a login:password pair), netdata's ``api key = …``
and a stream section named by that key in config files a helper ranges into ConfigMaps, minio's
add-user script included from a ``.txt`` file, and names of Secrets that look like secrets
(Kong's ``CHANGEME-smtp-password``, kubecost's ``csvAccessCredentials`` used as a
``secretKeyRef`` name). Fixtures: ``fixtures/helm/login-pairs``, ``config-files``,
``secret-name-values``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helm_scan import FIX, ROOT, _env  # noqa: F401  (_env: the shared autouse fixture)
from helm_scan import failed as _failed
from typer.testing import CliRunner

from scanner.cli import app
from scanner.guards.secretnames import is_login_pair, is_secret_entry
from scanner.workflow.scan import ScanOptions, run_scan

runner = CliRunner()


def _line(path: Path, text: str) -> int:
    return next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if text in ln)


@pytest.mark.parametrize(
    ("key", "value", "pair"),
    [
        ("user", "admin:admin", True),  # falcosidekick webui.user
        ("webui.user", "admin:admin", True),
        ("basicAuth", "metrics:S3cret-pass", True),
        ("credentials", "bob:hunter2", True),
        ("htpasswd", "admin:$2y$05$Xk9fQ2LmW7pR3tY8vB1nC", True),  # an htpasswd line: a hash
        ("user", "redis:6379", False),  # host:port
        ("auth", "nginx:1.25.3", False),  # image:tag
        ("user", "1000:1000", False),  # uid:gid
        ("user", "nobody:nogroup", False),  # owner:group
        ("user", "admin:", False),  # no password
        ("auth", "mailer:{{ .Values.smtpPassword }}", False),  # a template
        ("auth", "https://a:b@example.com", False),  # a URL: judged as a URL, not a pair
        ("selector", "app:web", False),  # not a key that holds a pair
        ("userKey", "admin:admin", False),  # the key of a Secret
    ],
)
def test_a_login_password_pair_under_a_user_or_auth_key(key, value, pair):
    assert is_login_pair(key, value) is pair
    if pair:
        assert is_secret_entry(key, value)


def test_an_empty_password_after_a_login_is_not_a_secret():
    assert not is_secret_entry("credentials", "scraper:")


def test_login_pair_in_values_is_a_finding_at_its_line_and_rendered_only_when_enabled():
    chart = FIX / "login-pairs"
    values = chart / "values.yaml"
    sec101 = _failed(chart, "OCI-SEC-101")
    assert [(f.location.start_line, f.resource.address) for f in sec101] == [
        (_line(values, 'user: "admin:admin"'), "sidekick[base]")
    ]
    assert "webui.user" in sec101[0].message and "environments: base, ui" in sec101[0].message
    # the UI Secret renders the pair only where webui.enabled is on
    sec103 = _failed(chart, "OCI-SEC-103")
    assert [(f.location.start_line, f.resource.address) for f in sec103] == [
        (_line(values, 'user: "admin:admin"'), "sidekick[ui]")
    ]


def test_login_pair_is_masked_in_every_output_but_its_key_is_not():
    out = runner.invoke(app, ["scan", str(FIX / "login-pairs"), "--format", "json"]).output
    assert "admin:admin" not in out
    assert "webui.user" in out


def test_config_files_in_configmaps_each_secret_at_its_line():
    chart = FIX / "config-files"
    values = chart / "values.yaml"
    found = _failed(chart, "OCI-SEC-104")
    lines = sorted(f.location.start_line for f in found)
    assert lines == sorted(
        [
            _line(values, "[11111111-2222"),  # the parent's section named by the child's API key
            _line(values, "api key = 11111111"),  # `api key = …`: a key with a space, INI style
            _line(values, "secretKey: console123"),  # echoed by the included add-user .txt script
        ]
    )
    details = " | ".join(f.message for f in found)
    assert "child.configs.stream.data (api key)" in details and "users.0.secretKey" in details
    # the exporting config is switched off; `bind to = localhost` and `allow from` are settings;
    # the dashboards ConfigMap reads one key with `index`, not the admin password beside it
    assert _line(values, "api key = 9999") not in lines
    assert _line(values, "adminPassword:") not in lines
    sec103 = sorted(f.location.start_line for f in _failed(chart, "OCI-SEC-103"))
    # the dashboards Secret renders adminPassword; the app Secret renders a config file whose
    # `password:` line is the secret (its `passwordFile:` path is not)
    assert sec103 == sorted([_line(values, "adminPassword:"), _line(values, "password: Db-Pass-20251")])
    out = runner.invoke(app, ["scan", str(chart), "--format", "json"]).output
    assert "Db-Pass-20251" not in out


def test_config_file_secrets_are_masked():
    out = runner.invoke(app, ["scan", str(FIX / "config-files"), "--format", "sarif"]).output
    assert "11111111-2222" not in out and "console123" not in out
    assert json.loads(out)["runs"]


def _configmap_finding(tmp_path: Path, name: str, data: str):
    """The one OCI-SEC-104 finding of a ConfigMap manifest ``name`` whose ``data:`` block is
    ``data`` (its first key on line 6)."""
    (tmp_path / "cm.yaml").write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n{data}"
    )
    (f,) = _failed(tmp_path, "OCI-SEC-104")
    return f


def test_ini_lines_in_a_configmap_manifest(tmp_path):
    f = _configmap_finding(
        tmp_path,
        "stream",
        "  stream.conf: |\n"
        "    [stream]\n      destination = parent:19999\n      api key = 0f3e9a7c-5b1d-4e6f-8a0b-2c4d6e8f0a1b\n"
        "  health.conf: |\n    [health]\n      enabled = no\n",
    )
    assert f.location.start_line == 9 and "stream.conf (api key)" in f.message


def test_names_of_secrets_are_references_even_when_they_look_like_secrets():
    chart = FIX / "secret-name-values"
    values = chart / "values.yaml"
    lines = sorted(f.location.start_line for f in _failed(chart, "OCI-SEC-101"))
    # CHANGEME-… placeholders name Secrets; csvAccessCredentials is a secretKeyRef name in the
    # Deployment; session_secret and uploadCredentials (rendered as a value) are secrets
    assert lines == [_line(values, "session_secret:"), _line(values, "uploadCredentials:")]


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        ("postgresql://accounts-admin:accounts-pwd@accounts-db:5432/accounts-db", True),  # bank-of-anthos
        ("redis://:S3cr3tPass@redis:6379/0", True),
        ("mysql+pymysql://<db-username>:<db-password>@<db-hostname>:3306/hub", False),  # a placeholder
        ("postgres://app:${DB_PASSWORD}@db/app", False),
        ("postgresql://app:%s@db:5432/app", False),
        ("https://user@example.com/repo.git", False),  # a login, no password
        ("http://example.com:8080/a", False),
    ],
)
def test_a_password_inside_a_connection_url_is_a_secret_whatever_the_key(value, secret):
    assert is_secret_entry("ACCOUNTS_DB_URI", value) is secret


def test_connection_url_with_a_password_in_a_configmap(tmp_path):
    f = _configmap_finding(
        tmp_path,
        "accounts-db-config",
        "  ACCOUNTS_DB_URI: postgresql://accounts-admin:accounts-pwd@accounts-db:5432/accounts-db\n"
        "  POSTGRES_DB: accounts-db\n",
    )
    assert f.location.start_line == 6 and "ACCOUNTS_DB_URI" in f.message
    out = runner.invoke(app, ["scan", str(tmp_path), "--format", "json"]).output
    assert "accounts-pwd" not in out


def test_a_secret_name_is_not_a_sensitive_value_but_the_secrets_beside_it_are():
    from scanner.model import Status as St

    result, _ = run_scan([FIX / "secret-name-values"], ScanOptions(cache_dir=None))
    values = next(f.resource for f in result.findings if f.resource.kind == "helm.values")
    sensitive = set(values.context["sensitive_values"])
    assert "pricing-schema-access-secret" not in sensitive  # a secretKeyRef name
    assert {"Qx7-vT2p-Lm9z-Kw4r", "Up1oad-Cr3dential-77421"} <= sensitive
    assert any(f.status is St.FAILED for f in result.findings)
    out = runner.invoke(app, ["scan", str(FIX / "secret-name-values"), "--format", "json"]).output
    assert "Qx7-vT2p-Lm9z-Kw4r" not in out and "Up1oad-Cr3dential-77421" not in out


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        (_b64("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx\n-----END RSA PRIVATE KEY-----\n"), True),
        (_b64("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0\n-----END PRIVATE KEY-----\n"), True),
        (
            _b64(
                "-----BEGIN CERTIFICATE-----\nMIIDXzCCAkegAwIBAgILBAAAAAABIVhTCKIw\n-----END CERTIFICATE-----\n"
            ),
            False,
        ),
        (_b64('{"auths":{"iad.ocir.io":{"username":"ns/user","auth":"bnMvdXNlcjpwdw=="}}}'), True),
        (_b64('{"apiVersion":"v1","kind":"Config"}'), False),
    ],
)
def test_encoded_private_keys_and_registry_credentials_are_secrets_whatever_the_key(value, secret):
    # a chart's `tls.key` or pull secret pasted base64-encoded: the key `key` alone names nothing
    assert is_secret_entry("tls.key", value) is secret


@pytest.mark.parametrize(
    ("key", "value", "secret"),
    [
        ("password", "$DB_PASSWORD", False),  # a shell variable a config file expands
        ("api key", "$API_KEY", False),
        ("password", "%(ENV_DB_PASSWORD)s", False),  # python configparser interpolation
        ("password", "%{DB_PASSWORD}", False),
        ("credentials", "env:GOOGLE_APPLICATION_CREDENTIALS", False),  # where it is, not what
        ("auth", "secret:registry-auth", False),
        ("password", "vault:secret/data/db#password", False),
        ("password", "$ecretPa55", True),  # a password that starts with a dollar sign
        ("password", "changeme", True),  # a placeholder a chart ships is still a finding
    ],
)
def test_references_and_interpolations_are_not_secrets(key, value, secret):
    assert is_secret_entry(key, value) is secret


def test_env_literals_a_template_writes_are_findings_at_the_template_line():
    chart = FIX / "template-env"
    deployment = chart / "templates" / "deployment.yaml"
    helpers = chart / "templates" / "_helpers.tpl"
    found = {
        (f.resource.address, f.location.file.rsplit("/", 1)[-1], f.location.start_line)
        for f in _failed(chart, "OCI-SEC-102")
    }
    assert found == {
        # a Google API key written in the template (kubecost), whatever the variable is called
        ("pricing[base]", "deployment.yaml", _line(deployment, '"AIzaSy')),
        # a helper the Deployment includes; the helper nobody includes is never rendered
        ("pricing[base]", "_helpers.tpl", _line(helpers, '"Xq7-pR2m')),
        # written only in the branch values-debug.yaml takes
        ("pricing[debug]", "deployment.yaml", _line(deployment, '"Debug-Pass-2024"')),
    }
    out = runner.invoke(app, ["scan", str(chart), "--format", "json"]).output
    assert "AIzaSy" not in out and "Xq7-pR2m" not in out and "Debug-Pass-2024" not in out
    assert "CLOUD_PROVIDER_API_KEY" in out
