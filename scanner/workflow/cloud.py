"""Code and cloud side by side: live findings on the Terraform that declared them, and drift.

``CodeAndCloud`` (``ocisec audit --state``, given to the audit as ``AuditOptions.code_and_cloud``)
takes the live findings of an audit, the Terraform state(s) that map each OCID to a resource
address, and the configuration (or a plan) the addresses are declared in, and:

- moves every live finding on a managed object to the ``.tf`` block or attribute line the rule
  names (the snapshot line stays as a related location; the OCID stays the logical location);
- compares, per managed object and rule, the outcome in code with the outcome live: a rule that
  passes in code and fails live, or fails in code and passes live (a fix made by hand in the
  console), is **drift**, with the attribute and both values (never a secret attribute's);
- lists live objects without a state entry as **unmanaged**, with the rules they fail.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.engine.conditions import resolve
from scanner.engine.engine import evaluate_rules
from scanner.guards.secretnames import is_secret_name
from scanner.model import (
    Finding,
    InputError,
    Resource,
    Rule,
    ScanResult,
    Status,
    is_unknown,
    strip_instance_keys,
)
from scanner.model.cloud import FAILS_LIVE, FIXED_LIVE, Drift, UnmanagedResource
from scanner.sources.terraform_state import TerraformState, load_state, parse_state_bytes

REMOTE_PREFIX = "oci://"


class RemoteStateError(Exception):
    """A remote state that could not be fetched; ``str()`` says why (HTTP status, message)."""


def _display(path: Path, root: Path) -> str:
    from scanner.sources.terraform import rel

    return rel(path, root)


# Live objects no Terraform resource creates: the tenancy itself. (Stand-ins without an OCID,
# such as a type that was not collected, are never listed as unmanaged either.)
NOT_MANAGEABLE = {"oci_identity_tenancy"}
MAX_VALUE = 120  # characters of a value shown in a drift message


@dataclass
class CodeSide:
    """The configuration the state's addresses are declared in, evaluated: its resources (by
    address) and the findings of the same rules on them."""

    resources: dict[str, Resource] = field(default_factory=dict)
    findings: dict[tuple[str, str], list[Finding]] = field(default_factory=dict)
    errors: list[InputError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    source: str = "terraform"  # or "terraform-plan"
    # Literal secrets of the configuration (secret-like attributes, sensitive variables, what a
    # plan marks sensitive): a drift value that contains one is not shown.
    secrets: set[str] = field(default_factory=set)

    def resource(self, address: str) -> Resource | None:
        """The code resource at ``address``, else the declaration's (instance keys ignored)."""
        found = self.resources.get(address)
        if found is None:
            found = self.resources.get(strip_instance_keys(address))
        return found


def load_code(
    code: Path | None,
    plan: Path | None,
    rules: list[Rule],
    root: Path,
    var_files: list[Path] | None = None,
    workspace: str | None = None,
) -> CodeSide:
    """Evaluate ``rules`` on the configuration under ``code`` (or on the plan ``plan``, whose
    resources point at the configuration beside it)."""
    side = CodeSide()
    resources: list[Resource] = []
    if plan is not None:
        from scanner.sources.terraform.parsing import ParseCache
        from scanner.sources.terraform_plan import load_plan
        from scanner.workflow.scan import _overlay_config_locations

        resources, errors = load_plan(plan, root)
        _overlay_config_locations(resources, plan, root, ParseCache(None))
        side.errors += errors
        side.source = "terraform-plan"
    elif code is not None:
        from scanner.sources.terraform import load_terraform
        from scanner.workflow.scan import discover

        inputs = discover([code], root)
        side.errors += inputs.errors
        if inputs.tf:
            tf = load_terraform(inputs.tf, root, var_files, workspace=workspace)
            resources = tf.resources
            side.errors += tf.errors
            side.files = tf.files
    from scanner.report.redact import secret_values

    side.secrets = {v for res in resources for v in secret_values(res) if v}
    roots = sorted({str(r.context.get("scope")) for r in resources if r.kind.startswith("oci_")})
    if code is not None and len(roots) > 1:
        # One state belongs to one root: addresses of several roots under --code would collide.
        side.errors.append(
            InputError(
                _display(code, root),
                f"{len(roots)} Terraform roots here ({', '.join(roots[:3])}"
                f"{', …' if len(roots) > 3 else ''}): a state address is matched in the first that "
                "declares it; give --code the root the state belongs to",
                level="warning",
            )
        )
    for res in resources:
        if res.kind.startswith("oci_"):
            side.resources.setdefault(res.address, res)
            side.resources.setdefault(strip_instance_keys(res.address), res)
    findings, errors = evaluate_rules(rules, resources)
    side.errors += errors
    for f in findings:
        side.findings.setdefault((f.rule_id, f.resource.address), []).append(f)
    return side


def live_identity(res: Resource) -> list[str]:
    """The ids a state entry may record for a live object: its OCID and its address."""
    return [i for i in (res.provenance.ocid, res.address) if i]


def _outcome(findings: list[Finding]) -> Status | None:
    """One rule on one object: failed if any target failed, passed if all passed, else None."""
    statuses = {f.status for f in findings}
    if Status.FAILED in statuses:
        return Status.FAILED
    if statuses == {Status.PASSED}:
        return Status.PASSED
    return None


SECRET_SHOWN = "(secret, not shown)"


def _holds_secret(
    code_value: str, live_value: str, code: CodeSide, code_res: Resource, live: Resource, path: str | None
) -> bool:
    """Whether either value must be hidden: the plan marks the attribute sensitive, or a value
    contains a secret the configuration or the live object holds elsewhere."""
    marked = code_res.context.get("sensitive_attributes") or ()
    if path and any(path == m or path.startswith(f"{m}.") or m.startswith(f"{path}.") for m in marked):
        return True
    from scanner.report.redact import secret_values

    secrets = code.secrets | {v for v in secret_values(live) if v}
    # Very short "secrets" ("true", "1") would hide ordinary values: the reporters mask those.
    return any(len(v) >= 4 and (v in code_value or v in live_value) for v in secrets)


def show_value(attrs: dict[str, Any], path: str | None) -> str:
    """A value as a drift message shows it: secret attributes never, long values cut."""
    if not path:
        return "(not applicable)"
    if any(is_secret_name(part) for part in path.split(".") if not part.isdigit()):
        return SECRET_SHOWN
    # The path without list indices: a node pool's placements show every AD, not the first.
    general = ".".join(part for part in path.split(".") if not part.isdigit())
    values = [v for v, _ in resolve(attrs, general)]
    if not values:
        return "(not set)"
    value = values[0] if len(values) == 1 else values
    if isinstance(value, list) and any(is_unknown(v) for v in value):
        value = next(v for v in value if is_unknown(v))
    if is_unknown(value):
        what = value.symbol or value.ref
        return f"(known after apply{': ' + what if what else ''})"
    if value is None:
        return "(not set)"
    text = value if isinstance(value, str) else _json(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _json(value: Any) -> str:
    import json

    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)


def rule_attributes(rules: list[Rule]) -> dict[str, set[str]]:
    """Resource kind -> the top-level attribute names the rules' conditions read (what may be
    kept of a state entry)."""
    out: dict[str, set[str]] = defaultdict(set)

    def walk(node: Any, kinds: list[str]) -> None:
        if isinstance(node, dict):
            attr = node.get("attr")
            if isinstance(attr, str) and attr not in (".", ""):
                for kind in kinds:
                    out[kind].add(attr.split(".")[0])
            for value in node.values():
                walk(value, kinds)
        elif isinstance(node, list):
            for value in node:
                walk(value, kinds)

    for rule in rules:
        for target in rule.targets:
            walk(target.condition, target.resources)
            walk(target.when, target.resources)
    return dict(out)


class CodeAndCloud:
    """``ocisec audit --state PATH... [--code DIR | --plan FILE]``: joins a live audit with the
    Terraform that manages it. Given to the audit as ``AuditOptions.code_and_cloud``."""

    def __init__(
        self,
        states: list[str],
        code: Path | None = None,
        plan: Path | None = None,
        var_files: list[Path] | None = None,
        fetch: Callable[[str], bytes] | None = None,
        workspace: str | None = None,
    ) -> None:
        self.states = list(states)
        self.code = code
        self.plan = plan
        self.var_files = list(var_files or [])
        self.fetch = fetch  # reads an oci:// state through the audit's read-only SDK session
        self.workspace = workspace
        self.state = TerraformState()
        self.code_side: CodeSide | None = None
        self.drift: list[Drift] = []
        self.unmanaged: list[UnmanagedResource] = []
        self.managed = 0

    def _load_state(self, rules: list[Rule], root: Path) -> None:
        wanted = rule_attributes(rules)
        local = [Path(s) for s in self.states if not s.startswith(REMOTE_PREFIX)]
        self.state = load_state(local, lambda p: _display(p, root), wanted)
        for url in (s for s in self.states if s.startswith(REMOTE_PREFIX)):
            if self.fetch is None:
                self.state.errors.append(
                    InputError(url, "remote state needs the live session (not a snapshot replay)")
                )
                continue
            try:
                data = self.fetch(url)
            except RemoteStateError as exc:
                self.state.errors.append(InputError(url, str(exc)))
                continue
            self.state.extend(parse_state_bytes(data, url, wanted))

    def default_code(self) -> Path | None:
        """``--code`` when not given: the directory of the first local state file that holds
        Terraform configuration."""
        for s in self.states:
            if s.startswith(REMOTE_PREFIX):
                continue
            p = Path(s)
            d = p if p.is_dir() else p.parent
            if any(d.glob("*.tf")) or any(d.glob("*.tf.json")):
                return d
        return None

    def join(
        self, findings: list[Finding], live: list[Resource], rules: list[Rule], root: Path
    ) -> list[InputError]:
        """Relocate managed live findings onto the code and work out drift and unmanaged objects;
        returns the input errors of the state and code read."""
        # One instance may serve several audits (both sides of ``ocisec diff``): start afresh.
        self.drift, self.unmanaged, self.managed, self.code_side = [], [], 0, None
        self._load_state(rules, root)
        errors = list(self.state.errors)
        code_dir = self.code or (None if self.plan else self.default_code())
        if code_dir is not None or self.plan is not None:
            self.code_side = load_code(code_dir, self.plan, rules, root, self.var_files, self.workspace)
            errors += self.code_side.errors
        elif not self.state.errors:
            errors.append(
                InputError(
                    self.states[0] if self.states else "--state",
                    "no Terraform configuration beside the state: give --code DIR to point "
                    "findings at .tf lines and to find drift",
                    level="note",
                )
            )
        self._join(findings, live)
        return errors

    def describe(self, result: ScanResult) -> None:
        """Put what ``join`` found on ``result``."""
        result.drift = self.drift
        result.unmanaged = self.unmanaged
        result.metadata["code_and_cloud"] = {
            "states": sorted(set(self.state.files)),
            "code": self.code_side.source if self.code_side is not None else None,
            "code_files": len(self.code_side.files) if self.code_side is not None else 0,
            "state_resources": len(self.state.resources),
            "managed": self.managed,
            "unmanaged": len(self.unmanaged),
            "drift": len(self.drift),
        }

    def _join(self, findings: list[Finding], live: list[Resource]) -> None:
        owners = self.state.by_identity()
        code = self.code_side
        by_resource: dict[int, list[Finding]] = defaultdict(list)
        for f in findings:
            by_resource[id(f.resource)].append(f)
        for res in live:
            if res.kind in NOT_MANAGEABLE:
                continue
            entry = next((owners[i] for i in live_identity(res) if i in owners), None)
            found = by_resource.get(id(res), [])
            if entry is None:
                if res.provenance.ocid:
                    self.unmanaged.append(_unmanaged(res, found))
                continue
            self.managed += 1
            # Sub-objects (listeners, API keys) share their parent's context dict: copy first.
            res.context = dict(res.context, terraform_address=entry.address)
            code_res = code.resource(entry.address) if code is not None else None
            if code_res is None or code_res.provenance.location is None:
                continue
            for f in found:
                snapshot_line = f.location
                f.location = code_res.provenance.locate(f.attribute) or code_res.provenance.location
                f.related = [*([snapshot_line] if snapshot_line else []), *f.related]
            if code is not None and code_res.address == entry.address:
                self._drift(res, entry.address, code_res, found, code)
        self.drift.sort(key=lambda d: (d.direction, d.rule_id, d.address))
        self.unmanaged.sort(key=lambda u: (u.kind, u.compartment_id or "", u.name or "", u.ocid))

    def _drift(
        self, res: Resource, address: str, code_res: Resource, found: list[Finding], code: CodeSide
    ) -> None:
        live_by_rule: dict[str, list[Finding]] = defaultdict(list)
        for f in found:
            live_by_rule[f.rule_id].append(f)
        for rule_id, lf in live_by_rule.items():
            cf = code.findings.get((rule_id, code_res.address), [])
            live_status, code_status = _outcome(lf), _outcome(cf)
            if live_status is None or code_status is None or live_status is code_status:
                continue
            deciding = lf if live_status is Status.FAILED else cf
            attribute = next(f for f in deciding if f.status is Status.FAILED).attribute
            direction = FAILS_LIVE if live_status is Status.FAILED else FIXED_LIVE
            code_value = show_value(code_res.attributes, attribute)
            live_value = show_value(res.attributes, attribute)
            if _holds_secret(code_value, live_value, code, code_res, res, attribute):
                code_value = live_value = SECRET_SHOWN
            if direction == FAILS_LIVE:
                what = "passes in code but fails live (changed outside Terraform)"
                res.context["drift_rules"] = sorted({*res.context.get("drift_rules", ()), rule_id})
            else:
                what = "fails in code but passes live (fixed by hand; the code still has the problem)"
            self.drift.append(
                Drift(
                    rule_id=rule_id,
                    direction=direction,
                    address=address,
                    ocid=res.provenance.ocid or res.address,
                    kind=res.kind,
                    attribute=attribute,
                    code_value=code_value,
                    live_value=live_value,
                    message=(
                        f"{rule_id} {what}: {attribute} is {code_value} in code and {live_value} live"
                        if attribute
                        else f"{rule_id} {what}"  # a named check judged the whole object
                    ),
                    location=code_res.provenance.locate(attribute) or code_res.provenance.location,
                    live_location=next((f.related[0] for f in lf if f.related), None),
                    region=res.provenance.region,
                    compartment_id=res.provenance.compartment_id,
                )
            )


def _unmanaged(res: Resource, findings: list[Finding]) -> UnmanagedResource:
    name = res.attributes.get("display_name") or res.attributes.get("name")
    failing = sorted({f.rule_id for f in findings if f.status is Status.FAILED and f.suppression is None})
    res.context = dict(res.context, unmanaged=True)
    loc = res.provenance.location
    return UnmanagedResource(
        kind=res.kind,
        ocid=res.provenance.ocid or res.address,
        name=name if isinstance(name, str) else None,
        compartment_id=res.provenance.compartment_id,
        region=res.provenance.region,
        failing=failing,
        location=loc,
        compartment_path=res.context.get("compartment_path"),
    )


def remote_state_reader(request: Any) -> Callable[[str], bytes]:
    """A reader of ``oci://NAMESPACE/BUCKET/KEY`` states through the audit's read-only SDK
    session (``request``: the ``AuditRequest``): one Object Storage GetObject per state."""

    def fetch(url: str) -> bytes:
        from scanner.sources.oci.remote_state import RemoteStateUnavailable, read_remote_state

        try:
            return read_remote_state(url, request)
        except RemoteStateUnavailable as exc:
            raise RemoteStateError(str(exc)) from None

    return fetch
