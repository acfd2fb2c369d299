"""The side-by-side table of cis_reports.py and ocisec (benchmarks/cis_reports_compare.py) marks
exactly the recommendations on which the two verdicts differ."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("cis_reports_compare", ROOT / "benchmarks" / "cis_reports_compare.py")
assert spec and spec.loader
compare = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compare)


def test_rows_differ_only_where_the_verdicts_do():
    theirs = {
        "1.1": {"Compliant": "Yes", "Findings": "", "Total": "3"},
        "2.1": {"Compliant": "No", "Findings": "1", "Total": "2"},
        "4.10": {"Compliant": "Yes", "Findings": "", "Total": "1"},
        "1.5": {"Compliant": "N/A", "Findings": "", "Total": ""},
    }
    ours = {
        "1.1": {"status": "manual", "failing": []},  # a heuristic that passed: the same verdict
        "2.1": {"status": "non-compliant", "failing": [{}]},
        "4.10": {"status": "non-compliant", "failing": [{}, {}]},
        "1.5": {"status": "unknown", "failing": []},
    }
    text, total, differ = compare.table("case", theirs, ours)
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines() if line.startswith("| ") and "CIS" not in line}
    assert total == 4 and differ == 1
    assert rows["4.10"].endswith("| differ |") and not rows["2.1"].endswith("| differ |")
    # Recommendations are in the benchmark's order, 4.10 after 2.1 (not after 4.1 as text sorts).
    assert list(rows) == ["1.1", "1.5", "2.1", "4.10"]
