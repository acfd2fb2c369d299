"""Issue 13, §1: names and paths from a pull request cannot steer what reads ocisec's output.

Hostile resource names, namespaces, file names and suppression reasons (line breaks followed by
``::add-mask::`` / ``::error``, legacy ``##[`` commands, backticks, pipes, ``<img>``, ``](``,
``</details>``, ANSI escapes, a bidi override, NUL) go through every scan format, every diff
format and stderr. Whatever the format: no line a CI runner would execute (``::`` at the start
of a line after blanks, ``##[`` or ``##vso[`` anywhere) unless the github format wrote it on
purpose, no control or bidi character, and every Markdown output stays inert.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from scanner.cli import app
from scanner.guards.safe_text import clean_line, command_lines, defuse
from scanner.report import FORMATS
from scanner.report.diff_report import FORMATS as DIFF_FORMATS
from scanner.report.github import escape_data, escape_property
from scanner.report.markdown_text import md_code, md_text

runner = CliRunner()

HOSTILE = (
    "x\n::add-mask::masked\n  ::error file=a.tf,line=1::forged\r::stop-commands::tok "
    "##[set-output name=a]b ##vso[task.setvariable variable=x]y `tick` | pipe <img src=http://t/p.png> "
    "](http://evil) </details> ![i](http://t/i.png) \x1b[31mred \u202edesrever \x00nul"
)
# Characters no output may carry raw: C0/C1 controls but tab and newline, bidi controls, line
# and paragraph separators.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
GITHUB_COMMAND = re.compile(r"^::(error|warning|notice)( [^:]*)?::[^\r\n]*$")


def _deployment(name: str, extra: str = "") -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        f"  name: {json.dumps(name)}\n  namespace: {json.dumps(name)}\n"
        f"spec:\n{extra}  replicas: 1\n  template:\n    spec:\n      containers:\n"
        "        - name: c\n          image: nginx\n"
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    (root / "deploy.yaml").write_text(_deployment(HOSTILE), encoding="utf-8")
    # An accepted risk whose reason is hostile too: it is printed in every format.
    reason = "ok </details> ![p](http://t/p.png) `x` | y \u202e"
    (root / "accepted.yaml").write_text(
        _deployment("accepted", f"  # ocisec:ignore:OCI-HA-101 {reason}\n"), encoding="utf-8"
    )
    # A file whose name holds a line break and a command, and cannot be parsed: its name is in
    # an input error, printed on stderr or in the report.
    (root / "a\n::error file=x.tf::forged\u202e.tf").write_text('resource "x" {\n', encoding="utf-8")
    return root


def _unsafe_lines(text: str, fmt: str) -> list[str]:
    lines = command_lines(text)
    if fmt == "github":  # its own annotations, one per line, are the only commands allowed
        lines = [ln for ln in lines if not GITHUB_COMMAND.match(ln)]
    return lines


def _check_stream(text: str, fmt: str) -> None:
    assert not _unsafe_lines(text, fmt), _unsafe_lines(text, fmt)[:3]
    assert not UNSAFE.search(text), repr(UNSAFE.search(text))
    assert "\r" not in text


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_scan_format_and_stderr(tree: Path, fmt: str) -> None:
    res = runner.invoke(app, ["scan", str(tree), "--no-cache", "--format", fmt])
    assert res.exit_code == 2, res.output  # the unparsable file
    _check_stream(res.stdout, fmt)
    _check_stream(res.stderr, "text")
    assert "masked" in res.stdout  # the name is shown (escaped), not dropped
    if fmt in ("json", "sarif", "gitlab-sast"):
        doc = json.loads(res.stdout)  # escapes keep the document valid and the text intact
        assert clean_line("::add-mask::masked") in json.dumps(doc) or "::add-mask::masked" in json.dumps(doc)
    if fmt == "junit":
        ET.fromstring(res.stdout)
    if fmt == "html":
        assert "<img src=http" not in res.stdout and "\\u000a" in res.stdout
    if fmt == "markdown":
        _check_markdown(res.stdout)
    if fmt == "github":
        for line in res.stdout.splitlines():
            assert GITHUB_COMMAND.match(line), line


def _check_markdown(text: str) -> None:
    """Rendered as GitHub would: no image, no link but the rule documentation, no raw HTML but
    the report's own <details> blocks (balanced), and every table row keeps its cells."""
    md = MarkdownIt("commonmark").enable("table")
    tokens = md.parse(text)
    inline = [child for t in tokens if t.children for child in t.children]
    assert not [t for t in inline if t.type == "image"]
    hrefs = [t.attrGet("href") for t in inline if t.type == "link_open"]
    assert all(str(h).startswith("https://github.com/ocisec/ocisec/blob/main/docs/rules.md#") for h in hrefs)
    assert not [t for t in inline if t.type == "html_inline"]
    blocks = [t.content.strip() for t in tokens if t.type == "html_block"]
    opened = sum(b.startswith("<details>") for b in blocks)
    closed = sum(b == "</details>" for b in blocks)
    assert opened == closed and all(b.startswith("<details>") or b == "</details>" for b in blocks), blocks
    # GFM drops extra cells and pads missing ones, so a smuggled pipe would not show as a
    # miscount: instead every row of a table must be exactly the header's width in the source.
    widths: list[int] = []
    for t in tokens:
        if t.type == "tr_open":
            widths.append(0)
        elif t.type in ("th_open", "td_open"):
            widths[-1] += 1
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("|---"):
            width = len(_cells(line))
            j = i + 2
            while j < len(lines) and lines[j].startswith("|"):
                assert len(_cells(lines[j])) == width, lines[j]
                j += 1


def _cells(row: str) -> list[str]:
    """Cells of a GFM table row: split on pipes not escaped with a backslash."""
    return re.split(r"(?<!\\)\|", row.strip().strip("|"))


@pytest.mark.parametrize("fmt", sorted(DIFF_FORMATS))
def test_every_diff_format_and_stderr(tree: Path, tmp_path: Path, fmt: str) -> None:
    new = runner.invoke(app, ["scan", str(tree), "--no-cache", "--format", "json"])
    (tmp_path / "new.json").write_text(new.stdout, encoding="utf-8")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "main.tf").write_text('resource "oci_core_vcn" "v" {}\n')
    old = runner.invoke(app, ["scan", str(empty), "--no-cache", "--format", "json"])
    (tmp_path / "old.json").write_text(old.stdout, encoding="utf-8")
    res = runner.invoke(app, ["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--format", fmt])
    assert res.exit_code in (1, 2), res.output
    _check_stream(res.stdout, fmt)
    _check_stream(res.stderr, "text")
    assert "masked" in res.stdout
    if fmt == "markdown":
        _check_markdown(res.stdout)


def test_json_result_read_back_by_diff_is_cleaned(tmp_path: Path) -> None:
    """A result file is input too: a raw control character or line break written into it by
    hand does not reach the diff's output."""
    empty = tmp_path / "e"
    empty.mkdir()
    (empty / "main.tf").write_text('resource "oci_objectstorage_bucket" "b" {\n  name = "b"\n}\n')
    doc = json.loads(runner.invoke(app, ["scan", str(empty), "--no-cache", "--format", "json"]).stdout)
    doc["findings"][0]["resource"]["address"] = HOSTILE
    doc["findings"][0]["message"] = HOSTILE
    (tmp_path / "new.json").write_text(json.dumps(doc))
    doc["findings"] = []
    (tmp_path / "old.json").write_text(json.dumps(doc))
    for fmt in DIFF_FORMATS:
        res = runner.invoke(app, ["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "-f", fmt])
        _check_stream(res.stdout, fmt)


def test_defuse_keeps_json_and_xml_data() -> None:
    text = json.dumps({"a": "##[add-mask]x", "b": "##vso[task]y"}, indent=1)
    safe = defuse(text, "json")
    assert not command_lines(safe) and json.loads(safe) == json.loads(text)
    xml = '<a b="##[x]">\n::warning::y</a>'
    safe = defuse(xml, "xml")
    assert not command_lines(safe)
    assert ET.fromstring(safe).text == "\n::warning::y" and ET.fromstring(safe).get("b") == "##[x]"
    assert defuse("  ::add-mask::x\n::y", "text") == "  \\u003a:add-mask::x\n\\u003a:y"
    # The runner trims every Unicode blank before looking for "::" (.NET TrimStart).
    assert not command_lines(defuse("\u00a0::add-mask::x\n\u3000\t::y", "text"))
    assert command_lines("\u00a0::add-mask::x") and command_lines("a ##[group]b")


def test_github_escapes_as_the_actions_toolkit() -> None:
    # @actions/core's escapeData / escapeProperty
    assert escape_data("50%\r\nnext: a, b") == "50%25%0D%0Anext: a, b"
    assert escape_property("50%\r\nnext: a, b") == "50%25%0D%0Anext%3A a%2C b"


def test_one_markdown_escaping_for_every_markdown_output() -> None:
    import scanner.report.diff_report as diff_report
    import scanner.report.markdown as markdown

    assert diff_report.md is md_text and diff_report.md_code is md_code
    assert markdown.md_text is md_text and markdown.md_code is md_code
    assert md_code("a``b`") == "```a``b````"[:-1] or md_code("a``b`").startswith("```")
    assert "\\|" in md_code("a|b") and "|" in md_code("a|b", cell=False)


def test_stderr_goes_through_one_function() -> None:
    """Every stderr message of the CLI passes through ``say`` (escaping, no command line): a new
    ``typer.echo(..., err=True)`` or ``sys.stderr.write`` elsewhere fails here."""
    root = Path(__file__).resolve().parents[1] / "scanner"
    offenders = []
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"typer\.echo\((?:[^()]|\([^()]*\))*err=True|sys\.stderr\.write|(?<![\w.])print\(", text):
            where = f"{path.relative_to(root)}:{text.count(chr(10), 0, m.start()) + 1}"
            offenders.append(where)
    allowed = {p for p in offenders if p.startswith("cli/common.py")}
    # The live collector's progress line (a terminal only) and the emulator's own log stay.
    allowed |= {p for p in offenders if p.startswith(("sources/oci/", "workflow/docs.py"))}
    assert sorted(set(offenders) - allowed) == []


def test_rules_listing_of_a_hostile_policy_directory(tmp_path: Path) -> None:
    """``policies:`` in the configuration may point at a directory a pull request wrote: the
    rule list and ``rules show`` treat its texts as input too (and rich markup as text)."""
    import yaml

    doc = yaml.safe_load((Path(__file__).resolve().parents[1] / "policies" / "OCI-DAT-003.yaml").read_text())
    doc["id"] = "OCI-XYZ-901"
    doc["title"] = "Title\n::add-mask::x \x1b[31mred \u202e ##[group]g [bold]markup[/bold]"
    doc["rationale"] = "A rationale long enough for the policy schema.\n::error::forged\n##[group]x"
    (tmp_path / "OCI-XYZ-901.yaml").write_text(yaml.safe_dump(doc))
    common = ["--no-config", "--policies-only", str(tmp_path)]
    outputs = [runner.invoke(app, ["rules", *common, "-f", fmt]) for fmt in ("table", "json", "markdown")]
    for fmt in ("text", "json", "markdown"):
        outputs.append(runner.invoke(app, ["rules", "show", "OCI-XYZ-901", *common, "-f", fmt]))
    for res in outputs:
        assert res.exit_code == 0, res.output
        _check_stream(res.stdout, "text")
        _check_stream(res.stderr, "text")
    assert "[bold]markup[/bold]" in outputs[0].stdout.replace("\n", "") or "[bold]" in outputs[0].stdout
