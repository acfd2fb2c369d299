"""The Terraform HCL source: directories of ``.tf`` / ``.tf.json`` files become ``Resource``s.

Each directory with ``.tf`` files is a root module unless another scanned directory calls it as a
local module; called modules are evaluated through their calls, with their inputs, recursively.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.model import InputError, Location, Provenance, Resource, Unknown
from scanner.sources.terraform.evaluate import Scope, evaluate
from scanner.sources.terraform.module import (
    SECRET_NAME,
    ModuleConfig,
    ModuleInstance,
    TerraformProgram,
    _collect_strings,
)
from scanner.sources.terraform.parsing import ParseCache, ParsedFile, parse_files, read_text

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
    secrets: set[str] = field(default_factory=set)  # literal secret values seen, for redaction


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
) -> TerraformResult:
    """Evaluate every module found among ``tf_files`` (and the local modules they call).

    ``only_files``: when given, keep only resources declared in those files (a scan of single
    files still evaluates their whole directory so references resolve).
    """
    cache = cache or ParseCache(None)
    root = root.resolve()
    result = TerraformResult()
    by_dir: dict[Path, list[Path]] = {}
    for f in tf_files:
        by_dir.setdefault(f.resolve().parent, []).append(f.resolve())

    parsed: dict[Path, ParsedFile] = {}
    configs: dict[str, ModuleConfig] = {}
    pending = dict(by_dir)
    # Variable files are parsed in the same batch as the modules (and so in the same pool).
    tfvars = [p for d in by_dir for p in sorted(d.glob("*.tfvars")) if p.is_file()]
    tfvars += [p.resolve() for p in var_files or [] if not p.name.endswith(".json")]
    first = True
    while pending:
        files = [f for fs in pending.values() for f in fs]
        parsed.update(parse_files(files + (tfvars if first else []), cache, workers))
        first = False
        new: dict[Path, list[Path]] = {}
        for directory, fs in pending.items():
            config = ModuleConfig(str(directory), rel(directory, root))
            for f in sorted(fs):
                pf = parsed[f]
                rp = rel(f, root)
                result.files.append(rp)
                if pf.body is None:
                    result.errors.append(InputError(rp, pf.error or "cannot parse", pf.error_line))
                    continue
                config.add_file(rp, pf.body)
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
    roots = [configs[rel(d, root)] for d in by_dir if rel(d, root) not in called]

    for config in roots:
        try:
            _evaluate_root(config, configs, root, var_files or [], cache, result, parsed)
        except RecursionError:
            result.errors.append(InputError(config.rel_dir or ".", "module nesting too deep to evaluate"))
        except Exception as exc:  # noqa: BLE001 - one bad module must not stop the scan
            result.errors.append(
                InputError(
                    config.rel_dir or ".", f"internal error evaluating this module: {type(exc).__name__}"
                )
            )

    if only_files is not None:
        keep = {rel(p, root) for p in only_files}
        result.resources = [r for r in result.resources if _declared_in(r, keep)]
    for f in sorted(set(result.files)):
        if only_files is None or f in {rel(p, root) for p in only_files}:
            result.resources.append(_file_resource(f, root))
    for res in result.resources:
        _collect_attribute_secrets(res.attributes, result.secrets)
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
) -> None:
    program = TerraformProgram(configs, result.errors, config.rel_dir)
    directory = Path(config.dir)
    auto = [directory / "terraform.tfvars", directory / "terraform.tfvars.json"]
    auto += sorted(p for p in directory.glob("*.auto.tfvars*") if is_tfvars(p))
    inputs: dict[str, tuple[Any, Location | None]] = {}
    for vf in [p for p in auto if p.is_file()] + list(var_files):
        for name, value_loc in _read_tfvars(vf, root, cache, result, parsed).items():
            inputs[name] = value_loc
    instance = ModuleInstance(program, config, "", inputs, config.rel_dir)
    instance.region = _provider_region(instance)
    result.resources.extend(instance.resources())
    result.secrets |= program.secrets


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


def _provider_region(instance: ModuleInstance) -> Any:
    for block, file in instance.config.providers:
        if block.labels and block.labels[0] == "oci" and "alias" not in block.body.attributes:
            attr = block.body.attributes.get("region")
            if attr is not None:
                value = evaluate(attr.expr, instance.scope(file))
                return None if isinstance(value, Unknown) else value
    return None


def _collect_attribute_secrets(attrs: dict[str, Any], into: set[str]) -> None:
    for key, value in attrs.items():
        if SECRET_NAME.search(key) or key == "content":
            _collect_strings(value, into)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    _collect_attribute_secrets(item, into)
