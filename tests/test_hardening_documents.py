"""Issue 13, §4 and §5: every file ocisec reads is bounded and checked against a schema of its
format; bad input is exit 2 with an error naming the file (and JSON path), never exit 3, and
the other inputs' findings are still reported.

Covered: standard input, chart templates, values files, ``values.schema.json`` (size, nesting,
reference loops, unresolvable references, backtracking patterns), snapshots, baselines, ``diff``
inputs and the configuration file.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.guards.limits import LIMITS
from scanner.guards.safe_regex import jsonschema_patterns_bounded

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "fixtures" / "live" / "example-snapshot.json"
runner = CliRunner()

DEPLOYMENT = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n"
    "  template:\n    spec:\n      containers:\n        - name: c\n          image: nginx\n"
)


@pytest.fixture(autouse=True)
def _limits():
    """Each test may lower a limit with --limit; the process-wide limits come back after it."""
    saved = copy.copy(LIMITS)
    yield
    for name, value in vars(saved).items():
        setattr(LIMITS, name, value)


def invoke(*args: str, stdin: str | bytes | None = None):
    res = runner.invoke(app, list(args), input=stdin)
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output and "internal error" not in res.stderr, res.stderr
    return res


def _chart(root: Path, schema: str | None = None, values: str = "replicaCount: 1\nimage:\n  repository: aaa\n") -> Path:
    chart = root / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 1.0.0\n")
    (chart / "values.yaml").write_text(values)
    (chart / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: {{ .Values.replicaCount }}\n"
    )
    if schema is not None:
        (chart / "values.schema.json").write_text(schema)
    return chart


# --- §4: bounded work on every input ------------------------------------------------------------


def test_stdin_stops_at_max_file_bytes():
    res = invoke("scan", "-", "--no-cache", "--format", "json", "--limit", "max_file_bytes=60000",
                 stdin="# padding\n" * 10_000)  # fmt: skip
    assert res.exit_code == 2
    errors = json.loads(res.stdout)["errors"]
    assert errors[0]["path"] == "<stdin>" and "max_file_bytes=60000" in errors[0]["message"]


def test_stdin_within_the_limit_is_scanned():
    res = invoke("scan", "-", "--no-cache", "--format", "json", stdin=DEPLOYMENT)
    assert res.exit_code == 1
    assert any(f["rule_id"] == "OCI-HA-101" for f in json.loads(res.stdout)["findings"])


def test_a_template_over_the_limit_is_an_input_error_and_the_chart_is_still_judged(tmp_path):
    chart = _chart(tmp_path)
    (chart / "templates" / "huge.yaml").write_text("kind: ConfigMap\n" + "x: y\n" * 20_000)
    res = invoke("scan", str(chart), "--no-cache", "--format", "json", "--limit", "max_file_bytes=60000")
    doc = json.loads(res.stdout)
    assert res.exit_code == 2
    assert [e["path"] for e in doc["errors"]] == ["templates/huge.yaml"]  # relative to the chart scanned
    assert "too large" in doc["errors"][0]["message"]
    assert any(f["resource"]["address"] == "web[base]" for f in doc["findings"])  # values still judged


def test_a_values_file_that_is_a_fifo_is_refused_without_waiting(tmp_path):
    chart = _chart(tmp_path)
    os.mkfifo(chart / "values-prod.yaml")
    res = invoke("scan", str(chart), "--no-cache", "--format", "json")
    doc = json.loads(res.stdout)
    assert res.exit_code == 2 and doc["errors"][0]["path"] == "values-prod.yaml"
    assert "named pipe" in doc["errors"][0]["message"]


@pytest.mark.parametrize(
    "schema, expected",
    [
        ('{"$ref": "#"}', "references loop"),
        ('{"$ref": "#/definitions/missing"}', "does not exist"),  # a URL is a note: test_helm_schema_remote
        ('{"type": "object", "properties": {"a": ' * 300 + "{}" + "}}" * 300, "max_depth"),
        ('{"type": "object", "description": "' + "x" * 70_000 + '"}', "too large"),
        ("[not json", "not JSON"),
    ],
)
def test_a_bad_values_schema_is_an_input_error_naming_it(tmp_path, schema, expected):
    chart = _chart(tmp_path, schema)
    res = invoke("scan", str(chart), "--no-cache", "--format", "json", "--limit", "max_file_bytes=60000")
    doc = json.loads(res.stdout)
    assert res.exit_code == 2, res.stderr
    assert [e["path"] for e in doc["errors"]] == ["values.schema.json"]  # relative to the chart scanned
    assert expected in doc["errors"][0]["message"]
    assert any(f["rule_id"] == "OCI-HA-101" for f in doc["findings"])  # findings still reported


def test_schema_patterns_run_bounded(tmp_path):
    """A backtracking pattern against a long value ends (RE2, or the regex engine with a time
    limit), and jsonschema's pattern matching is the bounded one."""
    schema = json.dumps({"type": "object", "properties": {"image": {"type": "object", "properties": {
        "repository": {"type": "string", "pattern": "^(a+)+$"}}}},
        "patternProperties": {"^(x+x+)+y$": {"type": "string"}}})  # fmt: skip
    values = "replicaCount: 1\nimage:\n  repository: " + "a" * 5000 + "b\n" + "x" * 1000 + ": 1\n"
    chart = _chart(tmp_path, schema, values)
    res = invoke("scan", str(chart), "--no-cache", "--format", "json")
    assert res.exit_code == 2
    assert "violates pattern" in json.loads(res.stdout)["errors"][0]["message"]
    assert jsonschema_patterns_bounded()


def test_configuration_is_bounded(tmp_path):
    (tmp_path / "main.tf").write_text('resource "oci_core_vcn" "v" {}\n')
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefg", "bcdefgh", strict=True)
    )
    (tmp_path / ".ocisec.yaml").write_text(bomb)
    res = invoke("scan", str(tmp_path), "--no-cache", "--config", str(tmp_path / ".ocisec.yaml"))
    assert res.exit_code == 2 and "alias bomb" in res.stderr and ".ocisec.yaml" in res.stderr
    (tmp_path / ".ocisec.yaml").write_text("skip_paths: [" + "x, " * 30_000 + "y]\n")
    res = invoke("scan", str(tmp_path), "--no-cache", "--config", str(tmp_path / ".ocisec.yaml"),
                 "--limit", "max_file_bytes=60000")  # fmt: skip
    assert res.exit_code == 2 and "too large" in res.stderr


# --- §5: exit 2 for bad input, never 3; schemas for every document -------------------------------


def _snapshot(tmp_path: Path, change) -> Path:  # noqa: ANN001
    doc = json.loads(SNAPSHOT.read_text())
    change(doc)
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(doc))
    return path


def _related(doc: dict, name: str, value) -> None:  # noqa: ANN001
    for item in doc["resources"]:
        if item.get("type") == "identity.User":
            item.setdefault("related", {})[name] = value


@pytest.mark.parametrize(
    "change, where",
    [
        (lambda d: d.update(regions={"eu-frankfurt-1": "AD-1"}), '$.regions["eu-frankfurt-1"]'),
        (lambda d: _related(d, "api_keys", ["k", 1]), ".related.api_keys[0]"),
        (lambda d: d.update(errors=["boom"]), "$.errors[0]"),
        (lambda d: d.update(collected="everything"), "$.collected"),
        (lambda d: d["resources"][0].update(data=[1]), "$.resources[0].data"),
    ],
)
def test_a_wrong_shaped_snapshot_is_an_input_error_with_its_json_path(tmp_path, change, where):
    path = _snapshot(tmp_path, change)
    for args in (["audit", "--from-snapshot", str(path), "--no-config"], ["diff", str(path), str(path)],
                 ["baseline", "create", "--from-snapshot", str(path), "-o", str(tmp_path / "b.json")]):  # fmt: skip
        res = invoke(*args)
        assert res.exit_code == 2, (args, res.stderr)
        assert "snap.json" in res.stderr and where in res.stderr, res.stderr


def test_a_snapshot_nested_too_deep_is_an_input_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"format": "ocisec-inventory/1", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    res = invoke("audit", "--from-snapshot", str(path), "--no-config")
    assert res.exit_code == 2 and "deep.json" in res.stderr and "max_depth" in res.stderr


def test_a_rule_meeting_data_it_cannot_use_is_unknown_not_a_policy_error(tmp_path):
    """OCI-OPS-001 on a snapshot that lacks the pipelines its check joins: unknown, with the
    reason, on those stages; no error blames the policy file."""
    path = _snapshot(tmp_path, lambda d: d.update(collected=[c for c in d["collected"] if c != "devops.DeployPipeline"]))
    res = invoke("audit", "--from-snapshot", str(path), "--no-config", "--format", "json")
    doc = json.loads(res.stdout)
    assert not [e for e in doc["errors"] if "OCI-OPS-001" in e["path"] or "policies" in e["path"]], doc["errors"]
    unknown = [f for f in doc["unknown"] if f["rule_id"] == "OCI-OPS-001"]
    assert unknown and all("cannot use this data" in f["message"] for f in unknown)
    assert res.exit_code in (0, 1)


@pytest.mark.parametrize(
    "entry, where",
    [
        ({"fingerprint": "f", "rule_id": "OCI-ENC-001", "resource": "r", "attribute": ["x"]}, "$.findings[0].attribute"),
        ({"fingerprint": ["f"], "rule_id": "OCI-ENC-001", "resource": "r"}, "$.findings[0].fingerprint"),
        ({"fingerprint": "f", "rule_id": "OCI-ENC-001"}, "$.findings[0]"),
        ("not an object", "$.findings[0]"),
    ],
)
def test_a_baseline_with_wrong_types_is_an_input_error_with_its_json_path(tmp_path, entry, where):
    (tmp_path / "main.tf").write_text('resource "oci_core_vcn" "v" {}\n')
    baseline = tmp_path / "b.json"
    baseline.write_text(json.dumps({"ocisec_baseline": 1, "findings": [entry]}))
    res = invoke("scan", str(tmp_path / "main.tf"), "--no-cache", "--baseline", str(baseline), "-f", "json")
    assert res.exit_code == 2 and "b.json" in res.stderr and where in res.stderr, res.stderr
    doc = json.loads(res.stdout)  # one input of several: the findings are still reported
    assert doc["errors"][0]["path"].endswith("b.json") and doc["summary"]["passed"] > 0


def test_a_diff_side_nested_100000_levels_is_an_input_error(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    res = invoke("diff", str(deep), str(deep))
    assert res.exit_code == 2 and "deep.json" in res.stderr and "max_depth" in res.stderr


def test_a_diff_side_with_a_wrong_shape_names_the_json_path(tmp_path):
    (tmp_path / "main.tf").write_text('resource "oci_objectstorage_bucket" "b" {\n  name = "b"\n}\n')
    doc = json.loads(invoke("scan", str(tmp_path / "main.tf"), "--no-cache", "--format", "json").stdout)
    doc["findings"][0]["location"] = "main.tf:1"
    (tmp_path / "r.json").write_text(json.dumps(doc))
    res = invoke("diff", str(tmp_path / "r.json"), str(tmp_path / "r.json"))
    assert res.exit_code == 2 and "$.findings[0].location" in res.stderr, res.stderr
