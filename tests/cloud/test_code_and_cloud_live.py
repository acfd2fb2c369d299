"""An emulator-backed audit of the example platform with its state, local and in a bucket
(``--state oci://NAMESPACE/BUCKET/KEY``, one GetObject through the audit's read-only session)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the emulator lives in tests/emulator and is not shipped
    sys.path.insert(0, str(ROOT))

from scanner.cli import app  # noqa: E402
from tests.emulator import OciEmulator  # noqa: E402

PLATFORM = ROOT / "fixtures" / "cloud" / "platform"
STATE = PLATFORM / "state" / "terraform.tfstate"
COMPLIANT = ROOT / "fixtures" / "platform" / "compliant"


@pytest.fixture(scope="module")
def key_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("oci") / "key.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return path, public


def platform_tenancy() -> dict:
    """The platform's live inventory plus a bucket holding its state object."""
    doc = json.loads((PLATFORM / "live" / "tenancy.json").read_text())
    doc["resources"].append({"type": "object_storage.Bucket", "region": "eu-frankfurt-1", "data": {
        "compartment_id": "ocid1.compartment.oc1..aaaaaaaasecurity", "id": "ocid1.bucket.oc1.eu-frankfurt-1.aaaaaaaatfstate",
        "name": "tfstate", "namespace": "bankns", "kms_key_id": "ocid1.key.oc1.eu-frankfurt-1.aaaaaaaasecrets",
        "object_events_enabled": True, "public_access_type": "NoPublicAccess", "versioning": "Enabled",
        "storage_tier": "Standard", "time_created": "2026-01-10T08:00:00+00:00"}})
    doc["objects"] = {"tfstate": {"platform/prod.tfstate": STATE.read_text()}}
    return doc


def config_for(tmp_path: Path, key: Path, doc: dict) -> Path:
    config = tmp_path / "config"
    config.write_text(f"[DEFAULT]\nuser=ocid1.user.oc1..aaaaaaaaauditor\n"
                      "fingerprint=11:22:33:44:55:66:77:88:99:00:aa:bb:cc:dd:ee:ff\n"
                      f"tenancy={doc['tenancy_id']}\nregion={doc['home_region']}\nkey_file={key}\n")
    return config


@pytest.mark.parametrize("state", ["local", "remote"])
def test_live_audit_of_the_platform_with_its_state_lands_on_tf_lines(state, tmp_path, key_pair, monkeypatch):
    monkeypatch.chdir(ROOT)
    doc = platform_tenancy()
    config = config_for(tmp_path, key_pair[0], doc)
    where = str(STATE) if state == "local" else "oci://bankns/tfstate/platform/prod.tfstate"
    with OciEmulator(doc, public_key_pem=key_pair[1]) as emu:
        res = CliRunner().invoke(app, [
            "audit", "--config-file", str(config), "--service-endpoint", emu.endpoint, "--region", "eu-frankfurt-1",
            "--state", where, "--code", str(COMPLIANT), "--format", "sarif", "--output", str(tmp_path / "a.sarif"),
            "--snapshot-out", str(tmp_path / "inventory.json"),
        ])
        assert emu.writes() == []
        gets = [r for r in emu.requests if "/o/" in r.path]
    assert res.exit_code == 1, res.output
    assert len(gets) == (1 if state == "remote" else 0)
    if gets:
        assert gets[0].method == "GET" and gets[0].status == 200
    run = json.loads((tmp_path / "a.sarif").read_text())["runs"][0]
    drift = {r["ruleId"]: r for r in run["results"] if r["properties"].get("drift")}
    assert set(drift) == {"OCI-DAT-001", "OCI-HA-001"}
    uri = drift["OCI-DAT-001"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "fixtures/platform/compliant/modules/data/storage.tf"
    assert "adhoc-exports" in {u["name"] for u in run["properties"]["unmanaged"]}
    # The state bucket itself is not managed by this state: it is in the inventory, unmanaged.
    assert "tfstate" in {u["name"] for u in run["properties"]["unmanaged"]}
    for written in ("a.sarif", "inventory.json"):  # nothing of the state reaches a report or the snapshot
        text = (tmp_path / written).read_text()
        assert "PLANTED" not in text and "Adm1n" not in text and "UExBTlRFRC" not in text


def test_a_missing_or_forbidden_remote_state_is_an_input_error(tmp_path, key_pair, monkeypatch):
    monkeypatch.chdir(ROOT)
    doc = platform_tenancy()
    config = config_for(tmp_path, key_pair[0], doc)
    with OciEmulator(doc, public_key_pem=key_pair[1]) as emu:
        res = CliRunner().invoke(app, [
            "audit", "--config-file", str(config), "--service-endpoint", emu.endpoint, "--region", "eu-frankfurt-1",
            "--state", "oci://bankns/tfstate/platform/missing.tfstate", "--format", "json",
        ])
    assert res.exit_code == 2
    errors = json.loads(res.stdout)["errors"]
    assert any(e["path"] == "oci://bankns/tfstate/platform/missing.tfstate" and "404" in e["message"] for e in errors)


def test_reading_the_remote_state_needs_read_objects(tmp_path, key_pair, monkeypatch):
    """The auditor policy that lets the audit read the tenancy does not by itself read objects:
    without ``read objects`` on the state's bucket the GetObject is refused (404, as the service
    answers), and the audit says so for that state and goes on."""
    monkeypatch.chdir(ROOT)
    doc = platform_tenancy()
    config = config_for(tmp_path, key_pair[0], doc)
    inspect_only = ["Allow group Auditors to inspect all-resources in tenancy",
                    "Allow group Auditors to read buckets in tenancy"]
    with OciEmulator(doc, public_key_pem=key_pair[1], policy=inspect_only) as emu:
        res = CliRunner().invoke(app, [
            "audit", "--config-file", str(config), "--service-endpoint", emu.endpoint, "--region", "eu-frankfurt-1",
            "--state", "oci://bankns/tfstate/platform/prod.tfstate", "--format", "json",
        ])
        gets = [r for r in emu.requests if "/o/" in r.path]
    assert [g.status for g in gets] == [404]
    assert res.exit_code == 2
    errors = json.loads(res.stdout)["errors"]
    assert any(e["path"].startswith("oci://bankns/tfstate/") and "404" in e["message"] for e in errors)
