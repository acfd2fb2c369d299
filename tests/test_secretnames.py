"""One decision of what a secret is, shared by the rules and redaction."""

from __future__ import annotations

import pytest

from scanner.guards.secretnames import is_secret_name, is_secret_value
from scanner.report import redact


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
        ("private_key_path_requestor", False),  # a qualifier after the secret word
        ("secret_id_list", False),
        ("authentication_token_query_param", False),  # the name of a query parameter
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
        ("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUZxekNDQTVPZ0F3SUJBZ0l", False),  # a certificate
        ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC example", False),
    ],
)
def test_secret_value_shapes(value, secret):
    assert is_secret_value(value) is secret


def test_redaction_uses_the_shared_name_predicate():
    assert redact.is_secret_name is is_secret_name


def test_sec_003_walks_every_password_argument_and_never_says_literal():
    from scanner.checks.secrets import no_literal_password
    from scanner.engine.policy import load_rules
    from scanner.engine.registry import ResourceIndex
    from scanner.model import Provenance, Resource, Unknown

    def outcome(attrs, context=None):
        r = Resource(
            "oci_mysql_channel", "oci_mysql_channel.c", attrs, Provenance("terraform"), context or {}
        )
        return no_literal_password(r, ResourceIndex([r]), {})

    bad = outcome({"source": [{"password": "Wm6-Rt2c-Hs9d-Nf4p", "password_type": "PLAIN"}]})
    assert (bad.result, bad.path) == (False, "source.0.password")
    assert outcome({"source": [{"password": Unknown("random_password.x.result")}]}).result is True
    assert outcome({"password_secret_access_mode": "USER_PRINCIPAL", "password_secret_id": "ocid1.x"}).result
    # plan JSON: the value came from an expression (var.x) given at plan time
    assert outcome({"password": "from-var"}, {"expression_references": {"password": ["var.p"]}}).result
    [rule] = [r for r in load_rules()[0] if r.id == "OCI-SEC-003"]
    assert "literal" not in rule.message


def test_a_variable_that_only_feeds_reference_arguments_is_not_a_secret(tmp_path):
    from scanner.workflow.scan import ScanOptions, run_scan

    (tmp_path / "main.tf").write_text(
        'variable "okv_secret" {}\nvariable "db_password" {}\n'
        'resource "oci_database_key_store" "k" {\n  type_details {\n    secret_id = var.okv_secret\n  }\n}\n'
        'resource "oci_mysql_mysql_db_system" "m" {\n  admin_password = var.db_password\n}\n'
    )
    result, _ = run_scan([tmp_path], ScanOptions(rule_ids=["OCI-SEC-002"]))
    assert sorted(f.resource.address for f in result.findings) == ["var.db_password"]


# --- keys of any convention, judged with their values (Helm values, env, config files) -----------
@pytest.mark.parametrize(
    "key, value, secret",
    [
        # flags, numbers, paths, durations, sizes, hosts, URLs, empties and templates are not secrets
        ("MYSQL_ALLOW_EMPTY_PASSWORD", "1", False),
        ("MYSQL_ALLOW_EMPTY_PASSWORD", "true", False),
        ("PRIV_KEY_PATH", "/tmp/.ssh/privatekey", False),
        ("TOKEN_EXPIRY_SECONDS", "3600", False),
        ("tokenCacheSize", 262144, False),
        ("sessionTokenTimeout", "30m", False),
        ("password", "", False),
        ("password", "{{ .Values.global.password }}", False),
        ("DB_PASSWORD", "${DB_PASSWORD}", False),
        ("token", "db.bank.example", False),
        # keys that name where a secret lives are references
        ("passwordSecretKey", "admin-password", False),
        ("existingSecret", "keycloak-admin", False),
        ("tlsSecretName", "keycloak-tls", False),
        ("secretKeyRef", "db", False),
        ("userKey", "admin-user", False),
        ("passwordKey", "admin-password", False),
        ("existingSecretAdminPasswordKey", "HARBOR_ADMIN_PASSWORD", False),
        ("jenkinsHttpsJksPasswordSecretKey", "https-jks-password", False),
        ("privateKeySecret", "cloudfront-key", False),
        ("enableTokenCache", "true", False),
        # short names real charts use, and the usual long ones
        ("mysql.pass", "Exp0rter-Passw0rd-5531", True),
        ("pass", "Exp0rter-Passw0rd-5531", True),
        ("passwd", "Ftp-Passw0rd-88211", True),
        ("pwd", "Legacy-Pwd-44120", True),
        ("PUSH_API_TOKEN", "Push-T0ken-2f1e9a7c3b5d", True),
        ("harborAdminPassword", "Harbor12345", True),
        ("accesskeysecret", "accesskeysecret", True),  # a run-together lower-case key
        ("clientSecret", "b7c1f0e2a9d84c3e", True),
        # credential shapes, whatever the key
        ("webhook", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", True),
        ("note", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ", True),
        ("id", "AKIAIOSFODNN7EXAMPLE", True),
        ("cert", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu7e2xWq9Lm4Tq9Xs6Hc0Ud3Ge7Jk2Np5\n-----END RSA PRIVATE KEY-----", True),
        # an elided body (`MIIEow...`, lines left out) is an example of a key, not one (heldout16)
        ("cert", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----", False),
    ],
)
def test_secret_entries_by_key_and_value(key, value, secret):
    from scanner.guards.secretnames import is_secret_entry

    assert is_secret_entry(key, value) is secret


def test_secret_key_beside_secret_name_names_a_key_of_that_secret():
    from scanner.guards.secretnames import is_secret_entry

    # vault-helm: enterpriseLicense {secretName, secretKey: license}
    assert not is_secret_entry("secretKey", "license", ("secretName", "secretKey"))
    # harbor: a top-level secretKey (the core encryption key), no secretName beside it
    assert is_secret_entry("secretKey", "not-a-secure-key", ("caSecretName", "existingSecretSecretKey"))
