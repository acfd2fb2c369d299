"""A small hand-built scan: three rules, a failed, an unknown and a passed finding, a finding on a
secret variable whose message (wrongly) quotes the value, and an input error."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from scanner.model import (
    Finding,
    InputError,
    Location,
    Provenance,
    Resource,
    Rule,
    ScanResult,
    Severity,
    Status,
    Target,
    Unknown,
)

PLANTED_SECRET = 'Hunter2-"planted"-<pw>'
REPO = Path(__file__).resolve().parents[2]
SARIF_SCHEMA = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"


def _rule(rule_id: str, title: str, severity: Severity, category: str, kinds: list[str]) -> Rule:
    return Rule(
        id=rule_id,
        title=title,
        severity=severity,
        category=category,
        rationale=f"Why {rule_id} matters.",
        remediation=f"Fix {rule_id} like this.\nresource ... {{ }}",
        targets=[Target(resources=kinds, condition={"attr": "x", "op": "exists"})],
        message="{address} violates " + rule_id,
        references=[{"framework": "CIS OCI Foundations Benchmark v3.0", "id": "4.1.2"}],
        tags=[category],
    )


RULES = [
    _rule(
        "OCI-ENC-001",
        "Object Storage bucket is encrypted with a customer-managed Vault key",
        Severity.HIGH,
        "encryption",
        ["oci_objectstorage_bucket"],
    ),
    _rule(
        "OCI-SEC-001", "Secret variables have no literal value", Severity.CRITICAL, "secrets", ["variable"]
    ),
    _rule(
        "OCI-HA-002",
        "Node pool spans three availability domains",
        Severity.MEDIUM,
        "availability",
        ["oci_containerengine_node_pool"],
    ),
]


def _res(kind: str, address: str, file: str, line: int, attrs: dict | None = None) -> Resource:
    return Resource(
        kind=kind,
        address=address,
        attributes=attrs or {},
        provenance=Provenance(source="terraform", location=Location(file, line, line + 5)),
    )


def make_result(*, shift: int = 0, strict: bool = False) -> ScanResult:
    """The sample scan; ``shift`` moves every line down, as an edit above the resources would."""
    logs = _res("oci_objectstorage_bucket", "oci_objectstorage_bucket.logs", "main.tf", 10 + shift)
    data = _res("oci_objectstorage_bucket", "oci_objectstorage_bucket.data", "main.tf", 20 + shift)
    pool = _res(
        "oci_containerengine_node_pool",
        "module.oke.oci_containerengine_node_pool.np[0]",
        "modules/oke/pool.tf",
        3 + shift,
        {"placement_configs": [{"availability_domain": Unknown("var", symbol="var.ads[0]")}]},
    )
    password = _res(
        "variable",
        "var.db_password",
        "variables.tf",
        1 + shift,
        {"name": "db_password", "default": PLANTED_SECRET},
    )
    findings = [
        Finding(
            "OCI-ENC-001",
            Status.FAILED,
            logs,
            "Bucket oci_objectstorage_bucket.logs is encrypted with an Oracle-managed key",
            Location("main.tf", 12 + shift, 12 + shift),
            attribute="kms_key_id",
        ),
        Finding("OCI-ENC-001", Status.PASSED, data, "ok", Location("main.tf", 20 + shift, 25 + shift)),
        Finding(
            "OCI-HA-002",
            Status.UNKNOWN,
            pool,
            "availability domains of module.oke.oci_containerengine_node_pool.np[0] are not known",
            Location("modules/oke/pool.tf", 5 + shift, 5 + shift),
            attribute="placement_configs.0.availability_domain",
        ),
        Finding(
            "OCI-SEC-001",
            Status.FAILED,
            password,
            # An engine bug we must survive: the message quotes the value.
            f"var.db_password has the literal default {PLANTED_SECRET}",
            Location("variables.tf", 2 + shift, 2 + shift),
            attribute="default",
        ),
    ]
    return ScanResult(
        rules=list(RULES),
        findings=findings,
        errors=[InputError("broken.tf", "Unexpected token '}'", line=7)],
        root="/work/example project",
        inputs=["main.tf", "variables.tf", "modules/oke/pool.tf", "broken.tf"],
        source_categories=["terraform"],
        strict=strict,
        resource_count=4,
    )


@pytest.fixture
def result() -> ScanResult:
    """The sample scan."""
    return make_result()


@pytest.fixture
def make_scan() -> Callable[..., ScanResult]:
    """The sample-scan factory, for tests that vary ``shift`` or ``strict``."""
    return make_result


@pytest.fixture
def planted_secret() -> str:
    """The secret value planted in the sample scan."""
    return PLANTED_SECRET


@pytest.fixture(scope="session")
def sarif_schema() -> dict:
    """The OASIS SARIF 2.1.0 schema, kept in tests/data so a lone clone passes."""
    return json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
