"""The benchmark harness: target scaling, ratios, report reading and the commands it runs."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_vs_checkov.py"


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_vs_checkov", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    # dataclasses resolve their module through sys.modules.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


def test_cold_target_grows_by_a_fixed_time_per_further_megabyte():
    assert bench.cold_target_seconds(500_000) == pytest.approx(1.0)
    assert bench.cold_target_seconds(1_180_000) == pytest.approx(1.204)  # the core landing zone
    assert bench.cold_target_seconds(1_500_000) == pytest.approx(1.3)


def test_cold_target_is_not_scaled_below_the_reference_corpus():
    assert bench.cold_target_seconds(65_000) == pytest.approx(1.0)


def test_warm_target_stays_fixed_while_cold_target_grows():
    corpus = bench.CorpusSize(tf_files=300, tf_bytes=1_000_000)
    cold = bench.ToolTiming("ocisec cold", ["ocisec"], runs=[bench.ProcessRun(1.1, 1, 0)])
    warm = bench.ToolTiming("ocisec warm", ["ocisec"], runs=[bench.ProcessRun(0.4, 1, 0)])
    cold_verdict, warm_verdict = bench.evaluate_targets(corpus, cold, warm)
    assert cold_verdict.target_seconds == pytest.approx(1.15) and cold_verdict.passed
    assert warm_verdict.target_seconds == pytest.approx(0.35) and not warm_verdict.passed


def test_median_and_peak_rss_over_runs():
    runs = [bench.ProcessRun(3.0, 100, 1), bench.ProcessRun(1.0, 300, 1), bench.ProcessRun(2.0, 200, 1)]
    timing = bench.ToolTiming("checkov", ["checkov"], runs=runs)
    assert timing.median_seconds == 2.0
    assert timing.peak_rss_kib == 300
    timed = bench.ToolTiming("x", ["x"], runs=[bench.ProcessRun(1.0, 1, 0, 0.5), bench.ProcessRun(9.0, 1, 0, 0.7)])
    assert timed.median_cpu_seconds == pytest.approx(0.6)


def test_speed_ratio_is_checkov_time_over_ocisec_time():
    assert bench.speed_ratio(30.0, 2.0) == pytest.approx(15.0)
    assert bench.format_ratio(bench.speed_ratio(30.0, 2.0)) == "15.0x"


def test_speed_ratio_is_unavailable_when_a_side_was_not_measured():
    assert bench.speed_ratio(None, 2.0) is None
    assert bench.speed_ratio(30.0, None) is None
    assert bench.speed_ratio(30.0, 0.0) is None
    assert bench.format_ratio(None) == "n/a"


def test_checkov_parse_errors_from_single_and_multi_framework_reports():
    single = {"check_type": "terraform", "summary": {"parsing_errors": 1, "failed": 66}}
    assert bench.count_checkov_parse_errors(single) == 1
    assert bench.count_checkov_parse_errors([single, {"summary": {"parsing_errors": 2}}]) == 3
    # An empty-corpus report has no summary.parsing_errors: unknown, not zero.
    assert bench.count_checkov_parse_errors({"passed": 0, "failed": 0}) is None


def test_ocisec_parse_errors_are_the_errors_list():
    assert bench.count_ocisec_parse_errors({"errors": [{"path": "a.tf"}, {"path": "b.tf"}]}) == 2
    assert bench.count_ocisec_parse_errors({"errors": []}) == 0
    assert bench.count_ocisec_parse_errors(None) is None


def test_corpus_size_counts_tf_files_and_skips_hidden_directories(tmp_path):
    (tmp_path / "main.tf").write_text("a" * 10)
    (tmp_path / "modules" / "vcn").mkdir(parents=True)
    (tmp_path / "modules" / "vcn" / "vcn.tf").write_text("b" * 5)
    (tmp_path / "README.md").write_text("not terraform")
    (tmp_path / ".terraform" / "modules").mkdir(parents=True)
    (tmp_path / ".terraform" / "modules" / "vendored.tf").write_text("c" * 100)
    assert bench.measure_corpus(tmp_path) == bench.CorpusSize(tf_files=2, tf_bytes=15)


def test_parser_defaults_to_three_runs_and_rejects_zero():
    args = bench.build_parser().parse_args(["corpus"])
    assert args.runs == 3 and not args.json
    with pytest.raises(SystemExit):
        bench.build_parser().parse_args(["corpus", "--runs", "0"])


def test_unexpected_exit_code_fails_with_the_tools_stderr():
    failing = [sys.executable, "-c", "import sys; sys.stderr.write('no such option'); sys.exit(3)"]
    with pytest.raises(bench.BenchmarkError, match="exited with 3:\n.*no such option"):
        bench.run_measured(failing)


def test_exit_code_one_means_findings_and_is_accepted():
    run = bench.run_measured([sys.executable, "-c", "import sys; sys.exit(1)"])
    assert run.exit_code == 1 and run.peak_rss_kib > 0


def test_missing_ocisec_fails_before_anything_is_timed(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    assert bench.main([str(tmp_path), "--skip-checkov"]) == 2
    assert "ocisec not found" in capsys.readouterr().err


def _fake_tool(path: Path, body: str) -> str:
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    path.chmod(0o755)
    return str(path)


def test_commands_and_report_numbers_end_to_end(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "main.tf").write_text('resource "oci_core_vcn" "v" {}\n')
    log = tmp_path / "ocisec-argv.log"
    # Like the real CLI: exit 2 when an input failed to parse, report still written.
    ocisec = _fake_tool(
        tmp_path / "ocisec",
        f"""
        import json, sys
        args = sys.argv[1:]
        if args == ["--version"]:
            print("ocisec 0.0-fake")
            sys.exit(0)
        with open({str(log)!r}, "a") as log:
            log.write(json.dumps(args) + "\\n")
        with open(args[args.index("--output") + 1], "w") as out:
            json.dump({{"errors": [{{"path": "bad.tf"}}], "findings": []}}, out)
        sys.exit(2)
        """,
    )
    checkov = _fake_tool(
        tmp_path / "checkov",
        """
        import json, sys
        if sys.argv[1:] == ["--version"]:
            print("3.0.0")
            sys.exit(0)
        print(json.dumps({"check_type": "terraform", "summary": {"parsing_errors": 2}}))
        sys.exit(1)
        """,
    )
    code = bench.main([str(corpus), "--runs", "2", "--json", "--ocisec", ocisec, "--checkov", checkov])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["corpus"]["tf_files"] == 1
    assert summary["ocisec_cold"]["parse_errors"] == 1
    assert summary["checkov"]["parse_errors"] == 2
    assert summary["ratios"]["checkov_over_ocisec_cold"] is not None

    calls = [json.loads(line) for line in log.read_text().splitlines()]
    preflight, cold, populate, warm = calls[0], calls[1:3], calls[3], calls[4:]
    assert "--no-cache" in preflight
    assert all("--no-cache" in c and c[c.index("--output") + 1] == os.devnull for c in cold)
    cache_dirs = {c[c.index("--cache-dir") + 1] for c in [populate, *warm]}
    assert len(warm) == 2 and len(cache_dirs) == 1
    # The cache must not be written into the corpus being measured.
    assert not Path(cache_dirs.pop()).is_relative_to(corpus)
