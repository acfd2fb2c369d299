"""The secret rows heldout16's and heldout17's first runs got wrong (issue 17), each decided
generically, each fixture shaped like its chart (``fixtures/helm/README.md``):

- dragonfly's values keep an example RSA key in a comment whose body is two base64 lines around
  ``...``: an elided block is no key (OCI-SEC-007 passes); a complete block is a key even in a
  comment (``shipped-hints``);
- dask's ``jupyter.passwordHint: "dask"`` beside ``password: "sha1:…"`` is the default password in
  plain text; a hint with no password beside it, or written as a sentence, is not;
- eks-workshop's carts ConfigMap ships ``AWS_SECRET_ACCESS_KEY: secret``: a generic word naming a
  credential, under a key that holds one, is a shipped default (``stand-in-configmap``), and the
  word stays readable in ocisec's own text ("holds a plaintext secret");
- concourse's ``secrets.localUsers: "test:test"`` (a child of a ``secrets:`` block) rendered into
  the web Secret is OCI-SEC-103 at the value's line, by the same decision as OCI-SEC-101.
"""

from __future__ import annotations

from pathlib import Path

from helm_scan import FIX, _env  # noqa: F401  (_env: the shared autouse fixture)
from helm_scan import failed as _failed
from helm_scan import findings_by_address as _findings
from typer.testing import CliRunner

from scanner.checks.secrets import find_private_keys
from scanner.cli import app
from scanner.guards.secretnames import (
    is_secret_entry,
    is_secret_under,
    looks_like_credential,
    pem_body_elided,
)
from scanner.model import Finding, Status

runner = CliRunner()
CHART = FIX / "shipped-hints"
CONFIGMAPS = FIX / "stand-in-configmap"

# Not a key: lines of base64 letters written for this test.
_B64 = "MIIEpQIBAAKCAQEA0Zq7fI3n5Wk2Vb8Ry1Lm4Tq9Xs6Hc0Ud3Ge7Jk2Np5Rw8Yb1"


def _at(finding: Finding) -> tuple[str, int]:
    assert finding.location is not None
    return Path(finding.location.file).name, finding.location.start_line


def _line(path: Path, text: str) -> int:
    return next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if text in ln)


# --- 1. an elided PEM block in a comment (dragonfly) -----------------------------------------------
def _commented_block(*body: str) -> str:
    lines = ["key: \"\"", "# key: |", "#   -----BEGIN RSA PRIVATE KEY-----"]
    lines += [f"#   {b}" for b in body]
    return "\n".join([*lines, "#   -----END RSA PRIVATE KEY-----", ""])


def test_an_elided_pem_body_is_no_key():
    assert pem_body_elided(f"\n  {_B64}\n  ...\n  {_B64[:40]}==\n")
    assert pem_body_elided(f"\n{_B64[:30]}…\n")  # a truncated line
    assert pem_body_elided("\n<your private key>\n")
    assert pem_body_elided("\nXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n")  # karmada's placeholder
    assert not pem_body_elided(f"\n{_B64}\n{_B64}\n{_B64[:20]}==\n")
    # PEM headers of an encrypted key are no elision
    assert not pem_body_elided(f"\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0A1B\n\n{_B64}\n")


def test_a_commented_out_example_key_with_lines_left_out_is_not_reported():
    assert find_private_keys(_commented_block(_B64, "...", _B64[:40] + "==")) == []
    got = {(f.rule_id, *_at(f)) for f in _failed(CHART, "OCI-SEC-007")}
    assert got == set()  # the chart's commented, elided example


def test_a_complete_key_in_a_comment_is_still_key_material(tmp_path):
    """Decided: a whole key left in a comment is committed to the repository like any other."""
    text = _commented_block(_B64, _B64, _B64[:24] + "==")
    assert find_private_keys(text) == [3]
    chart = tmp_path / "chart"
    chart.mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: keyed\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text(text)
    got = [_at(f) for f in _failed(chart, "OCI-SEC-007")]
    assert got == [("values.yaml", 3)]


def test_the_value_decision_agrees_on_elided_blocks():
    elided = f"-----BEGIN RSA PRIVATE KEY-----\n{_B64}\n...\n-----END RSA PRIVATE KEY-----\n"
    whole = f"-----BEGIN RSA PRIVATE KEY-----\n{_B64}\n{_B64}\n-----END RSA PRIVATE KEY-----\n"
    assert not looks_like_credential(elided)
    assert looks_like_credential(whole)


# --- 2. a password hint that is the password (dask) -------------------------------------------------
def test_a_one_word_hint_beside_a_password_is_the_shipped_password():
    values = CHART / "values.yaml"
    got = {_at(f) for f in _failed(CHART, "OCI-SEC-101")}
    assert ("values.yaml", _line(values, "passwordHint: \"ocean\" #")) in got
    assert ("values.yaml", _line(values, "password: \"sha1:")) in got  # the hash, as before
    # no password beside it (`reporting`), or a sentence (`smtp`): text about a password
    lines = {line for _, line in got}
    assert _line(values, "reporting:") + 1 not in lines
    assert _line(values, "ask the platform team") not in lines


def test_the_hint_decision():
    siblings = ("password", "passwordHint")
    assert is_secret_entry("passwordHint", "dask", siblings)
    assert is_secret_entry("adminPasswordHint", "changeme", ("adminPassword", "adminPasswordHint"))
    assert not is_secret_entry("passwordHint", "dask")  # no password beside it
    assert not is_secret_entry("passwordHint", "dask", ("passwordHintEnabled",))
    assert not is_secret_entry("passwordHint", "the name of your first pet", siblings)
    assert not is_secret_entry("passwordHint", "{{ .Values.hint }}", siblings)
    assert not is_secret_entry("passwordHint", "true", siblings)
    # a long single word under a hint key beside no password is no longer read as a secret
    assert not is_secret_entry("passwordHint", "correcthorsebatterystaple")


def test_the_hint_is_never_printed():
    result = runner.invoke(app, ["scan", str(CHART), "--format", "json"])
    assert result.exit_code == 1, result.output
    assert "ocean" not in result.output


# --- 3. a generic word under an AWS secret key in a ConfigMap (eks-workshop) ------------------------
def test_a_generic_word_under_a_secret_key_in_a_configmap_is_a_shipped_default():
    got = {_at(f) for f in _failed(CONFIGMAPS, "OCI-SEC-104")}
    assert got == {("carts-configmap.yaml", _line(CONFIGMAPS / "carts-configmap.yaml", "AWS_SECRET_ACCESS"))}


def test_the_generic_word_decision():
    assert is_secret_entry("AWS_SECRET_ACCESS_KEY", "secret")
    assert is_secret_entry("apiKey", "changeme")
    assert is_secret_entry("client_secret", "password")
    assert not is_secret_entry("AWS_ACCESS_KEY_ID", "key")  # an id, a reference key
    assert not is_secret_entry("RETAIL_ORDERS_TOKEN_HEADER", "token")  # a setting
    assert not is_secret_entry("secretKey", "secret", ("secretName",))  # the key of that Secret
    # vault's `server.dev.devRootToken: "root"` (dev mode off): a short word that names no
    # credential stays under the eight-character rule
    assert not is_secret_entry("devRootToken", "root")


def test_the_word_stays_readable_in_ocisec_s_own_text_and_is_masked_as_a_value():
    result = runner.invoke(app, ["scan", str(CONFIGMAPS)])
    assert result.exit_code == 1, result.output
    assert "secret-like key: AWS_SECRET_ACCESS_KEY" in result.output
    assert "deliver them from OCI Vault as a Secret" in result.output
    assert 'AWS_SECRET_ACCESS_KEY: "***"' in result.output or "AWS_SECRET_ACCESS_KEY: ***" in result.output
    assert "AWS_SECRET_ACCESS_KEY: secret" not in result.output


# --- 4. a child of a `secrets:` block rendered into a Secret (concourse) ----------------------------
def test_a_login_pair_in_a_secrets_block_rendered_into_a_secret_is_found_at_the_value():
    values = CHART / "values.yaml"
    line = _line(values, "localUsers:")
    got = _findings(CHART, "OCI-SEC-103")
    base = got[("OCI-SEC-103", "labstack[base]")]
    assert base.status is Status.FAILED
    assert _at(base) == ("values.yaml", line)
    assert "secrets.localUsers in templates/web-secrets.yaml" in (base.message or "")
    # prod turns local auth off: the Secret renders no pair there
    assert got[("OCI-SEC-103", "labstack[prod]")].status is Status.PASSED
    assert ("values.yaml", line) in {_at(f) for f in _failed(CHART, "OCI-SEC-101")}


def test_the_secret_templates_and_the_values_walk_decide_alike():
    """One decision for a value and the key of the map it is in (``is_secret_under``)."""
    assert is_secret_under("secrets", "localUsers", "test:test")
    assert not is_secret_entry("localUsers", "test:test")  # the key alone names no secret
    assert not is_secret_under("web", "localUsers", "test:test")
    assert not is_secret_under("secrets", "create", "true")
    assert not is_secret_under("secrets", "annotations", "team-a")  # a setting key
    assert is_secret_under("salt", "value", "a-long-random-salt-value")


def test_a_long_variable_name_in_a_quoted_line_is_a_name_not_a_token():
    """The quoted lines around the finding keep the ConfigMap's keys: a name written in capitals
    is no token however long; a long random token beside it is still masked."""
    from scanner.workflow.snippets import _mask_token

    result = runner.invoke(app, ["scan", str(CONFIGMAPS)])
    assert "RETAIL_CART_PERSISTENCE_DYNAMODB_CREATE_TABLE" in result.output
    assert _mask_token("RETAIL_CART_PERSISTENCE_DYNAMODB_CREATE_TABLE") != "***"
    assert _mask_token("Q2hhbmdlTWVfVGhpc0lzQVRva2VuVmFsdWU1234") == "***"
    assert _mask_token("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345_ABCDEFG_HIJ") == "***"  # a part too long for a word
