"""Secrets never reach a report, in any format."""

from __future__ import annotations

import json

import pytest

from scanner.model import Provenance, Resource
from scanner.report import FORMATS, render
from scanner.report.redact import Redactor, secret_values


def test_scrub_masks_every_occurrence_and_ignores_short_values():
    redactor = Redactor()
    redactor.add("s3cr3t")
    redactor.add("abc")  # too short to mask without mangling the report
    assert redactor.scrub("a s3cr3t and s3cr3t abc") == "a *** and *** abc"


def test_scrub_masks_longest_secret_whole():
    redactor = Redactor(["token", "token-extended"])
    assert redactor.scrub("x token-extended y") == "x *** y"


def test_scrub_matches_escaped_forms():
    redactor = Redactor(['p"w<&>d'])
    assert redactor.scrub('{"m": "p\\"w<&>d"}') == '{"m": "***"}'
    assert redactor.scrub("<e message='p&quot;w&lt;&amp;&gt;d'/>") == "<e message='***'/>"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_planted_secret_absent_from_every_format(result, planted_secret, fmt):
    out = render(result, fmt)
    for form in (planted_secret, 'Hunter2-\\"planted\\"', "Hunter2-&quot;planted"):
        assert form not in out
    assert "var.db_password" in out  # the finding itself is still reported


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_extra_redactor_applies(result, fmt):
    assert "Oracle-managed" in render(result, fmt)
    assert "Oracle-managed" not in render(result, fmt, Redactor(["Oracle-managed"]))


def test_unknown_format_is_a_clear_error(result):
    with pytest.raises(ValueError, match="sarif"):
        render(result, "pdf")


def _resource(kind: str, attrs: dict) -> Resource:
    return Resource(
        kind=kind, address=f"{kind}.x", attributes=attrs, provenance=Provenance(source="terraform")
    )


def test_secret_values_of_resources():
    provider = _resource(
        "provider.oci",
        {"region": "eu-frankfurt-1", "private_key": "-----BEGIN KEY-----", "user_ocid": "ocid1.user"},
    )
    assert secret_values(provider) == ["-----BEGIN KEY-----"]
    vault_secret = _resource(
        "oci_vault_secret",
        {
            "secret_name": "db",
            "vault_id": "ocid1.vault",
            "secret_content": [{"content_type": "BASE64", "content": "c2VjcmV0"}],
        },
    )
    assert secret_values(vault_secret) == ["c2VjcmV0"]  # not its name, type or vault OCID
    db = _resource(
        "oci_database_autonomous_database", {"admin_password": "Passw0rd!", "secret_id": "ocid1.s"}
    )
    assert secret_values(db) == ["Passw0rd!"]


def test_secret_values_of_variables():
    sensitive = _resource("variable", {"name": "conn", "sensitive": True, "default": {"dsn": "x://u:pw@h"}})
    by_name = _resource("variable", {"name": "db_password", "value": "from-tfvars"})
    plain = _resource("variable", {"name": "region", "default": "eu-frankfurt-1"})
    assert secret_values(sensitive) == ["x://u:pw@h"]
    assert secret_values(by_name) == ["from-tfvars"]
    assert secret_values(plain) == []


def test_weak_found_secret_does_not_corrupt_output(make_scan):
    scan = make_scan(strict=True)
    scan.findings[3].resource.attributes["default"] = "true"
    scan.findings[3].message = "var.db_password is true"
    doc = json.loads(render(scan, "json"))  # `"strict": true` must survive the masking
    assert doc["strict"] is True
    assert [f["message"] for f in doc["findings"] if f["rule_id"] == "OCI-SEC-001"] == [
        "var.db_password is ***"
    ]


def test_values_the_source_marked_sensitive():
    planned = _resource("oci_core_instance", {"metadata": {"user_data": "c2VjcmV0"}})
    planned.context["sensitive_values"] = {"c2VjcmV0"}
    assert secret_values(planned) == ["c2VjcmV0"]
