#!/usr/bin/env python3
"""Precision and recall of the Helm / Kubernetes source on public charts and manifests, judged
by hand.

    python benchmarks/helm_corpus.py CORPUS_ROOT [--split dev|heldout|all] [--json] [--show] [--check]

``benchmarks/helm_corpus.yaml`` lists each corpus entry (public repository, commit, path; which
split it belongs to) and labels every problem it really has, judged from the chart or manifests
themselves with the reason (``findings``), plus findings a scanner could wrongly report there and
why they are wrong (``not_findings``: documentation, they count only if reported). Each entry is
expected at ``CORPUS_ROOT/<name>``: fetch the repository at the commit and copy ``path`` there
(the corpus stays outside this repository).

A failing finding matches a label by rule, file and line. Reported findings without a label count
as false positives and are listed, so a reviewer labels them. Precision = labelled true findings
reported / findings reported; recall = labelled true findings reported / labelled true findings.
Input errors (level ``error``) are listed too: a chart that scans with errors is not judged whole.
Only the rules the labels were written for (``judged_rules`` at the top of the YAML: the secret and
replica rules of the Helm source) are judged; findings of rules added since (the platform rules)
are counted as ``not judged`` and listed with ``--show``, never counted as right or wrong.
``--check`` exits 1 when the latest held-out split (or the one named by ``--split``) misses
precision 0.97 or recall 0.95.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scanner.guards.safe_yaml import load as load_yaml  # noqa: E402
from scanner.model import Status  # noqa: E402
from scanner.workflow.scan import ScanOptions, run_scan  # noqa: E402

LABELS = Path(__file__).resolve().parent / "helm_corpus.yaml"
PRECISION_TARGET = 0.97
RECALL_TARGET = 0.95


def splits_of(labels: dict[str, Any]) -> list[str]:
    """The splits in the order the labels file first names them (dev, heldout, heldout2, ...)."""
    return list(dict.fromkeys(str(e.get("split")) for e in labels.get("corpus") or []))


@dataclass
class EntryResult:
    """One corpus entry's findings against its labels."""

    name: str
    split: str
    seconds: float = 0.0
    true_positives: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)  # labelled wrong, or unlabelled
    missed: list[str] = field(default_factory=list)
    not_judged: list[str] = field(default_factory=list)  # rules the labels were not written for
    errors: list[str] = field(default_factory=list)
    missing: bool = False


def _key(rule: str, at: str) -> str:
    return f"{rule} {at}"


def is_judged(rule: str, judged_rules: list[str]) -> bool:
    """A rule the labels cover: listed by id, or by a prefix ending in ``*`` (``OCI-SEC-*``)."""
    return any(rule == r or (r.endswith("*") and rule.startswith(r[:-1])) for r in judged_rules)


def judge_entry(root: Path, entry: dict[str, Any], judged_rules: list[str] | None = None) -> EntryResult:
    """Scan one corpus entry and compare its failing findings with the labels (only findings of
    ``judged_rules``, when given)."""
    result = EntryResult(str(entry["name"]), str(entry.get("split", "dev")))
    directory = root / result.name
    if not directory.is_dir():
        result.missing = True
        return result
    started = time.perf_counter()
    scan, _ = run_scan([directory], ScanOptions(cache_dir=None))
    result.seconds = time.perf_counter() - started
    truths = {_key(str(f["rule"]), str(f["at"])) for f in entry.get("findings") or []}
    reported: dict[str, str] = {}
    for f in scan.findings:
        if f.status is not Status.FAILED:
            continue
        at = f"{f.location.file}:{f.location.start_line}" if f.location else f.resource.address
        reported.setdefault(_key(f.rule_id, at), f"{f.resource.address}: {f.message[:140]}")
    for key, what in sorted(reported.items()):
        if judged_rules is not None and not is_judged(key.split(" ", 1)[0], judged_rules):
            result.not_judged.append(f"{key}  {what}")
            continue
        (result.true_positives if key in truths else result.false_positives).append(f"{key}  {what}")
    result.missed = sorted(truths - set(reported))
    result.errors = [f"{e.path}:{e.line or ''} {e.message[:140]}" for e in scan.errors if e.level == "error"]
    return result


def figures(results: list[EntryResult]) -> dict[str, Any]:
    """Precision and recall over some entries."""
    tp = sum(len(r.true_positives) for r in results)
    fp = sum(len(r.false_positives) for r in results)
    fn = sum(len(r.missed) for r in results)
    return {
        "entries": len(results),
        "true_positives": tp,
        "false_positives": fp,
        "missed": fn,
        "input_errors": sum(len(r.errors) for r in results),
        "not_judged": sum(len(r.not_judged) for r in results),
        "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
        "recall": round(tp / (tp + fn), 4) if tp + fn else 1.0,
    }


def main(argv: list[str] | None = None) -> int:
    """Entry point: judge every corpus entry of the chosen split and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("root", type=Path, help="directory holding one directory per corpus entry")
    parser.add_argument("--split", default="all", help="a split named in the labels file, or all")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.add_argument("--show", action="store_true", help="list every finding, miss and error")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when the latest held-out split misses a target"
    )
    args = parser.parse_args(argv)
    labels = load_yaml(args.labels.read_text(encoding="utf-8"))
    splits = splits_of(labels)
    if args.split not in (*splits, "all"):
        parser.error(f"--split must be all or one of: {', '.join(splits)}")
    entries = [e for e in labels["corpus"] if args.split == "all" or e.get("split") == args.split]
    judged_rules = labels.get("judged_rules")
    results = [judge_entry(args.root, e, judged_rules) for e in entries]
    missing = [r.name for r in results if r.missing]
    judged = [r for r in results if not r.missing]
    report = {
        "splits": {s: figures([r for r in judged if r.split == s]) for s in splits},
        "all": figures(judged),
        "missing": missing,
        "entries": [r.__dict__ for r in judged],
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for r in judged:
            print(
                f"{r.name:32} {r.split:8} tp {len(r.true_positives):3}  fp {len(r.false_positives):3}  "
                f"missed {len(r.missed):3}  errors {len(r.errors):2}  {r.seconds:5.2f} s"
            )
            if args.show or r.false_positives or r.missed or r.errors:
                for line in ([f"  TP {x}" for x in r.true_positives] if args.show else []):
                    print(line)
                for x in r.false_positives:
                    print(f"  FP {x}")
                for x in r.not_judged if args.show else []:
                    print(f"  NOT JUDGED {x}")
                for x in r.missed:
                    print(f"  MISSED {x}")
                for x in r.errors:
                    print(f"  ERROR {x}")
        for name, fig in [*report["splits"].items(), ("all", report["all"])]:
            if not fig["entries"] and name != "all":
                continue  # a split left out by --split
            print(
                f"{name:8} entries {fig['entries']:2}  TP {fig['true_positives']:3}  "
                f"FP {fig['false_positives']:3}  "
                f"missed {fig['missed']:3}  input errors {fig['input_errors']:2}  "
                f"not judged {fig['not_judged']:3}  "
                f"precision {fig['precision']:.3f}  recall {fig['recall']:.3f}"
            )
        if missing:
            print(f"not found under {args.root}: {', '.join(missing)}", file=sys.stderr)
    # The targets are judged on the latest held-out split (or the one asked for): the only set
    # that was labelled and run once after the last change, never tuned on.
    held_out = [s for s in splits if s.startswith("heldout")]
    split = args.split if args.split != "all" and args.split.startswith("heldout") else held_out[-1]
    held = report["splits"][split]
    if args.check and (held["precision"] < PRECISION_TARGET or held["recall"] < RECALL_TARGET or missing):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
