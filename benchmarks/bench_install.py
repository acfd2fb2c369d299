#!/usr/bin/env python3
"""Install size and time of ocisec as users install it: the wheel into a clean venv.

Measured in one invocation:

* a **baseline**: an empty venv (``python -m venv``: the interpreter's links and pip), its size
  and the time to create it, so figures from a busy machine compare by ratio;
* **base**: ``pip install ocisec-*.whl`` (Terraform, plans, Helm, manifests, offline replays);
* **audit**: ``pip install "ocisec-*.whl[audit]"`` (adds the ``oci`` SDK for live audits).

The wheel is built once from this checkout (``pip wheel --no-deps``). Each variant installs into
a venv of its own with an **empty pip cache** (``PIP_CACHE_DIR`` in a temporary directory), so
every dependency is downloaded as on a fresh CI runner; ``--warm`` reuses one cache filled by an
untimed first install instead. Size is the venv's apparent size (every file's bytes) minus the
baseline venv's: what the install added. Targets (issue 16): base ≤ 60 MB and ≤ 15 s.

Usage::

    python benchmarks/bench_install.py            # cold: empty pip cache for each install
    python benchmarks/bench_install.py --warm --runs 3 --json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASE_TARGET_MB = 60.0
BASE_TARGET_SECONDS = 15.0
MB = 1_000_000


@dataclass
class Variant:
    """One install variant: its pip requirement and the measurements of every run."""

    name: str
    requirement: str
    seconds: list[float] = field(default_factory=list)
    bytes_added: list[int] = field(default_factory=list)
    packages: int = 0

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds)

    @property
    def median_mb(self) -> float:
        return statistics.median(self.bytes_added) / MB


def tree_bytes(path: Path) -> int:
    """Apparent size of every regular file under ``path`` (symlinks not followed, not counted)."""
    total = 0
    for dirpath, _dirnames, filenames in os.walk(path):
        for name in filenames:
            p = Path(dirpath) / name
            if not p.is_symlink():
                total += p.stat().st_size
    return total


def build_wheel(work: Path) -> Path:
    """The wheel of this checkout, built without dependencies into ``work``."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work), str(REPO)],
        check=True, capture_output=True,
    )
    (wheel,) = work.glob("ocisec-*.whl")
    return wheel


def make_venv(path: Path) -> float:
    """Create an empty venv at ``path``; the seconds it took."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, capture_output=True)
    return time.perf_counter() - start


def install(venv: Path, requirement: str, cache: Path) -> float:
    """``pip install requirement`` into ``venv`` with ``cache`` as pip's cache; the seconds it took."""
    env = {k: v for k, v in os.environ.items() if k not in ("PIP_NO_CACHE_DIR", "VIRTUAL_ENV", "PYTHONPATH")}
    env["PIP_CACHE_DIR"] = str(cache)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    start = time.perf_counter()
    proc = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", requirement],
                          env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:  # pip's own words, not a traceback of this script
        sys.exit(f"pip install {requirement} failed:\n{proc.stderr[-3000:]}")
    return seconds


def measure(runs: int, warm: bool) -> dict:
    """Every measurement of one invocation, as plain data."""
    with tempfile.TemporaryDirectory(prefix="ocisec-bench-install-") as tmp:
        work = Path(tmp)
        wheel = build_wheel(work / "dist")
        baseline_seconds, baseline_bytes = [], []
        variants = [Variant("base", str(wheel)), Variant("audit", f"{wheel}[audit]")]
        shared_cache = work / "pip-cache-warm"
        if warm:  # fill the cache once, untimed
            make_venv(work / "warmup")
            install(work / "warmup", variants[1].requirement, shared_cache)
        for i in range(runs):
            empty = work / f"empty-{i}"
            baseline_seconds.append(make_venv(empty))
            baseline_bytes.append(tree_bytes(empty))
            for variant in variants:
                venv = work / f"{variant.name}-{i}"
                make_venv(venv)
                cache = shared_cache if warm else work / f"pip-cache-{variant.name}-{i}"
                variant.seconds.append(install(venv, variant.requirement, cache))
                variant.bytes_added.append(tree_bytes(venv) - tree_bytes(empty))
                site = next((venv / "lib").glob("python*/site-packages"))
                variant.packages = len(list(site.glob("*.dist-info")))
        return {
            "wheel": wheel.name,
            "wheel_bytes": wheel.stat().st_size,
            "cache": "warm" if warm else "cold",
            "runs": runs,
            "baseline": {
                "seconds": statistics.median(baseline_seconds),
                "mb": statistics.median(baseline_bytes) / MB,
            },
            "variants": {
                v.name: {**asdict(v), "median_seconds": v.median_seconds, "median_mb": v.median_mb}
                for v in variants
            },
        }


def report(data: dict) -> list[str]:
    """Human-readable lines, with ratios against the baseline and the targets."""
    base_s = data["baseline"]["seconds"]
    lines = [
        f"wheel {data['wheel']} ({data['wheel_bytes'] / MB:.2f} MB); pip cache {data['cache']}; "
        f"median of {data['runs']}",
        f"baseline: empty venv {data['baseline']['mb']:.1f} MB, created in {base_s:.2f} s",
    ]
    for name, v in data["variants"].items():
        lines.append(
            f"{name:<6} +{v['median_mb']:.1f} MB ({v['packages']} packages; "
            f"venv {v['median_mb'] + data['baseline']['mb']:.1f} MB in all), "
            f"{v['median_seconds']:.2f} s = {v['median_seconds'] / base_s:.1f}x the empty venv"
        )
    base, audit = data["variants"]["base"], data["variants"]["audit"]
    lines.append(f"audit / base: {audit['median_mb'] / base['median_mb']:.1f}x the size, "
                 f"{audit['median_seconds'] / base['median_seconds']:.1f}x the time")
    ok_mb = base["median_mb"] <= BASE_TARGET_MB
    ok_s = base["median_seconds"] <= BASE_TARGET_SECONDS
    lines.append(f"target base <= {BASE_TARGET_MB:.0f} MB: {'met' if ok_mb else 'MISSED'}; "
                 f"<= {BASE_TARGET_SECONDS:.0f} s: {'met' if ok_s else 'MISSED'}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="installs per variant (median reported)")
    parser.add_argument("--warm", action="store_true", help="reuse one filled pip cache")
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    args = parser.parse_args()
    data = measure(args.runs, args.warm)
    print(json.dumps(data, indent=2) if args.json else "\n".join(report(data)))
    base = data["variants"]["base"]
    return 0 if base["median_mb"] <= BASE_TARGET_MB and base["median_seconds"] <= BASE_TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
