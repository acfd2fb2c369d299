#!/usr/bin/env python3
"""Time ocisec against checkov on one Terraform corpus.

Measures, in one invocation:

* ocisec cold: ``ocisec scan DIR --format json --output /dev/null --no-cache``
* ocisec warm: one untimed run that fills a temporary ``--cache-dir``, then timed
  re-runs against the same cache directory
* checkov: ``checkov -d DIR --framework terraform --quiet -o json --skip-download``

Each is run ``--runs`` times (checkov ``--checkov-runs`` times, it takes minutes); the
report gives the median wall time, the median CPU time (user + system, which a busy machine
inflates far less than wall time), the peak RSS of
the child process (from ``os.wait4``, so it is per run, not the running maximum that
``RUSAGE_CHILDREN`` gives), the ratios checkov/ocisec, and pass/fail against the
performance targets. checkov runs from its own virtualenv (``install_checkov.sh``),
so its many pinned dependencies stay out of ocisec's environment.

Usage::

    python benchmarks/bench_vs_checkov.py /work/corpora/terraform-oci-oke
    python benchmarks/bench_vs_checkov.py DIR --skip-ocisec --runs 1 --json
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCHMARKS_DIR = Path(__file__).resolve().parent

# The targets are stated for a corpus of about 150 .tf files / 0.5 MB (terraform-oci-oke):
# 1.0 s cold there, and 0.3 s more per further MB (the 1.18 MB core landing zone: 1.2 s).
REFERENCE_CORPUS_BYTES = 500_000
COLD_TARGET_SECONDS = 1.0
COLD_SECONDS_PER_EXTRA_MB = 0.3
WARM_TARGET_SECONDS = 0.35

# Exit code 1 means "findings reported" for both tools, the normal outcome on a real corpus.
COMPLETED_EXIT_CODES = frozenset({0, 1})
# ocisec exits 2 both for bad usage and for "some input could not be parsed, the rest was
# scanned"; only a run that also wrote a JSON report is the second kind.
OCISEC_INPUT_ERROR_EXIT = 2


class BenchmarkError(Exception):
    """A tool is missing or did not complete a scan; the message says what to do."""


@dataclass(frozen=True)
class CorpusSize:
    """How much Terraform a corpus holds."""

    tf_files: int
    tf_bytes: int


@dataclass(frozen=True)
class ProcessRun:
    """One measured child process."""

    seconds: float
    peak_rss_kib: int
    exit_code: int
    cpu_seconds: float = 0.0  # user + system time of the child and what it waited for


@dataclass
class ToolTiming:
    """Repeated runs of one tool configuration, plus what its report said."""

    label: str
    command: list[str]
    runs: list[ProcessRun] = field(default_factory=list)
    parse_errors: int | None = None
    # Only for ocisec warm: the untimed run that filled the cache.
    populate_seconds: float | None = None

    @property
    def median_seconds(self) -> float:
        """Median wall time over the timed runs."""
        return statistics.median(run.seconds for run in self.runs)

    @property
    def median_cpu_seconds(self) -> float:
        """Median CPU time (user + system) over the timed runs."""
        return statistics.median(run.cpu_seconds for run in self.runs)

    @property
    def peak_rss_kib(self) -> int:
        """Largest peak RSS seen in any timed run."""
        return max(run.peak_rss_kib for run in self.runs)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        summary: dict[str, Any] = {
            "command": shlex.join(self.command),
            "median_seconds": round(self.median_seconds, 3),
            "seconds": [round(run.seconds, 3) for run in self.runs],
            "median_cpu_seconds": round(self.median_cpu_seconds, 3),
            "peak_rss_kib": self.peak_rss_kib,
            "exit_codes": [run.exit_code for run in self.runs],
            "parse_errors": self.parse_errors,
        }
        if self.populate_seconds is not None:
            summary["populate_seconds"] = round(self.populate_seconds, 3)
        return summary


@dataclass(frozen=True)
class TargetVerdict:
    """One performance target and whether the measurement met it."""

    name: str
    measured_seconds: float
    target_seconds: float
    note: str

    @property
    def passed(self) -> bool:
        """True when the measurement is within the target."""
        return self.measured_seconds <= self.target_seconds


# --- corpus, targets, ratios ---------------------------------------------------------


def measure_corpus(root: Path) -> CorpusSize:
    """Count the .tf files and their bytes under ``root``, skipping hidden directories.

    Hidden directories (``.git``, ``.terraform``, ``.ocisec-cache``) hold no sources either
    tool is asked to scan.
    """
    files = 0
    size = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [name for name in dirnames if not name.startswith(".")]
        for name in filenames:
            if name.endswith(".tf"):
                files += 1
                size += os.path.getsize(os.path.join(dirpath, name))
    return CorpusSize(tf_files=files, tf_bytes=size)


def cold_target_seconds(corpus_bytes: int) -> float:
    """The cold-scan target for a corpus of ``corpus_bytes`` bytes of .tf source.

    Smaller corpora keep the reference target: interpreter start-up and rule loading do
    not shrink with the corpus. Past it, each further MB adds ``COLD_SECONDS_PER_EXTRA_MB``.
    """
    extra_mb = max(0, corpus_bytes - REFERENCE_CORPUS_BYTES) / 1e6
    return COLD_TARGET_SECONDS + COLD_SECONDS_PER_EXTRA_MB * extra_mb


def speed_ratio(checkov_seconds: float | None, ocisec_seconds: float | None) -> float | None:
    """How many times faster ocisec was than checkov (checkov time / ocisec time).

    None when either side was not measured or ocisec took no measurable time.
    """
    if checkov_seconds is None or ocisec_seconds is None or ocisec_seconds <= 0:
        return None
    return checkov_seconds / ocisec_seconds


def format_ratio(ratio: float | None) -> str:
    """Render a ratio as ``12.3x``, or ``n/a`` when it could not be computed."""
    return "n/a" if ratio is None else f"{ratio:.1f}x"


def evaluate_targets(
    corpus: CorpusSize, cold: ToolTiming | None, warm: ToolTiming | None
) -> list[TargetVerdict]:
    """Compare the ocisec medians with the targets, scaling the cold one by corpus size."""
    verdicts: list[TargetVerdict] = []
    if cold is not None:
        verdicts.append(
            TargetVerdict(
                name="ocisec cold scan",
                measured_seconds=cold.median_seconds,
                target_seconds=cold_target_seconds(corpus.tf_bytes),
                note=(
                    f"{COLD_TARGET_SECONDS} s up to {REFERENCE_CORPUS_BYTES / 1e6:.1f} MB of .tf, "
                    f"+{COLD_SECONDS_PER_EXTRA_MB} s per further MB; {corpus.tf_bytes / 1e6:.2f} MB here"
                ),
            )
        )
    if warm is not None:
        verdicts.append(
            TargetVerdict(
                name="ocisec warm re-scan",
                measured_seconds=warm.median_seconds,
                target_seconds=WARM_TARGET_SECONDS,
                note="fixed, not scaled by corpus size",
            )
        )
    return verdicts


# --- reading the tools' reports -----------------------------------------------------


def count_ocisec_parse_errors(report: Any) -> int | None:
    """Number of entries in an ocisec JSON report's ``errors`` list, None if it has none."""
    if isinstance(report, dict) and isinstance(report.get("errors"), list):
        return len(report["errors"])
    return None


def count_checkov_parse_errors(report: Any) -> int | None:
    """Sum of ``summary.parsing_errors`` over a checkov JSON report.

    checkov prints one object per framework, or a list of them when several ran.
    """
    reports = report if isinstance(report, list) else [report]
    counts = [
        entry["summary"]["parsing_errors"]
        for entry in reports
        if isinstance(entry, dict)
        and isinstance(entry.get("summary"), dict)
        and isinstance(entry["summary"].get("parsing_errors"), int)
    ]
    return sum(counts) if counts else None


def read_json_report(path: Path) -> Any:
    """Parse a tool's JSON report, or return None if it wrote none or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# --- running the tools ----------------------------------------------------------------


def run_measured(
    argv: Sequence[str],
    stdout_path: str | os.PathLike[str] = os.devnull,
    accepted_exit_codes: frozenset[int] = COMPLETED_EXIT_CODES,
) -> ProcessRun:
    """Run ``argv`` to completion, returning its wall time and its own peak RSS.

    ``os.wait4`` reports the rusage of this one child (and the descendants it waited
    for); stdout goes to a file so a large report can't block on a full pipe.
    Raises BenchmarkError, with the end of stderr, on an exit code not accepted.
    """
    with open(stdout_path, "wb") as stdout, tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        try:
            child = subprocess.Popen(list(argv), stdout=stdout, stderr=stderr)
        except OSError as exc:
            raise BenchmarkError(f"cannot start {argv[0]}: {exc}") from exc
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        exit_code = os.waitstatus_to_exitcode(status)
        child.returncode = exit_code  # already reaped; stop Popen from waiting again
        if exit_code not in accepted_exit_codes:
            stderr.seek(0)
            tail = stderr.read()[-2000:].decode("utf-8", "replace")
            raise BenchmarkError(f"`{shlex.join(argv)}` exited with {exit_code}:\n{tail}")
    # Linux reports KiB, macOS bytes.
    peak_kib = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
    cpu = usage.ru_utime + usage.ru_stime
    return ProcessRun(seconds=seconds, peak_rss_kib=peak_kib, exit_code=exit_code, cpu_seconds=cpu)


def resolve_ocisec(command: str | None) -> list[str]:
    """The ocisec command as an argv prefix, or BenchmarkError saying how to get one."""
    if command:
        argv = shlex.split(command)
        if shutil.which(argv[0]) is None:
            raise BenchmarkError(f"--ocisec {command!r}: {argv[0]!r} is not an executable on PATH")
        return argv
    beside_python = Path(sys.executable).parent / "ocisec"
    found = shutil.which("ocisec") or (str(beside_python) if beside_python.exists() else None)
    if found is None:
        raise BenchmarkError(
            "ocisec not found on PATH or next to this Python. Install it "
            "(pip install -e .), or pass --ocisec 'python -m scanner.cli'; "
            "use --skip-ocisec to time checkov alone."
        )
    return [found]


def resolve_checkov(path: str | None) -> list[str]:
    """The checkov executable: --checkov, then $CHECKOV_VENV or benchmarks/.venv-checkov, then PATH."""
    if path:
        if shutil.which(path) is None:
            raise BenchmarkError(f"--checkov {path!r} is not an executable")
        return [path]
    venv = Path(os.environ.get("CHECKOV_VENV") or BENCHMARKS_DIR / ".venv-checkov")
    candidate = venv / "bin" / "checkov"
    found = str(candidate) if candidate.exists() else shutil.which("checkov")
    if found is None:
        raise BenchmarkError(
            f"checkov not found in {venv} or on PATH: run benchmarks/install_checkov.sh "
            "(or pass --checkov PATH); use --skip-checkov to time ocisec alone."
        )
    return [found]


def progress(message: str) -> None:
    """Report progress on stderr; checkov runs can take minutes."""
    print(message, file=sys.stderr, flush=True)


def ocisec_preflight(ocisec: list[str], corpus: Path, workdir: Path) -> tuple[frozenset[int], int | None]:
    """One untimed scan that writes a real report: checks the command works, counts parse errors.

    Returns the exit codes the timed runs may end with, and the number of parse errors.
    Exit 2 is accepted only if the report was written, i.e. some inputs failed to parse
    but the scan completed; without a report it was bad usage, and timing it would be
    meaningless.
    """
    report_path = workdir / "ocisec-report.json"
    command = [*ocisec, "scan", str(corpus), "--format", "json", "--output", str(report_path), "--no-cache"]
    progress("ocisec preflight (untimed, writes a report)")
    run = run_measured(command, accepted_exit_codes=COMPLETED_EXIT_CODES | {OCISEC_INPUT_ERROR_EXIT})
    report = read_json_report(report_path)
    if not isinstance(report, dict):
        raise BenchmarkError(f"`{shlex.join(command)}` exited with {run.exit_code} and wrote no JSON report")
    return COMPLETED_EXIT_CODES | {run.exit_code}, count_ocisec_parse_errors(report)


def time_ocisec_cold(ocisec: list[str], corpus: Path, runs: int, accepted: frozenset[int]) -> ToolTiming:
    """Scans with the parse cache disabled."""
    command = [*ocisec, "scan", str(corpus), "--format", "json", "--output", os.devnull, "--no-cache"]
    timing = ToolTiming("ocisec cold", command)
    for index in range(runs):
        progress(f"ocisec cold run {index + 1}/{runs}")
        timing.runs.append(run_measured(command, accepted_exit_codes=accepted))
    return timing


def time_ocisec_warm(
    ocisec: list[str], corpus: Path, runs: int, workdir: Path, accepted: frozenset[int]
) -> ToolTiming:
    """Fill a fresh cache directory with one untimed run, then time re-scans that reuse it."""
    cache_dir = workdir / "ocisec-cache"
    command = [
        *ocisec,
        "scan",
        str(corpus),
        "--format",
        "json",
        "--output",
        os.devnull,
        "--cache-dir",
        str(cache_dir),
    ]
    timing = ToolTiming("ocisec warm", command)
    progress("ocisec warm: populating the cache")
    timing.populate_seconds = run_measured(command, accepted_exit_codes=accepted).seconds
    for index in range(runs):
        progress(f"ocisec warm run {index + 1}/{runs}")
        timing.runs.append(run_measured(command, accepted_exit_codes=accepted))
    return timing


def time_checkov(checkov: list[str], corpus: Path, runs: int, workdir: Path) -> ToolTiming:
    """checkov's Terraform framework; --skip-download keeps it from calling the Prisma Cloud API."""
    command = [
        *checkov,
        "-d",
        str(corpus),
        "--framework",
        "terraform",
        "--quiet",
        "-o",
        "json",
        "--skip-download",
    ]
    timing = ToolTiming("checkov", command)
    report_path = workdir / "checkov-report.json"
    for index in range(runs):
        progress(f"checkov run {index + 1}/{runs}")
        timing.runs.append(run_measured(command, stdout_path=report_path))
    timing.parse_errors = count_checkov_parse_errors(read_json_report(report_path))
    return timing


def tool_version(argv: list[str]) -> str | None:
    """``argv --version``'s first line, or None if it has no such flag."""
    try:
        completed = subprocess.run([*argv, "--version"], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = completed.stdout.strip().splitlines()
    return lines[0] if completed.returncode == 0 and lines else None


# --- reporting ------------------------------------------------------------------------


def build_summary(
    corpus_path: Path,
    corpus: CorpusSize,
    runs: int,
    timings: dict[str, ToolTiming | None],
    versions: dict[str, str | None],
) -> dict[str, Any]:
    """Everything measured, as one JSON-ready dictionary."""
    cold, warm, checkov = timings.get("ocisec_cold"), timings.get("ocisec_warm"), timings.get("checkov")
    checkov_seconds = checkov.median_seconds if checkov else None
    verdicts = evaluate_targets(corpus, cold, warm)
    return {
        "corpus": {"path": str(corpus_path), "tf_files": corpus.tf_files, "tf_bytes": corpus.tf_bytes},
        "runs": runs,
        "versions": versions,
        **{name: (timing.as_dict() if timing else None) for name, timing in timings.items()},
        "ratios": {
            "checkov_over_ocisec_cold": speed_ratio(checkov_seconds, cold.median_seconds if cold else None),
            "checkov_over_ocisec_warm": speed_ratio(checkov_seconds, warm.median_seconds if warm else None),
        },
        "targets": [
            {
                "name": verdict.name,
                "measured_seconds": round(verdict.measured_seconds, 3),
                "target_seconds": round(verdict.target_seconds, 3),
                "passed": verdict.passed,
                "note": verdict.note,
            }
            for verdict in verdicts
        ],
    }


def render_text(summary: dict[str, Any]) -> str:
    """A human-readable report of ``build_summary``'s output."""
    corpus = summary["corpus"]
    lines = [
        f"corpus   {corpus['path']}: {corpus['tf_files']} .tf files, "
        f"{corpus['tf_bytes']:,} bytes ({corpus['tf_bytes'] / 1e6:.2f} MB)",
        f"runs     {summary['runs']} per configuration (median wall time reported)",
    ]
    for tool, version in summary["versions"].items():
        if version:
            lines.append(f"version  {tool}: {version}")
    lines.append("")
    lines.append(
        f"{'':14}{'median s':>10}{'cpu s':>8}  {'runs (s)':<34}{'peak RSS MiB':>14}{'parse errors':>14}"
    )
    for name in ("ocisec_cold", "ocisec_warm", "checkov"):
        timing = summary.get(name)
        if timing is None:
            lines.append(f"{name:14}{'skipped':>10}")
            continue
        runs = ", ".join(f"{s:.2f}" for s in timing["seconds"])
        errors = "?" if timing["parse_errors"] is None else str(timing["parse_errors"])
        cpu = timing.get("median_cpu_seconds", 0.0)
        lines.append(
            f"{name:14}{timing['median_seconds']:>10.3f}{cpu:>8.3f}  {runs:<34}"
            f"{timing['peak_rss_kib'] / 1024:>14.1f}{errors:>14}"
        )
    for name in ("ocisec_cold", "ocisec_warm", "checkov"):
        if summary.get(name):
            lines.append(f"  {name}: {summary[name]['command']}")
    ratios = summary["ratios"]
    lines += [
        "",
        f"checkov / ocisec cold: {format_ratio(ratios['checkov_over_ocisec_cold'])}",
        f"checkov / ocisec warm: {format_ratio(ratios['checkov_over_ocisec_warm'])}",
    ]
    for target in summary["targets"]:
        verdict = "PASS" if target["passed"] else "FAIL"
        lines.append(
            f"{verdict}  {target['name']}: {target['measured_seconds']:.3f} s "
            f"<= {target['target_seconds']:.3f} s ({target['note']})"
        )
    return "\n".join(lines)


# --- command line ---------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's command-line interface."""
    parser = argparse.ArgumentParser(
        description="Time ocisec (cold and warm cache) against checkov on a Terraform corpus."
    )
    parser.add_argument("corpus", type=Path, metavar="DIR", help="directory of Terraform to scan")
    parser.add_argument(
        "--ocisec",
        metavar="CMD",
        help="ocisec command, e.g. 'python -m scanner.cli' (default: ocisec on PATH or beside this Python)",
    )
    parser.add_argument(
        "--checkov",
        metavar="PATH",
        help="checkov executable (default: $CHECKOV_VENV or benchmarks/.venv-checkov, then PATH)",
    )
    parser.add_argument(
        "--runs", type=positive_int, default=3, metavar="N", help="timed runs per configuration (default 3)"
    )
    parser.add_argument(
        "--checkov-runs",
        type=positive_int,
        metavar="N",
        help="timed checkov runs (default: --runs); one checkov run takes minutes",
    )
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    parser.add_argument("--skip-ocisec", action="store_true", help="time checkov only")
    parser.add_argument("--skip-checkov", action="store_true", help="time ocisec only")
    parser.add_argument("--check", action="store_true", help="exit 1 if a performance target is missed")
    return parser


def positive_int(text: str) -> int:
    """argparse type for a count of at least one."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 on success, 1 on a missed target with --check, 2 on error."""
    args = build_parser().parse_args(argv)
    corpus_path: Path = args.corpus.resolve()
    if not corpus_path.is_dir():
        print(f"error: {args.corpus} is not a directory", file=sys.stderr)
        return 2
    try:
        # Resolve both tools before timing anything so a missing one fails in seconds.
        ocisec = None if args.skip_ocisec else resolve_ocisec(args.ocisec)
        checkov = None if args.skip_checkov else resolve_checkov(args.checkov)
        corpus = measure_corpus(corpus_path)
        timings: dict[str, ToolTiming | None] = {"ocisec_cold": None, "ocisec_warm": None, "checkov": None}
        versions: dict[str, str | None] = {}
        with tempfile.TemporaryDirectory(prefix="ocisec-bench-") as scratch:
            workdir = Path(scratch)
            if ocisec is not None:
                versions["ocisec"] = tool_version(ocisec)
                accepted, parse_errors = ocisec_preflight(ocisec, corpus_path, workdir)
                cold = time_ocisec_cold(ocisec, corpus_path, args.runs, accepted)
                warm = time_ocisec_warm(ocisec, corpus_path, args.runs, workdir, accepted)
                # The timed runs write to /dev/null; the preflight's report has the errors.
                cold.parse_errors = warm.parse_errors = parse_errors
                timings["ocisec_cold"], timings["ocisec_warm"] = cold, warm
            if checkov is not None:
                versions["checkov"] = tool_version(checkov)
                checkov_runs = args.checkov_runs or args.runs
                timings["checkov"] = time_checkov(checkov, corpus_path, checkov_runs, workdir)
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary = build_summary(corpus_path, corpus, args.runs, timings, versions)
    print(json.dumps(summary, indent=2) if args.json else render_text(summary))
    missed = [target for target in summary["targets"] if not target["passed"]]
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
