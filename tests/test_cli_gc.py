"""The CLI collects cycles less often (a scan's many long-lived objects made the collector re-walk
them hundreds of times): the youngest generation's threshold is raised, never lowered, and a
disabled collector stays disabled."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from scanner.cli import GC_YOUNG_THRESHOLD, app


@pytest.fixture(autouse=True)
def _restore_gc() -> Iterator[None]:
    before, enabled = gc.get_threshold(), gc.isenabled()
    yield
    gc.set_threshold(*before)
    if enabled:
        gc.enable()


def _scan(tmp_path) -> None:
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: b}\n")
    res = CliRunner().invoke(app, ["scan", str(tmp_path), "--format", "json", "--no-cache"])
    assert res.exit_code == 0, res.output


def test_a_scan_raises_the_young_threshold_and_keeps_the_others(tmp_path):
    gc.set_threshold(700, 10, 10)
    _scan(tmp_path)
    assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, 10, 10)
    assert gc.isenabled()


def test_a_higher_threshold_or_a_disabled_collector_is_left_alone(tmp_path):
    gc.set_threshold(GC_YOUNG_THRESHOLD * 2, 5, 5)
    _scan(tmp_path)
    assert gc.get_threshold() == (GC_YOUNG_THRESHOLD * 2, 5, 5)
    gc.set_threshold(0, 10, 10)  # threshold 0 disables automatic collection
    _scan(tmp_path)
    assert gc.get_threshold() == (0, 10, 10)
