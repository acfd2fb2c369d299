"""The HTML report in a real browser (headless Chromium): the DOM holds the summary numbers,
hostile resource names are text and never run, and the page renders to a non-blank screenshot."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from headless_chromium import dump_dom, png_size_and_pixels, screenshot

from scanner.model import Finding, Provenance, Resource, ScanResult, Status
from scanner.report import render

# Each payload would leave a trace in the DOM if the browser ran it.
SCRIPT_PAYLOAD = "<script>document.title='PWNED';document.body.setAttribute('data-pwned','1')</script>"
IMG_PAYLOAD = "<img src=x onerror=\"document.body.setAttribute('data-pwned','2')\">"
SVG_PAYLOAD = "</text><svg onload=\"document.body.setAttribute('data-pwned','3')\">"


class _Dom(HTMLParser):
    """Element ids -> text, every tag seen, and the whole visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.body_attrs: dict[str, str | None] = {}
        self.by_id: dict[str, str] = {}
        self.text: list[str] = []
        self._open_id: str | None = None
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if tag == "body":
            self.body_attrs = attrs
        self._in_title = tag == "title"
        self._open_id = attrs.get("id")

    def handle_data(self, data):
        self.text.append(data)
        if self._in_title:
            self.title += data
        if self._open_id:
            self.by_id[self._open_id] = self.by_id.get(self._open_id, "") + data

    def handle_endtag(self, tag):
        self._open_id = None
        self._in_title = False


def _hostile_result(rules) -> ScanResult:
    def res(n: int, name: str, region: str) -> Resource:
        ocid = f"ocid1.bucket.oc1..{n}"
        return Resource(
            "oci_objectstorage_bucket",
            ocid,
            {"name": name},
            Provenance(source="oci", ocid=ocid, region=region, compartment_id="ocid1.compartment.oc1..c"),
        )

    a, b, c = (
        res(1, SCRIPT_PAYLOAD, "eu-frankfurt-1"),
        res(2, IMG_PAYLOAD, "us-ashburn-1"),
        res(3, "ok", SVG_PAYLOAD),
    )
    findings = [
        Finding("OCI-ENC-001", Status.FAILED, a, f"Bucket {SCRIPT_PAYLOAD} uses an Oracle-managed key", None),
        Finding("OCI-ENC-001", Status.FAILED, b, f"Bucket {IMG_PAYLOAD} uses an Oracle-managed key", None),
        Finding("OCI-ENC-001", Status.PASSED, c, "ok", None),
        Finding("OCI-HA-002", Status.UNKNOWN, c, "placement not collected", None),
    ]
    return ScanResult(
        rules=list(rules),
        findings=findings,
        errors=[],
        root="/x",
        source_categories=["oci"],
        resource_count=3,
        metadata={"tenancy_id": "ocid1.tenancy.oc1..t"},
    )


@pytest.fixture
def hostile_page(tmp_path, result) -> Path:
    page = tmp_path / "report.html"
    page.write_text(render(_hostile_result(result.rules), "html"), encoding="utf-8")
    return page


def test_browser_dom_shows_summary_and_hostile_names_as_text(hostile_page):
    dom = _Dom()
    dom.feed(dump_dom(hostile_page))
    assert dom.by_id["count-failed"] == "2"
    assert dom.by_id["count-passed"] == "1"
    assert dom.by_id["count-unknown"] == "1"
    assert dom.by_id["compliance"] == "33%"
    # nothing ran: no marker, no changed title, no element the payloads would have created
    assert "data-pwned" not in dom.body_attrs
    assert "PWNED" not in dom.title
    assert "script" not in dom.tags and "img" not in dom.tags
    assert dom.tags.count("svg") >= 3  # the charts are there, and no svg from the payload... (below)
    text = "".join(dom.text)
    # ...each payload is on the page as the literal text it is
    for payload in (SCRIPT_PAYLOAD, IMG_PAYLOAD, SVG_PAYLOAD):
        assert payload in text


def test_browser_screenshot_is_a_rendered_page(hostile_page, tmp_path):
    png = screenshot(hostile_page, tmp_path / "shot.png", 1280, 1400)
    width, height, pixels = png_size_and_pixels(png)
    assert (width, height) == (1280, 1400)
    assert len(png) > 20_000  # a blank page compresses to a few hundred bytes
    assert len(set(pixels)) > 50  # many distinct byte values: text, colours, charts


def test_browser_renders_the_insecure_platform_report(tmp_path):
    from scanner.workflow.scan import ScanOptions, run_scan

    platform = Path(__file__).resolve().parents[2] / "fixtures" / "platform" / "insecure"
    result, _ = run_scan([platform], ScanOptions())
    page = tmp_path / "platform.html"
    page.write_text(render(result, "html"), encoding="utf-8")
    dom = _Dom()
    dom.feed(dump_dom(page))
    assert int(dom.by_id["count-failed"]) == len(result.by_status(Status.FAILED))
    assert int(dom.by_id["count-passed"]) == len(result.by_status(Status.PASSED))
    assert dom.tags.count("article") == len(result.by_status(Status.FAILED)) + len(
        result.by_status(Status.UNKNOWN)
    )
    png = screenshot(page, tmp_path / "platform.png", 1280, 2400)
    assert png_size_and_pixels(png)[:2] == (1280, 2400)


def test_browser_renders_the_diff_report(tmp_path, result):
    import dataclasses

    from scanner.model.diff import Side
    from scanner.report.diff_report import render as render_diff
    from scanner.workflow.diff import compare

    old = dataclasses.replace(result, errors=[])
    fixed = [
        dataclasses.replace(f, status=Status.PASSED) if f.rule_id == "OCI-ENC-001" else f
        for f in old.findings
    ]
    new = dataclasses.replace(old, findings=[*fixed, *_hostile_result(result.rules).findings])
    page = tmp_path / "diff.html"
    page.write_text(
        render_diff(compare(Side("old.json", "json", old), Side("new.json", "json", new)), "html")
    )
    dom = _Dom()
    dom.feed(dump_dom(page))
    assert (dom.by_id["count-new"], dom.by_id["count-fixed"], dom.by_id["count-persisting"]) == (
        "2",
        "1",
        "1",
    )
    assert "data-pwned" not in dom.body_attrs and "script" not in dom.tags and "img" not in dom.tags
    assert SCRIPT_PAYLOAD in "".join(dom.text)
    width, _, pixels = png_size_and_pixels(screenshot(page, tmp_path / "diff.png", 1280, 1200))
    assert width == 1280 and len(set(pixels)) > 50
