"""Fixtures for live-audit tests: an RSA API key and OCI config file, and the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from live_helpers import TENANCY_FIXTURE, write_config


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


@pytest.fixture
def tenancy_doc() -> dict:
    """The example bank tenancy inventory (a fresh copy per test)."""
    return json.loads(TENANCY_FIXTURE.read_text())


@pytest.fixture
def oci_config(tmp_path: Path, api_key: tuple[Path, bytes], tenancy_doc: dict) -> Path:
    """Config file for the example tenancy, signing with the session's key."""
    return write_config(tmp_path, api_key[0], tenancy_doc["tenancy_id"], tenancy_doc["home_region"])
