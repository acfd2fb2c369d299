"""Peak memory of a large scan: a generated tree of about 5,000 Terraform files (copies of a real
module layout), scanned cold and warm, against the target of 300 MB peak RSS (issue 6, §6).

    python benchmarks/bench_memory.py [--corpus DIR] [--copies 30] [--files 5000] [--keep DIR]

The corpus defaults to Oracle's OKE module checked out at /work/corpora/terraform-oci-oke (see
README.md here), else the repository's fixtures/platform. Every .tf / .tfvars file of the corpus
is copied, with its directory layout, ``--copies`` times, or more until ``--files`` is reached.
Memory is the sum of the resident sets of the scan process and its parse helpers, sampled every
20 ms from /proc (Linux). The baseline, measured in the same run, is one copy of the corpus.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MB = 300
DEFAULT_CORPUS = Path("/work/corpora/terraform-oci-oke")


def corpus_files(corpus: Path) -> list[Path]:
    """Terraform and variable files of the corpus, relative to it (hidden dirs left out)."""
    out = []
    for path in sorted(corpus.rglob("*")):
        rel = path.relative_to(corpus)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if path.name.endswith((".tf", ".tf.json", ".tfvars")):
            out.append(rel)
    return out


def generate(corpus: Path, target: Path, copies: int) -> int:
    """Write ``copies`` copies of the corpus under ``target``; returns the number of files."""
    files = corpus_files(corpus)
    for i in range(copies):
        for rel in files:
            dest = target / f"copy{i:03d}" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(corpus / rel, dest)
    return copies * len(files)


def _tree_rss_kib(pid: int) -> int:
    """Resident set of ``pid`` and all its descendants, in KiB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


def measure(args: list[str]) -> tuple[float, float, int]:
    """(seconds, peak MB of the process tree, exit code) of one ``ocisec`` run."""
    cmd = [sys.executable, "-m", "scanner.cli", *args]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kib(proc.pid))
        time.sleep(0.02)
    return time.perf_counter() - start, peak / 1024, proc.returncode


def main() -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=fmt)
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--copies", type=int, default=30)
    parser.add_argument("--files", type=int, default=5000, help="at least this many files")
    parser.add_argument("--keep", type=Path, default=None, help="generate the tree here and keep it")
    opts = parser.parse_args()
    corpus = opts.corpus or (DEFAULT_CORPUS if DEFAULT_CORPUS.is_dir() else ROOT / "fixtures" / "platform")
    per_copy = len(corpus_files(corpus))
    if per_copy == 0:
        sys.exit(f"no Terraform files under {corpus}")
    copies = max(opts.copies, math.ceil(opts.files / per_copy))
    work = Path(tempfile.mkdtemp(prefix="ocisec-bench-memory-"))
    tree = opts.keep or work / "tree"
    try:
        one = work / "one"
        generate(corpus, one, 1)
        n = generate(corpus, tree, copies)
        cache = work / "cache"
        common = ["--format", "json", "--output", str(work / "report.json")]
        print(f"corpus: {corpus} ({per_copy} files per copy), tree: {copies} copies = {n} files")
        base_s, base_mb, _ = measure(["scan", str(one), *common, "--no-cache"])
        print(f"baseline (1 copy, cold):      {base_s:6.1f} s  peak {base_mb:6.1f} MB")
        rows = []
        for label, extra in (("cold, no cache", ["--no-cache"]), ("cold cache", ["--cache-dir", str(cache)]),
                             ("warm cache", ["--cache-dir", str(cache)])):  # fmt: skip
            secs, mb, code = measure(["scan", str(tree), *common, *extra])
            rows.append((label, secs, mb))
            print(
                f"{n} files, {label:15s} {secs:6.1f} s  peak {mb:6.1f} MB  exit {code}  "
                f"({mb / base_mb:.1f}x baseline, {mb / TARGET_MB:.2f} of the {TARGET_MB} MB target)"
            )
        worst = max(mb for _, _, mb in rows)
        verdict = "OK" if worst <= TARGET_MB else "OVER"
        print(f"peak over all runs: {worst:.1f} MB -> {verdict} (target <= {TARGET_MB} MB)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
