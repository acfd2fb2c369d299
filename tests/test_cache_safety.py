"""The on-disk caches: never code from a cache, never a stale or forged answer (issue 6, §1-§2)."""

from __future__ import annotations

import os
import pickle
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.engine.policy import load_rules
from scanner.guards.cache import KEY_FILE, Cache, decode, encode

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

PUBLIC_BUCKET = (
    'resource "oci_objectstorage_bucket" "b" {\n'
    '  name           = "b"\n'
    '  namespace      = "ns"\n'
    '  compartment_id = "ocid1.compartment.oc1..x"\n'
    '  access_type    = "ObjectRead"\n'
    "}\n"
)


def scan(*args: str, cache: Path | None = None) -> int:
    opts = ["--cache-dir", str(cache)] if cache is not None else ["--no-cache"]
    return runner.invoke(app, ["scan", *args, "--rule", "OCI-DAT-001", *opts]).exit_code


class _Boom:
    """A pickle payload that would leave a marker file when unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _entries(cache: Path) -> list[Path]:
    return [p for p in cache.rglob("*") if p.is_file() and p.name != KEY_FILE and "grammar" not in p.parts]


def test_cache_directory_and_key_are_private(tmp_path):
    cache = tmp_path / "c"
    Cache(cache)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE((cache / KEY_FILE).stat().st_mode) == 0o600


def test_world_readable_key_disables_the_cache(tmp_path):
    cache = tmp_path / "c"
    Cache(cache)
    os.chmod(cache / KEY_FILE, 0o644)
    assert not Cache(cache).enabled


def test_planted_pickles_never_run(tmp_path):
    (tmp_path / "tf").mkdir()
    (tmp_path / "tf" / "main.tf").write_text(PUBLIC_BUCKET)
    cache = tmp_path / "cache"
    assert scan(str(tmp_path / "tf"), cache=cache) == 1
    marker = tmp_path / "pwned"
    entries = _entries(cache)
    assert entries, "the scan wrote cache entries"
    for entry in entries:
        entry.write_bytes(pickle.dumps(_Boom(marker)))
    assert scan(str(tmp_path / "tf"), cache=cache) == 1
    assert not marker.exists()


def test_flipped_byte_is_a_miss(tmp_path):
    (tmp_path / "tf").mkdir()
    (tmp_path / "tf" / "main.tf").write_text(PUBLIC_BUCKET)
    cache = tmp_path / "cache"
    assert scan(str(tmp_path / "tf"), cache=cache) == 1
    for entry in _entries(cache):
        data = bytearray(entry.read_bytes())
        at = data.find(b"ObjectRead")
        if at >= 0:
            data[at] = ord("X")  # "XbjectRead": a valid-looking, passing value
            entry.write_bytes(bytes(data))
    assert scan(str(tmp_path / "tf"), cache=cache) == 1


def test_empty_rules_entry_is_a_miss(tmp_path):
    cache_dir = tmp_path / "cache"
    rules, _ = load_rules(cache_dir=cache_dir)
    store = Cache(cache_dir)
    (entry,) = [p for p in _entries(cache_dir) if "rules" in p.parts]
    store.put_object("rules", entry.name, ([], []))  # authentic, but accounts for no policy file
    again, _ = load_rules(cache_dir=cache_dir)
    assert [r.id for r in again] == [r.id for r in rules] and rules


def test_rules_entry_from_another_key_is_a_miss(tmp_path):
    cache_dir = tmp_path / "cache"
    rules, _ = load_rules(cache_dir=cache_dir)
    (entry,) = [p for p in _entries(cache_dir) if "rules" in p.parts]
    os.remove(cache_dir / KEY_FILE)  # a new key: the old entries are no longer authentic
    forged = Cache(cache_dir)
    assert forged.get_object("rules", entry.name, tuple) is None


def test_stale_module_is_seen_after_a_file_is_added(tmp_path):
    app_dir, mod = tmp_path / "app", tmp_path / "mod"
    app_dir.mkdir()
    mod.mkdir()
    (app_dir / "main.tf").write_text('module "m" {\n  source = "../mod"\n}\n')
    (mod / "variables.tf").write_text('variable "x" {\n  default = 1\n}\n')
    cache = tmp_path / "cache"
    assert scan(str(app_dir), cache=cache) == 0
    assert scan(str(app_dir), cache=cache) == 0  # warm
    (mod / "bucket.tf").write_text(PUBLIC_BUCKET)
    assert scan(str(app_dir), cache=cache) == 1
    assert scan(str(app_dir)) == 1


def test_parse_key_includes_the_parser_kind(tmp_path):
    (tmp_path / "j").mkdir()
    (tmp_path / "h").mkdir()
    (tmp_path / "j" / "x.tf.json").write_text("")
    (tmp_path / "h" / "x.tf").write_text("")
    cache = tmp_path / "cache"
    assert scan(str(tmp_path / "j"), cache=cache) == 2
    assert scan(str(tmp_path / "h"), cache=cache) == 0
    assert scan(str(tmp_path / "h"), cache=cache) == 0


def test_codec_builds_only_registered_types():
    from scanner.guards.cache import DecodeError

    with pytest.raises(DecodeError):
        decode({"#c": "Popen", "f": [["touch", "/tmp/x"]]})
    value = {"a": (1, 2), 3: {"x"}, "#k": [None, 1.5]}
    assert decode(encode(value)) == value


def test_no_grammar_cache_is_ever_loaded(tmp_path):
    """The HCL parser (tree-sitter) needs no compiled-grammar cache: the old lark cache, which was
    unpickled from a fixed $TMPDIR path, is gone with lark itself — a scan never imports it."""
    (tmp_path / "tf").mkdir()
    (tmp_path / "tf" / "main.tf").write_text(PUBLIC_BUCKET)
    probe = (
        "import sys; from scanner.cli import app\n"
        "try:\n    app(['scan', *sys.argv[1:]])\nexcept SystemExit as e:\n    code = e.code\n"
        "assert 'lark' not in sys.modules, 'lark imported'\nsys.exit(code)\n"
    )
    for extra in (["--no-cache"], []):
        proc = subprocess.run(
            [sys.executable, "-c", probe, str(tmp_path / "tf"), *extra],
            cwd=ROOT,
            env=dict(os.environ, OCISEC_CACHE_DIR=str(tmp_path / "c")),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 1, proc.stderr
