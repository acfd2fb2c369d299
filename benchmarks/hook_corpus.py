#!/usr/bin/env python3
"""The pre-commit hook on real repositories, as ``pre-commit run ocisec --all-files`` calls it.

For each repository directory given (a checkout kept outside this repository), every file the
hook's ``files:`` pattern in ``.pre-commit-hooks.yaml`` selects is passed to one ``ocisec scan``
call, from the repository root, as pre-commit passes them (hidden directories other than
``.github`` left out, as git-tracked trees of these projects have none that matter). Printed per
repository: files passed (YAML among them), exit code, wall time, files counted, resources,
findings by rule, input errors and notes — the figures that say whether the hook would block a
commit for a reason other than a finding. The baseline, measured in the same run, is
``ocisec --version`` (interpreter and CLI start), so timings compare by ratio.

Usage::

    python benchmarks/hook_corpus.py /work/corpus/adopt/real/kubernetes+ingress-nginx [...] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def hook_files(root: Path, pattern: re.Pattern[str]) -> list[str]:
    """Files under ``root`` the hook selects, relative to it, sorted."""
    found = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        hidden = any(part.startswith(".") and part != ".github" for part in rel.parts[:-1])
        if path.is_file() and not hidden and pattern.search(rel.as_posix()):
            found.append(rel.as_posix())
    return sorted(found)


def run(cmd: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCISEC_")}
    cache = Path(os.environ.get("TMPDIR", "/tmp")) / "ocisec-hook-corpus"
    env.update(OCISEC_CACHE_DIR=str(cache), NO_COLOR="1", PYTHONPATH=str(REPO))
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    return proc, time.perf_counter() - start


def measure(root: Path) -> dict:
    """One repository's figures."""
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    files = hook_files(root, re.compile(hook["files"]))
    cli = [sys.executable, "-m", "scanner.cli"]
    _, baseline = run([*cli, "--version"], root)
    proc, seconds = run([*cli, "scan", "--no-config", "--format", "json", *files], root)
    doc = json.loads(proc.stdout)
    rules: dict[str, int] = {}
    for finding in doc["findings"]:
        rules[finding["rule_id"]] = rules.get(finding["rule_id"], 0) + 1
    return {
        "repository": root.name,
        "files": len(files),
        "yaml": sum(1 for f in files if f.endswith((".yaml", ".yml"))),
        "exit_code": proc.returncode,
        "seconds": round(seconds, 2),
        "baseline_seconds": round(baseline, 2),
        "counted_files": doc["summary"]["files"],
        "resources": doc["summary"]["resources"],
        "findings": dict(sorted(rules.items())),
        "input_errors": [e for e in doc["errors"] if e["level"] == "error"],
        "notes": [e for e in doc["errors"] if e["level"] != "error"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repositories", nargs="+", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = [measure(root) for root in args.repositories]
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for r in results:
        print(f"{r['repository']}: {r['files']} files ({r['yaml']} YAML), exit {r['exit_code']}, "
              f"{r['seconds']} s "
              f"({r['seconds'] / max(r['baseline_seconds'], 0.01):.1f}x `ocisec --version`), "
              f"{r['counted_files']} counted, {r['resources']} resources, findings {r['findings']}, "
              f"{len(r['input_errors'])} input errors, {len(r['notes'])} notes/warnings")
        for e in r["input_errors"]:
            print(f"    error {e['path']}:{e['line']} {e['message'][:140]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
