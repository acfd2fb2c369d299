"""The pre-commit latency benchmark's own parts: the repository it prepares, the edits it makes
between runs and the CPU time it reads (its figures are in the README, not asserted here)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_precommit.py"


def _load():
    spec = importlib.util.spec_from_file_location("bench_precommit", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module through sys.modules
    spec.loader.exec_module(module)
    return module


bench = _load()


def test_prepare_makes_a_git_repo_whose_hook_is_this_repository(tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / ".terraform").mkdir(parents=True)
    (corpus / "main.tf").write_text('resource "oci_core_vcn" "v" {}\n')
    (corpus / ".terraform" / "junk.tf").write_text("x")
    tree = bench.prepare(corpus, tmp_path / "work")
    config = (tree / ".pre-commit-config.yaml").read_text()
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=bench.REPO, capture_output=True, text=True).stdout.strip()
    assert f"repo: {bench.REPO}" in config and f"rev: {head}" in config and "id: ocisec" in config
    assert not (tree / ".terraform").exists()
    status = subprocess.run(["git", "status", "--porcelain"], cwd=tree, capture_output=True, text=True).stdout
    assert status == ""  # everything committed: only the benchmark's edits show as changes


def test_each_edit_changes_the_file(tmp_path):
    target = tmp_path / "main.tf"
    target.write_text("a = 1\n")
    bench.edit(target, 0)
    first = target.read_bytes()
    bench.edit(target, 0)
    assert target.read_bytes() != first and target.read_text().startswith("a = 1\n")


def test_timed_reports_wall_cpu_and_exit_code(tmp_path):
    burn = "import sys\nx = 0\nfor i in range(2_000_000): x += i\nsys.exit(3)"
    wall, cpu, code = bench.timed([sys.executable, "-c", burn], tmp_path, {})
    assert code == 3 and cpu > 0.01 and wall >= cpu * 0.5
