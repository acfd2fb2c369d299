"""Secret decisions heldout15 showed (issue 17), each decided generically in
``scanner.guards.secretnames``: an auth string ``admin:pass`` (prefect's
``server.basicAuth.authString``) is a login pair, and so is an htpasswd line under any key; a key
naming where something lives (kubescape's ``global.proxySecretDirectory: proxy-support``) is a
place, not a secret; a Secret template's literal under a user-name key (seaweedfs's ``user:
"YourSWUser"`` beside a generated password) is an identifier, not secret material.
Fixture: ``fixtures/helm/auth-strings`` (shaped like those three charts)."""

from __future__ import annotations

import pytest
from helm_scan import FIX, _env  # noqa: F401  (_env: the shared autouse fixture)
from helm_scan import failed as _failed
from typer.testing import CliRunner

from scanner.cli import app
from scanner.guards.secretnames import (
    is_secret_entry,
    is_secret_name,
    key_reading,
    looks_like_credential,
    names_an_identity,
)

runner = CliRunner()
CHART = FIX / "auth-strings"
VALUES = CHART / "values.yaml"
HTPASSWD_MD5 = "ops:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/"


def _line(text: str, path=VALUES) -> int:
    return next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if text in ln)


def _at(rule: str) -> set[tuple[str, int]]:
    return {(f.location.file.rsplit("/", 1)[-1], f.location.start_line) for f in _failed(CHART, rule)}


@pytest.mark.parametrize(
    ("key", "value", "secret"),
    [
        ("authString", "admin:pass", True),  # prefect's basic-auth pair
        ("basicAuthString", "admin:s3cret", True),
        ("auth_string", "admin:pass", True),
        ("AUTH_STRING", "admin:pass", True),
        ("authString", "auth-gateway:8080", False),  # host:port
        ("authString", "nginx:1.25", False),  # image:tag
        ("authString", "https://auth.example.com/login", False),  # a URL without credentials
        ("authString", "admin:<your-password>", False),  # a placeholder
        ("authString", "admin:", False),  # no password
        ("labelString", "app:web", False),  # a key:value label under another key
        ("selector", "app:web", False),
        ("users", HTPASSWD_MD5, True),  # an htpasswd line, whatever the key
        ("note", "admin:$2y$05$" + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0", True),
        ("note", "user:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", True),
        ("note", "admin:$apr1$", False),  # no hash after the marker
    ],
)
def test_auth_strings_and_htpasswd_lines(key, value, secret):
    assert is_secret_entry(key, value) is secret


def test_an_htpasswd_file_is_a_credential_by_any_line():
    assert looks_like_credential(f"# users\n{HTPASSWD_MD5}\n")
    assert not looks_like_credential("repo/image:v1.2.3456789")


@pytest.mark.parametrize(
    "key",
    ["proxySecretDirectory", "secretsDir", "TOKEN_DIR", "credentialsFolder", "tokenMountPoint",
     "secretMountPath", "passwordFilename", "secretMounts"],
)  # fmt: skip
def test_keys_naming_where_a_secret_lives_are_places(key):
    assert key_reading(key) == "reference"
    assert not is_secret_entry(key, "proxy-support-files")


def test_a_mount_word_before_the_secret_word_is_no_place():
    assert key_reading("mountPassword") == "holds"  # a CIFS mount's password
    assert is_secret_entry("mountPassword", "Cifs-Mount-Pw-2291")


@pytest.mark.parametrize(
    ("name", "secret"),
    [("secret_directory", False), ("token_folder", False), ("api_key_filename", False),
     ("secret_mount_point", False), ("db_password", True)],
)  # fmt: skip
def test_terraform_names_of_places_are_not_secret_names(name, secret):
    assert is_secret_name(name) is secret


@pytest.mark.parametrize(
    ("key", "value", "identity"),
    [
        ("user", "YourSWUser", True),
        ("username", "admin", True),
        ("userName", "admin", True),
        ("MYSQL_USER", "app", True),
        ("dbUser", "app", True),
        ("login", "ops", True),
        ("adminLogin", "ops", True),
        ("user", "admin:admin", False),  # a login:password pair under a user key
        ("user", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", False),
        ("password", "YourSWUser", False),
        ("userKey", "admin-user", False),  # names a key of a Secret: a reference, not a user
    ],
)
def test_user_name_keys_hold_identifiers(key, value, identity):
    assert names_an_identity(key, value) is identity


def test_values_findings_at_their_lines_and_no_more():
    assert _at("OCI-SEC-101") == {
        ("values.yaml", _line('authString: "admin:pass"')),
        ("values.yaml", _line("ops:$apr1$")),
    }


def test_secret_template_literals_a_user_name_is_not_secret_material():
    admin = CHART / "templates" / "secret-admin.yaml"
    assert _at("OCI-SEC-103") == {
        ("secret-admin.yaml", _line("adminToken:", admin)),
        ("secret-admin.yaml", _line('user: "admin:admin"', admin)),
    }


def test_terraform_variable_holding_a_basic_auth_pair(tmp_path):
    from scanner.workflow.scan import ScanOptions, run_scan

    (tmp_path / "main.tf").write_text(
        'variable "basic_auth" {\n  type    = string\n  default = "admin:pass"\n}\n'
        'variable "listen_address" {\n  type    = string\n  default = "api:8080"\n}\n'
    )
    result, _ = run_scan([tmp_path], ScanOptions(rule_ids=["OCI-SEC-001", "OCI-SEC-002"]))
    failed = sorted((f.rule_id, f.resource.address) for f in result.findings if f.status.name == "FAILED")
    assert failed == [("OCI-SEC-001", "var.basic_auth"), ("OCI-SEC-002", "var.basic_auth")]


def test_pairs_and_hashes_are_masked_in_reports():
    out = runner.invoke(app, ["scan", str(CHART), "--format", "text"]).output
    assert "admin:pass" not in out and "$apr1$" not in out
    assert "server.basicAuth.authString" in out and "proxySecretDirectory" not in out


def test_a_terraform_login_pair_is_masked(tmp_path):
    (tmp_path / "main.tf").write_text(
        'variable "basic_auth" {\n  type    = string\n  default = "admin:pass"\n}\n'
    )
    for fmt in ("text", "json", "sarif"):
        out = runner.invoke(app, ["scan", str(tmp_path), "--format", fmt]).output
        assert "basic_auth" in out and "admin:pass" not in out, fmt
