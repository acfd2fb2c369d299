"""benchmarks/helm_corpus.py: only the rules the labels cover are judged, and --check judges the
latest held-out split."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "helm_corpus.py"


def _load():
    spec = importlib.util.spec_from_file_location("helm_corpus_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


helm_corpus = _load()

# One Deployment with one replica: OCI-HA-101 fails at spec.replicas (line 6); the manifest also
# fails rules the labels below do not cover (no readiness probe, metadata service reachable).
MANIFEST = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n"
    "  template:\n    spec:\n      containers:\n        - name: web\n          image: web:1\n"
)


@pytest.mark.parametrize(
    ("rule", "judged"),
    [("OCI-HA-101", True), ("OCI-SEC-102", True), ("OCI-HA-402", False), ("OCI-IAM-406", False)],
)
def test_rules_judged_by_id_or_prefix(rule, judged):
    assert helm_corpus.is_judged(rule, ["OCI-SEC-*", "OCI-HA-101"]) is judged


def _corpus(tmp_path: Path, label_line: int) -> tuple[Path, Path]:
    root = tmp_path / "corpus"
    (root / "web").mkdir(parents=True)
    (root / "web" / "deploy.yaml").write_text(MANIFEST)
    labels = tmp_path / "labels.yaml"
    labels.write_text(
        'judged_rules: ["OCI-SEC-*", "OCI-HA-101"]\ncorpus:\n'
        "  - name: web\n    split: heldout9\n    findings:\n"
        f'      - {{rule: OCI-HA-101, at: "deploy.yaml:{label_line}", why: one replica}}\n'
    )
    return root, labels


def test_findings_of_rules_the_labels_do_not_cover_are_not_judged(tmp_path, capsys):
    root, labels = _corpus(tmp_path, 6)
    assert helm_corpus.main([str(root), "--labels", str(labels), "--json", "--check", "--split", "heldout9"]) == 0
    report = json.loads(capsys.readouterr().out)
    held = report["splits"]["heldout9"]
    assert (held["true_positives"], held["false_positives"], held["missed"]) == (1, 0, 0)
    [entry] = report["entries"]
    assert entry["not_judged"]  # the platform rules' findings are listed, not counted
    assert all(not x.startswith(("OCI-HA-101", "OCI-SEC")) for x in entry["not_judged"])


def test_check_fails_when_the_latest_held_out_split_misses_a_target(tmp_path, capsys):
    root, labels = _corpus(tmp_path, 5)  # a label at the wrong line: one miss, one false finding
    assert helm_corpus.main([str(root), "--labels", str(labels), "--json", "--check", "--split", "heldout9"]) == 1
    held = json.loads(capsys.readouterr().out)["splits"]["heldout9"]
    assert (held["precision"], held["recall"]) == (0.0, 0.0)


def test_check_without_a_split_judges_the_last_held_out_split_the_labels_name(tmp_path, capsys):
    root, labels = _corpus(tmp_path, 6)  # heldout9: right
    (root / "web2").mkdir()
    (root / "web2" / "deploy.yaml").write_text(MANIFEST)
    labels.write_text(
        labels.read_text()
        + "  - name: web2\n    split: heldout13\n    findings:\n"
        + '      - {rule: OCI-HA-101, at: "deploy.yaml:5", why: wrong line}\n'
    )
    assert helm_corpus.main([str(root), "--labels", str(labels), "--json", "--check"]) == 1
    splits = json.loads(capsys.readouterr().out)["splits"]
    assert list(splits) == ["heldout9", "heldout13"]
    assert splits["heldout13"]["recall"] == 0.0 and splits["heldout9"]["recall"] == 1.0
    assert helm_corpus.main([str(root), "--labels", str(labels), "--json", "--check", "--split", "heldout9"]) == 0


def test_an_unknown_split_is_a_usage_error(tmp_path):
    root, labels = _corpus(tmp_path, 6)
    with pytest.raises(SystemExit) as exit_:
        helm_corpus.main([str(root), "--labels", str(labels), "--split", "heldout99"])
    assert exit_.value.code == 2
