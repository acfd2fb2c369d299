#!/usr/bin/env python3
"""What the output safety net costs: every format rendered through ``scanner.report.render``
(secrets masked, names made one line with control and bidi characters escaped, CI command lines
defused) against the bare renderer on the same result, measured in the same run.

    python benchmarks/bench_escaping.py [--findings 20000] [--hostile 0.1] [--repeat 3]

``--hostile`` is the share of resources whose names carry line breaks, ``::`` commands, ANSI
escapes and bidi overrides (the rest are plain, the common case the fast paths are for).
Prints per format: bare seconds, safe seconds, ratio.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scanner.model import Finding, Location, Provenance, Resource, ScanResult, Status  # noqa: E402
from scanner.report import FORMATS, render  # noqa: E402
from scanner.workflow.scan import ScanOptions, run_scan  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "x\n::add-mask::m\n##[set-output name=a]b \x1b[31m\u202e`|<img>"


def build(findings: int, hostile: float) -> ScanResult:
    """A result with the real rules and ``findings`` failed findings on synthetic resources."""
    rules = run_scan([ROOT / "fixtures" / "rules" / "OCI-ENC-001" / "fail"], ScanOptions())[0].rules
    rng = random.Random(7)
    out = []
    for i in range(findings):
        rule = rules[i % len(rules)]
        name = f"b{i}" + (HOSTILE if rng.random() < hostile else "")
        loc = Location(f"mod{i % 50}/main.tf", 1 + i % 400, 3 + i % 400)
        address = f"oci_objectstorage_bucket.{name}"
        res = Resource("oci_objectstorage_bucket", address, {}, Provenance("terraform", loc))
        out.append(Finding(rule.id, Status.FAILED, res, f"{res.address} fails {rule.id}", loc, "kms_key_id"))
    return ScanResult(rules=rules, findings=out, errors=[], root=str(ROOT), inputs=["main.tf"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--findings", type=int, default=20000)
    parser.add_argument("--hostile", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    result = build(args.findings, args.hostile)
    print(f"{args.findings} findings, {args.hostile:.0%} with hostile names")
    print(f"{'format':<12} {'bare s':>8} {'safe s':>8} {'ratio':>6}")
    for fmt in FORMATS:
        renderer = FORMATS[fmt]
        bare = safe = float("inf")
        for _ in range(args.repeat):  # best of N, alternating: a shared machine is noisy
            start = time.perf_counter()
            renderer(result) if fmt != "text" else renderer(result, color=False, width=120)
            bare = min(bare, time.perf_counter() - start)
            start = time.perf_counter()
            render(result, fmt)
            safe = min(safe, time.perf_counter() - start)
        print(f"{fmt:<12} {bare:8.2f} {safe:8.2f} {safe / max(bare, 1e-9):6.2f}")


if __name__ == "__main__":
    main()
