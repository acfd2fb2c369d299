"""What a pull-request check and a person at a terminal get: exit codes under --soft-fail, several
reports from one scan, repository-relative SARIF, one alert per module line, the PR formats, the
first screen of the text report, colour switches and `ocisec rules`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from scanner.cli import app
from scanner.engine.policy import POLICY_DIR, load_rules
from scanner.model import Severity

ROOT = Path(__file__).resolve().parents[1]
INSECURE = ROOT / "fixtures" / "platform" / "insecure"
COMPLIANT = ROOT / "fixtures" / "platform" / "compliant"
SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
runner = CliRunner()

def _expected_failures() -> int:
    """Failing findings of the insecure platform: the (rule, resource) pairs EXPECTED.md lists."""
    pairs = set()
    for line in (INSECURE / "EXPECTED.md").read_text().splitlines():
        m = re.match(r"^\| (OCI-[A-Z]+-\d+) \| (.+?) \| ", line)
        if m:
            pairs |= {(m.group(1), addr) for addr in re.findall(r"`([^`]+)`", m.group(2))}
    return len(pairs)


FAILING = _expected_failures()

UNENCRYPTED_BUCKET = 'resource "oci_objectstorage_bucket" "b" {\n  name = var.name\n  access_type = "NoPublicAccess"\n}\n'


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("NO_COLOR", "FORCE_COLOR", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)


def run(*args: str):
    return runner.invoke(app, list(args))


# --- exit codes and outputs -------------------------------------------------------------------


def test_soft_fail_exits_0_on_findings_but_2_on_input_errors(tmp_path):
    assert run("scan", str(INSECURE)).exit_code == 1
    assert run("scan", str(INSECURE), "--soft-fail").exit_code == 0
    assert run("scan", str(INSECURE), "does/not/exist", "--soft-fail").exit_code == 2


def test_several_outputs_from_one_scan(tmp_path):
    sarif, junit = tmp_path / "results.sarif", tmp_path / "out.xml"
    res = run("scan", str(INSECURE), "--output", f"sarif={sarif}", "--output", "text", "-o", f"junit={junit}")
    assert res.exit_code == 1
    assert res.stdout.startswith(f"{FAILING} failing finding") or res.stdout.splitlines()[0].endswith(")")
    assert "OCI-ENC-001" in res.stdout
    log = json.loads(sarif.read_text())
    assert log["version"] == "2.1.0" and log["runs"][0]["results"]
    assert junit.read_text().startswith("<?xml")


def test_plain_output_file_keeps_its_old_meaning(tmp_path):
    out = tmp_path / "r.json"
    assert run("scan", str(INSECURE), "--format", "json", "--output", str(out)).exit_code == 1
    assert json.loads(out.read_text())["findings"]


@pytest.mark.parametrize(
    "outputs, message",
    [(["text", "json"], "only one --output can go to stdout"), (["pdf=x.pdf"], "unknown format 'pdf'")],
)
def test_bad_output_specs_are_usage_errors(outputs, message):
    args = [a for o in outputs for a in ("--output", o)]
    res = run("scan", str(INSECURE), *args)
    assert res.exit_code == 2 and message in res.stderr


# --- SARIF paths and module callers -----------------------------------------------------------


def _uris(log: dict) -> set[str]:
    return {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
        for loc in r["locations"]
        if "physicalLocation" in loc
    }


def test_sarif_paths_are_relative_to_the_git_root_wherever_the_scan_starts(monkeypatch):
    monkeypatch.chdir(INSECURE / "modules")
    log = json.loads(run("scan", "..", "--format", "sarif").stdout)
    uris = _uris(log)
    assert uris and all(u.startswith("fixtures/platform/insecure/") for u in uris)
    base = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == ROOT.as_uri() + "/"
    for uri in uris:  # every URI names a real file under %SRCROOT%
        assert (ROOT / uri).is_file()


def test_source_root_option_sets_srcroot(tmp_path):
    log = json.loads(run("scan", str(INSECURE), "--format", "sarif", "--source-root", str(INSECURE.parent)).stdout)
    assert all(u.startswith("insecure/") for u in _uris(log))
    assert log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == INSECURE.parent.as_uri() + "/"


def _two_callers(tmp_path: Path) -> Path:
    root = tmp_path / "stack"
    (root / "modules" / "bucket").mkdir(parents=True)
    (root / "modules" / "bucket" / "main.tf").write_text('variable "name" {}\n\n' + UNENCRYPTED_BUCKET)
    (root / "main.tf").write_text(
        'module "logs" {\n  source = "./modules/bucket"\n  name   = "logs"\n}\n\n'
        'module "audit" {\n  source = "./modules/bucket"\n  name   = "audit"\n}\n'
    )
    return root


def test_module_code_reached_by_several_callers_is_one_sarif_result(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    root = _two_callers(tmp_path)
    doc = json.loads(run("scan", str(root), "--format", "json").stdout)
    assert sorted(f["resource"]["address"] for f in doc["findings"] if f["rule_id"] == "OCI-ENC-001") == [
        "module.audit.oci_objectstorage_bucket.b", "module.logs.oci_objectstorage_bucket.b"]
    log = json.loads(run("scan", str(root), "--format", "sarif", "--source-root", str(root)).stdout)
    jsonschema.validate(log, json.loads(SCHEMA.read_text()))
    (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "OCI-ENC-001"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "modules/bucket/main.tf"
    callers = [(rl["physicalLocation"]["artifactLocation"]["uri"], rl["physicalLocation"]["region"]["startLine"])
               for rl in result["relatedLocations"]]
    assert callers == [("main.tf", 1), ("main.tf", 6)]
    assert "module.audit" in result["message"]["text"] and "module.logs" in result["message"]["text"]


# --- PR formats -----------------------------------------------------------------------------


def test_github_format_annotates_repository_lines():
    res = run("scan", str(INSECURE), "--format", "github")
    assert res.exit_code == 1
    lines = res.stdout.splitlines()
    first = re.match(r"::error file=([^,]+),line=(\d+),endLine=(\d+),title=(OCI-SEC-00\d) [^:]+::(.+)$", lines[0])
    assert first, lines[0]
    assert (ROOT / first.group(1)).is_file()
    assert "%0AFix: " in first.group(5) and "\n" not in first.group(5)
    assert any(line.startswith("::notice ") for line in lines[1:] if "OCI-" in line)  # low severity
    assert lines[-1].startswith(f"::notice title=ocisec::ocisec: {FAILING} failing")


def test_github_format_escapes_commas_colons_and_newlines():
    from scanner.report.github import escape_data, escape_property

    assert escape_property("a,b:c\nd%") == "a%2Cb%3Ac%0Ad%25"
    assert escape_data("a,b:c\nd") == "a,b:c%0Ad"


def test_markdown_summary_counts_by_severity_and_lists_findings():
    res = run("scan", str(INSECURE), "--format", "markdown")
    out = res.stdout
    assert out.startswith(f"## ocisec: {FAILING} failing findings")
    counts = dict(re.findall(r"^\| \S+ (critical|high|medium|low) \| (\d+) \|$", out, re.M))
    assert sum(int(n) for n in counts.values()) == FAILING and counts["critical"] == "2"
    rows = [line for line in out.splitlines() if line.startswith("| ") and "[OCI-" in line]
    assert len(rows) == FAILING and rows[0].startswith("| 🟥 critical")


def test_gitlab_sast_report_has_stable_ids_and_repository_paths():
    first = json.loads(run("scan", str(INSECURE), "--format", "gitlab-sast").stdout)
    second = json.loads(run("scan", str(INSECURE), "--format", "gitlab-sast").stdout)
    vulns = first["vulnerabilities"]
    assert len(vulns) == FAILING and [v["id"] for v in vulns] == [v["id"] for v in second["vulnerabilities"]]
    assert len({v["id"] for v in vulns}) == FAILING
    for v in vulns:
        assert {"id", "name", "description", "severity", "solution", "identifiers", "location"} <= set(v)
        assert v["severity"] in {"Critical", "High", "Medium", "Low"}
        assert (ROOT / v["location"]["file"]).is_file() and v["location"]["start_line"] >= 1
        assert v["identifiers"][0]["value"].startswith("OCI-")
    assert first["scan"]["analyzer"]["id"] == "ocisec" and first["version"].startswith("15.")


# --- the first screen -------------------------------------------------------------------------


def test_headline_says_incomplete_when_an_input_failed(tmp_path):
    (tmp_path / "broken.tf").write_text('resource "oci_core_vcn" "v" {\n  cidr_block = \n')
    res = run("scan", str(tmp_path))
    assert res.exit_code == 2
    assert res.stdout.splitlines()[0] == "Scan incomplete: 1 input could not be read"
    assert "No failed findings" not in res.stdout
    assert res.stdout.count("broken.tf") == 1 and res.stderr == ""


def test_headline_of_a_clean_scan():
    res = run("scan", str(COMPLIANT))
    assert res.exit_code == 0 and res.stdout.splitlines()[0] == "No failed findings."


def test_a_path_with_nothing_to_scan_is_said_and_exits_2(tmp_path):
    (tmp_path / "README.md").write_text("no terraform here\n")
    res = run("scan", str(tmp_path))
    assert res.exit_code == 2
    assert res.stdout.splitlines()[0] == f"Nothing to scan: {tmp_path} holds no Terraform files or plan JSON"
    res = run("scan", str(tmp_path), str(COMPLIANT))  # one good path does not hide the wrong one
    assert res.exit_code == 2 and "nothing to scan" in res.stdout


def test_findings_are_sorted_by_severity_then_file_and_line():
    out = run("scan", str(INSECURE)).stdout
    heads = re.findall(r"^  (CRITICAL|HIGH|MEDIUM|LOW) +(OCI-\S+)  .*\n +\S+  (\S+):(\d+)$", out, re.M)
    assert len(heads) == FAILING
    ranks = [Severity(h[0].lower()).rank for h in heads]
    assert ranks == sorted(ranks, reverse=True)
    for severity in {h[0] for h in heads}:
        places = [(h[2], int(h[3])) for h in heads if h[0] == severity]
        assert places == sorted(places)


def test_heading_names_the_failure_and_fix_is_the_policy_sentence():
    out = run("scan", str(INSECURE)).stdout
    rules = {r.id: r for r in load_rules()[0]}
    assert "  MEDIUM   OCI-ENC-001  Bucket uses an Oracle-managed key" in out
    assert rules["OCI-ENC-001"].title not in out
    for fix in re.findall(r"^    Fix: (.+)$", out, re.M):
        assert fix in {r.fix for r in rules.values()}


def test_every_policy_has_a_one_sentence_fix_and_a_failure_heading():
    rules, errors = load_rules()
    assert not errors
    for path in sorted(POLICY_DIR.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        fix, failure = doc.get("fix", ""), doc.get("failure", "")
        assert re.fullmatch(r"[A-Z][^\n]{8,158}[^:;,]\.", fix), (path.name, fix)
        assert fix.count(". ") == 0, (path.name, "one sentence")
        assert failure and failure != doc["title"] and len(failure) <= 70, path.name


@pytest.mark.parametrize(
    "env, flag, colored",
    [({}, False, False), ({"FORCE_COLOR": "1"}, False, True), ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),
     ({"FORCE_COLOR": "1"}, True, False), ({"NO_COLOR": ""}, False, False)],
)
def test_colour_switches(monkeypatch, env, flag, colored):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    res = run("scan", str(INSECURE), *(["--no-color"] if flag else []))
    assert ("\x1b[" in res.stdout) is colored


def test_use_color_rules():
    from scanner.workflow.outputs import use_color

    assert use_color(False, True, {}) and not use_color(False, False, {})
    assert not use_color(False, True, {"NO_COLOR": "1"}) and not use_color(True, True, {})
    assert use_color(False, False, {"FORCE_COLOR": "1"}) and not use_color(False, False, {"FORCE_COLOR": "0"})


# --- ocisec rules -----------------------------------------------------------------------------


def test_rules_json_and_markdown():
    rules, _ = load_rules()
    doc = json.loads(run("rules", "--format", "json").stdout)
    assert [r["id"] for r in doc] == [r.id for r in rules]
    assert all(r["fix"] and r["help_uri"].endswith("#" + r["id"].lower()) for r in doc)
    md = run("rules", "--format", "markdown").stdout
    assert md.startswith("| id | severity |") and md.count("\n| [OCI-") == len(rules)


@pytest.mark.parametrize("columns", [60, 100, 180])
def test_rules_table_fits_the_terminal(monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    out = run("rules").stdout
    widths = [len(line) for line in out.splitlines() if line.strip()]
    assert max(widths) <= columns
    assert ("oci_objectstorage_bucket" in out) is (columns >= 100)
    assert "OCI-SEC-007" in out
