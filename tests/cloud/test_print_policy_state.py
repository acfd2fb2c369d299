"""``ocisec audit --print-policy --state oci://NS/BUCKET/KEY``: reading a Terraform state from
Object Storage needs ``read objects`` on that bucket, and the printed policy grants exactly that
(on that bucket alone). Proven against the emulator, which enforces the printed statements."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from scanner.cli import app
from scanner.sources.oci.auditor_policy import auditor_statements
from tests.cloud.test_code_and_cloud_live import ROOT, config_for, key_pair, platform_tenancy  # noqa: F401
from tests.emulator import OciEmulator

REMOTE = "oci://bankns/tfstate/platform/prod.tfstate"
OBJECTS = "Allow group Auditors to read objects in tenancy where target.bucket.name = 'tfstate'"


def _printed(*args: str) -> list[str]:
    res = CliRunner().invoke(app, ["audit", "--print-policy", "--policy-subject", "group Auditors", *args])
    assert res.exit_code == 0, res.output
    return res.stdout.splitlines()


def test_a_remote_state_adds_read_objects_on_its_bucket_only():
    base = auditor_statements("group Auditors")
    assert _printed() == base  # no --state: nothing about objects (the CronJob's policy)
    assert _printed("--state", str(ROOT / "fixtures" / "cloud" / "platform" / "state")) == base  # local
    with_state = _printed("--state", REMOTE, "--state", "oci://bankns/tfstate/other.tfstate")
    assert with_state == [*base, OBJECTS]  # one statement per bucket
    two = _printed("--state", REMOTE, "--state", "oci://bankns/tfstate-dr/prod.tfstate")
    assert two[len(base) :] == [OBJECTS, OBJECTS.replace("'tfstate'", "'tfstate-dr'")]


def test_a_malformed_remote_state_is_a_usage_error_naming_it():
    res = CliRunner().invoke(app, ["audit", "--print-policy", "--state", "oci://bankns/bad'name/x"])
    assert res.exit_code == 2
    assert "oci://bankns/bad'name/x" in res.output and "Allow" not in res.stdout


def _audit(tmp_path, key_pair, policy: list[str]):  # noqa: F811
    doc = platform_tenancy()
    config = config_for(tmp_path, key_pair[0], doc)
    with OciEmulator(doc, public_key_pem=key_pair[1], policy=policy) as emu:
        res = CliRunner().invoke(app, [
            "audit", "--config-file", str(config), "--service-endpoint", emu.endpoint,
            "--region", "eu-frankfurt-1", "--state", REMOTE, "--format", "json",
        ])
        gets = [r.status for r in emu.requests if "/o/" in r.path]
    return res, gets


def test_the_printed_policy_reads_the_remote_state(tmp_path, key_pair, monkeypatch):  # noqa: F811
    monkeypatch.chdir(ROOT)
    printed = _printed("--state", REMOTE)
    res, gets = _audit(tmp_path, key_pair, printed)
    assert gets == [200]
    errors = json.loads(res.stdout)["errors"]
    state_errors = [e for e in errors if str(e.get("path", "")).startswith("oci://")]
    assert [e["level"] for e in state_errors] == ["note"], errors  # "give --code": read, not refused
    assert res.exit_code == 1  # findings, no input error
    # The same policy for another bucket does not read this one: the condition binds the bucket.
    other = [*printed[:-1], OBJECTS.replace("'tfstate'", "'elsewhere'")]
    res, gets = _audit(tmp_path, key_pair, other)
    assert gets == [404] and res.exit_code == 2
