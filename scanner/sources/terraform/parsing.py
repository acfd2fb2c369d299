"""Reading and parsing files, with a content-hash parse cache and parsing spread over cores.

Parsing is a large part of a cold scan: unchanged files come from the
cache (keyed by the SHA-256 of their bytes and the parser version), the rest are parsed in a
process pool when there is enough work to pay for starting it.
"""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import os
import pickle
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.guards.cache import Cache, register
from scanner.sources.terraform import syntax
from scanner.sources.terraform.syntax import Body, HclSyntaxError

CACHE_FORMAT = "ocisec-parse-3"  # 3: resources carry their module call chain
# Below this many uncached bytes a helper process costs more than it saves. With tree-sitter,
# terraform-oci-oke (0.5 MB) and the core landing zone (1.2 MB) scanned faster in one process on
# this 2-core machine shared with other work (fork and AST pickling ~0.06 s of CPU, little
# overlap); the pool pays off on multi-megabyte trees when a core is free.
PARALLEL_MIN_BYTES = 2_000_000


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while ASTs and values are built: they hold no cycles to
    collect, yet each collection walks every object made so far (a sixth of a cold scan's CPU).
    Collection resumes afterwards; nested pauses are fine."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True)
class ParseFailure:
    """A cached parse error: a file that failed once fails the same way until it changes."""

    message: str
    line: int | None


register(ParseFailure)

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
        from scanner.sources.terraform.hclparse import parser_version

        return parser_version()
    except Exception:  # noqa: BLE001 - any failure just disables cache sharing across versions
        return "unknown"


def _parse_text(text: str, is_json: bool) -> tuple[Body | None, str | None, int | None]:
    if is_json:
        from scanner.sources.terraform.jsonsyntax import parse_tf_json

        try:
            return parse_tf_json(text), None, None
        except HclSyntaxError as exc:
            return None, str(exc), exc.line
        except RecursionError:
            return None, "nesting too deep to parse", None
    from scanner.sources.terraform.hclparse import parse_hcl

    try:
        return parse_hcl(text), None, None
    except HclSyntaxError as exc:
        return None, str(exc), exc.line
    except RecursionError:
        return None, "nesting too deep to parse", None


def _parse_job(args: tuple[str, str, bool]) -> tuple[str, bytes | None, str | None, int | None]:
    """Parse one file and return its AST pickled to cross the process boundary (between this
    process and its own helpers only; the on-disk cache never holds pickles). A structure too
    deep to pickle is reported like a parse error."""
    path, text, is_json = args
    with paused_gc():
        body, err, line = _parse_text(text, is_json)
    if body is None:
        return path, None, err, line
    try:
        return path, pickle.dumps(body, protocol=pickle.HIGHEST_PROTOCOL), None, None
    except RecursionError:
        return path, None, "nesting too deep to analyse", None


def _default_private_directory() -> Path | None:
    from scanner.guards.cache import default_directory

    return Cache(default_directory()).directory


def _register_ast_types() -> None:
    """Tell the shared cache which types a parse entry may hold: every AST node dataclass (a parser
    that adds one needs no change here)."""
    register(*(t for t in vars(syntax).values() if isinstance(t, type) and dataclasses.is_dataclass(t)))


class ParseCache:
    """Parsed files in the shared authenticated cache (``scanner.guards.cache``), one entry per
    (parser kind, parser version, content hash)."""

    NAMESPACE = "parse"

    def __init__(self, directory: Path | None) -> None:
        _register_ast_types()
        self.store = Cache(directory)
        self.directory = self.store.directory
        self.salt = f"{CACHE_FORMAT}:{_parser_version()}"

    def key(self, data: bytes, kind: str = "hcl") -> str:
        """The entry of ``data`` parsed as ``kind`` (``hcl`` or ``json``): an empty ``x.tf.json``
        and an empty ``x.tf`` parse differently, so they never share an entry."""
        return self.store.key(self.salt, kind, data)

    def get(self, key: str) -> Body | ParseFailure | None:
        """The cached parse, or None (absent, unauthentic, undecodable or of the wrong type)."""
        return self.store.get_object(self.NAMESPACE, key, (Body, ParseFailure))

    def put(self, key: str, value: Body | ParseFailure) -> None:
        """Store a ``Body`` or ``ParseFailure``."""
        self.store.put_object(self.NAMESPACE, key, value)


def read_text(path: Path) -> tuple[bytes | None, str | None, str | None]:
    """The bytes and text of a file, or an error message. FIFOs, devices and files larger than
    ``LIMITS.max_file_bytes`` are refused without blocking (see ``scanner.guards.safe_io``)."""
    from scanner.guards.limits import LIMITS
    from scanner.guards.safe_io import UnreadableInput, read_regular_file

    try:
        data = read_regular_file(path, LIMITS.max_file_bytes)
    except UnreadableInput as exc:
        return None, None, str(exc)
    try:
        return data, data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return data, None, f"not UTF-8 text (byte {exc.start})"


class ParseBatch:
    """Parsing under way. Helper processes start on the largest files at once; this process
    joins in from the smallest end when it asks for the result, taking every job no helper has
    started (``Future.cancel`` tells which). Work done meanwhile in this process (loading the
    rules) thus overlaps with parsing, and the split balances itself."""

    def __init__(self, paths: list[Path], cache: ParseCache, workers: int | None = None) -> None:
        self.cache = cache
        self.results: dict[Path, ParsedFile] = {}
        self.todo: list[tuple[Path, str, str, bool]] = []
        for path in paths:
            data, text, err = read_text(path)
            if err is not None or data is None or text is None:
                self.results[path] = ParsedFile(path, "", None, err)
                continue
            is_json = path.name.endswith(".json")
            key = cache.key(data, "json" if is_json else "hcl")
            body = cache.get(key)
            if isinstance(body, ParseFailure):
                self.results[path] = ParsedFile(path, text, None, body.message, body.line)
            elif body is not None:
                self.results[path] = ParsedFile(path, text, body)
            else:
                self.todo.append((path, key, text, is_json))
        # Largest first: the helpers take the big files, this process the small ones at the end.
        self.todo.sort(key=lambda t: -len(t[2]))
        workers = workers if workers is not None else (os.cpu_count() or 1)
        pending_bytes = sum(len(t) for _, _, t, _ in self.todo)
        self.pool: ProcessPoolExecutor | None = None
        self.futures: list[Future[Any]] = []
        if workers > 1 and len(self.todo) > 1 and pending_bytes >= PARALLEL_MIN_BYTES:
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("fork") if "fork" in methods else None
            self.pool = ProcessPoolExecutor(max_workers=workers - 1, mp_context=ctx)
            self.futures = [self.pool.submit(_parse_job, (str(p), t, j)) for p, _, t, j in self.todo]

    def result(self) -> dict[Path, ParsedFile]:
        """Every file's parse, waiting for (and helping with) the work still under way."""
        # path -> (AST or its pickle, error, line); files parsed here need no pickling
        outcome: dict[str, tuple[Body | bytes | None, str | None, int | None]] = {}
        stolen = self.todo
        if self.pool is not None:
            stolen = []
            for job, fut in zip(reversed(self.todo), reversed(self.futures), strict=True):
                if not fut.cancel():
                    break  # a helper has it, and every larger file
                stolen.append(job)
        for path, _, text, is_json in stolen:
            outcome[str(path)] = _parse_text(text, is_json)
        if self.pool is not None:
            for fut in self.futures:
                if not fut.cancelled():
                    p, payload, err, line = fut.result()
                    outcome[p] = (payload, err, line)
            self.pool.shutdown()
            self.pool = None
        for path, key, text, _ in self.todo:
            parsed, err, line = outcome[str(path)]
            if parsed is None:
                self.results[path] = ParsedFile(path, text, None, err, line)
                self.cache.put(key, ParseFailure(err or "cannot parse", line))
                continue
            body = pickle.loads(parsed) if isinstance(parsed, bytes) else parsed
            self.results[path] = ParsedFile(path, text, body)
            self.cache.put(key, body)  # a body too deep to encode is simply not cached
        self.todo = []
        return self.results


def parse_files(paths: list[Path], cache: ParseCache, workers: int | None = None) -> dict[Path, ParsedFile]:
    """Parse every file (HCL, or Terraform JSON for ``.tf.json``), from the cache where possible."""
    return ParseBatch(paths, cache, workers).result()
