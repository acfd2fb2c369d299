"""The condition language: three-valued results, paths, quantifiers, distinct counts."""

from __future__ import annotations

import pytest

from scanner.engine.conditions import Evaluator, duration_days, resolve
from scanner.engine.registry import ResourceIndex
from scanner.model import Location, Provenance, Resource, Unknown

KEY = Unknown("oci_kms_key.k.id is known after apply", nonnull=True, ref="oci_kms_key.k")
VAR = Unknown("var.k has no value", symbol="var.k")


def res(**attrs) -> Resource:
    return Resource("oci_x", "oci_x.r", attrs, Provenance("terraform", Location("m.tf", 1, 9)))


def ev(cond, r, **params):
    return Evaluator(params, ResourceIndex([r])).run(cond, r)


@pytest.mark.parametrize(
    "value, op, expected",
    [
        ("ocid1.key", "exists", True),
        (KEY, "exists", True),  # a resource reference is certainly set
        (VAR, "exists", None),  # a variable without value may be null
        ("", "exists", False),
        (None, "absent", True),
        (KEY, "absent", False),
        (VAR, "absent", None),
        (VAR, "written", True),
        (None, "written", False),
        ("literal", "not_literal", False),
        (VAR, "not_literal", True),
        (KEY, "not_literal", True),
    ],
)
def test_presence_ops(value, op, expected):
    assert ev({"attr": "a", "op": op}, res(a=value)).result is expected


def test_missing_attribute():
    r = res()
    assert ev({"attr": "a", "op": "exists"}, r).result is False
    assert ev({"attr": "a", "op": "absent"}, r).result is True
    assert ev({"attr": "a", "op": "equals", "value": "x"}, r).result is False
    assert ev({"attr": "a", "op": "not_equals", "value": "x"}, r).result is True


def test_paths_map_over_nested_blocks_and_report_the_failing_one():
    r = res(pc=[{"ad": "AD-1", "fd": ["FD-1"]}, {"ad": None}, {"ad": "AD-3"}])
    assert [p for _, p in resolve(r.attributes, "pc.ad")] == ["pc.0.ad", "pc.1.ad", "pc.2.ad"]
    out = ev({"attr": "pc.ad", "op": "exists"}, r)
    assert out.result is False and out.path == "pc.1.ad"


def test_three_valued_combinators():
    r = res(a="x", u=VAR)
    t, f, u = {"attr": "a", "op": "exists"}, {"attr": "b", "op": "exists"}, {"attr": "u", "op": "equals", "value": 1}
    assert ev({"all": [t, u]}, r).result is None
    assert ev({"all": [f, u]}, r).result is False
    assert ev({"any": [t, u]}, r).result is True
    assert ev({"any": [f, u]}, r).result is None
    assert ev({"none": [f]}, r).result is True
    assert ev({"not": u}, r).result is None


@pytest.mark.parametrize("text, days", [("P90D", 90), ("PT2160H", 90), ("P3M", 90), ("P1Y", 365), ("P1W", 7), ("junk", None)])
def test_iso8601_durations(text, days):
    assert duration_days(text) == days


def test_duration_and_numeric_compare_with_params():
    r = res(rot={"interval": "P30D"}, days=400)
    assert ev({"attr": "rot.interval", "op": "duration_lte", "param": "max"}, r, max=90).result is True
    assert ev({"attr": "days", "op": "lte", "param": "max"}, r, max=365).result is False


def test_each_with_where_and_any():
    rules = [{"type": "DELETION"}, {"type": "EXPIRY", "interval": "P200D"}, {"type": "EXPIRY", "interval": "P30D"}]
    cond = {"each": "rules", "where": {"attr": "type", "op": "equals", "value": "EXPIRY"},
            "any": {"attr": "interval", "op": "duration_lte", "value": 90}}
    assert ev(cond, res(rules=rules)).result is True
    assert ev(cond, res(rules=rules[:2])).result is False
    assert ev(cond, res(rules=[])).result is False
    assert ev(cond, res(rules=Unknown("dynamic block over unknown"))).result is None


def test_distinct_counts_treat_indexed_unknowns_as_distinct():
    ads = [Unknown("d", symbol=f"data.oci_identity_availability_domains.a.availability_domains[{i}].name") for i in range(2)]
    cond = {"distinct": "pc.ad", "op": "gte", "value": 2}
    assert ev(cond, res(pc=[{"ad": a} for a in ads])).result is True
    assert ev(cond, res(pc=[{"ad": "AD-1"}, {"ad": "AD-1"}])).result is False
    assert ev(cond, res(pc=[{"ad": "AD-1"}, {"ad": VAR}])).result is None


def test_count_of_operand():
    r = res(ncd=[{"size": 2, "pc": [{"ad": 1}, {"ad": 2}, {"ad": 3}]}])
    cond = {"attr": "ncd.size", "op": "gte", "count_of": "ncd.pc"}
    assert ev(cond, r).result is False
