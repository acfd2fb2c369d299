"""Live audits through the real ``oci`` SDK against the loopback API emulator."""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from live_helpers import ROOT, TENANCY_FIXTURE, write_config
from typer.testing import CliRunner

from scanner.cli import app
from scanner.engine.policy import load_rules
from scanner.model import Status
from scanner.sources.oci import load_snapshot
from scanner.sources.oci.auth import make_session
from scanner.sources.oci.collector import Collector
from scanner.sources.oci.snapshot import snapshot_from_dict
from scanner.sources.oci.specs import SPECS
from scanner.workflow.audit import AuditOptions, audit_snapshot
from tests.emulator import Fault, OciEmulator

EXAMPLE_SNAPSHOT = ROOT / "fixtures" / "live" / "example-snapshot.json"
RULE_FIXTURES = ROOT / "fixtures" / "rules"
LIVE_RULES = sorted(r.id for r in load_rules()[0] if "live" in r.tags)
FAST_RETRY = {"max_attempts": 4, "base_sleep": 0.01, "max_wait": 0.05, "max_elapsed": 10}


def collect(emulator: OciEmulator, config: Path, at: datetime | None = None, **kwargs):
    """Collect through the SDK from ``emulator``; ``at`` fixes collected_at (ages)."""
    session = make_session("api_key", config, None, emulator.endpoint)
    session.timeout = kwargs.pop("timeout", (5.0, 10.0))
    clock = (lambda: at) if at else None
    return Collector(
        session, concurrency=kwargs.pop("concurrency", 8), retry=FAST_RETRY, clock=clock, **kwargs
    ).collect()


def outcomes(result) -> list[tuple[str, str, str]]:
    return sorted((f.rule_id, f.resource.address, f.status.value) for f in result.findings)


def at_of(doc: dict) -> datetime:
    return datetime.fromisoformat(doc["collected_at"].replace("Z", "+00:00")).astimezone(UTC)


def test_full_audit_of_the_example_tenancy_matches_the_example_snapshot(oci_config, tenancy_doc, api_key):
    with OciEmulator(tenancy_doc, public_key_pem=api_key[1], page_size=3) as emu:
        snapshot = collect(emu, oci_config, at_of(tenancy_doc))
        assert emu.writes() == []
        key_ids = {r.key_id for r in emu.requests}
        statuses = Counter(r.status for r in emu.requests)
    assert snapshot.errors == []
    # Every spec's type, and the identity-domain listings of the domains spec
    domain_lists = [rel.name for s in SPECS if s.scope == "domains" for rel in s.related]
    assert sorted(snapshot.collected) == sorted([s.type for s in SPECS] + domain_lists)
    assert len(snapshot.resources) == len(tenancy_doc["resources"])
    assert (
        snapshot.availability_domains["eu-frankfurt-1"]
        == tenancy_doc["regions"]["eu-frankfurt-1"]["availability_domains"]
    )
    # Every call was signed with the configured API key (and verified against its public key).
    assert key_ids == {
        f"{tenancy_doc['tenancy_id']}/ocid1.user.oc1..aaaaaaaaauditor/11:22:33:44:55:66:77:88:99:00:aa:bb:cc:dd:ee:ff"
    }
    assert set(statuses) == {200}
    live = audit_snapshot(snapshot, AuditOptions(root=ROOT))
    replay = audit_snapshot(load_snapshot(EXAMPLE_SNAPSHOT), AuditOptions(root=ROOT))
    assert outcomes(live) == outcomes(replay)
    failed = {f.rule_id for f in live.findings if f.status is Status.FAILED}
    # Shared rules apply to live objects unchanged, and live-only rules see real ages.
    assert {"OCI-ENC-001", "OCI-DAT-001", "OCI-HA-001", "OCI-ROT-003", "OCI-IAM-005"} <= failed
    assert {
        "OCI-ROT-201",
        "OCI-ROT-202",
        "OCI-ROT-203",
        "OCI-ROT-204",
        "OCI-ROT-205",
        "OCI-IAM-202",
    } <= failed
    assert live.metadata["tenancy_id"] == tenancy_doc["tenancy_id"]
    assert live.metadata["regions"] == ["eu-amsterdam-1", "eu-frankfurt-1"]


@pytest.mark.parametrize("rule_id", LIVE_RULES)
@pytest.mark.parametrize("kind", ["pass", "fail"])
def test_live_only_rules_through_the_sdk(rule_id, kind, tmp_path, api_key):
    doc = json.loads((RULE_FIXTURES / rule_id / kind / "snapshot.json").read_text())
    config = write_config(tmp_path, api_key[0], doc["tenancy_id"], doc["home_region"])
    with OciEmulator(doc) as emu:
        snapshot = collect(emu, config, at_of(doc))
        assert emu.writes() == []
    assert snapshot.errors == []
    result = audit_snapshot(snapshot, AuditOptions(rule_ids=[rule_id]))
    statuses = {f.status for f in result.findings}
    if kind == "pass":
        assert statuses == {Status.PASSED}, [(f.resource.address, f.message) for f in result.findings]
    else:
        assert Status.FAILED in statuses


def test_pagination_gives_the_same_inventory(oci_config, tenancy_doc):
    with OciEmulator(tenancy_doc, page_size=2) as emu:
        small = collect(emu, oci_config, at_of(tenancy_doc))
        paged = [r for r in emu.requests if "page" in r.query]
    with OciEmulator(tenancy_doc, page_size=1000) as emu:
        large = collect(emu, oci_config, at_of(tenancy_doc))
    assert paged, "the collector never followed opc-next-page"
    assert {r.path for r in paged} >= {"/20180409/resources", "/20160918/compartments", "/20160918/users"}
    assert _without_endpoints(small.to_dict()) == _without_endpoints(large.to_dict())


def _without_endpoints(doc: dict) -> dict:
    """The vault's management endpoint and identity domains' URLs name the emulator's ports,
    which differ per run."""
    for res in doc["resources"]:
        res["data"].pop("management_endpoint", None)
        if res["type"] == "identity.Domain":
            res["data"].pop("url", None)
            res["data"].pop("home_region_url", None)
    return doc


def test_recovers_from_429_500_and_stalls(oci_config, tenancy_doc):
    faults = [
        Fault("/20180409/resources", region="eu-frankfurt-1", status=429, retry_after=0.01, times=2),
        Fault("/20160918/volumes/", status=500, times=1),
        Fault("/20160918/users", status=503, times=1),
        Fault("/20160918/groups", stall=1.0, times=1),
    ]
    with OciEmulator(tenancy_doc, faults=faults) as emu:
        snapshot = collect(emu, oci_config, at_of(tenancy_doc), timeout=(2.0, 0.4))
        statuses = Counter(r.status for r in emu.requests)
    assert snapshot.errors == []
    assert [f.hits for f in faults] == [2, 1, 1, 1]
    assert statuses[429] == 2 and statuses[500] == 1 and statuses[503] == 1
    assert len(snapshot.resources) == len(tenancy_doc["resources"])
    assert "core.Volume" in snapshot.collected and "identity.Group" in snapshot.collected


def test_a_permanently_failing_region_is_reported_while_the_others_are_audited(
    oci_config, tenancy_doc, tmp_path
):
    faults = [Fault("", region="eu-amsterdam-1", status=500, times=None)]
    with OciEmulator(tenancy_doc, faults=faults) as emu:
        snapshot = collect(emu, oci_config, at_of(tenancy_doc))
        assert emu.writes() == []
    failed_ops = {(e.operation, e.region, e.status) for e in snapshot.errors}
    assert ("SearchResources", "eu-amsterdam-1", 500) in failed_ops
    assert ("ListAvailabilityDomains", "eu-amsterdam-1", 500) in failed_ops
    assert all(e.region == "eu-amsterdam-1" for e in snapshot.errors)
    # Search types are incomplete (they failed in one region); IAM, listed in the home region, is not.
    assert "object_storage.Bucket" not in snapshot.collected and "identity.Policy" in snapshot.collected
    assert {r.region for r in snapshot.resources} == {"eu-frankfurt-1"}
    path = tmp_path / "snapshot.json"
    snapshot.write(path)
    res = CliRunner().invoke(app, ["audit", "--from-snapshot", str(path), "--format", "sarif"])
    assert res.exit_code == 2
    run = json.loads(res.stdout)["runs"][0]
    assert run["invocations"][0]["executionSuccessful"] is False
    notes = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert any("oci:SearchResources eu-amsterdam-1" in n and "HTTP 500" in n for n in notes)
    assert any(r["ruleId"] == "OCI-ENC-001" for r in run["results"])  # Frankfurt still audited


def test_snapshot_round_trip_gives_the_same_findings(oci_config, tenancy_doc, tmp_path):
    with OciEmulator(tenancy_doc) as emu:
        snapshot = collect(emu, oci_config)  # the real clock: ages as of today
    live = audit_snapshot(snapshot, AuditOptions(root=tmp_path))
    path = tmp_path / "inventory.json"
    snapshot.write(path)
    replay = audit_snapshot(load_snapshot(path), AuditOptions(root=tmp_path))
    assert outcomes(live) == outcomes(replay)
    assert [f.message for f in live.findings] == [f.message for f in replay.findings]
    assert replay.metadata["collected_at"] == live.metadata["collected_at"]


def test_cli_audits_a_tenancy_and_writes_snapshot_and_sarif(oci_config, tenancy_doc, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with OciEmulator(tenancy_doc) as emu:
        res = CliRunner().invoke(
            app,
            [
                "audit",
                "--config-file",
                str(oci_config),
                "--service-endpoint",
                emu.endpoint,
                "--snapshot-out",
                "inventory.json",
                "--format",
                "sarif",
                "--output",
                "audit.sarif",
                "--region",
                "eu-frankfurt-1",
            ],
        )
        assert emu.writes() == []
        assert {r.region for r in emu.requests} == {"eu-frankfurt-1"}
    assert res.exit_code == 1, res.output
    snapshot = load_snapshot(tmp_path / "inventory.json")
    assert list(snapshot.regions) == ["eu-frankfurt-1"]
    sarif = json.loads((tmp_path / "audit.sarif").read_text())
    result = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "OCI-ENC-001")
    location = result["locations"][0]
    assert location["logicalLocations"][0]["fullyQualifiedName"].startswith("ocid1.bucket.")
    # named as a person knows it: compartment path and display name, collected through the SDK
    assert (
        location["logicalLocations"][0]["name"].startswith("platform/")
        and " · bucket " in (location["logicalLocations"][0]["name"])
    )
    physical = location["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "inventory.json"
    line = (tmp_path / "inventory.json").read_text().splitlines()[physical["region"]["startLine"] - 1]
    assert location["logicalLocations"][0]["fullyQualifiedName"] in line
    assert result["properties"]["region"] == "eu-frankfurt-1"
    assert result["properties"]["compartmentId"].startswith("ocid1.compartment.")
    import jsonschema

    schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)


def test_cli_auth_errors_are_one_line(tmp_path, api_key):
    runner = CliRunner()
    res = runner.invoke(app, ["audit", "--config-file", str(tmp_path / "missing")])
    assert res.exit_code == 2 and "config file" in res.output and "not found" in res.output
    config = write_config(tmp_path, api_key[0], "ocid1.tenancy.oc1..t", "eu-frankfurt-1")
    res = runner.invoke(app, ["audit", "--config-file", str(config), "--profile", "PROD"])
    assert res.exit_code == 2 and "no profile [PROD]" in res.output
    res = runner.invoke(app, ["audit", "--config-file", str(config)], env={"OCI_CLI_PROFILE": "STAGING"})
    assert res.exit_code == 2 and "[STAGING]" in res.output
    config.write_text(config.read_text().replace(str(api_key[0]), str(tmp_path / "nokey.pem")))
    res = runner.invoke(app, ["audit", "--config-file", str(config)])
    assert res.exit_code == 2 and "key_file" in res.output and "nokey.pem" in res.output
    for out in (res.output,):
        assert "Traceback" not in out and len(out.strip().splitlines()) == 1


def test_emulator_rejects_unsigned_calls_and_records_writes(tenancy_doc):
    with OciEmulator(tenancy_doc) as emu:
        url = emu.base + "/eu-frankfurt-1/20160918/users?compartmentId=x"
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(url)
        assert err.value.code == 401
        request = urllib.request.Request(
            emu.base + "/eu-frankfurt-1/20160918/users/u",
            method="DELETE",
            headers={"Authorization": 'Signature version="1",keyId="k",algorithm="rsa-sha256",signature="x"'},
        )
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(request)
        assert [(w.method, w.path) for w in emu.writes()] == [("DELETE", "/20160918/users/u")]


def test_a_type_not_collected_makes_dependent_rules_unknown():
    doc = json.loads(EXAMPLE_SNAPSHOT.read_text())
    doc["collected"] = [
        t for t in doc["collected"] if t not in ("identity.Policy", "cloud_guard.Configuration")
    ]
    doc["resources"] = [
        r for r in doc["resources"] if r["type"] not in ("identity.Policy", "cloud_guard.Configuration")
    ]
    result = audit_snapshot(snapshot_from_dict(doc))
    by_rule: dict[str, set[Status]] = {}
    for f in result.findings:
        by_rule.setdefault(f.rule_id, set()).add(f.status)
    for rule_id in ("OCI-IAM-002", "OCI-IAM-005", "OCI-IAM-201", "OCI-OPS-201", "OCI-IAM-003"):
        assert by_rule[rule_id] == {Status.UNKNOWN}, (rule_id, by_rule.get(rule_id))
    # Users without an API key still pass OCI-IAM-202; the administrator with one is unknown.
    assert Status.FAILED not in by_rule["OCI-IAM-202"] and Status.UNKNOWN in by_rule["OCI-IAM-202"]
    # Types that were collected are judged as before.
    assert Status.FAILED in by_rule["OCI-ENC-001"]


def test_ages_are_measured_against_collected_at_not_the_clock():
    doc = json.loads((RULE_FIXTURES / "OCI-ROT-204" / "pass" / "snapshot.json").read_text())
    fresh = audit_snapshot(snapshot_from_dict(doc), AuditOptions(rule_ids=["OCI-ROT-204"]))
    doc["collected_at"] = "2027-06-01T00:00:00Z"
    later = audit_snapshot(snapshot_from_dict(doc), AuditOptions(rule_ids=["OCI-ROT-204"]))
    assert {f.status for f in fresh.findings} == {Status.PASSED}
    assert {f.status for f in later.findings} == {Status.FAILED}
    assert (
        "day(s) old at 2027-06-01" in later.findings[0].message
        or later.findings[0].attribute == "time_created"
    )


def test_example_snapshot_is_what_the_collector_writes(oci_config, tenancy_doc, tmp_path):
    assert json.loads(TENANCY_FIXTURE.read_text())["format"] == "ocisec-inventory/1"
    res = CliRunner().invoke(app, ["audit", "--from-snapshot", str(EXAMPLE_SNAPSHOT), "--format", "json"])
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    assert doc["errors"] == []


def test_scan_and_replay_do_not_import_the_sdk():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from scanner.cli import app\n"
        f"CliRunner().invoke(app, ['scan', {str(ROOT / 'fixtures' / 'rules' / 'OCI-ENC-001' / 'fail')!r}])\n"
        f"CliRunner().invoke(app, ['audit', '--from-snapshot', {str(EXAMPLE_SNAPSHOT)!r}])\n"
        "print('oci' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_age_ops_need_a_reference_time():
    from scanner.engine.conditions import Evaluator
    from scanner.engine.registry import ResourceIndex
    from scanner.model import Provenance, Resource, Unknown

    cond = {"attr": "time_created", "op": "age_days_lte", "value": 90}
    ev = Evaluator({}, ResourceIndex([]))

    def judge(value, reference):
        context = {"reference_time": reference} if reference else {}
        return ev.run(
            cond, Resource("oci_identity_api_key", "k", {"time_created": value}, Provenance("oci"), context)
        ).result

    assert judge("2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z") is True
    assert judge("2026-01-01T00:00:00.123456789+00:00", "2026-06-01T00:00:00Z") is False
    assert judge("2026-01-01T00:00:00Z", None) is None  # code and plans: no reference time
    assert judge(Unknown("computed"), "2026-03-01T00:00:00Z") is None
    assert judge("yesterday", "2026-03-01T00:00:00Z") is False


def test_regions_in_worker_processes_give_the_same_snapshot(oci_config, tenancy_doc):
    with OciEmulator(tenancy_doc) as emu:
        spec = {
            "auth": "api_key",
            "config_file": oci_config,
            "profile": None,
            "service_endpoint": emu.endpoint,
        }
        session = make_session(**spec)
        at = at_of(tenancy_doc)
        threads = Collector(session, concurrency=4, clock=lambda: at).collect()
        spawned = Collector(
            make_session(**spec), concurrency=4, clock=lambda: at, processes=2, session_spec=spec
        ).collect()
        assert emu.writes() == []
    assert spawned.errors == []
    assert _without_endpoints(spawned.to_dict()) == _without_endpoints(threads.to_dict())


def test_credential_values_never_reach_the_snapshot(oci_config, tenancy_doc):
    user = next(
        r for r in tenancy_doc["resources"] if r["type"] == "identity.User" and r["related"]["auth_tokens"]
    )
    user["related"]["auth_tokens"][0]["token"] = "s3cr3t-auth-token-value"
    user["data"]["freeform_tags"] = {"key": "kept"}
    with OciEmulator(tenancy_doc) as emu:
        snapshot = collect(emu, oci_config, at_of(tenancy_doc))
    text = snapshot.dump()
    assert "s3cr3t-auth-token-value" not in text
    assert '"key": "kept"' in text


def test_multi_ad_rules_use_the_snapshots_availability_domains():
    doc = json.loads(EXAMPLE_SNAPSHOT.read_text())
    pool = next(
        r
        for r in doc["resources"]
        if r["type"] == "container_engine.NodePool" and r["data"]["name"] == "batch-workers"
    )
    # A region the rule's parameter table does not list: its AD count comes from the snapshot.
    doc["regions"]["xx-newregion-1"] = {
        "availability_domains": ["a:XX-NEWREGION-1-AD-1", "a:XX-NEWREGION-1-AD-2"]
    }
    pool["region"] = "xx-newregion-1"
    result = audit_snapshot(snapshot_from_dict(doc), AuditOptions(rule_ids=["OCI-HA-001"]))
    status = {f.resource.address: f.status for f in result.findings}
    assert status[pool["data"]["id"]] is Status.FAILED
    doc["regions"]["xx-newregion-1"]["availability_domains"] = ["a:XX-NEWREGION-1-AD-1"]
    result = audit_snapshot(snapshot_from_dict(doc), AuditOptions(rule_ids=["OCI-HA-001"]))
    status = {f.resource.address: f.status for f in result.findings}
    assert status[pool["data"]["id"]] is not Status.FAILED  # one AD: the fault domains decide
