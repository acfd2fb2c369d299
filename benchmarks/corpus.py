#!/usr/bin/env python3
"""Scan real-world Terraform corpora and print what a reviewer needs to judge precision.

    python benchmarks/corpus.py DIR [DIR...] [--json] [--sample N | --per-rule N] [--rule ID] [--show-source]

Per corpus: the number of Terraform files, every parse failure with Terraform's own verdict on
that file (``terraform fmt -check``: exit 2 means the file is invalid HCL for Terraform too),
failed findings per rule, unknown results per cause (addresses and names folded away, so causes
group), and the scan's wall time. ``--sample N`` also lists N failed findings per corpus (file,
line, rule, message; with ``--show-source`` the lines themselves) for review by hand;
``--per-rule N`` samples at most N of each rule instead; ``--rule`` narrows the list to some rules.

Corpora are read where they lie (keep them outside the repository); nothing is written into them.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scanner.model import Status  # noqa: E402
from scanner.workflow.scan import ScanOptions, run_scan  # noqa: E402

# Unknown-result messages read "<address>: cannot be decided statically (<cause>)".
_CAUSE = re.compile(r"cannot be decided statically \((?P<cause>.*)\)\s*$", re.S)
_REFERENCE = re.compile(
    r"\b(?:var|local|data|module|each|count|path|terraform|oci_[a-z0-9_]+)(?:\.[\w\-]+|\[[^\]]*\])+"
)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"\b\d+\b")
# Input errors about a configuration that parsed but that Terraform rejects as well.
_CONFIGURATION_ERRORS = ("duplicate ", "override of ", "module call cycle")


def cause_of(message: str) -> str:
    """The cause of an unknown result with its specifics folded away (``var.<ref> has no value``)."""
    m = _CAUSE.search(message)
    cause = m.group("cause") if m else message
    cause = _REFERENCE.sub("<ref>", cause)
    cause = _QUOTED.sub("<name>", cause)
    return _NUMBER.sub("N", cause)


def terraform_verdict(path: Path) -> str:
    """Terraform's own view of a file ocisec could not parse: "invalid" (fmt exit 2), "valid",
    or "terraform not found"."""
    exe = shutil.which("terraform")
    if exe is None:
        return "terraform not found"
    if path.name.endswith(".json"):
        return "not checked (JSON)"
    try:
        proc = subprocess.run([exe, "fmt", "-check", str(path)], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"terraform failed: {type(exc).__name__}"
    return "invalid" if proc.returncode == 2 else "valid"


@dataclass
class CorpusReport:
    """What one corpus scan produced."""

    path: str
    files: int = 0
    seconds: float = 0.0
    resources: int = 0
    parse_failures: list[dict[str, Any]] = field(default_factory=list)
    configuration_errors: list[dict[str, Any]] = field(default_factory=list)
    other_errors: list[dict[str, Any]] = field(default_factory=list)
    failed_by_rule: dict[str, int] = field(default_factory=dict)
    unknown_by_cause: dict[str, int] = field(default_factory=dict)
    sample: list[dict[str, Any]] = field(default_factory=list)


def scan_corpus(
    directory: Path, sample: int = 0, rules: list[str] | None = None, seed: int = 1, per_rule: int = 0
) -> CorpusReport:
    """Scan one corpus without caches and summarise the result."""
    started = time.perf_counter()
    result, _ = run_scan([directory], ScanOptions(cache_dir=None))
    seconds = time.perf_counter() - started
    report = CorpusReport(str(directory), seconds=round(seconds, 3), resources=result.resource_count)
    report.files = sum(1 for f in result.inputs if f.endswith((".tf", ".tf.json")))
    root = Path(result.root)
    for err in result.errors:
        entry = {"path": err.path, "line": err.line, "level": err.level, "message": err.message}
        if err.message.startswith(_CONFIGURATION_ERRORS):
            report.configuration_errors.append(entry)  # parsed, but Terraform rejects it too
        elif err.level == "error" and err.path.endswith((".tf", ".tf.json")) and (root / err.path).is_file():
            entry["terraform"] = terraform_verdict(root / err.path)
            report.parse_failures.append(entry)
        else:
            report.other_errors.append(entry)
    failed = [f for f in result.findings if f.status is Status.FAILED]
    report.failed_by_rule = dict(sorted(Counter(f.rule_id for f in failed).items()))
    unknown = Counter(cause_of(f.message) for f in result.findings if f.status is Status.UNKNOWN)
    report.unknown_by_cause = dict(unknown.most_common())
    pool = [f for f in failed if not rules or f.rule_id in rules]
    rng = random.Random(seed)
    rng.shuffle(pool)
    if per_rule:
        # stratified: at most `per_rule` of each rule, so rare rules are reviewed too
        taken: Counter[str] = Counter()
        chosen = []
        for f in pool:
            if taken[f.rule_id] < per_rule:
                taken[f.rule_id] += 1
                chosen.append(f)
    else:
        chosen = pool[:sample]
    for f in sorted(chosen, key=lambda f: (f.rule_id, f.resource.address)):
        loc = f.location
        entry = {
            "rule": f.rule_id,
            "address": f.resource.address,
            "where": f"{loc.file}:{loc.start_line}" if loc else None,
            "attribute": f.attribute,
            "message": f.message,
        }
        if loc is not None:
            entry["source"] = _source_lines(root / loc.file, loc.start_line, loc.end_line)
        report.sample.append(entry)
    return report


def _source_lines(path: Path, start: int, end: int) -> list[str]:
    """The lines a finding points at, with two lines before (at most eight in all)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    first = max(0, start - 3)
    last = min(len(lines), max(end, start) + 1, first + 10)
    return [f"{i + 1:5} {lines[i][:150]}" for i in range(first, last)]


def print_report(report: CorpusReport, show_source: bool = False) -> None:
    """The human-readable form of one corpus's figures."""
    print(f"== {report.path}")
    print(f"files: {report.files}  resources: {report.resources}  time: {report.seconds:.2f} s")
    print(f"parse failures: {len(report.parse_failures)}")
    for p in report.parse_failures:
        print(f"  {p['path']}:{p['line'] or ''} terraform: {p['terraform']} - {p['message']}")
    if report.configuration_errors:
        print(f"configuration errors (Terraform rejects these too): {len(report.configuration_errors)}")
        for e in report.configuration_errors:
            print(f"  {e['path']}:{e['line'] or ''} {e['message'][:160]}")
    if report.other_errors:
        print(f"other errors and notices: {len(report.other_errors)}")
        for e in report.other_errors:
            print(f"  [{e['level']}] {e['path']}:{e['line'] or ''} {e['message'][:160]}")
    total = sum(report.failed_by_rule.values())
    print(f"failed findings: {total}")
    for rule, n in report.failed_by_rule.items():
        print(f"  {rule:12} {n}")
    print(f"unknown results: {sum(report.unknown_by_cause.values())}")
    for cause, n in report.unknown_by_cause.items():
        print(f"  {n:5}  {cause[:150]}")
    if report.sample:
        print(f"sample of failed findings: {len(report.sample)}")
        for s in report.sample:
            print(f"  {s['rule']:12} {s['where']}  {s['address']}  [{s['attribute']}]")
            if show_source:
                print(f"      {s['message'][:200]}")
                for line in s.get("source", []):
                    print(f"      {line}")
    print()


def main(argv: list[str] | None = None) -> int:
    """Entry point: scan each corpus and print (or emit as JSON) its figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dirs", nargs="+", type=Path, help="corpus directories")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.add_argument("--sample", type=int, default=0, help="failed findings to list per corpus")
    parser.add_argument("--rule", action="append", default=[], help="sample only these rules")
    parser.add_argument("--seed", type=int, default=1, help="seed of the sample")
    parser.add_argument(
        "--per-rule", type=int, default=0, help="sample at most N failed findings of each rule"
    )
    parser.add_argument("--show-source", action="store_true", help="print each sampled finding's lines")
    args = parser.parse_args(argv)
    missing = [d for d in args.dirs if not d.is_dir()]
    if missing:
        print(f"corpus.py: not a directory: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    reports = [scan_corpus(d.resolve(), args.sample, args.rule, args.seed, args.per_rule) for d in args.dirs]
    if args.json:
        json.dump([r.__dict__ for r in reports], sys.stdout, indent=2)
        print()
    else:
        for r in reports:
            print_report(r, args.show_source)
        print(
            f"total: {sum(r.files for r in reports)} files, "
            f"{sum(len(r.parse_failures) for r in reports)} parse failures, "
            f"{sum(sum(r.failed_by_rule.values()) for r in reports)} failed findings, "
            f"{sum(sum(r.unknown_by_cause.values()) for r in reports)} unknown, "
            f"{sum(r.seconds for r in reports):.2f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
