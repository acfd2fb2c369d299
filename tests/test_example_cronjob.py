"""examples/oke-audit-cronjob: the CronJob is valid and runs a read-only instance-principal audit
per fleet row; its Terraform (dynamic group, policy, bucket) scans clean with ocisec's own rules."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from scanner.cli import app
from scanner.model import Status
from scanner.workflow.scan import ScanOptions, run_scan

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "oke-audit-cronjob"
TERRAFORM = EXAMPLE / "terraform"
VAR_FILE = TERRAFORM / "example.tfvars"


def _docs() -> dict[str, dict]:
    docs = [d for d in yaml.safe_load_all((EXAMPLE / "k8s" / "cronjob.yaml").read_text()) if d]
    return {d["kind"]: d for d in docs}


def _script() -> str:
    container = _docs()["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["/bin/bash", "-c"]
    return container["args"][0]


def test_cronjob_parses_and_audits_with_instance_principal():
    docs = _docs()
    cron = docs["CronJob"]
    assert cron["apiVersion"] == "batch/v1"
    assert len(cron["spec"]["schedule"].split()) == 5
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    script = _script()
    joined = re.sub(r"\\\n\s*", " ", script)  # shell line continuations
    live = [line for line in joined.splitlines() if "ocisec audit" in line and "--from-snapshot" not in line]
    assert len(live) == 1  # collected once; the other formats are replayed from the snapshot
    call = live[0]
    assert "--auth instance_principal" in call and "--snapshot-out snapshot.json" in call
    assert "--format sarif" in call
    # SARIF, snapshot and HTML all reach the bucket
    assert "--format html --output report.html" in script
    assert re.search(r"for f in [^;]*snapshot\.json[^;]*audit\.sarif[^;]*report\.html", script)
    assert "oci os object put" in script and docs["CronJob"]["metadata"]["namespace"] == "ocisec"


def test_one_pod_per_fleet_row():
    docs = _docs()
    job = docs["CronJob"]["spec"]["jobTemplate"]["spec"]
    rows = [line.split() for line in docs["ConfigMap"]["data"]["fleet.txt"].splitlines() if line.strip()]
    assert job["completionMode"] == "Indexed"
    assert job["completions"] == len(rows) and all(len(r) == 3 for r in rows)
    assert all(r[1].startswith("ocid1.tenancy.") for r in rows)
    assert "JOB_COMPLETION_INDEX" in _script()


def test_pod_is_locked_down():
    pod = _docs()["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert "limits" in container["resources"]
    assert pod["nodeSelector"]  # pinned to the audit node pool that the dynamic group matches


def test_cronjob_script_is_valid_bash(tmp_path):
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    script = tmp_path / "audit.sh"
    script.write_text(_script())
    done = subprocess.run([bash, "-n", str(script)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_terraform_scans_clean_with_ocisec(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))
    res = CliRunner().invoke(app, ["scan", str(TERRAFORM), "--var-file", str(VAR_FILE), "--format", "json"])
    doc = json.loads(res.stdout)
    assert (doc["findings"], doc["errors"]) == ([], [])
    # The one thing this root cannot tell: its state bucket is the bootstrap stack's.
    assert [(u["rule_id"], u["resource"]["address"]) for u in doc["unknown"]] == [
        ("OCI-SUP-404", "terraform.backend")
    ]
    assert res.exit_code == 0
    # ...and the rules that matter here actually judged these resources (a clean scan of nothing
    # would pass too).
    result, _ = run_scan([TERRAFORM], ScanOptions(var_files=[VAR_FILE]))
    passed = {(f.rule_id, f.resource.address) for f in result.findings if f.status is Status.PASSED}
    for rule_id, address in [
        ("OCI-DAT-001", "oci_objectstorage_bucket.reports"),
        ("OCI-DAT-002", "oci_objectstorage_bucket.reports"),
        ("OCI-DAT-003", "oci_objectstorage_bucket.reports"),
        ("OCI-ENC-001", "oci_objectstorage_bucket.reports"),
        ("OCI-ROT-003", "oci_kms_key.reports"),
        ("OCI-IAM-003", "oci_identity_dynamic_group.ocisec_audit"),
        ("OCI-IAM-004", "oci_identity_policy.ocisec_audit"),
        ("OCI-IAM-001", "provider.oci"),
    ]:
        assert (rule_id, address) in passed, rule_id


def test_audit_policy_is_read_only():
    """No statement of the audit's policy grants more than inspect/read, except object writes
    confined to the reports bucket without delete."""
    text = (TERRAFORM / "main.tf").read_text()
    families = re.findall(
        r'^\s+"([a-z-]+)",$', text.split("audit_read_types = [", 1)[1].split("]", 1)[0], re.M
    )
    assert len(families) > 15 and "secret-bundles" not in families and "all-resources" not in families
    grants = re.findall(r"to (inspect|read|use|manage) ([a-z${}\-.]+) in", text)
    assert ("inspect", "all-resources") in grants
    for line in text.splitlines():
        if "dynamic-group" in line and " to manage " in line:
            assert "target.bucket.name" in line and "OBJECT_DELETE" not in line
        assert " to use " not in line or "dynamic-group" not in line


def test_terraform_is_formatted():
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("no terraform on PATH")
    done = subprocess.run(
        [terraform, "fmt", "-check", "-diff", str(TERRAFORM)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_cronjob_ocisec_commands_run(tmp_path, monkeypatch):
    """Every ocisec command line of the CronJob, as written, against the example tenancy snapshot:
    the collection step (with --from-snapshot added: no tenancy here), the offline replays and
    the diff. Catches option names or choices drifting away from the CLI."""
    import shlex

    pytest.importorskip("scanner.workflow.audit", reason="live audit (scanner.workflow.audit) not on this branch")
    snapshot = ROOT / "fixtures" / "live" / "tenancy.json"
    if not snapshot.is_file():
        pytest.skip("example tenancy snapshot not on this branch")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))
    env = {"TENANCY": "ocid1.tenancy.oc1..aaaaaaaabankexample", "REGION": "eu-frankfurt-1"}
    joined = re.sub(r"\\\n\s*", " ", _script())
    commands = [line.strip() for line in joined.splitlines() if line.strip().startswith("ocisec ")]
    assert len(commands) >= 5
    shutil.copy(snapshot, tmp_path / "snapshot.json")
    runner = CliRunner()
    for command in commands:
        argv = shlex.split(re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), m.group(0)), command))[1:]
        if argv[0] == "audit" and "--from-snapshot" not in argv:
            argv += ["--from-snapshot", str(snapshot)]  # stands in for the tenancy
        if argv[0] == "diff":
            shutil.copy(tmp_path / "result.json", tmp_path / "previous.json")
        res = runner.invoke(app, argv)
        assert res.exit_code in (0, 1), f"{command}: {res.output}"
    for name in ("audit.sarif", "result.json", "report.html", "diff.html", "diff.json"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert json.loads((tmp_path / "diff.json").read_text())["summary"]["new"] == 0


def test_whole_example_scans_clean_including_the_manifests():
    """Terraform and Kubernetes manifests together: no finding, no unknown, no error; and the
    CronJob itself is judged by the Kubernetes rules when this ocisec has them."""
    result, _ = run_scan([EXAMPLE], ScanOptions(var_files=[VAR_FILE]))
    assert [e.message for e in result.errors] == []
    not_passed = [(f.rule_id, f.resource.address) for f in result.findings if f.status is not Status.PASSED]
    assert not_passed == [("OCI-SUP-404", "terraform.backend")]  # its state bucket is declared elsewhere
    judged = {f.resource.kind for f in result.findings}
    if not any(kind.startswith("k8s.") for kind in judged):
        pytest.skip("no Kubernetes source on this branch")
    assert "k8s.CronJob" in judged
