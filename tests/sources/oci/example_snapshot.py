"""Regenerate ``fixtures/live/example-snapshot.json``: what an audit through the real ``oci`` SDK
writes when the API emulator serves ``fixtures/live/tenancy.json`` (the emulator's input).

The example snapshot is the collector's output, never a copy of the emulator's input: a test
(``test_example_snapshot_is_regenerated_by_an_audit``) runs this and compares byte for byte.
The only rewrite is the emulator's address inside vaults' management endpoints (its port
changes per run)::

    .venv/bin/python tests/sources/oci/example_snapshot.py          # rewrite the fixture
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from live_helpers import ROOT, TENANCY_FIXTURE, write_config  # noqa: E402

EXAMPLE_SNAPSHOT = ROOT / "fixtures" / "live" / "example-snapshot.json"
STABLE_BASE = "http://oci-emulator.invalid"


def collect_example(inventory_path: Path = TENANCY_FIXTURE) -> str:
    """The snapshot text an audit of the emulated example tenancy writes."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from scanner.sources.oci.auth import make_session
    from scanner.sources.oci.collector import Collector
    from tests.emulator import OciEmulator

    doc = json.loads(inventory_path.read_text(encoding="utf-8"))
    at = datetime.fromisoformat(doc["collected_at"].replace("Z", "+00:00")).astimezone(UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with tempfile.TemporaryDirectory() as tmp:
        key_file = Path(tmp) / "key.pem"
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        config = write_config(Path(tmp), key_file, doc["tenancy_id"], doc["home_region"])
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        with OciEmulator(doc, public_key_pem=public, page_size=3) as emulator:
            session = make_session("api_key", config, None, emulator.endpoint)
            retry = {"max_attempts": 3, "base_sleep": 0.01, "max_wait": 0.05, "max_elapsed": 10}
            snapshot = Collector(session, concurrency=4, retry=retry, clock=lambda: at).collect()
            text = snapshot.dump().replace(emulator.base, STABLE_BASE)
            for domain_id, url in emulator.domain_urls.items():  # each identity domain's own host
                text = text.replace(url, f"{STABLE_BASE}/idcs/{domain_id}")
            return text


def main() -> int:
    """Rewrite the example snapshot."""
    EXAMPLE_SNAPSHOT.write_text(collect_example(), encoding="utf-8")
    print(f"wrote {EXAMPLE_SNAPSHOT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
