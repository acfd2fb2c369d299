"""The code-and-cloud benchmark's scaled inputs stay joinable (the script cannot silently rot)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from scanner.sources.oci.snapshot import load_snapshot
from scanner.workflow.audit import AuditOptions, audit_snapshot
from scanner.workflow.cloud import CodeAndCloud

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_code_and_cloud.py"


def test_every_copy_of_the_platform_is_managed_and_drifts(tmp_path: Path):
    spec = importlib.util.spec_from_file_location("bench_code_and_cloud", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    inventory, state = bench.scaled(3, tmp_path)
    cloud = CodeAndCloud([str(state)], bench.CODE)
    result = audit_snapshot(load_snapshot(inventory), AuditOptions(root=bench.ROOT, code_and_cloud=cloud))
    info = result.metadata["code_and_cloud"]
    assert info["managed"] == 3 * 24
    assert len(result.drift) == 3 * 2  # the two planted drifts, once per copy
