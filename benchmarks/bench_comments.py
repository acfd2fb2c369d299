#!/usr/bin/env python3
"""Suppression comments on real-world files: the parsers' comment tokens against a line pattern.

    python benchmarks/bench_comments.py DIR [DIR...] [--show N]

Every ``.tf``, ``.tfvars``, ``.yaml`` and ``.yml`` file under the directories (public charts and
Terraform you did not write, kept outside the repository) is read twice:

- by ``scanner.sources.comments`` (tree-sitter-hcl's comment nodes; the gaps between PyYAML's
  tokens, chart template actions blanked), which is what suppressions use;
- by the line pattern suppressions used before (``#`` or ``//`` after a blank or at the start of
  a line), as the baseline.

It prints the number of comment lines each finds, the lines only one of them finds (with
``--show N``, N of them to judge by hand: a line the pattern alone calls a comment is text inside
a block scalar, heredoc or string, unless the judge says otherwise), and the time of each,
with the ratio against the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scanner.sources.comments import comments  # noqa: E402

SUFFIXES = (".tf", ".tfvars", ".yaml", ".yml")
# The previous suppression lexer: a "#" or "//" at the start of a line or after a blank.
_LINE = re.compile(r"(^|\s)(#|//)")


def line_comments(text: str) -> set[int]:
    """Lines the old pattern takes for comments."""
    return {i for i, line in enumerate(text.splitlines(), 1) if _LINE.search(line)}


def token_comments(name: str, text: str) -> set[int]:
    """Lines on which a real comment token starts or continues."""
    found = comments(name, text) or []
    return {line for c in found for line in range(c.line, c.end_line + 1)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--show", type=int, default=10, help="disagreements to print for review")
    args = parser.parse_args()
    files: list[Path] = []
    for d in args.dirs:
        for root, dirnames, names in os.walk(d):
            dirnames[:] = sorted(n for n in dirnames if not n.startswith("."))
            files += [Path(root) / n for n in sorted(names) if n.endswith(SUFFIXES)]
    texts = {f: f.read_text(encoding="utf-8", errors="replace") for f in files}
    start = time.perf_counter()
    old = {f: line_comments(t) for f, t in texts.items()}
    t_old = time.perf_counter() - start
    start = time.perf_counter()
    new = {f: token_comments(f.name, t) for f, t in texts.items()}
    t_new = time.perf_counter() - start
    only_old = [(f, n) for f in files for n in sorted(old[f] - new[f])]
    only_new = [(f, n) for f in files for n in sorted(new[f] - old[f])]
    print(f"files: {len(files)} ({sum(len(t) for t in texts.values()) / 1e6:.1f} MB)")
    print(f"comment lines: tokens {sum(map(len, new.values()))}, line pattern {sum(map(len, old.values()))}")
    print(f"only the line pattern: {len(only_old)} lines; only the tokens: {len(only_new)} lines")
    ratio = t_new / max(t_old, 1e-9)
    print(f"time: line pattern {t_old:.3f} s (baseline), tokens {t_new:.3f} s, ratio {ratio:.1f}x")
    for label, rows in (("line pattern only", only_old), ("tokens only", only_new)):
        for f, n in rows[: args.show]:
            line = texts[f].splitlines()[n - 1].strip()
            print(f"  [{label}] {f}:{n}: {line[:100]}")


if __name__ == "__main__":
    main()
