"""Terraform plan JSON: the output of ``terraform show -json plan.out > plan.json``.

A plan knows what HCL alone cannot: values of variables, ``count``/``for_each`` expansion, module
inputs and provider defaults. It also knows less than it seems: attributes computed by other
resources are only "known after apply". This source turns a plan into the same ``Resource`` model
the HCL source produces, so one rule serves both:

- one ``Resource`` per managed resource instance that will exist after apply (data sources,
  deletes and ``forget``s are skipped), ``kind`` = resource type, ``address`` = plan address;
- attributes from ``change.after`` (or ``planned_values`` when ``resource_changes`` lack one);
  nested blocks are lists of dicts; nulls are dropped so that ``absent`` means "not set";
- values in ``after_unknown`` become ``Unknown("known after apply")``. When the configuration sets
  the attribute, the unknown is ``nonnull`` and, if the expression points at exactly one managed
  resource, carries its address in ``ref``. When the configuration does *not* set it, the provider
  computes it (an Optional+Computed ``kms_key_id`` shows up unknown on every bucket): such values
  are dropped, as the HCL source would not see them either — otherwise "has a customer key" would
  pass on every bucket that has none;
- ``provider.oci`` resources from ``configuration.provider_config`` (expressions only: the plan
  does not evaluate provider blocks, so references stay ``Unknown``), and ``variable`` resources
  from the plan's variable values and the configuration's declarations.

Every resource's ``context`` holds ``scope`` (the plan path), ``module``, ``config_address`` (the
address without instance keys, to overlay ``.tf`` locations later), ``region`` when the provider's
region is known, and for managed resources ``actions``, ``expression_references`` (attribute path
-> references, for every attribute the configuration sets to a non-literal: the plan shows
``admin_password = var.admin_password`` as the password itself), ``sensitive_attributes``
(attribute paths the plan marks sensitive). Every resource also carries ``sensitive_values``:
every string the plan marks sensitive anywhere (see ``collect_sensitive``), for reporters to
redact. Sensitive values stay in the attributes, because rules need them (a literal
``admin_password`` is the finding).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.model import InputError, Location, Provenance, Resource, Unknown, strip_instance_keys

SOURCE = "terraform-plan"
SUPPORTED_MAJOR_VERSIONS = ("0", "1")  # "0.1" (Terraform 0.12-1.0) through "1.x"
KNOWN_AFTER_APPLY = "known after apply"
PROVIDER_EXPRESSION = "provider configuration is not evaluated in a plan"

# Actions after which the object no longer exists (or is no longer managed) once applied.
_GONE_ACTIONS = ({"delete"}, {"forget"})
# Reference roots that are not resources (`var.x`, `each.key`, `count.index`...).
_NON_RESOURCE_ROOTS = {"var", "local", "each", "count", "path", "terraform", "self"}
_DROP = object()  # "leave this key out" from the value converter


# -- sniffing and reading -------------------------------------------------------------------------
def is_plan_json(path: Path) -> bool:
    """True when ``path`` is a ``.json`` file that looks like ``terraform show -json`` of a plan.

    The test is textual first (both a ``format_version`` key and a ``planned_values`` or
    ``resource_changes`` key) so that a truncated or corrupted plan is still claimed, and
    ``load_plan`` reports what is wrong with it instead of it being silently skipped. When the
    text parses, the keys must be at the top level.
    """
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    from scanner.guards.limits import LIMITS
    from scanner.guards.safe_io import read_regular_file

    try:
        text = _decode(read_regular_file(path, LIMITS.max_plan_bytes))
    except OSError:
        return path.is_file()  # too large: claimed, so load_plan reports it by name
    except UnicodeDecodeError:
        return False
    if '"format_version"' not in text or not ('"planned_values"' in text or '"resource_changes"' in text):
        return False
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return True
    return isinstance(data, dict) and _looks_like_plan(data)


def load_plan(path: Path, root: Path) -> tuple[list[Resource], list[InputError]]:
    """Resources of one plan JSON file, and the errors that kept some or all of it out.

    Never raises: an unreadable file, invalid JSON (with its line), a document that is not a plan
    or a plan in an unsupported ``format_version`` each yield an ``InputError`` naming the file.
    """
    rel = _relative(path, root)
    plan, error = _read_plan(path, rel)
    if plan is None:
        return [], [error] if error else []
    errors: list[InputError] = []
    if plan.get("errored") is True:
        errors.append(InputError(rel, "Terraform reported errors while planning; the plan may be incomplete"))
    try:
        reader = _PlanReader(plan, rel, str(path), errors)
        resources = reader.managed_resources() + reader.providers() + reader.variables()
    except (AttributeError, LookupError, TypeError, ValueError) as exc:  # a malformed, hand-edited plan
        return [], [*errors, InputError(rel, f"malformed Terraform plan: {exc}")]
    except RecursionError:
        return [], [*errors, InputError(rel, "plan values nested too deeply to read")]
    return resources, errors


def _read_plan(path: Path, rel: str) -> tuple[dict[str, Any] | None, InputError | None]:
    from scanner.guards.limits import LIMITS
    from scanner.guards.safe_io import UnreadableInput, read_regular_file

    try:
        text = _decode(read_regular_file(path, LIMITS.max_plan_bytes))
    except UnreadableInput as exc:
        return None, InputError(rel, f"cannot read plan file: {str(exc).removeprefix('cannot read file: ')}")
    except OSError as exc:
        return None, InputError(rel, f"cannot read plan file: {exc.strerror or exc}")
    except UnicodeDecodeError:
        return None, InputError(rel, "plan file is not UTF-8 or UTF-16 text")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, InputError(
            rel, f"invalid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}", line=exc.lineno
        )
    except RecursionError:
        return None, InputError(rel, "plan JSON nested too deeply to read")
    if not isinstance(data, dict) or not _looks_like_plan(data):
        hint = (
            "it is a Terraform state, not a plan"
            if isinstance(data, dict) and "values" in data
            else "expected the output of `terraform show -json <planfile>`"
        )
        return None, InputError(rel, f"not a Terraform plan: {hint}")
    version = data["format_version"]
    if not isinstance(version, str) or version.partition(".")[0] not in SUPPORTED_MAJOR_VERSIONS:
        return None, InputError(rel, f"unsupported plan format_version {version!r} (supported: 0.x and 1.x)")
    return data, None


def _looks_like_plan(data: dict[str, Any]) -> bool:
    return "format_version" in data and ("planned_values" in data or "resource_changes" in data)


def _decode(raw: bytes) -> str:
    # PowerShell 5's `>` writes UTF-16 with a BOM: `terraform show -json p > plan.json` on Windows.
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    return raw.decode("utf-8-sig")


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


# -- sensitive values -----------------------------------------------------------------------------
def collect_sensitive(plan: dict[str, Any]) -> set[str]:
    """Every non-empty string the plan marks sensitive, for reporters to redact.

    Looks at resource changes (``before``/``after`` with their ``*_sensitive`` masks), planned
    values and prior state (``sensitive_values``), sensitive outputs, and the values of root
    variables declared ``sensitive = true``.
    """
    found: set[str] = set()
    for change in _dicts(plan.get("resource_changes")):
        body = change.get("change")
        if isinstance(body, dict):
            _sensitive_strings(body.get("before"), body.get("before_sensitive"), found)
            _sensitive_strings(body.get("after"), body.get("after_sensitive"), found)
    for state_key in ("planned_values", "prior_state"):
        state = plan.get(state_key)
        if not isinstance(state, dict):
            continue
        if state_key == "prior_state":
            state = state.get("values")
            if not isinstance(state, dict):
                continue
        for output in _values(state.get("outputs")):
            if output.get("sensitive") is True:
                _strings(output.get("value"), found)
        for res in _module_resources(state.get("root_module")):
            _sensitive_strings(res.get("values"), res.get("sensitive_values"), found)
    for change in _values(plan.get("output_changes")):
        _sensitive_strings(change.get("before"), change.get("before_sensitive"), found)
        _sensitive_strings(change.get("after"), change.get("after_sensitive"), found)
    declared = _dig(plan, "configuration", "root_module", "variables")
    values = plan.get("variables") if isinstance(plan.get("variables"), dict) else {}
    for name, decl in declared.items() if isinstance(declared, dict) else ():
        if isinstance(decl, dict) and decl.get("sensitive") is True and isinstance(values.get(name), dict):
            _strings(values[name].get("value"), found)
    return found


def _sensitive_strings(
    value: Any, mask: Any, found: set[str], path: str = "", paths: list[str] | None = None
) -> None:
    """Strings of ``value`` under ``True`` leaves of ``mask``; their paths into ``paths``."""
    if mask is True:
        _strings(value, found)
        if paths is not None and path:
            paths.append(path)
    elif isinstance(mask, dict) and isinstance(value, dict):
        for key, sub in mask.items():
            _sensitive_strings(value.get(key), sub, found, f"{path}.{key}" if path else str(key), paths)
    elif isinstance(mask, list) and isinstance(value, list):
        for i, (item, sub) in enumerate(zip(value, mask, strict=False)):
            _sensitive_strings(item, sub, found, f"{path}.{i}" if path else str(i), paths)


def _strings(value: Any, found: set[str]) -> None:
    if isinstance(value, str):
        if value:
            found.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            _strings(item, found)
    elif isinstance(value, list):
        for item in value:
            _strings(item, found)


# -- addresses and references ---------------------------------------------------------------------
def _split_address(address: str) -> list[str]:
    """``module.a["x.y"].oci_core_volume.v[0]`` -> ``['module', 'a["x.y"]', 'oci_core_volume', 'v[0]']``:
    split on dots outside instance keys (a for_each key may hold any character)."""
    parts, current, depth, quoted, escaped = [], [], 0, False, False
    for ch in address:
        if quoted:
            current.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
            continue
        if ch == '"':
            quoted = True
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "." and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def _strip_key(segment: str) -> str:
    return segment.partition("[")[0]


def _module_names(module_address: str) -> list[str]:
    """``module.a["k"].module.b`` -> ``['a', 'b']``."""
    parts = _split_address(module_address) if module_address else []
    return [_strip_key(parts[i + 1]) for i in range(0, len(parts) - 1, 2) if parts[i] == "module"]


def _reference_target(reference: str) -> tuple[str, str | None]:
    """What a configuration reference points at: ``("resource", "oci_kms_key.k[0]")``,
    ``("data" | "module", None)`` (values that may be unknown at plan time but are no managed
    resource) or ``("other", None)`` (variables, locals, ``each``/``count``...)."""
    parts = _split_address(reference)
    root = _strip_key(parts[0])
    if root in _NON_RESOURCE_ROOTS or len(parts) < 2:
        return "other", None
    if root in ("data", "module"):
        return root, None
    return "resource", f"{parts[0]}.{parts[1]}"


def _is_prefix(short: str, long: str) -> bool:
    return long == short or long.startswith((short + ".", short + "["))


@dataclass(frozen=True)
class _Expression:
    """The configuration's view of a value: a block's attribute map, one attribute's expression,
    a value the configuration does not set, or a value whose configuration is not known."""

    kind: str  # "block" | "blocks" (a list of written blocks) | "attr" | "computed" | "none"
    body: Any = None


_COMPUTED = _Expression("computed")
_NO_CONFIG = _Expression("none")


def _is_attribute_expression(expr: Any) -> bool:
    return isinstance(expr, dict) and set(expr) <= {"constant_value", "references"}


def _child_expression(parent: _Expression, key: str, value: Any) -> _Expression:
    if parent.kind == "block":
        expr = parent.body.get(key)
        if expr is None:
            # Dynamic blocks are not in the configuration's expressions: their content is
            # user-written, so its unknowns are kept (as possibly null) rather than dropped.
            if isinstance(value, list) and any(isinstance(item, dict) for item in value):
                return _NO_CONFIG
            return _COMPUTED
        if isinstance(expr, list):
            return _Expression("blocks", expr)
        if _is_attribute_expression(expr):
            return _Expression("attr", expr)
        return _Expression("block", expr) if isinstance(expr, dict) else _NO_CONFIG
    return parent  # inside an attribute, a computed value or unknown configuration: same view


# -- the plan -------------------------------------------------------------------------------------
class _PlanReader:
    """Turns one parsed plan into resources; holds what every resource of the plan shares."""

    def __init__(self, plan: dict[str, Any], rel: str, scope: str, errors: list[InputError]) -> None:
        self.plan = plan
        self.rel = rel
        self.scope = scope
        self.errors = errors
        self.sensitive = frozenset(collect_sensitive(plan))
        config = plan.get("configuration")
        self.config: dict[str, Any] = config if isinstance(config, dict) else {}
        providers = self.config.get("provider_config")
        self.provider_configs: dict[str, Any] = providers if isinstance(providers, dict) else {}
        variables = plan.get("variables")
        self.variable_values: dict[str, Any] = variables if isinstance(variables, dict) else {}

    def _provenance(self) -> Provenance:
        return Provenance(SOURCE, Location(self.rel, 1, 1))

    def _context(self, config_address: str, module: str, region: str | None) -> dict[str, Any]:
        context: dict[str, Any] = {
            "scope": self.scope,
            "module": module,
            "config_address": config_address,
            "sensitive_values": self.sensitive,
        }
        if region is not None:
            context["region"] = region
        return context

    # -- managed resources --
    def managed_resources(self) -> list[Resource]:
        """One resource per managed instance that exists after apply, in plan order."""
        out: list[Resource] = []
        seen: set[str] = set()
        for change in _dicts(self.plan.get("resource_changes")):
            address = change.get("address")
            if change.get("mode", "managed") != "managed" or not isinstance(address, str):
                continue
            seen.add(address)  # a deposed or deleted object hides its planned_values twin too
            body = change.get("change") if isinstance(change.get("change"), dict) else {}
            actions = body.get("actions") or []
            if change.get("deposed") or set(actions) in _GONE_ACTIONS:
                continue
            resource = self._managed(
                change,
                body.get("after"),
                body.get("after_unknown"),
                body.get("after_sensitive"),
                list(actions),
            )
            if resource is not None:
                out.append(resource)
        planned = self.plan.get("planned_values")
        root = planned.get("root_module") if isinstance(planned, dict) else None
        for res in _module_resources(root):
            address = res.get("address")
            if res.get("mode", "managed") == "managed" and isinstance(address, str) and address not in seen:
                resource = self._managed(res, res.get("values"), None, res.get("sensitive_values"), [])
                if resource is not None:
                    out.append(resource)
        return out

    def _managed(
        self, entry: dict[str, Any], after: Any, unknown: Any, sensitive: Any, actions: list[str]
    ) -> Resource | None:
        address = entry["address"]
        try:
            kind = entry.get("type") or _strip_key(_split_address(address)[-2])
            name = entry.get("name") or _strip_key(_split_address(address)[-1])
            module = entry.get("module_address") or _module_of(address)
            config = self._resource_config(module, kind, name)
            top = _Expression("block", config.get("expressions") or {}) if config else _NO_CONFIG
            converted = _Converter(module).convert(after if after is not None else {}, unknown, top)
            attributes = converted if isinstance(converted, dict) else {}
        except (AttributeError, LookupError, TypeError, ValueError) as exc:
            self.errors.append(InputError(self.rel, f"cannot read {address} from the plan: {exc}"))
            return None
        provider_key = config.get("provider_config_key") if config else None
        context = self._context(strip_instance_keys(address), module, self._region(provider_key, kind))
        context["actions"] = actions
        context["expression_references"] = _expression_references(
            config.get("expressions") if config else None
        )
        paths: list[str] = []
        _sensitive_strings(after, sensitive, set(), paths=paths)
        context["sensitive_attributes"] = paths
        return Resource(kind, address, attributes, self._provenance(), context)

    def _module_config(self, module: str) -> dict[str, Any] | None:
        node = self.config.get("root_module")
        for name in _module_names(module):
            call = _dig(node, "module_calls", name)
            node = call.get("module") if isinstance(call, dict) else None
        return node if isinstance(node, dict) else None

    def _resource_config(self, module: str, kind: str, name: str) -> dict[str, Any] | None:
        for res in _dicts(_dig(self._module_config(module), "resources")):
            if res.get("address") == f"{kind}.{name}" and res.get("mode", "managed") == "managed":
                return res
        return None

    # -- providers --
    def _provider_config(self, key: str | None, kind: str) -> dict[str, Any] | None:
        if key is None:  # no configuration for the resource: the default provider of its type
            key = kind.partition("_")[0]
        config = self.provider_configs.get(key)
        if config is None and ":" in key:
            # `module.x:oci` for a provider the module inherits: the root's `oci` configures it.
            config = self.provider_configs.get(key.rpartition(":")[2])
        return config if isinstance(config, dict) else None

    def _region(self, key: str | None, kind: str) -> str | None:
        config = self._provider_config(key, kind)
        expr = _dig(config, "expressions", "region")
        if not isinstance(expr, dict):
            return None
        if isinstance(expr.get("constant_value"), str):
            return expr["constant_value"]
        refs = expr.get("references") or []
        # `region = var.region` in the root: the plan holds the variable's value.
        if len(refs) == 1 and refs[0].startswith("var.") and not config.get("module_address"):
            value = _dig(self.variable_values, refs[0][4:], "value")
            return value if isinstance(value, str) else None
        return None

    def providers(self) -> list[Resource]:
        """``provider.oci`` resources from ``configuration.provider_config``."""
        out = []
        for key, config in self.provider_configs.items():
            if not isinstance(config, dict) or config.get("name") != "oci":
                continue
            module = config.get("module_address") or ""
            if not module and ":" in key:
                module = key.rpartition(":")[0]
            alias = config.get("alias")
            address = "provider.oci" + (f".{alias}" if alias else "")
            if module:
                address = f"{module}.{address}"
            attributes = _provider_attributes(config.get("expressions") or {})
            if alias:
                attributes["alias"] = alias
            context = self._context(address, module, self._region(key, "oci"))
            out.append(Resource("provider.oci", address, attributes, self._provenance(), context))
        return out

    # -- variables --
    def variables(self) -> list[Resource]:
        """Root variables and module variables, as declared.

        The value a plan holds for a variable may come from a tfvars file, ``-var`` or the
        environment: the plan cannot tell, so it is kept in ``context["plan_value"]`` rather than
        as the ``value`` attribute (which means "assigned in a tfvars file" to the rules)."""
        out = []
        root = self.config.get("root_module")
        declared = _dig(root, "variables")
        declared = declared if isinstance(declared, dict) else {}
        names = list(declared) + [n for n in self.variable_values if n not in declared]
        for name in names:
            attributes = _variable_attributes(name, declared.get(name))
            value = _dig(self.variable_values, name, "value")
            res = self._variable(f"var.{name}", "", attributes)
            if value is not None:
                res.context["plan_value"] = value
            out.append(res)
        for module, node in _module_configs(root, ""):
            for name, decl in (_dig(node, "variables") or {}).items():
                out.append(self._variable(f"{module}.var.{name}", module, _variable_attributes(name, decl)))
        return out

    def _variable(self, address: str, module: str, attributes: dict[str, Any]) -> Resource:
        context = self._context(address, module, None)
        return Resource("variable", address, attributes, self._provenance(), context)


def _variable_attributes(name: str, decl: Any) -> dict[str, Any]:
    attributes: dict[str, Any] = {"name": name}
    if isinstance(decl, dict):
        for key in ("default", "sensitive", "description", "type", "nullable"):
            if decl.get(key) is not None:
                attributes[key] = decl[key]
    return attributes


def _provider_attributes(expressions: dict[str, Any]) -> dict[str, Any]:
    """Provider arguments as written: constants as values, anything else ``Unknown``."""
    out: dict[str, Any] = {}
    for key, expr in expressions.items():
        if _is_attribute_expression(expr):
            if "constant_value" in expr:
                if expr["constant_value"] is not None:
                    out[key] = expr["constant_value"]
            else:
                refs = expr.get("references") or []
                out[key] = Unknown(PROVIDER_EXPRESSION, symbol=_symbol(refs))
        elif isinstance(expr, list):  # a nested block, rare in provider configuration
            out[key] = [_provider_attributes(b) for b in expr if isinstance(b, dict)]
    return out


def _expression_references(expressions: Any, prefix: str = "") -> dict[str, list[str]]:
    """Attribute paths whose configured expression is not a literal, with what it references.

    A plan shows ``admin_password = var.admin_password`` as the password itself; this tells
    rules about literals in code that the value came from somewhere else.
    """
    out: dict[str, list[str]] = {}
    if not isinstance(expressions, dict):
        return out
    for key, expr in expressions.items():
        path = f"{prefix}{key}"
        if _is_attribute_expression(expr):
            if "constant_value" not in expr:
                out[path] = [r for r in expr.get("references") or [] if isinstance(r, str)]
        elif isinstance(expr, list):
            for i, block in enumerate(expr):
                out.update(_expression_references(block, f"{path}.{i}."))
        elif isinstance(expr, dict):
            out.update(_expression_references(expr, f"{path}."))
    return out


def _module_of(address: str) -> str:
    parts = _split_address(address)
    return ".".join(parts[:-2])


def _module_configs(node: Any, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for name, call in (_dig(node, "module_calls") or {}).items():
        child = call.get("module") if isinstance(call, dict) else None
        if isinstance(child, dict):
            address = f"{prefix}module.{name}"
            out.append((address, child))
            out.extend(_module_configs(child, address + "."))
    return out


def _module_resources(module: Any) -> list[dict[str, Any]]:
    """Resources of a ``planned_values``/state module and all its child modules."""
    if not isinstance(module, dict):
        return []
    out = list(_dicts(module.get("resources")))
    for child in _dicts(module.get("child_modules")):
        out.extend(_module_resources(child))
    return out


def _symbol(references: list[str]) -> str | None:
    """The expression as far as the plan tells it: its references, when they form one chain
    (``oci_kms_key.k.id`` with its parent ``oci_kms_key.k``); else ``None``, since two unknowns
    built from several references cannot be told apart or equated."""
    if not references:
        return None
    longest = max(references, key=len)
    return longest if all(_is_prefix(ref, longest) for ref in references) else None


def _resource_ref(references: list[str], module: str) -> str | None:
    """The managed resource an expression reads, when it reads exactly one and no data source
    or module output (which could be what makes it unknown)."""
    targets: set[str] = set()
    for reference in references:
        kind, target = _reference_target(reference)
        if kind in ("data", "module"):
            return None
        if target is not None:
            targets.add(target)
    # `oci_x.a[0].id` comes with its parent `oci_x.a`: keep the most precise of one chain.
    precise = [t for t in targets if not any(o != t and _is_prefix(t, o) for o in targets)]
    if len(precise) != 1:
        return None
    return f"{module}.{precise[0]}" if module else precise[0]


class _Converter:
    """Walks ``after`` with its ``after_unknown`` mask and the configuration's expressions."""

    def __init__(self, module: str) -> None:
        self.module = module

    def unknown(self, expr: _Expression) -> Unknown | object:
        if expr.kind == "computed":
            return _DROP
        if expr.kind == "attr":
            refs = [r for r in expr.body.get("references") or [] if isinstance(r, str)]
            return Unknown(
                KNOWN_AFTER_APPLY, nonnull=True, ref=_resource_ref(refs, self.module), symbol=_symbol(refs)
            )
        return Unknown(KNOWN_AFTER_APPLY)

    def convert(self, value: Any, mask: Any, expr: _Expression) -> Any:
        """The model value of ``value``, or ``_DROP`` when it is null or not set."""
        if mask is True:
            return self.unknown(expr)
        if expr.kind == "blocks" and not isinstance(value, list):  # a single block seen as a list
            blocks = expr.body
            expr = _Expression("block", blocks[0]) if blocks and isinstance(blocks[0], dict) else _NO_CONFIG
        if isinstance(value, dict) or (value is None and isinstance(mask, dict)):
            return self._object(value or {}, mask if isinstance(mask, dict) else {}, expr)
        if isinstance(value, list):
            return self._list(value, mask if isinstance(mask, list) else [], expr)
        return _DROP if value is None else value

    def _object(self, value: dict[str, Any], mask: dict[str, Any], expr: _Expression) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in [*value, *(k for k in mask if k not in value)]:
            item = value.get(key)
            child = _child_expression(expr, key, item)
            if child is _COMPUTED and expr.kind == "block" and item in ([], {}):
                continue  # an unwritten block or map the provider defaults to empty
            converted = self.convert(item, mask.get(key), child)
            if converted is not _DROP:
                out[key] = converted
        return out

    def _list(self, value: list[Any], mask: list[Any], expr: _Expression) -> list[Any]:
        out = []
        for i, item in enumerate(value):
            if expr.kind == "blocks":
                blocks = expr.body
                child = (
                    _Expression("block", blocks[i])
                    if i < len(blocks) and isinstance(blocks[i], dict)
                    else _NO_CONFIG
                )
            else:
                child = expr
            converted = self.convert(item, mask[i] if i < len(mask) else None, child)
            if converted is _DROP:
                # Keep positions: a list element is null or provider-computed, not "unset".
                converted = None if item is None or child.kind != "computed" else Unknown(KNOWN_AFTER_APPLY)
            out.append(converted)
        return out


# -- small helpers --------------------------------------------------------------------------------
def _dig(node: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _values(value: Any) -> list[dict[str, Any]]:
    return [item for item in value.values() if isinstance(item, dict)] if isinstance(value, dict) else []
