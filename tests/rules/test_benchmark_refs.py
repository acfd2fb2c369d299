"""Benchmark references on policies are structured, schema-validated and agree with the table of
recommendations in ``scanner.model.benchmarks``."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.engine.policy import load_rule_file, load_rules
from scanner.model.benchmarks import BENCHMARKS, CIS_OCI_3_0, control_key, get_benchmark

RULES, ERRORS = load_rules()
CIS_FRAMEWORK = "CIS OCI Foundations Benchmark v3.0"


def test_the_v3_table_has_the_54_recommendations_in_six_sections():
    recs = CIS_OCI_3_0.recommendations
    assert len(recs) == 54 and len({r.control for r in recs}) == 54
    assert [r.control for r in recs] == sorted((r.control for r in recs), key=control_key)
    assert {r.section for r in recs} == {"1", "2", "3", "4", "5", "6"}
    assert {r.profile for r in recs} == {"automated", "manual"}
    by = {r.control: r for r in recs}
    # Spot checks against the benchmark: levels and assessment status differ per recommendation.
    assert (by["3.1"].level, by["4.13"].level, by["1.15"].level, by["1.1"].level) == (2, 2, 2, 1)
    assert (by["1.5"].profile, by["2.1"].profile) == ("manual", "automated")
    assert "1.17" in by and "4.18" in by and "1.16" not in {r.control for r in get_benchmark("cis-oci-2.0").recommendations}


def test_unknown_benchmark_names_the_known_ones():
    with pytest.raises(KeyError, match="cis-oci-3.0"):
        get_benchmark("cis-oci-9.9")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_reference_names_a_real_recommendation_with_its_level(rule):
    for ref in rule.benchmarks:
        bench = BENCHMARKS[f"{ref['id']}-{ref['version']}"]
        rec = bench.get(ref["control"])
        assert rec is not None, (rule.id, ref)
        assert ref["level"] == rec.level, (rule.id, ref, rec)
        if rec.profile is not None:
            assert ref["profile"] == rec.profile, (rule.id, ref, rec)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_cis_references_and_structured_refs_agree(rule):
    cited = {r["id"] for r in rule.references if r.get("framework") == CIS_FRAMEWORK}
    structured = {b["control"] for b in rule.benchmarks if b["version"] == "3.0"}
    assert cited == structured


def test_fixed_references():
    by_id = {r.id: r for r in RULES}
    assert [b["control"] for b in by_id["OCI-OPS-201"].benchmarks] == ["4.14"]
    assert [b["control"] for b in by_id["OCI-IAM-202"].benchmarks] == ["1.12"]


def test_schema_rejects_a_malformed_reference(tmp_path: Path):
    good = Path(RULES[0].source_file).read_text()
    for bad in (
        '{id: cis-oci, version: "3.0", control: "2.1", level: 3, profile: automated}',
        '{id: cis-oci, version: "3.0", control: "2.1", level: 1, profile: sometimes}',
        '{id: cis-oci, version: "3.0", control: "two", level: 1, profile: manual}',
        '{id: cis-oci, version: "3.0", control: "2.1", level: 1}',
    ):
        path = tmp_path / f"{RULES[0].id}.yaml"
        text = good.replace("benchmarks:\n", "benchmarks:\n  - " + bad + "\n", 1)
        if "benchmarks:" not in good:
            text = good + "benchmarks:\n  - " + bad + "\n"
        path.write_text(text)
        with pytest.raises(ValueError, match="benchmarks"):
            load_rule_file(path)
