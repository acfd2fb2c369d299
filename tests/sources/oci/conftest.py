"""Fixtures for live-audit tests: an RSA API key and OCI config file, and the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TENANCY_FIXTURE = ROOT / "fixtures" / "live" / "tenancy.json"


@pytest.fixture(scope="session")
def api_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """A fresh RSA key pair: the private key's file and the public key PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("oci") / "key.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    path.chmod(0o600)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return path, public


def write_config(
    directory: Path, key_file: Path, tenancy: str, region: str, profile: str = "DEFAULT"
) -> Path:
    """An OCI CLI config file with one profile."""
    config = directory / "config"
    config.write_text(
        f"[{profile}]\nuser=ocid1.user.oc1..aaaaaaaaauditor\nfingerprint=11:22:33:44:55:66:77:88:99:00:aa:bb:cc:dd:ee:ff\n"
        f"tenancy={tenancy}\nregion={region}\nkey_file={key_file}\n"
    )
    return config


@pytest.fixture
def tenancy_doc() -> dict:
    """The example bank tenancy inventory (a fresh copy per test)."""
    return json.loads(TENANCY_FIXTURE.read_text())


@pytest.fixture
def oci_config(tmp_path: Path, api_key: tuple[Path, bytes], tenancy_doc: dict) -> Path:
    """Config file for the example tenancy, signing with the session's key."""
    return write_config(tmp_path, api_key[0], tenancy_doc["tenancy_id"], tenancy_doc["home_region"])
