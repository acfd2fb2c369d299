"""SARIF stays within GitHub's upload limits, saying so when results are left out (issue 6, §6)."""

from __future__ import annotations

import dataclasses
import gzip
import json

from scanner.model import Location
from scanner.report import sarif


def _many(make_scan, n: int):
    base = make_scan()
    template = base.findings[0]
    findings = [
        dataclasses.replace(
            template,
            resource=dataclasses.replace(template.resource, address=f"oci_objectstorage_bucket.b{i}"),
            message=f"Bucket oci_objectstorage_bucket.b{i} is encrypted with an Oracle-managed key {i * 7919}",
            location=Location(f"f{i % 500}.tf", i % 900 + 1, i % 900 + 1),
        )
        for i in range(n)
    ]
    return dataclasses.replace(base, findings=findings)


def _notes(doc: dict) -> list[str]:
    return [n["message"]["text"] for n in doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]]


def test_at_most_25000_results_with_a_notification(make_scan, monkeypatch):
    assert sarif.MAX_RESULTS == 25_000
    monkeypatch.setattr(sarif, "MAX_RESULTS", 100)  # the same code path, fast
    doc = json.loads(sarif.render(_many(make_scan, 110)))
    assert len(doc["runs"][0]["results"]) == 100
    assert any("10 results left out" in t for t in _notes(doc))


def test_gzipped_size_limit_with_a_notification(monkeypatch, make_scan):
    monkeypatch.setattr(sarif, "MAX_GZIPPED_BYTES", 60_000)
    text = sarif.render(_many(make_scan, 3_000))
    assert len(gzip.compress(text.encode())) <= 60_000
    doc = json.loads(text)
    kept = len(doc["runs"][0]["results"])
    assert 0 < kept < 3_000
    assert any(f"{3_000 - kept} results left out" in t and "10 MB" in t for t in _notes(doc))


def test_small_logs_are_untouched(make_scan):
    doc = json.loads(sarif.render(_many(make_scan, 3)))
    assert len(doc["runs"][0]["results"]) == 3 and not any("left out" in t for t in _notes(doc))
