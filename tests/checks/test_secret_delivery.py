"""Unit tests for the ExternalSecret refresh check (OCI-ROT-401) and Go durations."""

from __future__ import annotations

import pytest

from scanner.checks.secret_delivery import external_secret_refreshes, go_duration_seconds
from scanner.engine.registry import ResourceIndex
from scanner.model import Provenance, Resource


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1h", 3600.0),
        ("1h30m", 5400.0),
        ("15m", 900.0),
        ("0", 0.0),
        ("90s", 90.0),
        ("500ms", 0.5),
        ("soon", None),
    ],
)
def test_go_duration_seconds(text: str, seconds: float | None) -> None:
    assert go_duration_seconds(text) == seconds


@pytest.mark.parametrize(
    ("spec", "result"),
    [
        ({"refreshInterval": "1h"}, True),
        ({"refreshInterval": "24h"}, True),
        ({"refreshInterval": "0"}, False),
        ({"refreshInterval": "0s"}, False),
        ({"refreshInterval": "168h"}, False),
        ({}, False),
        ({"refreshInterval": "someday"}, None),
    ],
)
def test_external_secret_refreshes(spec: dict, result: bool | None) -> None:
    res = Resource(
        "k8s.ExternalSecret", "ExternalSecret/a", {"spec": spec}, Provenance("kubernetes"), {"scope": "/m"}
    )
    assert external_secret_refreshes(res, ResourceIndex([res]), {}).result is result
