"""Results describe themselves: time, version, target; reproducible with SOURCE_DATE_EPOCH."""

from __future__ import annotations

import dataclasses
import json
import re

from scanner.report import render


def test_json_result_says_when_and_what(result, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    doc = json.loads(render(result, "json"))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", doc["generated_at"])
    assert doc["schema_version"] == "1.3" and doc["tool"]["version"] and doc["root"] == result.root
    assert doc["metadata"] == {}


def test_source_date_epoch_makes_reports_byte_identical(result, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    for fmt in ("json", "html"):
        first, second = render(result, fmt), render(result, fmt)
        assert first == second, fmt
        assert "2026-09-21T14:13:20Z" in first, fmt


def test_producer_metadata_is_kept(result):
    live = dataclasses.replace(
        result,
        metadata={
            "generated_at": "2026-11-20T06:00:00Z",
            "tenancy_id": "ocid1.tenancy.oc1..t",
            "regions": ["eu-frankfurt-1"],
            "snapshot": None,
        },
    )
    doc = json.loads(render(live, "json"))
    assert doc["generated_at"] == "2026-11-20T06:00:00Z"
    assert doc["metadata"] == {
        "regions": ["eu-frankfurt-1"],
        "snapshot": None,
        "tenancy_id": "ocid1.tenancy.oc1..t",
    }


def test_live_style_result_matches_the_schema(result):
    from pathlib import Path

    import jsonschema

    schema = json.loads(
        (Path(__file__).resolve().parents[2] / "scanner" / "report" / "json-output.schema.json").read_text()
    )
    live = dataclasses.replace(result, metadata={"tenancy_id": "t", "snapshot": None, "collection_errors": 0})
    jsonschema.Draft202012Validator(schema).validate(json.loads(render(live, "json")))
