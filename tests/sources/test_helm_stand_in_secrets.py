"""Secrets a chart ships as its defaults in shapes the earlier decision missed (issue 17,
heldout13's supabase misses): a JWT whose claims are written with spaces (``eyAg…``, not
``eyJ…``) under a key that names no secret (``anonKey``), a token whose default text calls
itself a secret (``your-super-secret-…-key-public``, lower-case words that were read as a chosen
name), and keys named for encryption keys (``dbEncKey``, ``cryptoKey``). Also: what is not a
secret there (a token that is a chosen name, a documentation placeholder, a key kept in a KMS
named by its resource path), OCI-SEC-103 named by template and value so an inherited value is
one finding across environments, and the neighbours of a JWT line never half-masked.
Fixture: ``fixtures/helm/stand-in-secrets`` (shaped like supabase-community's chart)."""

from __future__ import annotations

import base64
import json

import pytest
import yaml
from helm_scan import FIX, _env  # noqa: F401  (_env: the shared autouse fixture)
from helm_scan import failed as _failed
from typer.testing import CliRunner

from scanner.cli import app
from scanner.guards.secretnames import is_secret_entry, key_reading, looks_like_credential

runner = CliRunner()
CHART = FIX / "stand-in-secrets"
VALUES = CHART / "values.yaml"


def _b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def _jwt(header: str, claims: str) -> str:
    return f"{_b64url(header)}.{_b64url(claims)}.{'Zm9vYmFyYmF6cXV4' * 2}"


def _line(text: str) -> int:
    return next(i for i, ln in enumerate(VALUES.read_text().splitlines(), 1) if text in ln)


def _values() -> list[str]:
    """The secret values the fixture ships (read from the file, so the test follows it)."""
    secret = yaml.safe_load(VALUES.read_text())["secret"]
    return [
        secret["jwt"]["anonKey"], secret["jwt"]["serviceKey"], secret["jwt"]["secret"],
        secret["analytics"]["publicAccessToken"], secret["analytics"]["privateAccessToken"],
        secret["realtime"]["dbEncKey"], secret["meta"]["cryptoKey"],
        yaml.safe_load(VALUES.read_text())["storage"]["azure"]["connectionString"],
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "credential"),
    [
        (_jwt('{"alg":"HS256","typ":"JWT"}', '{"role":"anon"}'), True),  # eyJ… . eyJ…
        (_jwt('{"alg":"HS256","typ":"JWT"}', '{  \n  "role": "anon"\n}'), True),  # claims eyAg…
        (_jwt('{"alg":"HS256"}', '{\n"sub": "1"}'), True),  # claims ewo…
        ("# the token\n  " + _jwt('{"alg":"HS256"}', '{"sub":"12345"}') + "\n", True),  # a block scalar's line
        (_jwt('{"alg":"HS256"}', "not json at all, just text"), False),  # claims are no object
        ("ewz0123456.ewz0123456.abcdefghijkl", False),  # the shape, but not JSON inside
        ("eu-frankfurt-1.example.internal.oraclecloud.com", False),  # a host name
    ],
)
def test_a_jwt_is_a_credential_whatever_its_spacing(value, credential):
    assert looks_like_credential(value) is credential
    assert is_secret_entry("anonKey", value) is credential  # a key that names no secret


@pytest.mark.parametrize(
    ("value", "credential"),
    [
        ("DefaultEndpointsProtocol=https;AccountName=a;AccountKey=q3Jx0Zt8m2LkVh7YpWc5Rn1Ds4Gf9Ba6Ee0Ti==;"
         "EndpointSuffix=core.windows.net", True),
        ("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
         "SharedAccessKey=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4MTIzNDU2Nzg=", True),
        ("DefaultEndpointsProtocol=https;AccountName=a;AccountKey=<account-key>", False),
        ("DefaultEndpointsProtocol=https;AccountName=a;AccountKey=${AZURE_STORAGE_KEY}", False),
        ("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey", False),
    ],
)
def test_an_azure_connection_string_with_its_key_is_a_credential(value, credential):
    assert looks_like_credential(value) is credential
    assert is_secret_entry("connectionString", value) is credential


@pytest.mark.parametrize(
    ("key", "value", "secret"),
    [
        # supabase's Logflare tokens: the shipped text calls itself a secret and works deployed
        ("publicAccessToken", "your-super-secret-and-long-logflare-key-public", True),
        ("ingestToken", "my-private-ingest-key", True),
        # a token that is a name someone chose (etcd's --initial-cluster-token) protects nothing
        ("initialClusterToken", "etcd-cluster-k8s", False),
        ("clusterToken", "realtime-cluster-eu", False),
        # documentation placeholders stay what the corpus labels say they are
        ("token", "<your-token>", False),
        ("password", "<PASSWORD>", False),
        ("password", "changeme", True),
        # keys named for encryption keys hold key material
        ("dbEncKey", "supabaserealtime", True),
        ("cryptoKey", "your-encryption-key-32-chars-min", True),
        ("realtime.dbEncKey", "0123456789abcdef", True),
        # an Azure storage account's key, a GCP service account's key (harbor's azure.accountkey)
        ("accountkey", "base64encodedaccountkey", True),
        ("serviceAccountKey", '{"type": "service_account", "private_key_id": "1f2e"}', True),
        ("accountKeyName", "azurestorageaccountkey", False),
        ("accountId", "1234567890123", False),
        # other keys named for key material
        ("hmacKey", "9f8e7d6c5b4a39281706f5e4", True),
        ("sessionKey", "Jq3vX9pL2mZ8wR4t", True),
        ("licenseKey", "eu01xx0123456789abcdef0123456789NRAL", True),  # an ingest licence key
        # a text under a `my-` or `your-` prefix stands in for the user's own token
        ("hubToken", "my-hub-token", True),
        ("apiToken", "changeme-api-token", True),
        ("proxyToken", "unleash-insecure-proxy-token", True),
        # a `*Key` value spelling its own key names the key inside a Secret (as `passwordKey`)
        ("licenseKey", "license_key", False),
        ("dbEncKey", "dbEncKey", False),
        ("cryptoKey", "crypto-key", False),
        # ... but a password or secret that spells its key is a placeholder shipped as the real one
        ("password", "password", True),
        ("accesskeysecret", "accesskeysecret", True),  # harbor's oss block, labelled
        # ... unless they name or point at one
        ("cryptoKey", "projects/demo/locations/global/keyRings/app/cryptoKeys/meta", False),
        ("encryptionKey", "alias/stack-storage", False),  # an AWS KMS alias
        ("encryptionKey", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab", False),
        ("cryptoKeyId", "9f0c3b7e-1d2a-4c55-8e61-0a7b2c3d4e5f", False),
        ("encKeyName", "realtime-enc-key", False),
        ("cryptoKey", "", False),
        ("cryptoKey", "{{ .Values.global.cryptoKey }}", False),
    ],
)
def test_stand_in_tokens_and_encryption_keys(key, value, secret):
    assert is_secret_entry(key, value) is secret


def test_encryption_key_names_are_read_as_holding_a_key():
    assert key_reading("dbEncKey") == "holds"
    assert key_reading("cryptoKey") == "holds"
    assert key_reading("cryptoKeySecretName") == "reference"
    assert key_reading("encKeyRef") == "reference"


def test_every_shipped_key_is_a_finding_at_its_line_and_the_secret_template_renders_it():
    sec101 = {(f.location.start_line, f.resource.address) for f in _failed(CHART, "OCI-SEC-101")}
    expected = [
        "anonKey:", "serviceKey:", "secret: \"your-own", "publicAccessToken:", "privateAccessToken:",
        "dbEncKey:", "cryptoKey: \"your",
    ]  # fmt: skip
    # the placeholder storage account key is a secret in the values (no Secret renders it)
    in_values_only = ["accountkey:", "  connectionString:"]
    assert sec101 == {(_line(t), "stack[base]") for t in [*expected, *in_values_only]}
    # not findings: the chosen cluster name, the KMS key's name, the documentation placeholder
    lines = {line for line, _ in sec101}
    assert not lines & {
        _line("clusterToken:"), _line("cryptoKeys/storage"), _line("ingestToken:"), _line("accountname:"),
        _line("backupConnectionString:"),
    }

    sec103 = _failed(CHART, "OCI-SEC-103")
    by_line = {f.location.start_line: f for f in sec103}
    assert set(by_line) == {_line(t) for t in expected}
    # inherited by both environments: one finding each, naming both, though `byo` renders one
    # Secret fewer before it (positions shift; the finding is named by template and value)
    for text in ("anonKey:", "dbEncKey:", "cryptoKey: \"your"):
        f = by_line[_line(text)]
        assert f.message.endswith("[environments: base, byo]"), f.message
        assert f.attribute.startswith("templated_secrets.templates/secrets.yaml:secret.")
    # `byo` takes the analytics tokens from an existing Secret: rendered in base only
    for text in ("publicAccessToken:", "privateAccessToken:"):
        f = by_line[_line(text)]
        assert f.resource.address == "stack[base]" and "[environments:" not in f.message


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_no_shipped_key_shows_in_any_report_and_the_key_names_do(fmt):
    res = runner.invoke(app, ["scan", str(CHART), "--format", fmt, "--no-color"])
    assert res.exit_code == 1, res.output
    out = res.output
    shipped = _values()
    for value in shipped:
        assert value not in out
        assert json.dumps(value)[1:-1] not in out
    # neither half of a JWT: its claims and signature are as telling as the whole
    for value in shipped[:2]:
        for part in value.split("."):
            assert part not in out
    assert "anonKey" in out and "dbEncKey" in out and "cryptoKey" in out
    if fmt == "text":
        assert "realtime-cluster-eu" not in out  # not a finding's line, so not quoted at all


def test_quoted_lines_mask_a_jwt_whole_and_leave_host_names_alone(tmp_path):
    from scanner.workflow.snippets import _read_lines

    token = _jwt('{"alg":"HS256","typ":"JWT"}', '{  \n  "role": "service_role"\n}')
    (tmp_path / "values.yaml").write_text(
        f'anonKey: "{token}"\nhost: example-app.execution.svc\nurl: https://eyes-only.example.com/x\n'
    )
    lines = _read_lines(tmp_path / "values.yaml")
    assert lines[0] == 'anonKey: "***"'  # not `***.eyAg…` with the claims showing
    for part in token.split("."):
        assert part not in "\n".join(lines)
    # the JWT's dotted shape fits these too, but they decode to no JSON: shown as written
    assert lines[1] == "host: example-app.execution.svc"
    assert lines[2] == "url: https://eyes-only.example.com/x"
