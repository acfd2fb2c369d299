"""Text report: what a person needs to find and fix each finding."""

from __future__ import annotations

from scanner.report import render, text


def test_failed_findings_point_at_file_line_and_resource(result):
    out = text.render(result)
    assert "main.tf:12" in out and "oci_objectstorage_bucket.logs" in out and "OCI-ENC-001" in out
    assert "Object Storage bucket is encrypted" in out
    assert "Fix: Fix OCI-ENC-001 like this." in out
    assert "resource ... {" not in out  # only the remediation's first line
    assert "oci_objectstorage_bucket.data" not in out  # passed findings are only counted


def test_sections_in_order(result):
    out = text.render(result)
    failed_at = out.index("OCI-ENC-001")
    unknown_at = out.index("Could not be decided statically")
    errors_at = out.index("Input errors")
    assert failed_at < unknown_at < out.index("np[0]") < errors_at
    assert "broken.tf:7  Unexpected token '}'" in out


def test_summary_line(result, make_scan):
    last = text.render(result).strip().splitlines()[-1]
    assert last.startswith("2 failed, 1 unknown, 1 passed (failing: 1 critical, 1 high), 1 input error")
    assert "4 resources in 4 files" in last
    strict_last = text.render(make_scan(strict=True)).strip().splitlines()[-1]
    assert "1 medium" in strict_last and "strict" in strict_last


def test_plain_unless_color(result):
    assert "\x1b[" not in text.render(result)
    assert "\x1b[" in text.render(result, color=True)


def test_addresses_with_brackets_are_not_markup(result):
    # rich would swallow "[0]" if addresses were passed as markup.
    assert "module.oke.oci_containerengine_node_pool.np[0]" in text.render(result)


def test_no_planted_secret(result, planted_secret):
    out = render(result, "text", width=40)  # narrow: wrapping must not split the secret past the scrub
    assert planted_secret not in out and "Hunter2" not in out
    assert "var.db_password" in out
