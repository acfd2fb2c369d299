#!/usr/bin/env python3
"""Pre-commit latency: one changed ``.tf`` file in a large Terraform tree.

Measures, in one invocation, on a git copy of CORPUS (so nothing in CORPUS changes):

* ``ocisec scan FILE`` as the hook runs it (the ``ocisec`` beside this interpreter), including
  interpreter start, with the parse cache warm from an earlier commit and FILE freshly edited
  before every run (a comment line appended), so FILE is parsed anew and the evaluation cache
  misses, as on a real commit;
* ``pre-commit run ocisec --files FILE`` with the real framework and this repository as the hook
  repository (``repo: <this repo>``, ``rev: HEAD``; its environment is installed once, untimed);
* a baseline in the same session: ``python -c pass`` (interpreter start), so figures from a busy
  machine can be compared by ratio.

Each is run ``--runs`` times (default 3); the report gives median wall time and median CPU time
(user + system, children included: robust against other load on the machine), and pass/fail
against the targets (ocisec ≤ 0.6 s, the whole pre-commit run ≤ 1.0 s, wall time).

Usage::

    python benchmarks/bench_precommit.py /work/corpora/terraform-oci-oke
    python benchmarks/bench_precommit.py DIR --file modules/network/nsg-workers.tf --runs 5 --json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OCISEC_TARGET_SECONDS = 0.6
PRE_COMMIT_TARGET_SECONDS = 1.0
DEFAULT_FILE = "module-network.tf"  # a root-module file: the whole tree is evaluated again
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@ocisec.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@ocisec.invalid",
}


@dataclass
class Timing:
    """Wall and CPU seconds of repeated runs of one command."""

    name: str
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    exit_codes: list[int] = field(default_factory=list)

    @property
    def median_wall(self) -> float:
        return statistics.median(self.wall)

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu)


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """Run ``cmd``; returns (wall seconds, CPU seconds of the process tree, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_* of wait4 covers the child and the descendants it waited for (pre-commit's hook).
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env={**os.environ, **GIT_ENV}
    ).stdout


def prepare(corpus: Path, work: Path) -> Path:
    """A git repository holding a copy of ``corpus`` and a pre-commit config using this repo."""
    tree = work / "tree"
    shutil.copytree(corpus, tree, ignore=shutil.ignore_patterns(".git", ".terraform"))
    git("init", "-q", cwd=tree)
    rev = git("rev-parse", "HEAD", cwd=REPO).strip()
    (tree / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO}\n    rev: {rev}\n    hooks:\n      - id: ocisec\n"
    )
    git("add", "-A", cwd=tree)
    git("commit", "-q", "-m", "corpus", cwd=tree)
    return tree


def edit(path: Path, n: int) -> None:
    """Change the file as a commit would (a new comment line): its parse and evaluation miss."""
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"# bench edit {n} {time.time_ns()}\n")


def run(corpus: Path, rel_file: str, runs: int) -> dict:
    ocisec = shutil.which("ocisec", path=str(Path(sys.executable).parent)) or shutil.which("ocisec")
    here = str(Path(sys.executable).parent)
    pre_commit = shutil.which("pre-commit", path=here) or shutil.which("pre-commit")
    if not ocisec or not pre_commit:
        raise SystemExit("ocisec and pre-commit must be installed beside this interpreter (bash .ci/setup)")
    with tempfile.TemporaryDirectory(prefix="ocisec-bench-precommit-") as tmp:
        work = Path(tmp)
        tree = prepare(corpus, work)
        target = tree / rel_file
        if not target.is_file():
            raise SystemExit(f"{rel_file} is not a file in {corpus}")
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        env.update(OCISEC_CACHE_DIR=str(work / "cache"), PRE_COMMIT_HOME=str(work / "pre-commit"))
        env["NO_COLOR"] = "1"
        # Untimed: fill the parse cache (the state after earlier commits) and install the hook env.
        subprocess.run([ocisec, "scan", rel_file], cwd=tree, env=env, capture_output=True)
        subprocess.run([pre_commit, "install-hooks"], cwd=tree, env=env, capture_output=True, check=True)
        hook_cmd = [pre_commit, "run", "ocisec", "--files", rel_file]
        subprocess.run(hook_cmd, cwd=tree, env=env, capture_output=True)

        baseline = Timing("python -c pass")
        scan = Timing(f"ocisec scan {rel_file}")
        hook = Timing(f"pre-commit run ocisec --files {rel_file}")
        for i in range(runs):
            for timing, cmd in (
                (baseline, [sys.executable, "-c", "pass"]),
                (scan, [ocisec, "scan", rel_file]),
                (hook, hook_cmd),
            ):
                if timing is not baseline:
                    edit(target, i)
                wall, cpu, code = timed(cmd, tree, env)
                timing.wall.append(wall)
                timing.cpu.append(cpu)
                timing.exit_codes.append(code)
    report = {
        "corpus": str(corpus),
        "file": rel_file,
        "tf_files": sum(1 for _ in corpus.rglob("*.tf")),
        "runs": runs,
        "load_average": os.getloadavg()[0],
    }
    for key, timing in (("baseline", baseline), ("ocisec", scan), ("pre_commit", hook)):
        report[key] = {
            "command": timing.name,
            "median_wall_s": round(timing.median_wall, 3),
            "median_cpu_s": round(timing.median_cpu, 3),
            "wall_s": [round(w, 3) for w in timing.wall],
            "exit_codes": timing.exit_codes,
        }
    report["ocisec"]["target_s"] = OCISEC_TARGET_SECONDS
    report["ocisec"]["meets_target"] = scan.median_wall <= OCISEC_TARGET_SECONDS
    report["pre_commit"]["target_s"] = PRE_COMMIT_TARGET_SECONDS
    report["pre_commit"]["meets_target"] = hook.median_wall <= PRE_COMMIT_TARGET_SECONDS
    report["ratio_ocisec_to_baseline"] = round(scan.median_wall / baseline.median_wall, 1)
    report["ratio_pre_commit_to_ocisec"] = round(hook.median_wall / scan.median_wall, 2)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="a Terraform tree, e.g. terraform-oci-oke")
    parser.add_argument("--file", default=DEFAULT_FILE, help=f"the changed file (default {DEFAULT_FILE})")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = run(args.corpus.resolve(), args.file, args.runs)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{report['file']} changed in {report['corpus']} ({report['tf_files']} .tf files), "
          f"median of {report['runs']}, load average {report['load_average']:.1f}")
    for key in ("baseline", "ocisec", "pre_commit"):
        row = report[key]
        verdict = ""
        if "target_s" in row:
            verdict = f"  target ≤ {row['target_s']} s: {'met' if row['meets_target'] else 'MISSED'}"
        times = f"wall {row['median_wall_s']:.3f} s  cpu {row['median_cpu_s']:.3f} s"
        print(f"  {row['command']:<58} {times}{verdict}")
    print(f"  ocisec / interpreter start: {report['ratio_ocisec_to_baseline']}x; "
          f"pre-commit / ocisec: {report['ratio_pre_commit_to_ocisec']}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
