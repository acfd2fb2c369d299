"""Terraform state: which resource address manages which OCID.

Reads ``terraform.tfstate`` (state format version 4, Terraform 0.12 and later), the output of
``terraform show -json`` (``format_version`` 1.x, ``values.root_module``), or a directory of them
(``*.tfstate``, ``terraform.tfstate.d/<workspace>/terraform.tfstate``, state JSON).

State files hold secrets (passwords, private keys, generated tokens). Only what ties code to
cloud is taken: the address, the module path, the instance key, the object's identities (its
OCID and the ids the live source addresses it by) and, where asked, the attributes rules read,
minus secret-like names and every attribute Terraform marks sensitive. Nothing else of the file
is kept, so nothing else can reach a report or a snapshot.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.guards.limits import LIMITS
from scanner.guards.safe_io import UnreadableInput, read_regular_file
from scanner.guards.secretnames import is_secret_name
from scanner.model import InputError

STATE_SUFFIXES = (".tfstate",)


@dataclass(frozen=True)
class StateResource:
    """One managed resource instance in a state: ``address`` as Terraform prints it
    (``module.vault.oci_kms_key.this["buckets"]``), ``module`` (``module.vault`` or ``""``), the
    resource ``type``, ``index`` (count/for_each key or None), ``identities`` (its OCID and the
    other ids live objects are addressed by) and the rule-read ``attributes`` kept."""

    address: str
    module: str
    type: str
    name: str
    index: int | str | None
    identities: tuple[str, ...]
    attributes: dict[str, Any] = field(default_factory=dict)
    state_file: str = ""

    @property
    def ocid(self) -> str | None:
        """The object's OCID, when the state records one."""
        return next((i for i in self.identities if i.startswith("ocid1.")), None)


@dataclass
class TerraformState:
    """Every managed instance of the states read, indexed by identity."""

    resources: list[StateResource] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)

    def by_identity(self) -> dict[str, StateResource]:
        """OCID (or other live id) -> the instance that manages it (the first state wins)."""
        out: dict[str, StateResource] = {}
        for res in self.resources:
            for ident in res.identities:
                out.setdefault(ident, res)
        return out

    def extend(self, other: TerraformState) -> None:
        """Add another state's resources, files and errors."""
        self.resources += other.resources
        self.files += other.files
        self.errors += other.errors


class StateFormatError(ValueError):
    """A document that is not a Terraform state this reader understands."""


def instance_address(module: str, mode: str, rtype: str, name: str, index: Any) -> str:
    """The address Terraform prints for one instance: ``module.m["a"].data.t.n[0]``."""
    head = f"{module}." if module else ""
    kind = "data." if mode == "data" else ""
    return f"{head}{kind}{rtype}.{name}{_key(index)}"


def _key(index: Any) -> str:
    if index is None:
        return ""
    if isinstance(index, bool):  # not a valid key; shown as Terraform would not, but never lost
        return f"[{json.dumps(index)}]"
    if isinstance(index, int):
        return f"[{index}]"
    return f"[{json.dumps(str(index), ensure_ascii=False)}]"


# Resources the provider addresses by something other than an OCID ``id``: the extra
# identities under which the live source knows them (see scanner.sources.oci.mapping).
def _identities(rtype: str, attrs: dict[str, Any]) -> tuple[str, ...]:
    def s(name: str) -> str | None:
        v = attrs.get(name)
        return v if isinstance(v, str) and v else None

    out: list[str] = []
    ident = s("id")
    if ident and ident.startswith("ocid1."):
        out.append(ident)
    if rtype == "oci_objectstorage_bucket":  # id is "n/<namespace>/b/<name>"; bucket_id is the OCID
        if s("bucket_id"):
            out.append(s("bucket_id"))  # type: ignore[arg-type]
    elif rtype in ("oci_load_balancer_listener", "oci_load_balancer_rule_set"):
        lb, name = s("load_balancer_id"), s("name")
        if lb and name:
            part = "listeners" if rtype.endswith("listener") else "ruleSets"
            out.append(f"{lb}/{part}/{name}")
    elif rtype == "oci_identity_user_group_membership":
        user, group = s("user_id"), s("group_id")
        if user and group:
            out.append(f"{user}/memberships/{group}")
    elif rtype in ("oci_identity_api_key", "oci_identity_auth_token", "oci_identity_customer_secret_key"):
        user = s("user_id")
        related = {
            "oci_identity_api_key": "api_keys",
            "oci_identity_auth_token": "auth_tokens",
            "oci_identity_customer_secret_key": "customer_secret_keys",
        }[rtype]
        for name in ("id", "key_id", "fingerprint"):
            if user and s(name):
                out.append(f"{user}/{related}/{s(name)}")
    return tuple(dict.fromkeys(out))


def _without_secrets(value: Any) -> Any:
    """A nested value with every secret-named key left out (``{"password": ...}`` inside a block)."""
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if not is_secret_name(str(k))}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def _kept(attrs: dict[str, Any], sensitive: set[str], wanted: set[str] | None) -> dict[str, Any]:
    if not wanted:
        return {}
    return {
        k: _without_secrets(v)
        for k, v in attrs.items()
        if k in wanted and k not in sensitive and not is_secret_name(k)
    }


def _marks_sensitive(mark: Any) -> bool:
    """Whether a ``sensitive_values`` entry marks anything inside: a nested ``true`` makes the
    whole top-level attribute unkept (``metadata`` when only ``metadata.user_data`` is marked)."""
    stack = [mark]
    while stack:
        node = stack.pop()
        if node is True:
            return True
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _sensitive_v4(paths: Any) -> set[str]:
    """Top-level names of the ``sensitive_attributes`` paths of a state v4 instance."""
    names: set[str] = set()
    for path in paths if isinstance(paths, list) else ():
        if isinstance(path, list) and path and isinstance(path[0], dict):
            value = path[0].get("value")
            if isinstance(value, str):
                names.add(value)
    return names


def parse_state(doc: Any, name: str, wanted: dict[str, set[str]] | None = None) -> TerraformState:
    """The managed resources of a parsed state document (v4 ``terraform.tfstate`` or ``terraform
    show -json``). ``wanted``: resource type -> attribute names to keep (the ones rules read).
    Raises ``StateFormatError`` naming what is wrong."""
    wanted = wanted or {}
    if not isinstance(doc, dict):
        raise StateFormatError("not a Terraform state (a JSON object was expected)")
    if "version" in doc and "resources" in doc or doc.get("version") in (1, 2, 3):
        return _parse_v4(doc, name, wanted)
    if "format_version" in doc:
        if "planned_values" in doc or "resource_changes" in doc:
            raise StateFormatError(
                "is a plan (`terraform show -json PLANFILE`), not a state: give it with --plan"
            )
        return _parse_show_json(doc, name, wanted)
    raise StateFormatError(
        'not a Terraform state: expected terraform.tfstate ("version": 4) or `terraform show -json` output'
    )


def _parse_v4(doc: dict[str, Any], name: str, wanted: dict[str, set[str]]) -> TerraformState:
    version = doc.get("version")
    if version != 4:
        raise StateFormatError(
            f"state format version {version!r} is not supported (only 4, written by Terraform 0.12 "
            "and later): run `terraform apply` or `terraform state pull` with a current Terraform "
            "to upgrade it"
        )
    raw = doc.get("resources")
    if not isinstance(raw, list):
        raise StateFormatError("'resources' must be a list")
    state = TerraformState(files=[name])
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("type", "name")):
            state.errors.append(InputError(name, f"resources[{i}]: needs string 'type' and 'name'; skipped"))
            continue
        if item.get("mode", "managed") != "managed":
            continue  # data sources manage nothing
        module = item.get("module") if isinstance(item.get("module"), str) else ""
        instances = item.get("instances")
        if not isinstance(instances, list):
            state.errors.append(
                InputError(
                    name,
                    f"resources[{i}] ({item['type']}.{item['name']}): 'instances' must be a list; skipped",
                )
            )
            continue
        for inst in instances:
            if not isinstance(inst, dict) or not isinstance(inst.get("attributes", {}), dict):
                state.errors.append(
                    InputError(name, f"resources[{i}]: an instance without attributes; skipped")
                )
                continue
            attrs = inst.get("attributes") or {}
            index = inst.get("index_key")
            state.resources.append(
                StateResource(
                    address=instance_address(module, "managed", item["type"], item["name"], index),
                    module=module,
                    type=item["type"],
                    name=item["name"],
                    index=index,
                    identities=_identities(item["type"], attrs),
                    attributes=_kept(
                        attrs, _sensitive_v4(inst.get("sensitive_attributes")), wanted.get(item["type"])
                    ),
                    state_file=name,
                )
            )
    return state


def _parse_show_json(doc: dict[str, Any], name: str, wanted: dict[str, set[str]]) -> TerraformState:
    state = TerraformState(files=[name])
    values = doc.get("values")
    if values is None:  # `terraform show -json` of an empty state
        return state
    root = values.get("root_module") if isinstance(values, dict) else None
    if not isinstance(root, dict):
        raise StateFormatError("'values.root_module' must be an object")
    stack: list[tuple[dict[str, Any], str]] = [(root, "")]
    while stack:
        module, module_address = stack.pop()
        for res in module.get("resources") or []:
            if not isinstance(res, dict) or res.get("mode", "managed") != "managed":
                continue
            rtype, rname = res.get("type"), res.get("name")
            if not isinstance(rtype, str) or not isinstance(rname, str):
                state.errors.append(
                    InputError(
                        name,
                        f"a resource in {module_address or 'the root module'} has no type or name; skipped",
                    )
                )
                continue
            attrs = res.get("values") if isinstance(res.get("values"), dict) else {}
            sens = res.get("sensitive_values") if isinstance(res.get("sensitive_values"), dict) else {}
            sensitive = {k for k, v in sens.items() if _marks_sensitive(v)}
            index = res.get("index")
            address = res.get("address")
            if not isinstance(address, str):
                address = instance_address(module_address, "managed", rtype, rname, index)
            state.resources.append(
                StateResource(
                    address,
                    module_address,
                    rtype,
                    rname,
                    index,
                    _identities(rtype, attrs),
                    _kept(attrs, sensitive, wanted.get(rtype)),
                    name,
                )
            )
        for child in module.get("child_modules") or []:
            if isinstance(child, dict) and isinstance(child.get("address"), str):
                stack.append((child, child["address"]))
    state.resources.sort(key=lambda r: r.address)
    return state


def parse_state_bytes(data: bytes, name: str, wanted: dict[str, set[str]] | None = None) -> TerraformState:
    """Parse the bytes of a state (a file or an object fetched from a remote backend); any
    problem becomes an ``InputError`` naming ``name``."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        return TerraformState(errors=[InputError(name, "not UTF-8 text: not a Terraform state")])
    except json.JSONDecodeError as exc:
        return TerraformState(errors=[InputError(name, f"not JSON ({exc.msg})", exc.lineno)])
    except RecursionError:
        return TerraformState(errors=[InputError(name, "JSON nested too deeply")])
    try:
        return parse_state(doc, name, wanted)
    except StateFormatError as exc:
        return TerraformState(errors=[InputError(name, str(exc))])


# Directories a state never lives in (tool caches, VCS data, dependencies): not walked.
_SKIP_DIRS = {".terraform", ".git", ".hg", ".svn", "node_modules", ".venv", "__pycache__"}


def state_files(path: Path) -> list[Path]:
    """The state files a ``--state`` path names: the file itself, or under a directory every
    ``*.tfstate`` (workspaces in ``terraform.tfstate.d/`` included) and JSON state. Symbolic
    links to directories are not followed (no loops, nothing outside the tree)."""
    if not path.is_dir():
        return [path]
    found = []
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in sorted(filenames):
            f = Path(dirpath) / name
            if not f.is_file():
                continue
            if name.endswith(STATE_SUFFIXES) or (f.suffix == ".json" and _looks_like_state(f)):
                found.append(f)
    return found


def _looks_like_state(path: Path) -> bool:
    try:
        head = read_regular_file(path, 4096, truncate=True).decode("utf-8", "replace")
    except UnreadableInput:
        return False
    return '"format_version"' in head and '"values"' in head and '"planned_values"' not in head


def load_state(
    paths: Iterable[Path], display: Any = str, wanted: dict[str, set[str]] | None = None
) -> TerraformState:
    """Read every state ``paths`` name (files or directories); ``display(path)`` is how a file
    is named in errors. A file that cannot be read is an input error; the others are read."""
    state = TerraformState()
    for path in paths:
        if not path.exists():
            state.errors.append(InputError(display(path), "no such file or directory"))
            continue
        files = state_files(path)
        if not files:
            state.errors.append(
                InputError(
                    display(path), "no Terraform state here (*.tfstate or `terraform show -json` output)"
                )
            )
        for f in files:
            try:
                data = read_regular_file(f, LIMITS.max_plan_bytes)
            except UnreadableInput as exc:
                state.errors.append(InputError(display(f), str(exc)))
                continue
            state.extend(parse_state_bytes(data, display(f), wanted))
    return state
