"""Secrets never leave, whatever their length or characters; no control character reaches any
format (issue 6, §5)."""

from __future__ import annotations

import json
import xml.dom.minidom
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.report.redact import SENSITIVE_KEY, Redactor, clean_text, is_secret_name

runner = CliRunner()

CONFIG = r'''variable "db_password" {
  default   = "Pw1234"
  sensitive = true
}
variable "api_token" {
  default = "tökén\"Quote#77"
}
resource "oci_objectstorage_bucket" "fe" {
  for_each       = toset([var.db_password, var.api_token, "ok\u0001\u001b[31mred"])
  name           = each.key
  namespace      = "ns"
  compartment_id = "c"
  access_type    = "ObjectRead"
}
'''
LEAKS = ("Pw1234", "Quote#77", "t\\u00f6k", "tökén", "\x01", "\x1b")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "main.tf").write_text(CONFIG)
    return tmp_path


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit"])
def test_secret_instance_keys_and_control_characters_never_printed(config, fmt):
    res = runner.invoke(app, ["scan", str(config), "--no-cache", "--rule", "OCI-DAT-001", "-f", fmt])
    assert res.exit_code == 1
    for leak in LEAKS:
        assert leak not in res.stdout, (leak, fmt)
    if fmt == "junit":
        xml.dom.minidom.parseString(res.stdout.encode())  # valid XML
    if fmt == "json":
        addresses = {f["resource"]["address"] for f in json.loads(res.stdout)["findings"]}
        assert f'oci_objectstorage_bucket.fe["{SENSITIVE_KEY}"]' in addresses


def test_sarif_message_never_holds_masked_and_raw_address(config):
    res = runner.invoke(app, ["scan", str(config), "--no-cache", "--rule", "OCI-DAT-001", "-f", "sarif"])
    for result in json.loads(res.stdout)["runs"][0]["results"]:
        text = result["message"]["text"]
        address = result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        assert address in text and text.count("oci_objectstorage_bucket.fe") == 1


def test_short_secret_key_masked_but_not_elsewhere():
    r = Redactor()
    r.add_key("dev")
    assert r.mask_address('module.m["dev"].x.y["devops"]') == f'module.m["{SENSITIVE_KEY}"].x.y["devops"]'
    assert r.scrub("development") == "development"


def test_one_combined_matcher_masks_longest_first_over_thousands_of_secrets():
    secrets = [f"s3cr3t-{i:05d}" for i in range(3000)] + ["s3cr3t-00001-longer"]
    r = Redactor(secrets)
    text = " ".join(["s3cr3t-00001-longer", "s3cr3t-02999", '"s3cr3t-00042"', "nothing"])
    assert r.scrub(text) == '*** *** "***" nothing'
    assert r.scrub(json.dumps("tökén\"Quote")) == json.dumps("tökén\"Quote")  # not a secret
    r.add('tökén"Quote#77')
    assert "Quote" not in r.scrub(json.dumps('x tökén"Quote#77 y'))
    assert "Quote" not in r.scrub(json.dumps('x tökén"Quote#77 y', ensure_ascii=False))


def test_control_characters_are_shown_escaped():
    assert clean_text("a\x01b\x1b[31mc\td\ne\x9b") == "a\\u0001b\\u001b[31mc\td\ne\\u009b"


def test_secret_name_predicate_stays_importable():
    assert is_secret_name("admin_password") and not is_secret_name("vault_secret_id")
