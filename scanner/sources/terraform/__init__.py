"""The Terraform HCL source: directories of ``.tf`` / ``.tf.json`` files become ``Resource``s.

Each directory with ``.tf`` files is a root module unless another scanned directory calls it as a
local module; called modules are evaluated through their calls, with their inputs, recursively.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.guards.limits import LIMITS
from scanner.guards.safe_io import safe_resolve
from scanner.model import InputError, Location, Provenance, Resource
from scanner.sources.paths import is_tf, is_tfvars, rel
from scanner.sources.terraform.evaluate import Scope, evaluate
from scanner.sources.terraform.module import (
    ModuleConfig,
    ModuleInstance,
    TerraformProgram,
    is_override_file,
)
from scanner.sources.terraform.parsing import ParseBatch, ParseCache, ParsedFile, parse_files, read_text


@dataclass
class TerraformResult:
    """What the Terraform source produced."""

    resources: list[Resource] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # relative paths read
    dependencies: list[str] = field(default_factory=list)  # other files read (templates)


def load_terraform(
    tf_files: list[Path],
    root: Path,
    var_files: list[Path] | None = None,
    only_files: set[Path] | None = None,
    cache: ParseCache | None = None,
    workers: int | None = None,
    workspace: str | None = None,
) -> TerraformResult:
    """Evaluate every module found among ``tf_files`` (and the local modules they call).

    ``only_files``: when given, keep only resources declared in those files (a scan of single
    files still evaluates their whole directory so references resolve).
    """
    return TerraformLoad(tf_files, root, var_files, only_files, cache, workers, workspace).result()


class TerraformLoad:
    """A Terraform load under way: constructing it starts parsing (in helper processes when
    there is enough to parse), so the caller can do other work before asking for the result."""

    def __init__(
        self,
        tf_files: list[Path],
        root: Path,
        var_files: list[Path] | None = None,
        only_files: set[Path] | None = None,
        cache: ParseCache | None = None,
        workers: int | None = None,
        workspace: str | None = None,
    ) -> None:
        self.cache = cache or ParseCache(None)
        self.workspace = workspace
        self.root = safe_resolve(root)
        self.tf_files = [safe_resolve(f) for f in tf_files]
        self.var_files = list(var_files or [])
        self.only_files = only_files
        self.workers = workers
        self.key = _evaluation_key(tf_files, self.var_files, only_files, self.root, self.cache)
        if self.key is not None:
            # The workspace changes what terraform.workspace evaluates to, and `terraform init`
            # (a new or changed modules.json) changes which modules are read.
            extra = f"{self.key}\0workspace\0{workspace!r}"
            for d in sorted({f.parent for f in self.tf_files}):
                manifest = d / ".terraform" / "modules" / "modules.json"
                if manifest.exists():
                    extra += f"\0{manifest}\0{_digest(manifest)}"
            self.key = "e" + hashlib.sha256(extra.encode()).hexdigest()[1:]
        self.cached = _cached_evaluation(self.key, self.cache, self.root)
        self.first: ParseBatch | None = None
        if self.cached is None:
            dirs = sorted({f.parent for f in self.tf_files})
            # Variable files are parsed in the same batch as the modules (and so in parallel).
            # (a FIFO or dangling link among them is read, and so reported, rather than skipped)
            tfvars = [p for d in dirs for p in sorted(d.glob("*.tfvars")) if not p.is_dir()]
            tfvars += [safe_resolve(p) for p in self.var_files if not p.name.endswith(".json")]
            self.first = ParseBatch(self.tf_files + tfvars, self.cache, workers)

    def result(self) -> TerraformResult:
        """The evaluated resources (from the evaluation cache when nothing changed)."""
        if self.cached is not None:
            return self.cached
        assert self.first is not None
        from scanner.sources.terraform.parsing import paused_gc

        with paused_gc():
            args = (self.var_files, self.only_files, self.cache, self.workers, self.first, self.workspace)
            result = _load(self.tf_files, self.root, *args)
        _store_evaluation(self.key, result, self.cache, self.root)
        return result


# --- evaluation cache --------------------------------------------------------------------------
# Evaluating a large tree costs more than reading its cached parse, so the evaluated result is
# cached too: keyed by the content of every file given (and the options and environment that
# shape evaluation), and valid only while every directory the evaluation read (local modules
# outside the scanned paths included) still holds the same Terraform files with the same
# content: a file added to a called module invalidates the entry like an edited one.

EVALUATION_NAMESPACE = "evaluation"
# Environment variables that may change what an evaluation yields (read by the sources, or by
# other engineers' options such as the workspace); all of them are part of the key.
ENV_PREFIXES = ("TF_VAR_", "TF_WORKSPACE", "OCISEC_LIMIT_")

STACK_SCHEMAS = ("schema.yaml", "schema.yml")
_DIGESTS: dict[tuple[str, int, int, int], str] = {}


def _digest(path: Path) -> str:
    """SHA-256 of a regular file, remembered while its size and modification time stay the
    same. Anything else (a FIFO, a device, a directory) is never opened."""
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            return f"not-a-file:{stat.S_IFMT(st.st_mode)}"
        memo = (str(path), st.st_ino, st.st_mtime_ns, st.st_size)
        if st.st_size > LIMITS.max_file_bytes:  # never read whole: parsing refuses it anyway
            return f"too-large:{st.st_size}:{st.st_mtime_ns}"
        if memo not in _DIGESTS:
            _DIGESTS[memo] = hashlib.sha256(path.read_bytes()).hexdigest()
        return _DIGESTS[memo]
    except OSError:
        return "unreadable"


def _directory_listing(directory: Path) -> dict[str, str]:
    """Every Terraform and variable file of a directory, by name, with its digest (and a
    Resource Manager ``schema.yaml``, which makes a root a stack whose state the service keeps)."""
    try:
        names = sorted(
            p.name for p in directory.iterdir() if is_tf(p) or is_tfvars(p) or p.name in STACK_SCHEMAS
        )
    except OSError:
        return {"": "unreadable"}
    return {name: _digest(directory / name) for name in names}


def _evaluation_key(
    tf_files: list[Path], var_files: list[Path], only_files: set[Path] | None, root: Path, cache: ParseCache
) -> str | None:
    if cache.directory is None:
        return None
    dirs = sorted({safe_resolve(f).parent for f in tf_files})
    parts: list[str] = [EVALUATION_NAMESPACE, cache.salt, str(root)]
    for d in dirs:
        parts += ["dir", str(d), *(f"{n}={h}" for n, h in _directory_listing(d).items())]
    for f in sorted({safe_resolve(f) for f in tf_files}):
        parts += ["file", str(f)]
    for p in var_files:
        parts += ["var-file", str(safe_resolve(p)), _digest(p)]
    for p in sorted(only_files or []):
        parts += ["only", str(p)]
    for name in sorted(os.environ):
        if name.startswith(ENV_PREFIXES):
            parts += ["env", name, os.environ[name]]
    return cache.store.key(*parts)


def _read_directories(result: TerraformResult, root: Path) -> list[Path]:
    return sorted({safe_resolve((root / f).parent) for f in result.files})


def _cached_evaluation(key: str | None, cache: ParseCache, root: Path) -> TerraformResult | None:
    if key is None:
        return None
    entry = cache.store.get(EVALUATION_NAMESPACE, key)
    if not isinstance(entry, dict) or not isinstance(entry.get("dirs"), dict):
        return None
    for directory, listing in entry["dirs"].items():
        if _directory_listing(Path(directory)) != listing:
            return None
    deps = entry.get("deps", {})
    if not isinstance(deps, dict) or any(_digest(Path(f)) != h for f, h in deps.items()):
        return None
    from scanner.guards.cache import DecodeError, decode

    try:
        resources, errors, files = (decode(entry.get(k)) for k in ("resources", "errors", "files"))
    except (DecodeError, RecursionError):
        return None
    ok = (
        isinstance(resources, list)
        and all(isinstance(r, Resource) for r in resources)
        and isinstance(errors, list)
        and all(isinstance(e, InputError) for e in errors)
        and isinstance(files, list)
        and all(isinstance(f, str) for f in files)
    )
    return TerraformResult(resources, errors, files) if ok else None


def _store_evaluation(key: str | None, result: TerraformResult, cache: ParseCache, root: Path) -> None:
    if key is None:
        return
    from scanner.guards.cache import encode

    dirs = {str(d): _directory_listing(d) for d in _read_directories(result, root)}
    # Files read besides the configuration (templatefile()): their content decides the result too.
    deps = {str((root / f).resolve()): _digest(root / f) for f in result.dependencies}

    def dump(value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")

    def chunks() -> Iterator[bytes]:
        # One resource at a time: a 5,000-file tree never has its whole entry in memory.
        yield b'{"dirs":' + dump(dirs) + b',"deps":' + dump(deps)
        yield b',"errors":' + dump(encode(result.errors))
        yield b',"files":' + dump(encode(result.files)) + b',"resources":['
        for i, resource in enumerate(result.resources):
            yield (b"," if i else b"") + dump(encode(resource))
        yield b"]}"

    cache.store.put_chunks(EVALUATION_NAMESPACE, key, chunks())


def _load(
    tf_files: list[Path],
    root: Path,
    var_files: list[Path] | None,
    only_files: set[Path] | None,
    cache: ParseCache,
    workers: int | None,
    first: ParseBatch,
    workspace: str | None = None,
) -> TerraformResult:
    result = TerraformResult()
    by_dir: dict[Path, list[Path]] = {}
    for f in tf_files:
        by_dir.setdefault(safe_resolve(f).parent, []).append(safe_resolve(f))

    parsed: dict[Path, ParsedFile] = {}
    configs: dict[str, ModuleConfig] = {}
    pending = dict(by_dir)
    # Registry / git modules downloaded by `terraform init`, per root directory.
    remote: dict[Path, dict[str, str]] = {}
    for directory in list(by_dir):
        found_remote = _read_modules_json(directory, root, result)
        if found_remote:
            remote[directory] = {key: rel(d, root) for key, d in found_remote.items()}
            for d in found_remote.values():
                if d not in pending and d.is_dir():
                    tf_in_d = sorted(p for p in d.iterdir() if p.is_file() and is_tf(p))
                    if tf_in_d:
                        pending[d] = tf_in_d
    batch: ParseBatch | None = first
    while pending:
        if batch is None:
            batch = ParseBatch([f for fs in pending.values() for f in fs], cache, workers)
        parsed.update(batch.result())
        batch = None
        missing = [f for fs in pending.values() for f in fs if f not in parsed]
        if missing:  # downloaded modules found after the first batch started
            parsed.update(parse_files(missing, cache, workers))
        new: dict[Path, list[Path]] = {}
        for directory, fs in pending.items():
            config = ModuleConfig(str(directory), rel(directory, root))
            # primary files first, then override files in lexical order, as Terraform reads them
            for f in sorted(fs, key=lambda p: (is_override_file(p.name), p.name)):
                pf = parsed[f]
                rp = rel(f, root)
                result.files.append(rp)
                if pf.body is None:
                    result.errors.append(InputError(rp, pf.error or "cannot parse", pf.error_line))
                    continue
                config.add_file(rp, pf.body)
            result.errors.extend(config.errors)
            configs[config.rel_dir] = config
            # Local modules outside the scanned set are read too: they are part of the program.
            for source in config.local_sources().values():
                child = safe_resolve(directory / source)
                if rel(child, root) in configs or child in pending or child in new:
                    continue
                if child.is_dir():
                    found = sorted(p for p in child.iterdir() if is_tf(p) and not p.is_dir())
                    if found:
                        new[child] = found
        pending = new

    called: set[str] = set()
    for config in configs.values():
        for source in config.local_sources().values():
            called.add(posixpath.normpath(posixpath.join(config.rel_dir, source)))
    scanned = [rel(d, root) for d in by_dir]
    roots = [configs[r] for r in scanned if r not in called]

    declared: set[str] = {c.rel_dir for c in roots}
    evaluated: set[str] = set()
    while True:
        for config in roots:
            evaluated.add(config.rel_dir)
            declared.add(config.rel_dir)
            remote_dirs = remote.get(Path(config.dir), {})
            try:
                _evaluate_root(
                    config,
                    configs,
                    root,
                    var_files or [],
                    cache,
                    result,
                    parsed,
                    declared,
                    remote_dirs,
                    workspace,
                )
            except RecursionError:
                result.errors.append(InputError(config.rel_dir or ".", "module nesting too deep to evaluate"))
            except Exception as exc:  # noqa: BLE001 - one bad module must not stop the scan
                result.errors.append(
                    InputError(
                        config.rel_dir or ".", f"internal error evaluating this module: {type(exc).__name__}"
                    )
                )
        # A scanned directory that no evaluated instance reached (called only with count = 0, or
        # only from a cycle) is still a module of its own: evaluate it as a root too.
        left = [r for r in scanned if r not in declared and r not in evaluated]
        inner: set[str] = set()
        for r in left:
            for source in configs[r].local_sources().values():
                target = posixpath.normpath(posixpath.join(r, source))
                if target != r:
                    inner.add(target)
        if not left:
            break
        roots = [configs[r] for r in left if r not in inner] or [configs[r] for r in sorted(left)[:1]]

    if only_files is not None:
        keep = {rel(p, root) for p in only_files}
        result.resources = [r for r in result.resources if _declared_in(r, keep)]
        _demote_context_errors(result, keep)
    for f in sorted(set(result.files)):
        if only_files is None or f in {rel(p, root) for p in only_files}:
            result.resources.append(_file_resource(f, root))
    return result


def _demote_context_errors(result: TerraformResult, named: set[str]) -> None:
    """Single-file (pre-commit) mode: a file that was not named is only context for the named
    ones. When it cannot be parsed (a half-written untracked file, HCL the parser rejects), that
    is a warning, not an incomplete scan: what it declares is simply missing, so references to
    it evaluate to unknown. Named files that cannot be read stay errors (exit code 2)."""
    for err in result.errors:
        if err.level == "error" and err.path not in named and err.path in result.files:
            err.level = "warning"
            err.message += " (a file beside the named ones; results that depend on it are unknown)"


def _declared_in(res: Resource, files: set[str]) -> bool:
    loc = res.provenance.location
    if loc is not None and loc.file in files:
        return True
    value_loc = res.provenance.attribute_locations.get("value")
    return res.kind == "variable" and value_loc is not None and value_loc.file in files


def _file_resource(rel_path: str, root: Path) -> Resource:
    prov = Provenance("terraform", Location(rel_path, 1, 1))
    return Resource(
        "file", rel_path, {"path": rel_path}, prov, {"abs_path": str(root / rel_path), "scope": ""}
    )


def _evaluate_root(
    config: ModuleConfig,
    configs: dict[str, ModuleConfig],
    root: Path,
    var_files: list[Path],
    cache: ParseCache,
    result: TerraformResult,
    parsed: dict[Path, ParsedFile],
    declared: set[str],
    remote_dirs: dict[str, str] | None = None,
    workspace: str | None = None,
) -> None:
    from scanner.guards.limits import BUDGET

    BUDGET.steps = 0  # max_steps counts per root module (with the modules it calls)
    program = TerraformProgram(configs, result.errors, config.rel_dir, declared)
    program.root = str(root)
    program.remote_dirs = remote_dirs or {}
    program.workspace = workspace
    directory = Path(config.dir)
    auto = [directory / "terraform.tfvars", directory / "terraform.tfvars.json"]
    auto += sorted(p for p in directory.glob("*.auto.tfvars*") if is_tfvars(p))
    inputs: dict[str, tuple[Any, Location | None]] = {}
    for vf in [p for p in auto if os.path.lexists(p) and not p.is_dir()] + list(var_files):
        for name, value_loc in _read_tfvars(vf, root, cache, result, parsed).items():
            inputs[name] = value_loc
    instance = ModuleInstance(program, config, "", inputs, config.rel_dir)
    instance.regions = _provider_regions(instance)
    instance.region = instance.regions.get(None)
    result.resources.extend(instance.resources())
    result.dependencies.extend(sorted(program.templates_read - set(result.dependencies)))
    if program.unresolved:
        names = sorted(program.unresolved)
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        result.errors.append(
            InputError(
                config.rel_dir or ".",
                f"{len(names)} module call(s) with a registry or git source were not resolved ({shown}):"
                " their resources are not scanned; run `terraform init` in this directory so that"
                " .terraform/modules/modules.json maps them to their downloaded source",
                level="warning",
            )
        )


def _read_modules_json(directory: Path, root: Path, result: TerraformResult) -> dict[str, Path]:
    """Module call key (``a.b``) -> downloaded source directory, from the manifest that
    ``terraform init`` writes; empty when there is none."""
    import json

    manifest = directory / ".terraform" / "modules" / "modules.json"
    if not manifest.is_file():
        return {}
    data, text, err = read_text(manifest)
    try:
        doc = json.loads(text) if text is not None else None
    except json.JSONDecodeError as exc:
        err = f"invalid JSON: {exc.msg}"
        doc = None
    modules = doc.get("Modules") if isinstance(doc, dict) else None
    if not isinstance(modules, list):
        result.errors.append(
            InputError(rel(manifest, root), err or "not a Terraform module manifest", level="warning")
        )
        return {}
    out: dict[str, Path] = {}
    for entry in modules:
        if not isinstance(entry, dict):
            continue
        key, where = entry.get("Key"), entry.get("Dir")
        if isinstance(key, str) and key and isinstance(where, str):
            target = (directory / where).resolve()
            # only directories inside the root module's own tree: a manifest is no licence to
            # read arbitrary paths
            if target == directory or directory in target.parents:
                out[key] = target
    return out


def _read_tfvars(
    path: Path, root: Path, cache: ParseCache, result: TerraformResult, parsed: dict[Path, ParsedFile]
) -> dict[str, Any]:
    rp = rel(path, root)
    if rp not in result.files:
        result.files.append(rp)
    if path.name.endswith(".json"):
        import json

        data, text, err = read_text(path)
        if err is None and text is not None:
            try:
                doc = json.loads(text)
                if isinstance(doc, dict):
                    return {k: (v, Location(rp, 1, 1)) for k, v in doc.items()}
                err = "a .tfvars.json file must hold a JSON object"
            except json.JSONDecodeError as exc:
                err = f"invalid JSON: {exc.msg}"
        result.errors.append(InputError(rp, err or "cannot read"))
        return {}
    pf = parsed.get(safe_resolve(path)) or parse_files([path], cache)[path]
    if pf.body is None:
        result.errors.append(InputError(rp, pf.error or "cannot parse", pf.error_line))
        return {}
    empty = ModuleInstance(TerraformProgram({}, [], ""), ModuleConfig("", ""), "", {}, "")
    scope = Scope(empty, {}, rp)
    return {
        name: (evaluate(attr.expr, scope), Location(rp, attr.start, attr.end))
        for name, attr in pf.body.attributes.items()
    }


def _provider_regions(instance: ModuleInstance) -> dict[str | None, Any]:
    """Region of each ``provider "oci"`` of the root, by alias (None: the default provider)."""
    out: dict[str | None, Any] = {}
    for block, file in instance.config.providers:
        if not block.labels or block.labels[0] != "oci":
            continue
        scope = instance.scope(file)
        alias_attr = block.body.attributes.get("alias")
        alias = evaluate(alias_attr.expr, scope) if alias_attr is not None else None
        attr = block.body.attributes.get("region")
        value = evaluate(attr.expr, scope) if attr is not None else None
        if isinstance(alias, (str, type(None))) and isinstance(value, str):
            out[alias] = value
    return out
