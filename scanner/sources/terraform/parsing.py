"""Reading and parsing files, with a content-hash parse cache and parsing spread over cores.

python-hcl2 parses about 300 KB/s, so parsing dominates a scan: unchanged files come from the
cache (keyed by the SHA-256 of their bytes and the parser version), the rest are parsed in a
process pool when there is enough work to pay for starting it.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from scanner.sources.terraform.syntax import Body, HclSyntaxError

CACHE_FORMAT = "ocisec-parse-1"
# Below this many uncached bytes a process pool costs more than it saves.
PARALLEL_MIN_BYTES = 150_000


@dataclass(frozen=True)
class ParseFailure:
    """A cached parse error: a file that failed once fails the same way until it changes."""

    message: str
    line: int | None


@dataclass
class ParsedFile:
    """One file's parse result: a ``Body`` or an error message (with line when known)."""

    path: Path
    text: str
    body: Body | None
    error: str | None = None
    error_line: int | None = None


def _parser_version() -> str:
    try:
        from importlib.metadata import version

        return version("python-hcl2")
    except Exception:  # noqa: BLE001 - any failure just disables cache sharing across versions
        return "unknown"


def _parse_text(text: str, is_json: bool) -> tuple[Body | None, str | None, int | None]:
    if is_json:
        from scanner.sources.terraform.jsonsyntax import parse_tf_json

        try:
            return parse_tf_json(text), None, None
        except HclSyntaxError as exc:
            return None, str(exc), exc.line
    from scanner.sources.terraform.hclparse import parse_hcl

    try:
        return parse_hcl(text), None, None
    except HclSyntaxError as exc:
        return None, str(exc), exc.line
    except RecursionError:
        return None, "nesting too deep to parse", None


def _parse_job(args: tuple[str, str, bool]) -> tuple[str, bytes | None, str | None, int | None]:
    """Parse one file and return its AST pickled: the bytes cross the process boundary and go to
    the cache as they are. A structure too deep to pickle is reported like a parse error."""
    path, text, is_json = args
    body, err, line = _parse_text(text, is_json)
    if body is None:
        return path, None, err, line
    try:
        return path, pickle.dumps(body, protocol=pickle.HIGHEST_PROTOCOL), None, None
    except RecursionError:
        return path, None, "nesting too deep to analyse", None


class ParseCache:
    """Pickled ASTs on disk, one file per content hash."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.salt = f"{CACHE_FORMAT}:{_parser_version()}"

    def key(self, data: bytes) -> str:
        return hashlib.sha256(self.salt.encode() + b"\0" + data).hexdigest()

    def get(self, key: str) -> Body | ParseFailure | None:
        if self.directory is None:
            return None
        try:
            with open(self.directory / key[:2] / key, "rb") as fh:
                return pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None

    def put(self, key: str, payload: bytes) -> None:
        """Store a pickled ``Body`` or ``ParseFailure``."""
        if self.directory is None:
            return
        target = self.directory / key[:2] / key
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                fh.write(payload)
            os.replace(tmp, target)
        except OSError:
            pass  # a read-only or full disk only costs speed


def read_text(path: Path) -> tuple[bytes | None, str | None, str | None]:
    """The bytes and text of a file, or an error message."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, None, f"cannot read file: {exc.strerror or exc}"
    try:
        return data, data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return data, None, f"not UTF-8 text (byte {exc.start})"


def parse_files(paths: list[Path], cache: ParseCache, workers: int | None = None) -> dict[Path, ParsedFile]:
    """Parse every file (HCL, or Terraform JSON for ``.tf.json``), from the cache where possible."""
    results: dict[Path, ParsedFile] = {}
    todo: list[tuple[Path, str, str, bool]] = []
    for path in paths:
        data, text, err = read_text(path)
        if err is not None or data is None or text is None:
            results[path] = ParsedFile(path, "", None, err)
            continue
        key = cache.key(data)
        body = cache.get(key)
        if isinstance(body, ParseFailure):
            results[path] = ParsedFile(path, text, None, body.message, body.line)
        elif body is not None:
            results[path] = ParsedFile(path, text, body)
        else:
            todo.append((path, key, text, path.name.endswith(".json")))
    pending_bytes = sum(len(t) for _, _, t, _ in todo)
    workers = workers if workers is not None else (os.cpu_count() or 1)
    jobs = [(str(p), t, j) for p, _, t, j in todo]
    if workers > 1 and len(todo) > 1 and pending_bytes >= PARALLEL_MIN_BYTES:
        # Largest first so one big file does not finish last on its own.
        order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i][1]))
        with ProcessPoolExecutor(max_workers=min(workers, len(todo))) as pool:
            done = list(pool.map(_parse_job, [jobs[i] for i in order], chunksize=1))
        outcome = {p: (b, e, ln) for p, b, e, ln in done}
    else:
        outcome = {p: _parse_job((p, t, j))[1:] for p, t, j in jobs}
    for path, key, text, _ in todo:
        payload, err, line = outcome[str(path)]
        if payload is not None:
            results[path] = ParsedFile(path, text, pickle.loads(payload))
            cache.put(key, payload)
        else:
            results[path] = ParsedFile(path, text, None, err, line)
            cache.put(key, pickle.dumps(ParseFailure(err or "cannot parse", line)))
    return results


def tfvars_json(text: str) -> dict:
    """Parse a ``.tfvars.json`` file."""
    return json.loads(text)
