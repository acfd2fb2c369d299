"""Terraform modules: a directory's parsed files (``ModuleConfig``) and one evaluated instance
of it (``ModuleInstance``: the root, or a local module call with its inputs)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from scanner.guards.limits import BUDGET, LIMITS, LimitExceeded
from scanner.model import InputError, Location, Provenance, Resource, Unknown
from scanner.sources.terraform.evaluate import (
    META_ARGUMENTS,
    ModuleOutputs,
    ResourceRef,
    Scope,
    _Cycle,
    _key_str,
    evaluate,
    evaluate_body,
    guard,
    report_problem,
)
from scanner.sources.terraform.syntax import Attribute, Block, Body, GetAttr


@dataclass
class ModuleConfig:
    """Everything declared by the ``.tf`` files of one directory."""

    dir: str  # absolute path
    rel_dir: str  # relative to the scan root, POSIX
    files: list[str] = field(default_factory=list)  # relative paths of the .tf files read
    variables: dict[str, tuple[Block, str]] = field(default_factory=dict)
    locals: dict[str, tuple[Attribute, str]] = field(default_factory=dict)
    outputs: dict[str, tuple[Attribute, str]] = field(default_factory=dict)
    resources: dict[tuple[str, str], tuple[Block, str]] = field(default_factory=dict)
    module_calls: dict[str, tuple[Block, str]] = field(default_factory=dict)
    providers: list[tuple[Block, str]] = field(default_factory=list)
    resource_types: set[str] = field(default_factory=set)
    errors: list[InputError] = field(default_factory=list)  # duplicate / dangling declarations
    data: dict[tuple[str, str], tuple[Block, str]] = field(default_factory=dict)  # data sources
    # `backend "<type>"` / `cloud` blocks of `terraform {}`: where a root keeps its state
    backends: list[tuple[Block, str]] = field(default_factory=list)

    def add_file(self, rel_path: str, body: Body) -> None:
        """Merge the top-level blocks of one parsed file into the module.

        Override files (``override.tf``, ``*_override.tf`` and their JSON forms) merge into the
        blocks they name, as Terraform does; callers add them after every primary file, in
        lexical order. A second declaration of one address in primary files is an input error.
        """
        self.files.append(rel_path)
        if is_override_file(rel_path):
            self._add_override(rel_path, body)
            return
        for block in body.blocks:
            kind, labels = block.type, block.labels
            if kind == "variable" and labels:
                self._declare(self.variables, labels[0], (block, rel_path), f"variable {labels[0]!r}", block)
            elif kind == "locals":
                for name, attr in block.body.attributes.items():
                    self._declare(self.locals, name, (attr, rel_path), f"local value {name!r}", attr)
            elif kind == "output" and labels and "value" in block.body.attributes:
                self._declare(
                    self.outputs,
                    labels[0],
                    (block.body.attributes["value"], rel_path),
                    f"output {labels[0]!r}",
                    block,
                )
            elif kind == "resource" and len(labels) >= 2:
                key = (labels[0], labels[1])
                self._declare(
                    self.resources, key, (block, rel_path), f"resource {labels[0]}.{labels[1]}", block
                )
                self.resource_types.add(labels[0])
            elif kind == "module" and labels:
                self._declare(
                    self.module_calls, labels[0], (block, rel_path), f"module call {labels[0]!r}", block
                )
            elif kind == "provider" and labels:
                self.providers.append((block, rel_path))
            elif kind == "data" and len(labels) >= 2:
                key = (labels[0], labels[1])
                self._declare(
                    self.data, key, (block, rel_path), f"data source {labels[0]}.{labels[1]}", block
                )
            elif kind == "terraform":
                self.backends += [(b, rel_path) for b in block.body.blocks if b.type in ("backend", "cloud")]

    def _declare(self, table: dict, key: Any, entry: tuple[Any, str], what: str, node: Any) -> None:
        """Record a declaration; a second one of the same name is what Terraform rejects."""
        if key in table:
            first, first_file = table[key]
            self.errors.append(
                InputError(
                    entry[1],
                    f"duplicate {what}: declared at {first_file}:{first.start} and {entry[1]}:{node.start}"
                    " (Terraform rejects this configuration; the first declaration is scanned)",
                    node.start,
                )
            )
            return
        table[key] = entry

    def _add_override(self, rel_path: str, body: Body) -> None:
        """Merge an override file: attribute by attribute, nested blocks replaced whole by type."""
        for block in body.blocks:
            kind, labels = block.type, block.labels
            table: dict | None = None
            key: Any = None
            if kind == "resource" and len(labels) >= 2:
                table, key, what = self.resources, (labels[0], labels[1]), f"resource {labels[0]}.{labels[1]}"
            elif kind == "module" and labels:
                table, key, what = self.module_calls, labels[0], f"module call {labels[0]!r}"
            elif kind == "variable" and labels:
                table, key, what = self.variables, labels[0], f"variable {labels[0]!r}"
            elif kind == "locals":
                for name, attr in block.body.attributes.items():
                    if name not in self.locals:
                        self._missing_override(rel_path, f"local value {name!r}", attr.start)
                        continue
                    self.locals[name] = (attr, rel_path)
                continue
            elif kind == "output" and labels:
                value = block.body.attributes.get("value")
                if labels[0] not in self.outputs:
                    self._missing_override(rel_path, f"output {labels[0]!r}", block.start)
                elif value is not None:
                    self.outputs[labels[0]] = (value, rel_path)
                continue
            elif kind == "provider" and labels:
                for i, (prov, prov_file) in enumerate(self.providers):
                    if prov.labels[:1] == labels[:1] and _alias_text(prov) == _alias_text(block):
                        self.providers[i] = (merge_override(prov, block, rel_path, prov_file), prov_file)
                        break
                continue
            elif kind == "terraform":
                # an override's backend replaces the configuration's (Terraform merges it so)
                found = [(b, rel_path) for b in block.body.blocks if b.type in ("backend", "cloud")]
                if found:
                    self.backends = found
                continue
            else:
                continue  # data blocks: nothing this scanner reads from them
            if key not in table:
                self._missing_override(rel_path, what, block.start)
                continue
            original, file = table[key]
            table[key] = (merge_override(original, block, rel_path, file), file)

    def _missing_override(self, rel_path: str, what: str, line: int) -> None:
        self.errors.append(InputError(rel_path, f"override of {what}, which no primary file declares", line))

    def variable_targets(self) -> dict[str, set[str]]:
        """Variable name -> names of the arguments that take it directly (``secret_id =
        var.okv_secret``), across every block of the module: what a variable is used as."""
        found = getattr(self, "_variable_targets", None)
        if found is not None:
            return found
        found = {}

        def walk(body: Body) -> None:
            for attr in body.attributes.values():
                expr = attr.expr
                if isinstance(expr, GetAttr) and getattr(expr.obj, "name", None) == "var":
                    found.setdefault(expr.attr, set()).add(attr.name)
            for nested in body.blocks:
                walk(nested.body)

        for table in (self.resources, self.module_calls, self.data):
            for block, _ in table.values():
                walk(block.body)
        for block, _ in self.providers:
            walk(block.body)
        self._variable_targets = found
        return found

    def local_sources(self) -> dict[str, str]:
        """Module call name -> literal local ``source`` (``./x``, ``../y``)."""
        out = {}
        for name, (block, _) in self.module_calls.items():
            src = block.body.attributes.get("source")
            value = getattr(src.expr, "value", None) if src else None
            if isinstance(value, str) and (value.startswith("./") or value.startswith("../")):
                out[name] = value
        return out


def is_override_file(path: str) -> bool:
    """``override.tf``, ``x_override.tf`` and their ``.tf.json`` forms."""
    name = path.rpartition("/")[2]
    for suffix in (".tf.json", ".tf"):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            return stem == "override" or stem.endswith("_override")
    return False


def _alias_text(block: Block) -> Any:
    alias = block.body.attributes.get("alias")
    return getattr(alias.expr, "value", "?") if alias is not None else None


@dataclass(slots=True)
class OverrideAttribute(Attribute):
    """An attribute that an override file set: it keeps the file it was written in."""

    file: str = ""


@dataclass(slots=True)
class OverrideBlock(Block):
    """A nested block that an override file set: it keeps the file it was written in."""

    file: str = ""


def merge_override(original: Block, override: Block, override_file: str, original_file: str) -> Block:
    """Terraform's override merge: each attribute of the override replaces the original's, and
    for each nested block type the override declares, the original's blocks of that type are
    replaced whole (``dynamic "x"`` counts as type ``x``)."""

    def block_type(b: Block) -> str:
        return b.labels[0] if b.type == "dynamic" and b.labels else b.type

    attributes = dict(original.body.attributes)
    for name, attr in override.body.attributes.items():
        attributes[name] = OverrideAttribute(attr.name, attr.expr, attr.start, attr.end, override_file)
    replaced = {block_type(b) for b in override.body.blocks}
    blocks = [b for b in original.body.blocks if block_type(b) not in replaced]
    blocks += [
        OverrideBlock(b.type, b.labels, b.body, b.start, b.end, override_file) for b in override.body.blocks
    ]
    return Block(original.type, original.labels, Body(attributes, blocks), original.start, original.end)


class TerraformProgram:
    """Shared state of one evaluation: module configs by directory, errors."""

    def __init__(
        self,
        configs: dict[str, ModuleConfig],
        errors: list[InputError],
        scope: str,
        declared: set[str] | None = None,
    ):
        self.configs = configs
        self.errors = errors
        self.scope = scope
        self.declared = declared if declared is not None else set()  # module dirs whose variables are out
        self.active: set[Any] = set()
        self.root = ""  # absolute scan root, where templatefile() paths are read from
        self.templates_read: set[str] = set()  # absolute paths: the evaluation cache checks them
        # registry / git module calls: "a.b" (call names from the root) -> downloaded module dir
        self.remote_dirs: dict[str, str] = {}
        self.unresolved: set[str] = set()  # addresses of remote calls that could not be resolved
        self.workspace: str | None = None  # terraform.workspace; None: unknown (not "default")


class ModuleInstance:
    """One instance of a module: its inputs, and lazily evaluated locals/outputs/resources."""

    def __init__(
        self,
        program: TerraformProgram,
        config: ModuleConfig,
        prefix: str,
        inputs: dict[str, tuple[Any, Location | None]],
        root_rel_dir: str,
        region: Any = None,
    ) -> None:
        self.program = program
        self.config = config
        self.prefix = prefix  # "" or "module.a." or 'module.a["x"].'
        self.inputs = inputs  # name -> (value, where it was assigned)
        self.root_rel_dir = root_rel_dir
        self.region = region
        # Locations of the module blocks that lead from the root to this instance (outermost
        # first), so a finding in shared module code can name every caller.
        self.call_sites: list[Location] = []  # module call blocks from the root down to here
        # regions of the root's oci providers by alias; child modules share them
        self.regions: dict[str | None, Any] = {}
        self._vars: dict[str, Any] = {}
        self._locals: dict[str, Any] = {}
        self._outputs: dict[str, Any] = {}
        self._calls: dict[str, Any] = {}
        # how this instance was reached: call names (the key in modules.json), the calls as
        # written (for cycle errors) and the module directories above it
        self.call_path: tuple[str, ...] = ()
        self.call_chain: tuple[str, ...] = ()
        self.ancestors: frozenset[str] = frozenset()
        # set when this instance stands in for a module call whose count / for_each is unknown
        self.unknown_expansion: str | None = None
        self._instances: dict[tuple[str, str], list[tuple[Any, Scope]] | None] = {}
        self._attrs: dict[tuple[str, str, Any], dict[str, Any]] = {}

    # -- scopes -----------------------------------------------------------------------------
    def scope(self, file: str) -> Scope:
        """A scope for expressions written in ``file`` of this module."""
        return Scope(self, {}, file)

    # -- references ---------------------------------------------------------------------------
    def variable(self, name: str) -> Any:
        """Value of ``var.name``: the input, else the default, else unknown."""
        if name in self._vars:
            return self._vars[name]
        if name in self.inputs:
            value = self.inputs[name][0]
        elif name in self.config.variables:
            block, file = self.config.variables[name]
            default = block.body.attributes.get("default")
            value = (
                evaluate(default.expr, self.scope(file), default.start)
                if default
                else Unknown(f"var.{name} has no value", symbol=f"var.{name}")
            )
        else:
            value = Unknown(f"var.{name} is not declared", symbol=f"var.{name}")
        declared = self.config.variables.get(name)
        if declared is not None and "type" in declared[0].body.attributes:
            # Terraform converts the value to the declared type: optional object attributes
            # that were not given become null (or their optional() default).
            value = with_type_defaults(
                value, declared[0].body.attributes["type"].expr, self.scope(declared[1])
            )
        self._vars[name] = value
        return value

    def local(self, name: str) -> Any:
        """Value of ``local.name``."""
        if name in self._locals:
            return self._locals[name]
        if name not in self.config.locals:
            return Unknown(f"local.{name} is not declared", symbol=f"local.{name}")
        attr, file = self.config.locals[name]
        with guard(self.program.active, (id(self), "local", name)):
            value = evaluate(attr.expr, self.scope(file), attr.start)
        self._locals[name] = value
        return value

    def output(self, name: str) -> Any:
        """Value of this instance's output ``name``."""
        if name in self._outputs:
            return self._outputs[name]
        if name not in self.config.outputs:
            return Unknown(f"output {name} is not declared in {self.config.rel_dir}")
        attr, file = self.config.outputs[name]
        with guard(self.program.active, (id(self), "output", name)):
            value = evaluate(attr.expr, self.scope(file), attr.start)
        self._outputs[name] = value
        return value

    def module_call(self, name: str) -> Any:
        """``module.name``: outputs of the called instance(s), keyed like count/for_each."""
        if name not in self._calls:
            self._calls[name] = self._instantiate_call(name)
        instances = self._calls[name]
        if instances is None:
            return ModuleOutputs(None)
        if isinstance(instances, Unknown):
            return instances
        keys = list(instances)
        if keys == [None]:
            return ModuleOutputs(instances[None])
        outs = {k: ModuleOutputs(v) for k, v in instances.items()}
        if all(isinstance(k, int) for k in keys):
            return [outs[k] for k in sorted(keys)]
        return {str(k): outs[k] for k in keys}

    def child_instances(self) -> list[ModuleInstance]:
        """Every evaluated instance of every local module call of this module."""
        out = []
        for name in self.config.module_calls:
            if name not in self._calls:
                self._calls[name] = self._instantiate_call(name)
            found = self._calls[name]
            if isinstance(found, dict):
                out.extend(i for i in found.values() if i is not None)
        return out

    def _instantiate_call(self, name: str) -> dict[Any, ModuleInstance | None] | Unknown | None:
        block, file = self.config.module_calls[name]
        import posixpath

        call = f"module.{name} ({file}:{block.start})"
        source = self.config.local_sources().get(name)
        if source is not None:
            child_rel = posixpath.normpath(posixpath.join(self.config.rel_dir, source))
        else:
            # registry / git module: the directory `terraform init` downloaded it to, if any
            remote = self.program.remote_dirs.get(".".join((*self.call_path, name)))
            if remote is None:
                self.program.unresolved.add(f"{self.prefix}module.{name}")
                return None
            child_rel = remote
        child = self.program.configs.get(child_rel)
        if child is None:
            self.program.errors.append(
                InputError(
                    file,
                    f"module {name!r}: source {source or child_rel!r} has no readable .tf files",
                    block.start,
                )
            )
            return None
        chain = (*self.call_chain, call)
        if child_rel in self.ancestors or child_rel == self.config.rel_dir:
            message = "module call cycle: " + " -> ".join(chain) + f" calls {child_rel or '.'} again"
            if not any(e.message == message for e in self.program.errors):
                self.program.errors.append(InputError(file, message, block.start))
            return None
        base = self.scope(file)
        keys = self._expand(block, base)
        unknown_expansion = None
        if keys is None:
            # One stand-in instance: every result in it is unknown, with this reason.
            unknown_expansion = self._expansion_reason(block, file)
            keys = [(None, base)]
        instances: dict[Any, ModuleInstance | None] = {}
        for key, scope in keys:
            suffix = "" if key is None else f"[{_render_key(key)}]"
            inputs: dict[str, tuple[Any, Location | None]] = {}
            for arg, attr in block.body.attributes.items():
                if arg in ("source", "version", "providers") or arg in META_ARGUMENTS:
                    continue
                inputs[arg] = (evaluate(attr.expr, scope, attr.start), Location(file, attr.start, attr.end))
            instance = ModuleInstance(
                self.program,
                child,
                f"{self.prefix}module.{name}{suffix}.",
                inputs,
                self.root_rel_dir,
                self.region,
            )
            instance.regions = self.regions
            instance.call_path = (*self.call_path, name)
            instance.call_chain = chain
            instance.ancestors = self.ancestors | {self.config.rel_dir}
            instance.unknown_expansion = self.unknown_expansion or (
                f"module.{name}: {unknown_expansion}" if unknown_expansion else None
            )
            instance.call_sites = [*self.call_sites, Location(file, block.start, block.end)]
            instances[key] = instance
        return instances

    def data_symbol(self, type_: str, name: str) -> str:
        """How references to a data source are told apart while its result is unknown.

        ``oci_identity_availability_domain`` with a literal ``ad_number`` names one AD: two such
        data sources with different numbers are different ADs, like ``ads[0]`` and ``ads[1]``.
        """
        default = f"data.{type_}.{name}"
        found = self.config.data.get((type_, name))
        if found is None or type_ != "oci_identity_availability_domain":
            return default
        block, file = found
        attrs = block.body.attributes
        if "count" in attrs or "for_each" in attrs or "ad_number" not in attrs:
            return default
        number = evaluate(attrs["ad_number"].expr, self.scope(file))
        if isinstance(number, bool) or not isinstance(number, int | float):
            return default
        return f"{self.prefix}data.{type_}.ad_number[{int(number)}]"

    def instance_keys(self, ref: ResourceRef) -> list[Any] | None:
        """Instance keys of a resource (``[None]`` when it has neither count nor for_each)."""
        found = self._resource_instances(ref.type, ref.name)
        return None if found is None else [k for k, _ in found]

    def _resource_instances(self, type_: str, name: str) -> list[tuple[Any, Scope]] | None:
        key = (type_, name)
        if key not in self._instances:
            block, file = self.config.resources[key]
            with guard(self.program.active, (id(self), "expand", key)):
                found = self._expand(block, self.scope(file))
            self._instances[key] = found if found is not None else [(None, self.scope(file))]
            if found is None and ("count" in block.body.attributes or "for_each" in block.body.attributes):
                self._instances[key] = None
        return self._instances[key]

    def _expand(self, block: Block, scope: Scope) -> list[tuple[Any, Scope]] | None:
        """Instances of a block with count / for_each; None when their number is unknown."""
        attrs = block.body.attributes
        if "count" in attrs:
            line = attrs["count"].start
            n = evaluate(attrs["count"].expr, scope, line)
            if isinstance(n, str):
                # Terraform converts a numeric string (`default = "3"`) to the number count needs
                try:
                    n = float(n.strip())
                except ValueError:
                    return None
            if isinstance(n, Unknown) or not isinstance(n, (int, float)) or isinstance(n, bool):
                return None
            if not (math.isfinite(n) and n >= 0 and n == int(n)):
                report_problem(scope, "count must be a whole number, zero or more", line)
                return None
            if n > LIMITS.max_instances:
                report_problem(scope, str(LimitExceeded("max_instances", f"count ({int(n):,})")), line)
                return None
            return [(i, scope.bind(count={"index": i})) for i in range(int(n))]
        if "for_each" in attrs:
            line = attrs["for_each"].start
            coll = evaluate(attrs["for_each"].expr, scope, line)
            if isinstance(coll, Unknown):
                return None
            if isinstance(coll, (list, dict)) and len(coll) > LIMITS.max_instances:
                report_problem(scope, str(LimitExceeded("max_instances", f"for_each ({len(coll):,})")), line)
                return None
            if isinstance(coll, list):
                if any(isinstance(x, Unknown) for x in coll):
                    return None
                coll = {_key_str(x): x for x in coll}
            if not isinstance(coll, dict):
                return None
            return [(k, scope.bind(each={"key": k, "value": v})) for k, v in coll.items()]
        return [(None, scope)]

    def _expansion_reason(self, block: Block, file: str) -> str:
        for meta in ("for_each", "count"):
            attr = block.body.attributes.get(meta)
            if attr is not None:
                value = evaluate(attr.expr, self.scope(file))
                cause = value.reason if isinstance(value, Unknown) else "not a number or collection"
                return f"{meta} not known statically: {cause}"
        return "instances not known statically"

    def resource_attribute(self, ref: ResourceRef, attr: str) -> Any:
        """The value of ``type.name[key].attr`` as written in config, else a non-null unknown."""
        address = ref.instance_address
        unknown = Unknown(
            f"{address}.{attr} is known after apply", nonnull=True, ref=address, symbol=f"{address}.{attr}"
        )
        instances = self._resource_instances(ref.type, ref.name)
        if instances is None:
            return unknown
        scope = None
        for key, sc in instances:
            if (not ref.has_key and key is None) or (ref.has_key and _same_key(key, ref.key)):
                scope = sc
                break
        if scope is None:
            if not ref.has_key and instances:
                # resource.with_count.attr is an error in Terraform; treat as a list of values
                return Unknown(f"{address} has several instances", ref=address)
            return unknown
        block, _ = self.config.resources[(ref.type, ref.name)]
        if attr not in block.body.attributes and not block.body.blocks_of(attr):
            return unknown
        attrs = self._evaluated(ref.type, ref.name, ref.key if ref.has_key else None, scope)
        value = attrs.get(attr, unknown)
        if isinstance(value, Unknown) and value.ref is None:
            return Unknown(value.reason, nonnull=value.nonnull, ref=address, symbol=value.symbol)
        return value

    def _evaluated(
        self, type_: str, name: str, key: Any, scope: Scope, locations: dict | None = None
    ) -> dict:
        cache_key = (type_, name, key)
        if cache_key in self._attrs and locations is None:
            return self._attrs[cache_key]
        block, _ = self.config.resources[(type_, name)]
        saved, BUDGET.blocks = BUDGET.blocks, 0  # max_blocks counts per resource instance
        try:
            with guard(self.program.active, (id(self), "resource", cache_key)):
                attrs = evaluate_body(block.body, scope, locations, skip=META_ARGUMENTS)
        finally:
            BUDGET.blocks = saved
        self._attrs[cache_key] = attrs
        return attrs

    # -- emission ------------------------------------------------------------------------------
    def resources(self) -> list[Resource]:
        """Every resource of this instance and of its local module calls, depth first."""
        out: list[Resource] = []
        context = {"scope": self.program.scope, "module": self.prefix.rstrip(".")}
        if self.region is not None and not isinstance(self.region, Unknown):
            context["region"] = self.region
        if self.call_sites:
            context["module_calls"] = list(self.call_sites)
        for (type_, name), (block, file) in self.config.resources.items():
            try:
                instances = self._resource_instances(type_, name)
            except _Cycle:
                instances = None
            res_context = dict(context)
            if self.unknown_expansion:
                res_context["unknown_expansion"] = self.unknown_expansion
            if instances is None:
                # One stand-in instance whose count.index / each are unknown, saying why; the
                # engine reports every rule on it as unknown (it may stand for no instance).
                reason = self._expansion_reason(block, file)
                why = Unknown(reason)
                instances = [(None, self.scope(file).bind(count={"index": why}, each=why))]
                res_context.setdefault("unknown_expansion", reason)
            provider = block.body.attributes.get("provider")
            # `provider = oci.home` takes that aliased provider's region
            if provider is not None and isinstance(provider.expr, GetAttr):
                aliased = self.regions.get(provider.expr.attr)
                if aliased is not None:
                    res_context["region"] = aliased
            for key, scope in instances:
                locations: dict[str, Location] = {}
                try:
                    attrs = self._evaluated(type_, name, key, scope, locations)
                except _Cycle:
                    attrs = {}
                address = f"{self.prefix}{type_}.{name}" + ("" if key is None else f"[{_render_key(key)}]")
                prov = Provenance("terraform", Location(file, block.start, block.end), locations)
                out.append(Resource(type_, address, attrs, prov, dict(res_context)))
        # A child module's variable declarations are the same for every instance of every call:
        # report them once per module directory, not once per instance.
        if not self.prefix or self.config.rel_dir not in self.program.declared:
            self.program.declared.add(self.config.rel_dir)
            out.extend(self._variables(context))
        out.extend(self._providers(context))
        if not self.prefix:
            out.extend(self._backend(context))
        for child in self.child_instances():
            out.extend(child.resources())
        return out

    def _variables(self, context: dict[str, Any]) -> list[Resource]:
        out = []
        for name, (block, file) in self.config.variables.items():
            locations: dict[str, Location] = {}
            attrs: dict[str, Any] = {"name": name}
            scope = self.scope(file)
            for arg in ("default", "sensitive", "type", "description", "nullable"):
                a = block.body.attributes.get(arg)
                if a is None:
                    continue
                if arg == "type":
                    attrs[arg] = type_text(a.expr)
                else:
                    attrs[arg] = evaluate(a.expr, scope)
                locations[arg] = Location(file, a.start, a.end)
            if name in self.inputs and not self.prefix:
                value, where = self.inputs[name]
                attrs["value"] = value
                if where is not None:
                    locations["value"] = where
            prov = Provenance("terraform", Location(file, block.start, block.end), locations)
            var_context = dict(context)
            targets = self.config.variable_targets().get(name)
            if targets:
                var_context["assigned_to"] = sorted(targets)
            out.append(Resource("variable", f"{self.prefix}var.{name}", attrs, prov, var_context))
        return out

    def _backend(self, context: dict[str, Any]) -> list[Resource]:
        """The root's state backend as one ``terraform_backend`` resource: ``type`` (``local``
        when no backend is declared), the backend's settings, ``declared``. A directory with
        neither a backend nor a provider configuration is a reusable module, not a root that
        keeps state: nothing is emitted for it."""
        if self.config.backends:
            block, file = self.config.backends[0]
            locations: dict[str, Location] = {}
            attrs = evaluate_body(block.body, self.scope(file), locations)
            attrs["type"] = block.labels[0] if block.type == "backend" and block.labels else "cloud"
            attrs["declared"] = True
            locations["type"] = Location(file, block.start, block.start)
            where = Location(file, block.start, block.end)
        elif self.config.providers:
            block, file = self.config.providers[0]
            attrs, locations = {"type": "local", "declared": False}, {}
            where = Location(file, block.start, block.start)
            schema = _stack_schema(self.config.dir)
            if schema is not None:
                # A Resource Manager stack: the service keeps and locks its state
                attrs = {"type": "resource-manager", "declared": False, "stack_schema": schema}
        else:
            return []
        prov = Provenance("terraform", where, locations)
        return [Resource("terraform_backend", "terraform.backend", attrs, prov, dict(context))]

    def _providers(self, context: dict[str, Any]) -> list[Resource]:
        out = []
        for block, file in self.config.providers:
            kind = f"provider.{block.labels[0]}"
            locations: dict[str, Location] = {}
            attrs = evaluate_body(block.body, self.scope(file), locations)
            alias = attrs.get("alias")
            address = f"{self.prefix}provider.{block.labels[0]}" + (
                f".{alias}" if isinstance(alias, str) else ""
            )
            prov = Provenance("terraform", Location(file, block.start, block.end), locations)
            out.append(Resource(kind, address, attrs, prov, dict(context)))
        return out


def _stack_schema(directory: str) -> str | None:
    """The OCI Resource Manager stack schema of a root (``schema.yaml`` / ``schema.yml`` with a
    ``schemaVersion``), by file name; None when the directory is not a stack."""
    from pathlib import Path

    from scanner.guards.safe_io import UnreadableInput, read_regular_file

    for name in ("schema.yaml", "schema.yml"):
        path = Path(directory) / name
        if not path.is_file():
            continue
        try:
            head = read_regular_file(path, LIMITS.max_file_bytes)[:4096]
        except UnreadableInput:
            continue
        if b"schemaVersion" in head:
            return name
    return None


def with_type_defaults(value: Any, type_expr: Any, scope: Scope, depth: int = 0) -> Any:
    """``value`` as Terraform's conversion to ``type_expr`` shapes it: every attribute an
    ``object({...})`` type declares is present, ``optional(T, default)`` ones filled with their
    default or null, through ``map``/``list``/``set`` elements. Other values are left as they are."""
    from scanner.sources.terraform.syntax import Call, ObjectExpr

    if isinstance(value, Unknown) or value is None or depth > 32 or not isinstance(type_expr, Call):
        return value
    name, args = type_expr.name, type_expr.args
    if name in ("map", "list", "set") and args:
        if isinstance(value, dict) and name == "map":
            return {k: with_type_defaults(v, args[0], scope, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [with_type_defaults(v, args[0], scope, depth + 1) for v in value]
        return value
    if name != "object" or not args or not isinstance(args[0], ObjectExpr) or not isinstance(value, dict):
        return value
    out = dict(value)
    for key_expr, attr_type in args[0].items:
        key = getattr(key_expr, "value", None)
        if key is None and hasattr(key_expr, "name"):
            key = key_expr.name
        if not isinstance(key, str):
            continue
        optional = isinstance(attr_type, Call) and attr_type.name == "optional" and attr_type.args
        inner = attr_type.args[0] if optional else attr_type
        if key not in out or out[key] is None:
            if optional and len(attr_type.args) > 1:
                out[key] = evaluate(attr_type.args[1], scope)
            elif optional or key not in out:
                out[key] = None
        out[key] = with_type_defaults(out[key], inner, scope, depth + 1)
    return out


def type_text(expr: Any) -> str:
    """A type constraint as written: ``string``, ``list(string)``, ``object({a = number})``."""
    from scanner.sources.terraform.syntax import Call, Lit, Name, ObjectExpr, TupleExpr

    if isinstance(expr, Name):
        return expr.name
    if isinstance(expr, Call):
        return f"{expr.name}({', '.join(type_text(a) for a in expr.args)})"
    if isinstance(expr, ObjectExpr):
        inner = ", ".join(f"{getattr(k, 'value', '?')} = {type_text(v)}" for k, v in expr.items)
        return "{" + inner + "}"
    if isinstance(expr, TupleExpr):
        return "[" + ", ".join(type_text(i) for i in expr.items) + "]"
    if isinstance(expr, Lit):
        return str(expr.value)
    return "?"


def _same_key(a: Any, b: Any) -> bool:
    if isinstance(a, int) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return a == int(b)
    return _key_str(a) == _key_str(b)


def _render_key(key: Any) -> str:
    return str(key) if isinstance(key, int) else f'"{key}"'
