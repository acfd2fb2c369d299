"""Unit tests for the PEM private key scan (OCI-SEC-007)."""

from __future__ import annotations

import base64
from pathlib import Path

from scanner.checks.secrets import find_private_keys, no_pem_private_key
from scanner.engine.registry import ResourceIndex
from scanner.model import Provenance, Resource

# Base64 of a plain sentence: looks like key material, decodes to nothing secret.
FAKE_BODY = base64.b64encode(b"ocisec test fixture, not a key. " * 4).decode()
FAKE_PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    + FAKE_BODY[:64]
    + "\n"
    + FAKE_BODY[64:]
    + "\n-----END RSA PRIVATE KEY-----\n"
)


def file_resource(path: Path) -> Resource:
    return Resource(
        kind="file",
        address=f"file.{path.name}",
        attributes={"path": path.name},
        provenance=Provenance(source="terraform"),
        context={"abs_path": str(path), "scope": str(path.parent)},
    )


def run(tmp_path: Path, name: str, text: str):
    target = tmp_path / name
    target.write_text(text)
    res = file_resource(target)
    return no_pem_private_key(res, ResourceIndex([res]), {})


def test_heredoc_key_reports_begin_line_and_no_material(tmp_path):
    text = "locals {\n  key = <<-EOT\n" + FAKE_PEM + "EOT\n}\n"
    out = run(tmp_path, "main.tf", text)
    assert out.result is False
    assert out.detail == "PEM private key block at line 3"
    assert (out.location.file, out.location.start_line, out.location.end_line) == ("main.tf", 3, 3)
    assert FAKE_BODY[:20] not in out.detail


def test_escaped_newlines_in_a_string_are_found(tmp_path):
    text = 'private_key = "-----BEGIN PRIVATE KEY-----\\n' + FAKE_BODY + '\\n-----END PRIVATE KEY-----"\n'
    out = run(tmp_path, "terraform.tfvars", "\n" + text)
    assert out.result is False
    assert out.detail == "PEM private key block at line 2"


def test_every_block_is_counted():
    text = FAKE_PEM + "\n\n" + FAKE_PEM.replace("RSA", "OPENSSH")
    assert find_private_keys(text) == [1, 7]


def test_placeholder_and_public_material_pass(tmp_path):
    text = (
        '# paste your key: "-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----"\n'
        'ssh = "-----BEGIN PUBLIC KEY-----\\n' + FAKE_BODY + '\\n-----END PUBLIC KEY-----"\n'
        'key_file = "~/.oci/oci_api_key.pem"\n'
    )
    assert run(tmp_path, "main.tf", text).result is True


def test_unreadable_file_is_unknown(tmp_path):
    res = file_resource(tmp_path / "gone.tf")
    assert no_pem_private_key(res, ResourceIndex([res]), {}).result is None
