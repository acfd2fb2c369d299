"""JUnit: well-formed XML, one suite per rule, counts that CI systems trust."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from scanner.report import junit


def _suites(result) -> tuple[ET.Element, dict[str, ET.Element]]:
    root = ET.fromstring(junit.render(result))
    return root, {s.get("name"): s for s in root.findall("testsuite")}


def test_structure_and_counts(result):
    root, suites = _suites(result)
    assert root.tag == "testsuites"
    assert set(suites) == {"OCI-ENC-001", "OCI-SEC-001", "OCI-HA-002", "input-errors"}
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        "5",
        "2",
        "1",
        "1",
    )
    enc = suites["OCI-ENC-001"]
    assert (enc.get("tests"), enc.get("failures")) == ("2", "1")
    cases = {c.get("name"): c for c in enc.findall("testcase")}
    assert cases["oci_objectstorage_bucket.data"].find("failure") is None  # passed: a plain testcase
    failure = cases["oci_objectstorage_bucket.logs"].find("failure")
    assert failure.get("type") == "high" and "main.tf:12" in failure.text
    assert cases["oci_objectstorage_bucket.logs"].get("file") == "main.tf"


def test_unknown_is_skipped_unless_strict(result, make_scan):
    _, suites = _suites(result)
    (case,) = suites["OCI-HA-002"].findall("testcase")
    assert case.find("skipped") is not None and case.find("failure") is None

    root, suites = _suites(make_scan(strict=True))
    (case,) = suites["OCI-HA-002"].findall("testcase")
    assert case.find("failure") is not None and case.find("skipped") is None
    assert (root.get("failures"), root.get("skipped")) == ("3", "0")


def test_input_errors_are_error_cases(result):
    _, suites = _suites(result)
    (case,) = suites["input-errors"].findall("testcase")
    error = case.find("error")
    assert case.get("name") == "broken.tf" and error.get("message") == "Unexpected token '}'"


def test_no_error_suite_without_errors(result):
    result.errors = []
    root, suites = _suites(result)
    assert "input-errors" not in suites and root.get("errors") == "0"
