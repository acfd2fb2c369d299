"""One decision of what a secret is, shared by the rules and redaction."""

from __future__ import annotations

import pytest

from scanner.report import redact
from scanner.secretnames import is_secret_name, is_secret_value


@pytest.mark.parametrize(
    "name, secret",
    [
        ("db_admin_password", True),
        ("admin_pwd", True),
        ("kerberos_keytab", True),
        ("client_secret", True),
        ("api_token", True),
        ("ssh_private_key", True),
        ("ocir_secret_namespace", False),  # a Kubernetes namespace
        ("oidc_token_authentication_config", False),  # a configuration object
        ("vault_secret_id", False),
        ("secret_name", False),
        ("private_key_path", False),
        ("enable_secret_rotation", False),
        ("token_ttl", False),
        ("jwt_token_claim", False),
    ],
)
def test_secret_names(name, secret):
    assert is_secret_name(name) is secret


def test_names_are_parameterised():
    assert is_secret_name("db_master_phrase", extra=r"_phrase$")
    assert not is_secret_name("legacy_token", ignore=r"^legacy_")


@pytest.mark.parametrize(
    "value, secret",
    [
        ("Sup3r-S3cret-Passw0rd-41", True),
        ("Welcome1", True),
        ("https://user:pw@example.com", True),
        ("ocid1.vaultsecret.oc1.iad.amaaaaaaexample", False),
        ("ocid1.tenancy.oc1..aaaaaaaexample", False),
        ("~/.oci/oci_api_key.pem", False),
        ("/etc/krb5.keytab", False),
        ("P5D", False),
        ("30m", False),
        ("sub", False),
        (["RS256"], False),
        ("true", False),
        (True, False),
        (42, False),
        ("", False),
        ("https://login.example.com/oauth2", False),
    ],
)
def test_secret_value_shapes(value, secret):
    assert is_secret_value(value) is secret


def test_redaction_uses_the_shared_name_predicate():
    assert redact.is_secret_name is is_secret_name
