"""Structure-aware fuzzing of every document ocisec reads besides Terraform (issue 13, §6).

``test_fuzz_entry_points.py`` feeds the parsers random text. Here the documents have the
shapes ocisec expects (manifests, chart values and their ``values.schema.json``, inventory
snapshots, baselines, JSON results given to ``diff``, the configuration file) with hostile
leaves: line breaks followed by workflow commands, legacy ``##[`` commands, control and bidi
characters, Markdown and HTML, huge and odd numbers, and subtrees swapped for the wrong type.
Each example runs the real command line once, writing every report format, and checks:

- the exit code is 0, 1 or 2 (never 3), and no traceback is printed;
- no stream or report holds a line a CI runner would execute (except the github format's own
  annotations), nor a raw control or bidi character;
- a secret planted under a secret-like key appears in no output.

Bounded for CI: ``OCISEC_FUZZ_EXAMPLES`` (default 12 per document kind, derandomized so every
run tries the same inputs; raise it for a longer hunt).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from scanner.cli import app
from scanner.guards.safe_text import command_lines

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = json.loads((ROOT / "fixtures" / "live" / "example-snapshot.json").read_text())
runner = CliRunner()

_EXAMPLES = int(os.environ.get("OCISEC_FUZZ_EXAMPLES", "12"))
FUZZ = settings(
    max_examples=_EXAMPLES,
    deadline=None,
    derandomize=_EXAMPLES <= 40,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SECRET = "Pl4nted-S3cret-Value-7f3a9c"
HOSTILE_TEXT = [
    "x\n::add-mask::m\n::error file=a.tf,line=1::forged",
    "  ::stop-commands::tok",
    "##[set-output name=a]b",
    "##vso[task.setvariable variable=x]y",
    "`code` | pipe <img src=http://t/p.png> ](http://evil) </details> ![i](http://t/i)",
    "\x1b[31mred\x1b[0m",
    "\u202edesrever\u2066",
    "nul\x00byte",
    "cr\rreturn",
    "{{ .Values.x }}",
    "# ocisec:ignore:* reason",
    "",
    "é" * 3,
]
leaf = (
    st.sampled_from(HOSTILE_TEXT)
    | st.text(max_size=12)
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.booleans()
    | st.none()
)
hostile_value = st.recursive(
    leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(HOSTILE_TEXT) | st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
GITHUB_COMMAND = re.compile(r"^::(error|warning|notice)( [^:]*)?::[^\r\n]*$")
FORMATS = ["json", "sarif", "junit", "github", "markdown", "gitlab-sast", "html"]


def _mutate(doc: Any, paths: list[tuple[list[Any], Any]]) -> Any:
    """``doc`` with the value at each path replaced (paths that do not exist are skipped)."""
    for path, value in paths:
        node = doc
        for key in path[:-1]:
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
                node = node[key]
            else:
                break
        else:
            last = path[-1]
            if isinstance(node, dict) or (isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node)):
                node[last] = value
    return doc


def _check(res: Any, reports: dict[str, str], secret: bool = True) -> None:
    assert res.exit_code in (0, 1, 2), (res.exit_code, res.stderr[-500:])
    streams = {"stdout": res.stdout, "stderr": res.stderr, **reports}
    for name, text in streams.items():
        assert "Traceback" not in text and "internal error" not in text, (name, text[-800:])
        lines = command_lines(text)
        if name == "github":
            lines = [ln for ln in lines if not GITHUB_COMMAND.match(ln)]
        assert not lines, (name, lines[:3])
        assert not UNSAFE.search(text), (name, repr(UNSAFE.search(text)))
        if secret:
            assert SECRET not in text, name


def _scan(paths: list[Path], out: Path, *extra: str) -> tuple[Any, dict[str, str]]:
    args = ["scan", *map(str, paths), "--no-cache", "--no-config", "--output", "text", *extra]
    for fmt in FORMATS:
        args += ["--output", f"{fmt}={out / ('report.' + fmt)}"]
    res = runner.invoke(app, args)
    reports = {fmt: (out / f"report.{fmt}").read_text() for fmt in FORMATS if (out / f"report.{fmt}").exists()}
    return res, reports


# --- manifests ---------------------------------------------------------------------------------


@st.composite
def manifests(draw: st.DrawFn) -> list[Any]:
    kind = draw(st.sampled_from(["Deployment", "StatefulSet", "Secret", "ConfigMap", "Service", "List", "Ingress"]))
    name = draw(st.sampled_from(HOSTILE_TEXT) | st.text(max_size=10))
    doc: dict[str, Any] = {
        "apiVersion": "apps/v1" if kind in ("Deployment", "StatefulSet") else "v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": draw(st.sampled_from(HOSTILE_TEXT)),
                     "annotations": {draw(st.text(max_size=8)): draw(hostile_value)}},
        "spec": {"replicas": draw(leaf), "template": {"spec": {"containers": [
            {"name": draw(st.sampled_from(HOSTILE_TEXT)), "image": draw(leaf),
             "env": [{"name": "DB_PASSWORD", "value": SECRET}, {"name": draw(st.text(max_size=6)), "value": draw(leaf)}]}
        ]}}},
        "stringData": {"password": SECRET, draw(st.text(max_size=6)): draw(hostile_value)},
        "data": draw(hostile_value),
    }  # fmt: skip
    if kind == "List":
        doc["items"] = draw(st.lists(st.just(dict(doc, kind="Deployment")) | hostile_value, max_size=3))
    doc = _mutate(doc, draw(st.lists(st.tuples(
        st.sampled_from([["spec"], ["metadata"], ["spec", "template"], ["metadata", "name"], ["items"]]),
        hostile_value), max_size=2)))  # fmt: skip
    return [doc, draw(hostile_value)]


@FUZZ
@given(docs=manifests(), as_json=st.booleans())
def test_manifests(docs, as_json):
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        text = "\n---\n".join(json.dumps(x) if as_json else yaml.safe_dump(x, allow_unicode=True) for x in docs)
        (d / "m.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        res, reports = _scan([d / "m.yaml"], d)
        _check(res, reports)


# --- chart values and values.schema.json ---------------------------------------------------------

schema_node = st.recursive(
    st.fixed_dictionaries({}, optional={
        "type": st.sampled_from(["string", "integer", "object", "array", "boolean", "null", "nonsense"]),
        "pattern": st.sampled_from(["^(a+)+$", "(?=x)y", "[", "^[a-z]+$", "\\"]),
        "minimum": st.integers(), "enum": st.lists(leaf, max_size=2),
        "$ref": st.sampled_from(["#", "#/definitions/x", "https://example.invalid/s.json", "#/properties"]),
    }),
    lambda inner: st.fixed_dictionaries({}, optional={
        "properties": st.dictionaries(st.sampled_from(["replicaCount", "image", "password", "a"]), inner, max_size=3),
        "patternProperties": st.dictionaries(st.sampled_from(["^(x+x+)+y$", ".*", "("]), inner, max_size=1),
        "additionalProperties": inner | st.booleans(), "items": inner, "allOf": st.lists(inner, max_size=2),
        "definitions": st.dictionaries(st.just("x"), inner, max_size=1),
    }),
    max_leaves=6,
)  # fmt: skip


@FUZZ
@given(values=st.dictionaries(st.sampled_from(["replicaCount", "image", "autoscaling", "env", "ingress", "a"]),
                              hostile_value, max_size=4),
       schema=schema_node | hostile_value, extra=hostile_value)  # fmt: skip
def test_chart_values_and_schemas(values, schema, extra):
    with tempfile.TemporaryDirectory() as tmp:
        chart = Path(tmp) / "chart"
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 1.0.0\n")
        values = {**values, "password": SECRET, "env": [{"name": "API_TOKEN", "value": SECRET}]}
        (chart / "values.yaml").write_text(yaml.safe_dump(values, allow_unicode=True))
        (chart / "values-prod.yaml").write_text(yaml.safe_dump({"x": extra}, allow_unicode=True))
        (chart / "values.schema.json").write_text(json.dumps(schema))
        (chart / "templates" / "d.yaml").write_text("kind: Deployment\nreplicas: {{ .Values.replicaCount }}\n")
        res, reports = _scan([chart], Path(tmp))
        _check(res, reports)


# --- snapshots, baselines, diff inputs ---------------------------------------------------------

SNAPSHOT_PATHS = st.sampled_from([
    ["regions"], ["regions", "eu-frankfurt-1"], ["collected"], ["errors"], ["resources"], ["resources", 0],
    ["resources", 0, "data"], ["resources", 3, "data", "display_name"], ["resources", 5, "related"],
    ["tenancy_id"], ["collected_at"], ["home_region"], ["resources", 2, "type"],
])  # fmt: skip


@FUZZ
@given(changes=st.lists(st.tuples(SNAPSHOT_PATHS, hostile_value), max_size=3),
       names=st.lists(st.sampled_from(HOSTILE_TEXT), min_size=1, max_size=3))  # fmt: skip
def test_snapshots(changes, names):
    doc = json.loads(json.dumps(SNAPSHOT))
    for i, name in enumerate(names):  # hostile display names on real objects
        doc["resources"][i]["data"]["display_name"] = name
        doc["resources"][i]["data"]["name"] = name
    doc["resources"][1]["data"]["admin_password"] = SECRET
    doc = _mutate(doc, changes)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "snap.json").write_text(json.dumps(doc))
        res = runner.invoke(app, ["audit", "--from-snapshot", str(d / "snap.json"), "--no-config", "-f", "json"])
        _check(res, {})
        res = runner.invoke(app, ["diff", str(d / "snap.json"), str(d / "snap.json"), "-f", "markdown"])
        _check(res, {})


@FUZZ
@given(entries=st.lists(st.fixed_dictionaries({}, optional={
    "fingerprint": leaf, "rule_id": leaf, "resource": leaf, "attribute": hostile_value, "file": leaf}) | hostile_value,
    max_size=3), top=hostile_value)  # fmt: skip
def test_baselines(entries, top):
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "main.tf").write_text('resource "oci_objectstorage_bucket" "b" {\n  name = "b"\n}\n')
        (d / "b.json").write_text(json.dumps({"ocisec_baseline": 1, "findings": entries, "x": top}))
        res, reports = _scan([d / "main.tf"], d, "--baseline", str(d / "b.json"))
        _check(res, reports)


def _result_document() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "main.tf").write_text(
            'resource "oci_objectstorage_bucket" "b" {\n  name = "b"\n  access_type = "ObjectRead"\n}\n'
        )
        return json.loads(runner.invoke(app, ["scan", str(d), "--no-cache", "--no-config", "-f", "json"]).stdout)


RESULT = _result_document()
RESULT_PATHS = st.sampled_from([
    ["findings", 0, "resource", "address"], ["findings", 0, "message"], ["findings", 0, "location"],
    ["findings", 0, "location", "file"], ["findings", 0, "rule_id"], ["rules", 0, "title"], ["rules", 0],
    ["errors"], ["summary"], ["root"], ["findings", 0, "suppression"], ["unknown"], ["tool"], ["metadata"],
])  # fmt: skip


@FUZZ
@given(changes=st.lists(st.tuples(RESULT_PATHS, hostile_value | st.sampled_from(HOSTILE_TEXT)), max_size=3),
       fmt=st.sampled_from(["text", "json", "sarif", "junit", "markdown", "html"]))  # fmt: skip
def test_diff_inputs(changes, fmt):
    new = _mutate(json.loads(json.dumps(RESULT)), changes)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "old.json").write_text(json.dumps(RESULT))
        (d / "new.json").write_text(json.dumps(new))
        res = runner.invoke(app, ["diff", str(d / "old.json"), str(d / "new.json"), "-f", fmt])
        _check(res, {fmt: res.stdout})


# --- configuration -----------------------------------------------------------------------------

config_doc = st.fixed_dictionaries({}, optional={
    "rules": st.fixed_dictionaries({}, optional={"select": hostile_value, "skip": st.lists(leaf, max_size=2)}),
    "skip_paths": st.lists(st.sampled_from(["**", "*", "x", "../..", "\n::add-mask::x"]) | leaf, max_size=2),
    "waivers": st.lists(st.fixed_dictionaries({"rule": st.sampled_from(["OCI-DAT-001", "*"]) | leaf,
                                                "reason": leaf, "expires": st.sampled_from(["2099-01-01", "x"]) | leaf}),
                        max_size=2),
    "parameters": st.dictionaries(st.sampled_from(["max_days", "x"]), hostile_value, max_size=2),
    "format": leaf, "fail_on": leaf, "strict": leaf, "policies": st.lists(leaf, max_size=1),
    "baseline": leaf, "builtin_policies": leaf,
})  # fmt: skip


@FUZZ
@given(config=config_doc | hostile_value)
def test_configuration(config):
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "main.tf").write_text('resource "oci_objectstorage_bucket" "b" {\n  name = "b"\n  access_type = "ObjectRead"\n}\n')
        (d / ".ocisec.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
        args = ["scan", str(d / "main.tf"), "--no-cache", "--config", str(d / ".ocisec.yaml"), "-f", "json"]
        res = runner.invoke(app, args)
        _check(res, {}, secret=False)
