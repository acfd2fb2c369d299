"""Issue 13, §2: a suppression counts only when the file's own parser reports it as a comment.

``# ocisec:ignore:*`` inside a YAML block scalar (``|``, ``>``), a quoted or flow string, an
HCL heredoc or quoted string is data a pull request controls (a ConfigMap's script, a policy
document): it must not accept a risk. Real comments keep working in every syntax, and a
directive naming no known rule is a warning naming its file and line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.sources.comments import comments, json_comments, yaml_comments

runner = CliRunner()


def scan(path: Path, *extra: str) -> dict:
    res = runner.invoke(app, ["scan", str(path), "--no-cache", "--format", "json", *extra])
    assert res.exit_code in (0, 1, 2), res.output
    return json.loads(res.stdout)


def suppressed_rules(doc: dict) -> set[str]:
    return {f["rule_id"] for f in doc.get("suppressed", [])}


def failing_rules(doc: dict) -> set[str]:
    return {f["rule_id"] for f in doc["findings"]}


def _manifest(before_spec: str = "", spec_comment: str = "") -> str:
    """A single-replica Deployment (fails OCI-HA-101), with text placed where an inline comment
    would sit: above the object, and at the end of the replicas line."""
    return (
        f"{before_spec}apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
        f"  replicas: 1{spec_comment}\n  template:\n    spec:\n      containers:\n"
        "        - name: c\n          image: nginx\n"
    )


# A chart template that reads the replica count, so findings point at the values line.
TEMPLATE = "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: {{ .Values.replicaCount }}\n"
FAKES = {
    "literal block scalar": "script: |\n  # ocisec:ignore:* pwned\n",
    "folded block scalar": "script: >\n  # ocisec:ignore:OCI-HA-101 pwned\n",
    "double-quoted string": 'note: "x # ocisec:ignore:OCI-HA-101 pwned"\n',
    "single-quoted string": "note: 'x # ocisec:ignore:OCI-HA-101 pwned'\n",
    "flow sequence string": 'notes: [a, "# ocisec:ignore:OCI-HA-101 pwned"]\n',
    "multi-line quoted": 'note: "first\n  # ocisec:ignore:OCI-HA-101 pwned"\n',
}


@pytest.mark.parametrize("case", sorted(FAKES))
def test_yaml_strings_do_not_suppress_in_a_manifest(tmp_path, case):
    # The fake comment ends on the line directly above `replicas: 1`, the line OCI-HA-101
    # points at: where a real comment line would cover the finding.
    fake = "".join("  " + line + "\n" for line in FAKES[case].splitlines())
    text = _manifest().replace("spec:\n  replicas: 1", "spec:\n" + fake + "  replicas: 1")
    (tmp_path / "m.yaml").write_text(text)
    doc = scan(tmp_path / "m.yaml")
    assert "OCI-HA-101" in failing_rules(doc) and not suppressed_rules(doc), case


@pytest.mark.parametrize("case", sorted(FAKES))
def test_yaml_strings_do_not_suppress_in_values(tmp_path, case):
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 1.0.0\n")
    (chart / "templates" / "deployment.yaml").write_text(TEMPLATE)
    (chart / "values.yaml").write_text(FAKES[case] + "replicaCount: 1\n")
    doc = scan(chart)
    assert "OCI-HA-101" in failing_rules(doc) and not suppressed_rules(doc), case


def test_real_yaml_comments_suppress_in_manifests_and_values(tmp_path):
    (tmp_path / "above.yaml").write_text(_manifest(before_spec="# ocisec:ignore:OCI-HA-101 one replica in dev\n"))
    (tmp_path / "inline.yaml").write_text(_manifest(spec_comment="  # ocisec:ignore:OCI-HA-101 dev"))
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 1.0.0\n")
    (chart / "templates" / "deployment.yaml").write_text(TEMPLATE)
    (chart / "values.yaml").write_text("# ocisec:ignore:OCI-HA-101 dev chart\nreplicaCount: 1\n")
    doc = scan(tmp_path)
    assert "OCI-HA-101" not in failing_rules(doc)
    assert len([f for f in doc["suppressed"] if f["rule_id"] == "OCI-HA-101"]) == 3


BUCKET = 'resource "oci_objectstorage_bucket" "b" {{\n  name = "b"\n  namespace = "n"\n  compartment_id = "c"\n{body}}}\n'


@pytest.mark.parametrize(
    "body",
    [
        '  description = "see # ocisec:ignore:OCI-ENC-001 pwned"\n',
        '  description = "// ocisec:ignore:OCI-ENC-001 pwned"\n',
        "  description = <<EOT\n# ocisec:ignore:OCI-ENC-001 pwned\nEOT\n",
        "  description = <<-EOT\n    // ocisec:ignore:OCI-ENC-001 pwned\n    EOT\n",
    ],
)
def test_hcl_strings_and_heredocs_do_not_suppress(tmp_path, body):
    # The text sits on the line right above `kms_key_id`-less block end and inside the block.
    (tmp_path / "main.tf").write_text(BUCKET.format(body=body))
    doc = scan(tmp_path, "--rule", "OCI-ENC-001")
    assert failing_rules(doc) == {"OCI-ENC-001"} and not suppressed_rules(doc)


PUBLIC = (
    'resource "oci_objectstorage_bucket" "p" {{\n  name = "p"\n  namespace = "n"\n  compartment_id = "c"\n'
    "  access_type = {value}\n}}\n"
)


@pytest.mark.parametrize(
    "value",
    [
        '"# ocisec:ignore:OCI-DAT-001 pwned" != "" ? "ObjectRead" : "NoPublicAccess"',
        '"// ocisec:ignore:OCI-DAT-001 pwned" != "" ? "ObjectRead" : "NoPublicAccess"',
        '"/* ocisec:ignore:OCI-DAT-001 pwned */" != "" ? "ObjectRead" : "NoPublicAccess"',
    ],
)
def test_a_quoted_string_on_the_attribute_line_does_not_suppress(tmp_path, value):
    """The finding points at the ``access_type`` line; the directive-like text on that line is
    inside a string."""
    (tmp_path / "main.tf").write_text(PUBLIC.format(value=value))
    doc = scan(tmp_path, "--rule", "OCI-DAT-001")
    assert failing_rules(doc) == {"OCI-DAT-001"} and not suppressed_rules(doc)


def test_a_real_comment_on_the_attribute_line_suppresses(tmp_path):
    (tmp_path / "main.tf").write_text(PUBLIC.format(value='"ObjectRead" # ocisec:ignore:OCI-DAT-001 public site'))
    doc = scan(tmp_path, "--rule", "OCI-DAT-001")
    assert suppressed_rules(doc) == {"OCI-DAT-001"} and not failing_rules(doc)


def test_heredoc_above_a_block_does_not_suppress_it(tmp_path):
    (tmp_path / "main.tf").write_text(
        'locals {\n  doc = <<EOT\n# ocisec:ignore:*\nEOT\n}\n'
        + BUCKET.format(body="")
    )
    doc = scan(tmp_path, "--rule", "OCI-ENC-001")
    assert failing_rules(doc) == {"OCI-ENC-001"} and not suppressed_rules(doc)


@pytest.mark.parametrize(
    "text",
    [
        "# ocisec:ignore:OCI-ENC-001 cdn holds the key\n" + BUCKET.format(body=""),
        "// ocisec:ignore:OCI-ENC-001 cdn holds the key\n" + BUCKET.format(body=""),
        "/* ocisec:ignore:OCI-ENC-001 cdn holds the key */\n" + BUCKET.format(body=""),
    ],
)
def test_real_hcl_comments_still_suppress(tmp_path, text):
    (tmp_path / "main.tf").write_text(text)
    doc = scan(tmp_path, "--rule", "OCI-ENC-001")
    assert suppressed_rules(doc) == {"OCI-ENC-001"} and not failing_rules(doc)
    assert doc["suppressed"][0]["suppression"]["justification"] == "cdn holds the key"


def test_an_unknown_rule_id_warns_naming_file_and_line(tmp_path):
    (tmp_path / "main.tf").write_text("# ocisec:ignore:OCI-ENC-0001 typo\n" + BUCKET.format(body=""))
    (tmp_path / "values-ok.yaml").write_text("a: 1  # ocisec:ignore:OCI-NOPE-* nothing\n")
    doc = scan(tmp_path, "--rule", "OCI-ENC-001")
    warnings = {(e["path"], e["line"]) for e in doc["errors"] if e["level"] == "warning"}
    assert ("main.tf", 1) in warnings and ("values-ok.yaml", 1) in warnings
    assert all("names no known rule" in e["message"] for e in doc["errors"] if e["level"] == "warning")
    assert failing_rules(doc) == {"OCI-ENC-001"}  # the typo suppressed nothing
    # A known rule that this run does not select is not unknown.
    (tmp_path / "main.tf").write_text("# ocisec:ignore:OCI-DAT-002 versioning later\n" + BUCKET.format(body=""))
    (tmp_path / "values-ok.yaml").unlink()
    doc = scan(tmp_path, "--rule", "OCI-ENC-001")
    assert not [e for e in doc["errors"] if e["level"] == "warning"]


def test_comment_tokens_per_syntax():
    yaml_text = "a: |\n  # no\nb: 'x # no'\nc: x # yes\n# alone\n"
    assert [(c.line, c.alone) for c in yaml_comments(yaml_text)] == [(4, False), (5, True)]
    template = "spec:\n  replicas: {{ .Values.n }} # yes\n  script: |\n{{- if .Values.x }}\n    # no\n{{- end }}\n"
    assert [c.line for c in yaml_comments(template)] == [2]
    tf_json = '{"resource": {"//": "ocisec:ignore:OCI-ENC-001 r", "d": "\\"//\\": \\"ocisec:ignore:*\\""}}'
    assert [c.text for c in json_comments(tf_json)] == ["// ocisec:ignore:OCI-ENC-001 r"]
    assert comments("x.txt", "# a") is None
    hcl = comments("main.tf", 'a = "# no"\nb = <<EOT\n# no\nEOT\n# yes\n')
    assert [c.line for c in hcl] == [5]
