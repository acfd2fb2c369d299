"""What dev14's first run (issue 17: seven public charts labelled before ocisec ran on them) got
wrong, each decided generically, each fixture shaped like its chart (``fixtures/helm/README.md``):

- Flagsmith writes ``replicas:`` through a helper handed the count as its context
  (``include "flagsmith.replicaCount" .Values.api.replicacount``): the count is that value's,
  at its line (``value-context-helper``);
- redash's Secret template writes ``secretKey: test`` and ``cookieSecret: test`` as the values of
  its data: short, but secrets by where they land (``secret-data-values``);
- OpenWhisk's default API keys are ``<uuid>:<key>`` pairs under keys that name no secret
  (``whisk.auth.system``), litmus ships ``rootPassword: "1234"``, Flagsmith ``testToken:
  test-e2e-token`` (``whisk-keys``)."""

from __future__ import annotations

import json
from pathlib import Path

from helm_scan import FIX, _env  # noqa: F401  (_env: the shared autouse fixture)
from helm_scan import failed as _failed
from helm_scan import findings_by_address as _findings
from typer.testing import CliRunner

from scanner.cli import app
from scanner.guards.secretnames import is_secret_data_value, is_secret_entry, looks_like_credential
from scanner.model import Finding, Status

runner = CliRunner()


def _at(finding: Finding) -> tuple[str, int]:
    assert finding.location is not None
    return Path(finding.location.file).name, finding.location.start_line


def _keys(findings: list[Finding]) -> set[tuple[str, str, int]]:
    return {(f.rule_id, *_at(f)) for f in findings}


# --- a count written by a helper handed the value as its context (Flagsmith) ----------------------
def test_a_count_a_helper_writes_from_its_context_is_reported_at_the_value():
    got = _findings(FIX / "value-context-helper", "OCI-HA-101")
    for name, line in (("api", 3), ("frontend", 7)):
        finding = got[("OCI-HA-101", f"flagpole/{name}[base]")]
        assert finding.status is Status.FAILED
        assert _at(finding) == ("values.yaml", line), name  # never the template's kind line


def test_the_helper_s_count_follows_each_environment():
    """prod sets `api.replicacount: 3`: the helper writes three replicas there, which pass."""
    got = _findings(FIX / "value-context-helper", "OCI-HA-101")
    prod = got[("OCI-HA-101", "flagpole/api[prod]")]
    assert prod.status is Status.PASSED
    assert _at(prod) == ("values-prod.yaml", 2)


def test_a_null_count_the_helper_leaves_out_is_one_pod_at_the_value():
    """`replicacount: null`: the helper writes no `replicas:` and Kubernetes runs one pod."""
    got = _findings(FIX / "value-context-helper", "OCI-HA-101")
    worker = got[("OCI-HA-101", "flagpole/worker[base]")]
    assert worker.status is Status.FAILED
    assert _at(worker) == ("values.yaml", 11)


# --- short values a Secret holds as its data (redash) ---------------------------------------------
def test_short_values_written_as_secret_data_are_secrets_in_the_values_and_the_secret():
    found = _keys(_failed(FIX / "secret-data-values", "OCI-SEC-101", "OCI-SEC-103"))
    assert found == {
        ("OCI-SEC-101", "values.yaml", 4), ("OCI-SEC-103", "values.yaml", 4),  # secretKey: test
        ("OCI-SEC-101", "values.yaml", 5), ("OCI-SEC-103", "values.yaml", 5),  # cookieSecret: test
    }  # fmt: skip
    # not: an empty value, a key that spells its own name, a Secret's name, a user name, and a
    # key name the Deployment reads as a `secretKeyRef` key (never written into the data)


def test_a_value_in_secret_data_stays_a_plaintext_secret_where_the_secret_does_not_render():
    """prod names an existing Secret, so the template renders nothing there; `secretKey: test`
    is still in the values prod inherits: one OCI-SEC-101 naming both environments."""
    found = [f for f in _failed(FIX / "secret-data-values", "OCI-SEC-101") if _at(f) == ("values.yaml", 4)]
    assert len(found) == 1
    assert "[environments: base, prod]" in found[0].message
    # the Secret itself renders only in base: OCI-SEC-103 names base alone
    sec103 = [f for f in _failed(FIX / "secret-data-values", "OCI-SEC-103") if _at(f) == ("values.yaml", 4)]
    assert len(sec103) == 1 and "prod" not in sec103[0].message


def test_a_short_secret_in_secret_data_is_never_printed():
    result = runner.invoke(
        app, ["scan", str(FIX / "secret-data-values"), "--rule", "OCI-SEC-101", "--format", "json"]
    )
    assert result.exit_code == 1
    assert '"test"' not in result.output and ": test" not in result.output
    assert "app.secretKey" in json.dumps(json.loads(result.output))  # the key is named


def test_the_data_value_decision():
    assert is_secret_data_value("secretKey", "test")
    assert is_secret_data_value("cookieSecret", "test")
    assert not is_secret_data_value("secretKey", "")  # empty
    assert not is_secret_data_value("licenseKey", "license_key")  # spells its own name
    assert not is_secret_data_value("tokenSecret", "app-tokens")  # a Secret's name
    assert not is_secret_data_value("mailUser", "mailer")  # no secret word
    assert not is_secret_data_value("secretKey", "true") and not is_secret_data_value("secret", "1")
    # outside a Secret's data the same short values stay undecided (a key may name a key)
    assert not is_secret_entry("secretKey", "test")


# --- credential shapes and short passwords (openwhisk, litmus, flagsmith) -------------------------
def test_uuid_key_pairs_a_four_digit_password_and_a_self_named_token_are_secrets():
    found = _keys(_failed(FIX / "whisk-keys", "OCI-SEC-101", "OCI-SEC-103"))
    assert found == {
        ("OCI-SEC-101", "values.yaml", 4), ("OCI-SEC-103", "values.yaml", 4),  # whisk.auth.system
        ("OCI-SEC-101", "values.yaml", 5), ("OCI-SEC-103", "values.yaml", 5),  # whisk.auth.guest
        ("OCI-SEC-101", "values.yaml", 11),  # mongodb.auth.rootPassword: "1234"
        ("OCI-SEC-101", "values.yaml", 18),  # tests.testToken: test-e2e-token
        ("OCI-SEC-101", "values.yaml", 27),  # console.user: "admin:change-me"
    }  # fmt: skip
    # not: kubevela's `authentication.defaultUser: kubevela:vela-core` (lines 23-24), the
    # Kubernetes user it impersonates, nor a `system:serviceaccount:…` user


def test_the_shapes_around_those_are_not_secrets():
    uuid = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    key = "Qw3rTy8uIoPa5sDfGh2jKlZx7cVbNm4QwErTyUiOpAsDfGhJkLz9XcVbNm1qWeR"
    assert looks_like_credential(f"{uuid}:{key}")
    assert not looks_like_credential(f"{uuid}:{uuid}")  # two ids
    assert not looks_like_credential(f"{uuid}:default")  # an id and a word
    assert not looks_like_credential(f"{uuid}:{key.lower()}")  # one case: not this shape
    assert is_secret_entry("rootPassword", "1234") and is_secret_entry("password", "0000")
    assert not is_secret_entry("pass", "6379")  # a loosely named key: maybe a port
    assert not is_secret_entry("password", "123")  # too short to be told from a flag or count
    assert is_secret_entry("testToken", "test-e2e-token")  # a token that calls itself one
    assert not is_secret_entry("initialClusterToken", "etcd-cluster-k8s")  # a chosen name


def test_a_kubernetes_user_name_under_a_user_key_is_no_login_pair():
    assert not is_secret_entry("defaultUser", "kubevela:vela-core")
    assert not is_secret_entry("user", "system:serviceaccount:kube-system:default")
    assert is_secret_entry("user", "admin:admin")  # falcosidekick's webui.user
    assert is_secret_entry("user", "admin:s3cr3t-pass") and is_secret_entry("user", "admin:my-secret")
    assert is_secret_entry("credentials", "kubevela:vela-core")  # under credentials: a login


# --- optional components listed in values, placeholder keys (karmada) -----------------------------
def test_a_component_rendered_only_when_listed_is_judged_only_where_it_is_listed():
    """`{{- if and (eq .Values.installMode "host") (has "descheduler" .Values.components) }}`:
    base lists no component, so the descheduler is not there; prod lists it, and its two pods
    with no spread and no budget are prod's findings, at the replica count."""
    got = _findings(FIX / "component-list", "OCI-HA-101", "OCI-HA-102", "OCI-HA-103")
    assert not [k for k in got if k[1] == "fleet/descheduler[base]"]
    for rule in ("OCI-HA-102", "OCI-HA-103"):
        prod = got[(rule, "fleet/descheduler[prod]")]
        assert prod.status is Status.FAILED
        assert _at(prod) == ("values.yaml", 7)
    assert got[("OCI-HA-101", "fleet/apiServer[base]")].status is Status.FAILED


def test_pem_placeholders_and_a_rendered_kubeconfig_are_not_secrets():
    """karmada ships `-----BEGIN RSA PRIVATE KEY-----` around `XXXX…` for the user to replace;
    the estimator's Secret (rendered in prod) writes a kubeconfig under a templated key
    (`{{ $clusterName }}-kubeconfig: |-`), whose lines are the file, not literal entries."""
    assert _failed(FIX / "component-list", "OCI-SEC-101", "OCI-SEC-103", "OCI-SEC-007") == []


def test_the_pem_placeholder_decision():
    key = "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----"
    assert not looks_like_credential(key.format("XXXXXXXXXXXXXXXXXXXXXXXXXXX"))
    assert not looks_like_credential(key.format("..."))
    assert looks_like_credential(key.format("MIIEpAIBAAKCAQEA7bq3xZ9k2Lw5mQp"))
    assert looks_like_credential("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC")
