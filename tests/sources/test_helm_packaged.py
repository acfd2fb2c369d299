"""Packaged subcharts (``charts/*.tgz``) are read exactly like vendored subchart directories, and
a hostile archive is refused with an input error naming it and its member while the rest of the
scan goes on (issue 17; docs/helm-kubernetes.md "Packaged subcharts")."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.guards.limits import LIMITS
from scanner.guards.safe_archive import ArchiveError, unpack_chart_archive
from scanner.model import Status
from scanner.sources.helm.packaged import version_accepts
from scanner.workflow.scan import ScanOptions, run_scan
from tests.sources.chart_archives import FIXTURE_ARCHIVES, MINIO, etcd_archive, tgz
from tests.sources.helm_scan import _env, findings_by_address  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
MILVUS = ROOT / "fixtures" / "helm" / "packaged-subcharts"
APISIX = ROOT / "fixtures" / "helm" / "packaged-etcd"
ARCHIVE = "fixtures/helm/packaged-subcharts/charts/minio-8.0.17.tgz"


def _where(f) -> str:
    return f"{f.location.file}:{f.location.start_line}"


def test_committed_archives_are_what_the_specs_build():
    # The fixtures' .tgz files are binary: their sources are the specs in chart_archives.py
    for path, build in FIXTURE_ARCHIVES.items():
        assert path.read_bytes() == build(), f"{path.name}: rebuild with write_fixture_archives()"


# --- milvus: the parent switches off the archive's anti-affinity and PDB; the archive's Secret
# renders the parent's minio.secretKey


def test_parent_switches_off_the_archive_spread_and_budget():
    found = findings_by_address(MILVUS, "OCI-HA-102", "OCI-HA-103")
    spread = found[("OCI-HA-102", "vectordb/minio[base]")]
    assert spread.status is Status.FAILED
    # no spread at all: at the replica count, which only the archive's defaults hold
    assert _where(spread) == f"{ARCHIVE}/minio/values.yaml:3"
    budget = found[("OCI-HA-103", "vectordb/minio[base]")]
    assert budget.status is Status.FAILED
    # the parent's switch: its `enabled: false` line (12), not the `podDisruptionBudget:` map (11)
    assert _where(budget) == "fixtures/helm/packaged-subcharts/values.yaml:12"
    # prod leaves the archive's zone anti-affinity and budget on
    # (the zone anti-affinity the archive's template writes is not failed)
    prod = found.get(("OCI-HA-102", "vectordb/minio[prod]"))
    assert prod is None or prod.status is not Status.FAILED
    assert found[("OCI-HA-103", "vectordb/minio[prod]")].status is Status.PASSED


def test_archive_secret_template_renders_the_parents_secret_key():
    found = findings_by_address(MILVUS, "OCI-SEC-103")
    secret = found[("OCI-SEC-103", "vectordb/minio[base]")]
    assert secret.status is Status.FAILED
    assert _where(secret) == "fixtures/helm/packaged-subcharts/values.yaml:6"
    assert "secretKey in templates/secrets.yaml" in secret.message  # the subchart's template
    # prod names an existing Secret: the template renders nothing
    assert found[("OCI-SEC-103", "vectordb/minio[prod]")].status is not Status.FAILED


def test_missing_dependency_is_one_note_unless_switched_off():
    result, _ = run_scan([MILVUS], ScanOptions(cache_dir=None))
    notes = [e for e in result.errors if "not under charts/" in e.message]
    assert len(notes) == 1
    assert notes[0].level == "note"
    assert notes[0].path == "fixtures/helm/packaged-subcharts/Chart.yaml"
    assert "'redis'" in notes[0].message and "helm dependency build" in notes[0].message
    assert "kafka" not in notes[0].message  # kafka.enabled: false
    assert not [e for e in result.errors if e.level == "error"]


# --- apisix: bitnami etcd with a soft hostname anti-affinity preset, replicaCount 3 set by the parent


def test_soft_hostname_preset_fails_at_the_parents_replica_count():
    found = findings_by_address(APISIX, "OCI-HA-102", "OCI-HA-103", "OCI-HA-101")
    spread = found[("OCI-HA-102", "gateway/etcd[base]")]
    assert spread.status is Status.FAILED
    assert _where(spread) == "fixtures/helm/packaged-etcd/values.yaml:4"
    assert "kubernetes.io/hostname" in spread.message
    assert found[("OCI-HA-102", "gateway/etcd[prod]")].status is Status.PASSED  # zone anti-affinity
    assert found[("OCI-HA-101", "gateway/etcd[base]")].status is Status.PASSED  # three members
    # the archive's own budget: minAvailable 51% of 3 lets one member drain at a time
    assert found[("OCI-HA-103", "gateway/etcd[base]")].status is Status.PASSED


def test_nested_archive_is_unpacked_under_its_own_path():
    directory = unpack_chart_archive(APISIX / "charts" / "etcd-12.0.18.tgz")
    nested = directory / "etcd" / "charts" / "common-2.31.3.tgz" / "common" / "Chart.yaml"
    assert nested.is_file()
    assert "name: common" in nested.read_text()


# --- exactly as a vendored directory


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _outcomes(path: Path, strip: str) -> set[tuple]:
    result, _ = run_scan([path], ScanOptions(cache_dir=None))
    return {
        (f.rule_id, f.resource.address, f.status.value, _where(f).replace(strip, "") if f.location else None)
        for f in result.findings
        if f.resource.kind != "file"
    }


def test_archive_reads_exactly_like_the_same_chart_vendored(tmp_path):
    packaged = _copy(MILVUS, tmp_path / "packaged")
    vendored = _copy(MILVUS, tmp_path / "vendored")
    (vendored / "charts" / "minio-8.0.17.tgz").unlink()
    for name, text in MINIO.items():
        (vendored / "charts" / name).parent.mkdir(parents=True, exist_ok=True)
        (vendored / "charts" / name).write_text(text)
    as_archive = _outcomes(packaged, "minio-8.0.17.tgz/")
    as_directory = _outcomes(vendored, "")
    assert as_archive == as_directory
    assert ("OCI-SEC-103", "vectordb/minio[base]", "failed", "values.yaml:6") in as_archive
    assert ("OCI-HA-102", "vectordb/minio[base]", "failed", "charts/minio/values.yaml:3") in as_archive


def test_name_comes_from_the_chart_inside_not_the_file_name(tmp_path):
    chart = _copy(MILVUS, tmp_path / "vectordb")
    (chart / "charts" / "minio-8.0.17.tgz").rename(chart / "charts" / "objstore-latest.tgz")
    found = findings_by_address(chart, "OCI-SEC-103")
    secret = found[("OCI-SEC-103", "vectordb/minio[base]")]
    assert secret.status is Status.FAILED
    spread = findings_by_address(chart, "OCI-HA-102")[("OCI-HA-102", "vectordb/minio[base]")]
    assert _where(spread) == "charts/objstore-latest.tgz/minio/values.yaml:3"


def test_version_the_dependency_does_not_accept_is_rendered_under_its_own_name(tmp_path):
    chart = _copy(MILVUS, tmp_path / "vectordb")
    meta = (chart / "Chart.yaml").read_text()
    meta = meta.replace(
        '  - name: minio\n    version: "8.0.17"', '  - name: minio\n    alias: objstore\n    version: "9.x"'
    )
    (chart / "Chart.yaml").write_text(meta)
    result, _ = run_scan([chart], ScanOptions(cache_dir=None))
    addresses = {f.resource.address for f in result.findings}
    # helm keeps an archive that matches no declaration under its own name, values under `minio:`
    assert "vectordb/minio[base]" in addresses
    assert not any(a.startswith("vectordb/objstore") for a in addresses)
    notes = [e for e in result.errors if e.level == "note" and "9.x" in e.message]
    assert len(notes) == 1 and "8.0.17" in notes[0].message and notes[0].path.endswith("minio-8.0.17.tgz")


def test_an_archive_of_another_version_goes_with_its_switched_off_dependency(tmp_path):
    # k8sgpt-operator ships interplex 0.0.11 while Chart.yaml asks for 1.1.0 with
    # `condition: interplex.enabled`: helm drops every chart named like a disabled dependency
    chart = _copy(MILVUS, tmp_path / "vectordb")
    meta = (chart / "Chart.yaml").read_text()
    (chart / "Chart.yaml").write_text(
        meta.replace('  - name: minio\n    version: "8.0.17"', '  - name: minio\n    version: "9.x"')
    )
    values = chart / "values.yaml"
    on = "minio:\n  enabled: true\n"
    assert on in values.read_text()
    values.write_text(values.read_text().replace(on, "minio:\n  enabled: false\n", 1))
    result, _ = run_scan([chart], ScanOptions(cache_dir=None))
    assert not any(f.resource.address.startswith("vectordb/minio") for f in result.findings)
    notes = [e for e in result.errors if e.level == "note" and "9.x" in e.message]
    assert len(notes) == 1 and "while the dependency's condition holds" in notes[0].message
    # switched on again, the archive renders under its own name
    values.write_text(values.read_text().replace("minio:\n  enabled: false\n", on, 1))
    result, _ = run_scan([chart], ScanOptions(cache_dir=None))
    assert any(f.resource.address == "vectordb/minio[base]" for f in result.findings)


@pytest.mark.parametrize(
    ("constraint", "version", "accepted"),
    [
        ("8.0.17", "8.0.17", True),
        ("8.0.17", "8.0.18", False),
        ("~8.0.1", "8.0.17", True),
        ("^12.0.0", "12.9.1", True),
        ("^12.0.0", "13.0.0", False),
        ("2.x.x", "2.31.3", True),
        ("2.x.x", "3.0.0", False),
        (">=1.0.0, <2.0.0", "1.5.0", True),
        (">=1.0.0 <2.0.0", "2.0.0", False),
        ("1.0.0 - 1.4.0", "1.4.0", True),
        ("<1 || >=3", "2.0.0", False),
        (None, "1.0.0", True),
    ],
)
def test_version_ranges(constraint, version, accepted):
    assert version_accepts(constraint, version) is accepted


def test_directory_and_archive_of_one_chart_reads_the_directory_and_says_so(tmp_path):
    chart = _copy(MILVUS, tmp_path / "vectordb")
    for name, text in MINIO.items():
        target = chart / "charts" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        # the directory is the edited one: its secret template is gone
        if not name.endswith("secrets.yaml"):
            target.write_text(text)
    result, _ = run_scan([chart], ScanOptions(cache_dir=None))
    secrets = [f for f in result.findings if f.rule_id == "OCI-SEC-103" and f.status is Status.FAILED]
    assert not secrets
    notes = [e for e in result.errors if "both a directory" in e.message]
    assert len(notes) == 1 and notes[0].level == "note"
    assert notes[0].path.endswith("charts/minio-8.0.17.tgz")


# --- hostile archives: refused with the archive and the member named, the rest goes on


def _parent_with(tmp_path: Path, bad: bytes) -> Path:
    """A parent with its own finding (one replica), a good packaged minio and a bad archive."""
    chart = _copy(MILVUS, tmp_path / "vectordb")
    (chart / "values.yaml").write_text((chart / "values.yaml").read_text() + "replicaCount: 1\n")
    (chart / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: {{ .Values.replicaCount }}\n"
    )
    (chart / "charts" / "bad-1.0.0.tgz").write_bytes(bad)
    return chart


def _refused(tmp_path: Path, bad: bytes, *expected: str) -> str:
    chart = _parent_with(tmp_path, bad)
    result, _ = run_scan([chart], ScanOptions(cache_dir=None))
    errors = [e for e in result.errors if e.level == "error"]
    assert len(errors) == 1, errors
    assert errors[0].path == "charts/bad-1.0.0.tgz"  # relative to the scanned chart
    for text in expected:
        assert text in errors[0].message
    failed = {(f.rule_id, f.resource.address) for f in result.findings if f.status is Status.FAILED}
    assert ("OCI-HA-101", "vectordb[base]") in failed  # the parent is still judged
    assert ("OCI-SEC-103", "vectordb/minio[base]") in failed  # and its good archive read
    assert not list(tmp_path.parent.glob("**/evil*"))
    return errors[0].message


def _chart(*extra) -> list:
    return [("bad/Chart.yaml", "name: bad\nversion: 1.0.0\n", "file"), *extra]


def test_traversal_is_refused(tmp_path):
    _refused(tmp_path, tgz(_chart(("bad/../../evil.yaml", "x: 1", "file"))), "'bad/../../evil.yaml'", "..")


def test_absolute_path_is_refused(tmp_path):
    _refused(tmp_path, tgz(_chart(("/tmp/evil.yaml", "x: 1", "file"))), "'/tmp/evil.yaml'", "absolute")


@pytest.mark.parametrize(
    ("kind", "words"),
    [("symlink", "symbolic link"), ("hardlink", "hard link"), ("fifo", "named pipe"), ("chr", "device")],
)
def test_links_and_devices_are_refused(tmp_path, kind, words):
    bad = tgz(_chart(("bad/values.yaml", "/etc/passwd", kind)))
    _refused(tmp_path, bad, "'bad/values.yaml'", words)


def test_duplicate_and_case_colliding_members_are_refused(tmp_path):
    twice = tgz(_chart(("bad/values.yaml", "a: 1", "file"), ("bad/values.yaml", "a: 2", "file")))
    _refused(tmp_path / "twice", twice, "'bad/values.yaml'", "appears twice")
    case = tgz(_chart(("bad/values.yaml", "a: 1", "file"), ("bad/Values.yaml", "a: 2", "file")))
    _refused(tmp_path / "case", case, "'bad/Values.yaml'", "differ only by case")


def test_corrupt_and_truncated_archives_are_input_errors(tmp_path):
    _refused(tmp_path / "junk", b"this is not gzip at all", "corrupt")
    whole = tgz(_chart(("bad/values.yaml", "x" * 5000, "file")), compresslevel=0)
    _refused(tmp_path / "cut", whole[: len(whole) // 2], "truncated")


def test_too_many_members_stop_at_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(LIMITS, "max_archive_members", 20)
    many = tgz(_chart(*[(f"bad/templates/t{i}.yaml", "", "file") for i in range(50)]))
    _refused(tmp_path, many, "max_archive_members")


def test_gzip_bomb_stops_at_the_cap_without_reading_it_all(tmp_path, monkeypatch):
    monkeypatch.setattr(LIMITS, "max_archive_unpacked_bytes", 2 * 1024 * 1024)
    # 40 files of 1 MiB of zeros: 40 MiB unpacked from a few tens of KiB
    bomb = tgz(_chart(*[(f"bad/files/z{i}", b"\0" * (1 << 20), "file") for i in range(40)]))
    assert len(bomb) < 200_000
    read = []
    original = gzip.GzipFile.read

    def counting(self, size=-1):
        chunk = original(self, size)
        read.append(len(chunk))
        return chunk

    monkeypatch.setattr(gzip.GzipFile, "read", counting)
    _refused(tmp_path, bomb, "max_archive_unpacked_bytes")
    assert sum(read) < 4 * 1024 * 1024  # stopped near the cap, far from the 40 MiB


def test_member_larger_than_a_file_may_be_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(LIMITS, "max_file_bytes", 64 * 1024)  # policies still fit
    _refused(
        tmp_path,
        tgz(_chart(("bad/values.yaml", "a" * 100_000, "file"))),
        "'bad/values.yaml'",
        "max_file_bytes",
    )


def test_deep_nesting_stops_at_the_depth_limit(tmp_path):
    inner = tgz({"d4/Chart.yaml": "name: d4\n"})
    for level in (3, 2):
        inner = tgz(
            [
                (f"d{level}/Chart.yaml", f"name: d{level}\n", "file"),
                (f"d{level}/charts/d{level + 1}.tgz", inner, "file"),
            ]
        )
    bad = tgz(_chart(("bad/charts/d2.tgz", inner, "file")))
    message = _refused(tmp_path, bad, "max_archive_depth")
    assert "bad/charts/d2.tgz/d2/charts/d3.tgz/d3/charts/d4.tgz" in message


def test_a_refused_nested_member_is_named_through_the_nesting(tmp_path):
    inner = tgz([("common/Chart.yaml", "name: common\n", "file"), ("common/../../x", "", "file")])
    bad = tgz(_chart(("bad/charts/common-1.0.0.tgz", inner, "file")))
    _refused(tmp_path, bad, "'bad/charts/common-1.0.0.tgz/common/../../x'")


def test_nothing_of_a_refused_archive_stays_on_disk(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    path = tmp_path / "bad.tgz"
    path.write_bytes(tgz(_chart(("bad/values.yaml", "a: 1", "file"), ("bad/x", "y", "symlink"))))
    with pytest.raises(ArchiveError) as caught:
        unpack_chart_archive(path)
    assert caught.value.member == "bad/x"
    assert not list(tmp_path.glob("ocisec-chart-*"))


def test_a_chart_without_archives_unpacks_nothing(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr("scanner.sources.helm.packaged.unpack_chart_archive", lambda p: calls.append(p))
    run_scan([ROOT / "fixtures" / "helm" / "umbrella"], ScanOptions(cache_dir=None))
    assert calls == []


# --- every reporter names the location inside the archive, never the private directory

FORMATS = ["text", "json", "junit", "sarif", "html", "github", "markdown", "gitlab-codequality"]


def _report(fmt: str, tmp_path: Path) -> str:
    from scanner.cli import app

    out = tmp_path / f"report.{fmt}"
    result = CliRunner().invoke(app, ["scan", str(MILVUS), "-o", f"{fmt}={out}"])
    assert result.exit_code == 1, result.output  # findings, and no input error
    return out.read_text()


@pytest.mark.parametrize("fmt", FORMATS)
def test_reporters_name_the_path_inside_the_archive(fmt, tmp_path):
    out = _report(fmt, tmp_path)
    assert "minio-8.0.17.tgz/minio/values.yaml" in out
    assert "ocisec-chart-" not in out  # the private directory never shows


def test_sarif_uri_is_relative_to_the_root(tmp_path):
    sarif = json.loads(_report("sarif", tmp_path))
    uris = [
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for run in sarif["runs"]
        for res in run["results"]
        for loc in res["locations"]
    ]
    inside = [u for u in uris if ".tgz/" in u]
    assert inside
    assert all(not u.startswith(("/", "file:")) and u.endswith("minio/values.yaml") for u in inside)


def test_etcd_fixture_archive_holds_the_nested_common_chart():
    names = tarfile.open(fileobj=io.BytesIO(etcd_archive())).getnames()
    assert "etcd/charts/common-2.31.3.tgz" in names


# --- two readings the archives showed, true of vendored directories too


def test_values_of_a_subchart_switched_off_stay_judged_with_the_parent(tmp_path):
    # zitadel (heldout13): postgresql.enabled: false, yet its password is shipped in the values
    chart = _copy(MILVUS, tmp_path / "vectordb")
    values = (
        (chart / "values.yaml").read_text().replace("minio:\n  enabled: true", "minio:\n  enabled: false")
    )
    (chart / "values.yaml").write_text(values)
    found = findings_by_address(chart, "OCI-SEC-101", "OCI-SEC-103")
    secret = found[("OCI-SEC-101", "vectordb[base]")]
    assert secret.status is Status.FAILED and _where(secret) == "values.yaml:6"
    assert ("OCI-SEC-103", "vectordb/minio[base]") not in found  # the archive renders nothing


def test_a_budget_template_switched_off_by_a_value_is_reported_at_that_value(tmp_path):
    # pulsar's zookeeper-pdb.yaml: `if .Values.zookeeper.pdb.usePolicy`, false in milvus's values
    from tests.sources.helm_scan import write_chart

    chart = write_chart(
        tmp_path,
        "streams",
        {
            "values.yaml": "zookeeper:\n  replicaCount: 3\n  budgetPolicy: false\n",
            "templates/zookeeper-statefulset.yaml": (
                "apiVersion: apps/v1\nkind: StatefulSet\nspec:\n"
                "  replicas: {{ .Values.zookeeper.replicaCount }}\n"
            ),
            "templates/zookeeper-pdb.yaml": (
                "{{- if .Values.zookeeper.budgetPolicy }}\napiVersion: policy/v1\n"
                "kind: PodDisruptionBudget\nspec:\n  maxUnavailable: 1\n{{- end }}\n"
            ),
        },
    )
    budget = [
        f for f in findings_by_address(chart, "OCI-HA-103").values() if "zookeeper" in f.resource.address
    ]
    assert len(budget) == 1 and budget[0].status is Status.FAILED
    assert _where(budget[0]) == "values.yaml:3"  # not the replica count (2)


METRICS = {
    "metrics/Chart.yaml": "apiVersion: v2\nname: metrics\nversion: 0.1.0\n",
    "metrics/values.yaml": "workers: 2\n",  # no key a values convention reads: only the template says
    "metrics/templates/deployment.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: {{ .Values.workers }}\n"
    ),
}
DB = {
    "db/Chart.yaml": (
        "apiVersion: v2\nname: db\nversion: 1.0.0\ndependencies:\n"
        "  - name: metrics\n    version: 0.1.x\n    condition: metrics.enabled\n"
    ),
    "db/values.yaml": "metrics:\n  enabled: true\n",
}


def _umbrella(tmp_path: Path, packaged: bool) -> Path:
    from tests.sources.helm_scan import write_chart

    chart = write_chart(
        tmp_path,
        "app",
        {
            "Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: db\n    version: 1.0.0\n",
            "values.yaml": "db:\n  metrics:\n    workers: 1\n",
            "values-prod.yaml": "db:\n  metrics:\n    enabled: false\n",
        },
    )
    if packaged:
        inner = tgz(METRICS)
        (chart / "charts").mkdir()
        (chart / "charts" / "db-1.0.0.tgz").write_bytes(
            tgz([*[(n, t, "file") for n, t in DB.items()], ("db/charts/metrics-0.1.0.tgz", inner, "file")])
        )
    else:
        for name, text in {**DB, **{f"db/charts/{n}": t for n, t in METRICS.items()}}.items():
            (chart / "charts" / name).parent.mkdir(parents=True, exist_ok=True)
            (chart / "charts" / name).write_text(text)
    return chart


@pytest.mark.parametrize("packaged", [True, False])
def test_a_subcharts_own_subcharts_get_their_values_through_it(tmp_path, packaged):
    # a packaged chart's own charts/ may hold more archives; a vendored directory more directories
    chart = _umbrella(tmp_path, packaged)
    found = findings_by_address(chart, "OCI-HA-101")
    single = found[("OCI-HA-101", "app/db/metrics[base]")]
    assert single.status is Status.FAILED
    assert _where(single) == "values.yaml:3"  # the parent's db.metrics.workers
    assert ("OCI-HA-101", "app/db/metrics[prod]") not in found  # switched off through db's condition
    result, _ = run_scan([chart], ScanOptions(cache_dir=None))
    assert not [e for e in result.errors if e.level == "error"]


def test_a_key_written_in_an_archive_template_is_found_at_its_path_inside(tmp_path):
    # a packaged subchart's templates are files of the chart, as a vendored directory's are
    pem = (ROOT / "fixtures" / "helm" / "chart-files" / "templates" / "tls-secret.yaml").read_text()
    chart = _copy(MILVUS, tmp_path / "vectordb")
    (chart / "charts" / "tls-0.1.0.tgz").write_bytes(
        tgz(
            {
                "tls/Chart.yaml": "apiVersion: v2\nname: tls\nversion: 0.1.0\n",
                "tls/templates/tls-secret.yaml": pem,
            }
        )
    )
    result, _ = run_scan([chart], ScanOptions(rule_ids=["OCI-SEC-007"], cache_dir=None))
    (key,) = [f for f in result.findings if f.status is Status.FAILED]
    assert key.location.file == "charts/tls-0.1.0.tgz/tls/templates/tls-secret.yaml"
    assert key.location.start_line == pem.splitlines().index("    -----BEGIN RSA PRIVATE KEY-----") + 1
    assert "charts/tls-0.1.0.tgz/tls/templates/tls-secret.yaml" in result.inputs


def test_a_refused_archive_exits_2_and_the_report_still_lists_the_rest(tmp_path):
    from scanner.cli import app

    chart = _parent_with(tmp_path, b"\x1f\x8b\x08\x00 truncated gzip")
    out = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["scan", str(chart), "-o", f"json={out}"])
    assert result.exit_code == 2
    report = json.loads(out.read_text())
    assert [e["path"] for e in report["errors"] if e["level"] == "error"] == ["charts/bad-1.0.0.tgz"]
    rules = {(f["rule_id"], f["status"]) for f in report["findings"]}
    assert ("OCI-SEC-103", "failed") in rules and ("OCI-HA-101", "failed") in rules


def test_bitnami_managed_password_renders_the_value_the_parent_provides():
    # bitnami's `common.secrets.passwords.manage` with "providedValues" (list "auth.rbac.rootPassword"):
    # the Secret holds the parent's value when it sets one (prod), a generated one otherwise (base)
    found = findings_by_address(APISIX, "OCI-SEC-103")
    prod = found[("OCI-SEC-103", "gateway/etcd[prod]")]
    assert prod.status is Status.FAILED
    assert _where(prod) == "fixtures/helm/packaged-etcd/values-prod.yaml:11"
    base = found.get(("OCI-SEC-103", "gateway/etcd[base]"))
    assert base is None or base.status is not Status.FAILED
