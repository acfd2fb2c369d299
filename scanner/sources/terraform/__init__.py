"""The Terraform HCL source: directories of ``.tf`` / ``.tf.json`` files become ``Resource``s.

Each directory with ``.tf`` files is a root module unless another scanned directory calls it as a
local module; called modules are evaluated through their calls, with their inputs, recursively.
"""

from __future__ import annotations

import hashlib
import pickle
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.model import InputError, Location, Provenance, Resource
from scanner.sources.terraform.evaluate import Scope, evaluate
from scanner.sources.terraform.module import (
    ModuleConfig,
    ModuleInstance,
    TerraformProgram,
    is_override_file,
)
from scanner.sources.terraform.parsing import ParseBatch, ParseCache, ParsedFile, parse_files, read_text

TF_SUFFIXES = (".tf", ".tf.json")
TFVARS_SUFFIXES = (".tfvars", ".tfvars.json")


def is_tf(path: Path) -> bool:
    """A Terraform configuration file."""
    return path.name.endswith(TF_SUFFIXES)


def is_tfvars(path: Path) -> bool:
    """A Terraform variable-definitions file."""
    return path.name.endswith(TFVARS_SUFFIXES)


@dataclass
class TerraformResult:
    """What the Terraform source produced."""

    resources: list[Resource] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # relative paths read


def rel(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` in POSIX form (``..`` where it lies outside)."""
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return Path(posixpath.relpath(path.resolve().as_posix(), root.as_posix())).as_posix()


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
        self.root = root.resolve()
        self.tf_files = [f.resolve() for f in tf_files]
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
            tfvars = [p for d in dirs for p in sorted(d.glob("*.tfvars")) if p.is_file()]
            tfvars += [p.resolve() for p in self.var_files if not p.name.endswith(".json")]
            self.first = ParseBatch(self.tf_files + tfvars, self.cache, workers)

    def result(self) -> TerraformResult:
        """The evaluated resources (from the evaluation cache when nothing changed)."""
        if self.cached is not None:
            return self.cached
        assert self.first is not None
        result = _load(
            self.tf_files,
            self.root,
            self.var_files,
            self.only_files,
            self.cache,
            self.workers,
            self.first,
            self.workspace,
        )
        _store_evaluation(self.key, result, self.cache, self.root)
        return result


# --- evaluation cache --------------------------------------------------------------------------
# Evaluating a large tree costs more than reading its cached parse, so the evaluated result is
# cached too: keyed by the content of every file given, and valid only while every file the
# evaluation read (local modules outside the scanned paths included) still has the same hash.


_DIGESTS: dict[tuple[str, int, int], str] = {}


def _digest(path: Path) -> str:
    """SHA-256 of a file, remembered while its size and modification time stay the same."""
    try:
        st = path.stat()
        memo = (str(path), st.st_mtime_ns, st.st_size)
        if memo not in _DIGESTS:
            _DIGESTS[memo] = hashlib.sha256(path.read_bytes()).hexdigest()
        return _DIGESTS[memo]
    except OSError:
        return "unreadable"


def _evaluation_key(
    tf_files: list[Path], var_files: list[Path], only_files: set[Path] | None, root: Path, cache: ParseCache
) -> str | None:
    if cache.directory is None:
        return None
    dirs = sorted({f.resolve().parent for f in tf_files})
    inputs = sorted({f.resolve() for f in tf_files} | {p for d in dirs for p in d.glob("*.tfvars*")})
    h = hashlib.sha256(f"{cache.salt}\0evaluation\0{root}\0".encode())
    for p in inputs:
        h.update(f"{p}\0{_digest(p)}\0".encode())
    for p in var_files:
        h.update(f"var-file\0{p.resolve()}\0{_digest(p)}\0".encode())
    for p in sorted(only_files or []):
        h.update(f"only\0{p}\0".encode())
    return "e" + h.hexdigest()[1:]


def _cached_evaluation(key: str | None, cache: ParseCache, root: Path) -> TerraformResult | None:
    if key is None:
        return None
    blob = cache.get_blob(key)
    if blob is None:
        return None
    try:
        hashes, result = pickle.loads(blob)
    except Exception:  # noqa: BLE001 - a stale or corrupt entry is just a miss
        return None
    for rel_path, digest in hashes.items():
        if _digest(root / rel_path) != digest:
            return None
    return result


def _store_evaluation(key: str | None, result: TerraformResult, cache: ParseCache, root: Path) -> None:
    if key is None:
        return
    hashes = {f: _digest(root / f) for f in result.files}
    try:
        cache.put(key, pickle.dumps((hashes, result), protocol=pickle.HIGHEST_PROTOCOL))
    except (RecursionError, pickle.PicklingError, TypeError):
        pass


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
        by_dir.setdefault(f.resolve().parent, []).append(f.resolve())

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
                child = (directory / source).resolve()
                if rel(child, root) in configs or child in pending or child in new:
                    continue
                if child.is_dir():
                    found = sorted(p for p in child.iterdir() if p.is_file() and is_tf(p))
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
    for f in sorted(set(result.files)):
        if only_files is None or f in {rel(p, root) for p in only_files}:
            result.resources.append(_file_resource(f, root))
    return result


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
    program = TerraformProgram(configs, result.errors, config.rel_dir, declared)
    program.remote_dirs = remote_dirs or {}
    program.workspace = workspace
    directory = Path(config.dir)
    auto = [directory / "terraform.tfvars", directory / "terraform.tfvars.json"]
    auto += sorted(p for p in directory.glob("*.auto.tfvars*") if is_tfvars(p))
    inputs: dict[str, tuple[Any, Location | None]] = {}
    for vf in [p for p in auto if p.is_file()] + list(var_files):
        for name, value_loc in _read_tfvars(vf, root, cache, result, parsed).items():
            inputs[name] = value_loc
    instance = ModuleInstance(program, config, "", inputs, config.rel_dir)
    instance.regions = _provider_regions(instance)
    instance.region = instance.regions.get(None)
    result.resources.extend(instance.resources())
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
    pf = parsed.get(path.resolve()) or parse_files([path], cache)[path]
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
