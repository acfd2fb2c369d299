#!/usr/bin/env python3
"""Code-and-cloud benchmark: what ``ocisec audit --state --code`` costs over a plain audit.

The example platform's inventory (``fixtures/cloud/platform/live/tenancy.json``) is copied
``--copies`` times (default 200: about 5,000 live objects) with distinct OCIDs, and its state
likewise (every copy keeps the platform's addresses, so every live object is joined with the
configuration and judged for drift: the join's worst case). The script times, in the same run:

* the baseline: ``audit_snapshot`` of the inventory alone;
* the same audit with the state joined (state read, OCID -> address, unmanaged inventory);
* the same with ``--code fixtures/platform/compliant`` as well (the configuration evaluated once,
  findings moved onto .tf lines, drift worked out per managed object);

and prints each time with its ratio to the baseline, plus peak RSS. Targets: the state join
adds at most 50 % to the audit, state plus code at most 100 %.

Usage::

    python benchmarks/bench_code_and_cloud.py [--copies 200] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanner.sources.oci.snapshot import load_snapshot  # noqa: E402
from scanner.workflow.audit import AuditOptions, audit_snapshot  # noqa: E402
from scanner.workflow.cloud import CodeAndCloud  # noqa: E402

PLATFORM = ROOT / "fixtures" / "cloud" / "platform"
CODE = ROOT / "fixtures" / "platform" / "compliant"


def scaled(copies: int, directory: Path) -> tuple[Path, Path]:
    """An inventory and a state ``copies`` times the platform's, written under ``directory``."""
    doc = json.loads((PLATFORM / "live" / "tenancy.json").read_text())
    state = json.loads((PLATFORM / "state" / "terraform.tfstate").read_text())
    shared = ("identity.Compartment", "cloud_guard.Configuration")  # one per tenancy, not copied
    base = [r for r in doc["resources"] if r["type"] not in shared]
    keep = [r for r in doc["resources"] if r not in base]
    resources = list(keep)
    entries = []
    for n in range(copies):
        tag = f"c{n:05d}"
        resources += json.loads(json.dumps(base).replace("aaaaaaaa", f"aaaaaaaa{tag}"))
        # Every copy keeps the platform's addresses, so each live object is joined with the
        # configuration and judged for drift (the worst case for the join).
        entries += json.loads(json.dumps(state["resources"]).replace("aaaaaaaa", f"aaaaaaaa{tag}"))
    doc["resources"] = resources
    state["resources"] = entries
    inventory, state_file = directory / "tenancy.json", directory / "terraform.tfstate"
    inventory.write_text(json.dumps(doc))
    state_file.write_text(json.dumps(state))
    return inventory, state_file


def timed(fn, repeat: int) -> float:  # noqa: ANN001
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        inventory, state = scaled(args.copies, Path(tmp))
        snapshot = load_snapshot(inventory)
        objects = len(snapshot.resources)

        def plain() -> None:
            audit_snapshot(snapshot, AuditOptions(root=ROOT))

        def with_state() -> None:
            audit_snapshot(snapshot, AuditOptions(root=ROOT, code_and_cloud=CodeAndCloud([str(state)])))

        def with_code() -> None:
            cloud = CodeAndCloud([str(state)], CODE)
            result = audit_snapshot(snapshot, AuditOptions(root=ROOT, code_and_cloud=cloud))
            assert result.metadata["code_and_cloud"]["managed"] > 0

        plain()  # warm-up: rule loading and imports are not what is measured
        baseline = timed(plain, args.repeat)
        state_time = timed(with_state, args.repeat)
        code_time = timed(with_code, args.repeat)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = {
        "live_objects": objects,
        "baseline_s": round(baseline, 3),
        "with_state_s": round(state_time, 3),
        "with_state_ratio": round(state_time / baseline, 2),
        "with_state_and_code_s": round(code_time, 3),
        "with_state_and_code_ratio": round(code_time / baseline, 2),
        "peak_rss_mib": round(rss, 1),
        "targets": {"with_state_ratio": 1.5, "with_state_and_code_ratio": 2.0},
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{objects} live objects; audit alone {baseline:.2f} s (baseline)")
        print(f"  + state            {state_time:.2f} s  x{state_time / baseline:.2f}  (target <= x1.5)")
        print(f"  + state and code   {code_time:.2f} s  x{code_time / baseline:.2f}  (target <= x2.0)")
        print(f"  peak RSS {rss:.0f} MiB")
    ok = report["with_state_ratio"] <= 1.5 and report["with_state_and_code_ratio"] <= 2.0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
