"""Helpers shared by the live-audit tests (a module name of its own: conftest names clash)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# The API emulator lives in tests/emulator (it is not shipped): make ``tests.emulator`` importable
# however pytest was started.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
TENANCY_FIXTURE = ROOT / "fixtures" / "live" / "tenancy.json"


def write_config(
    directory: Path, key_file: Path, tenancy: str, region: str, profile: str = "DEFAULT"
) -> Path:
    """An OCI CLI config file with one profile."""
    config = directory / "config"
    config.write_text(
        f"[{profile}]\nuser=ocid1.user.oc1..aaaaaaaaauditor\n"
        "fingerprint=11:22:33:44:55:66:77:88:99:00:aa:bb:cc:dd:ee:ff\n"
        f"tenancy={tenancy}\nregion={region}\nkey_file={key_file}\n"
    )
    return config
