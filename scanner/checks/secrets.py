"""Named checks that read the raw text of scanned files for secret material.

OCI-SEC-007 looks for PEM private key blocks in any scanned file (a ``file`` resource), whether
written as a heredoc, inside a quoted string with ``\\n`` escapes, or in a tfvars file. Findings
give the line of the ``BEGIN`` marker only: key material never reaches a message or a location.
A block whose body is elided (``...``, ``<key>``, ``XXXX``) is an example, not a key; a complete
block is a key even in a comment (``scanner.guards.secretnames.pem_body_elided``).

Policies that call these checks: OCI-SEC-001, OCI-SEC-002, OCI-SEC-003, OCI-SEC-007.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.guards.secretnames import pem_body_elided
from scanner.model import Location, Resource

# RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP ("PGP PRIVATE KEY BLOCK") and plain PKCS#8 keys.
_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
# A documentation placeholder (`-----BEGIN PRIVATE KEY-----\n...`) is not a key: require a run of
# base64 between the marker and the next `-----`, past PEM headers (`Proc-Type: ...`) and newlines.
_BODY_WINDOW = 400
# How far the END marker is looked for: an RSA 8192 key's body is about 6,500 characters.
_BODY_LIMIT = 16384
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{40,}")
_MAX_BYTES = 5 * 1024 * 1024  # a generated lock file or binary blob is not worth reading whole


def find_private_keys(text: str) -> list[int]:
    """1-based line numbers of every PEM private key block (BEGIN marker followed by key data)."""
    lines: list[int] = []
    for match in _BEGIN.finditer(text):
        body = text[match.end() : match.end() + _BODY_LIMIT].split("-----", 1)[0]
        window = body[:_BODY_WINDOW].replace("\\n", "\n").replace("\\r", "\n")
        # a body with lines left out (`...`) is an example of a key, not one: the same decision
        # as the Helm and Kubernetes secret rules (scanner.guards.secretnames)
        if _BASE64_RUN.search(window) and not pem_body_elided(body):
            lines.append(text.count("\n", 0, match.start()) + 1)
    return lines


@check("no_pem_private_key")
def no_pem_private_key(resource: Resource, index: ResourceIndex, params: dict[str, Any]) -> Outcome:
    """False when the scanned file contains a PEM private key block; None when it cannot be read."""
    abs_path = resource.context.get("abs_path")
    if not abs_path:
        return Outcome(None, detail="file content is not available")
    path = Path(abs_path)
    from scanner.guards.safe_io import UnreadableInput, read_regular_file

    try:  # never blocks on a FIFO or device named *.tf
        raw = read_regular_file(path, _MAX_BYTES, truncate=True)
    except UnreadableInput as exc:
        return Outcome(None, detail=f"file could not be read ({exc})")
    text = raw.decode("utf-8", errors="replace")
    lines = find_private_keys(text)
    if not lines:
        return Outcome(True)
    detail = f"PEM private key block at line {lines[0]}"
    if len(lines) > 1:
        detail += f"; also at lines {', '.join(map(str, lines[1:]))}"
    # The finding points at the BEGIN marker line only, never at the key material below it.
    rel_path = str(resource.attributes.get("path") or abs_path)
    return Outcome(False, path=None, detail=detail, location=Location(rel_path, lines[0], lines[0]))


# --- secret variables (OCI-SEC-001 / OCI-SEC-002) ----------------------------------------------
# The secret-name list and the value shapes live in scanner.guards.secretnames, shared with redaction.

_NOT_SECRET_TYPE = re.compile(r"^\W*(bool|number)\W*$")
# Arguments that take a reference to a secret, never the secret itself.
_REFERENCE_ARGUMENT = re.compile(r"(?i)_(ids?|ocids?|names?|paths?|files?)$")


def _name_params(params: dict[str, Any]) -> tuple[str, str]:
    return str(params.get("extra_secret_names") or ""), str(params.get("not_secret_names") or "")


@check("secret_variable")
def secret_variable(resource: Resource, index: ResourceIndex, params: dict[str, Any]) -> Outcome:
    """True for a variable that holds a secret: a secret-like name (the shared list, widened or
    narrowed by the ``extra_secret_names`` / ``not_secret_names`` parameters), a type other than
    bool / number, and no literal value whose shape says it is something else (an OCID, a path,
    a duration, a short identifier...)."""
    from scanner.guards.secretnames import is_login_pair, is_secret_name, is_secret_value
    from scanner.model import is_unknown

    attrs = resource.attributes
    name = str(attrs.get("name") or resource.name)
    if not is_secret_name(name, *_name_params(params)):
        # `variable "basic_auth" { default = "admin:pass" }`: a name that holds a login pair
        # (auth, basic auth, htpasswd, credentials) with a pair written as its value
        if any(is_login_pair(name, attrs.get(k)) for k in ("default", "value")):
            return Outcome(True, path="name")
        return Outcome(False, path="name")
    type_text = attrs.get("type")
    if isinstance(type_text, str) and _NOT_SECRET_TYPE.match(type_text):
        return Outcome(False, path="type")
    # A variable that only ever feeds references (`secret_id = var.okv_secret`) holds an OCID.
    targets = resource.context.get("assigned_to") or []
    if targets and all(_REFERENCE_ARGUMENT.search(t) for t in targets):
        return Outcome(False, path="name", detail=f"used only as {', '.join(targets)}")
    literals = [attrs[k] for k in ("default", "value") if k in attrs and not is_unknown(attrs[k])]
    literals = [v for v in literals if v not in (None, "")]
    if literals and not any(is_secret_value(v) for v in literals):
        return Outcome(False, path="default")
    return Outcome(True, path="name")


@check("no_literal_secret_value")
def no_literal_secret_value(resource: Resource, index: ResourceIndex, params: dict[str, Any]) -> Outcome:
    """False when a secret variable's ``default`` or its assigned ``value`` (tfvars, -var-file) is a
    secret-shaped literal; an empty string is a "must be overridden" placeholder, not a secret."""
    from scanner.guards.secretnames import is_secret_value

    for key in ("default", "value"):
        value = resource.attributes.get(key)
        if is_secret_value(value):
            where = "a tfvars file" if key == "value" else "its default"
            return Outcome(False, path=key, detail=f"the literal is in {where}")
    return Outcome(True)


# --- literal passwords on database resources (OCI-SEC-003) ---------------------------------------

_PASSWORD_WORD = re.compile(r"(?i)(passw(?:or)?d|passphrase|pwd)")


def _password_paths(value: Any, at: str, out: list[tuple[str, Any]]) -> None:
    """Every (path, value) under a password-bearing attribute name (``admin_password``,
    ``tde_wallet_password``, ``credentials.password_details.password``...), in blocks too."""
    from scanner.guards.secretnames import is_secret_name

    if isinstance(value, dict):
        for key, child in value.items():
            path = f"{at}.{key}" if at else str(key)
            name = str(key)
            if (
                _PASSWORD_WORD.search(name)
                and is_secret_name(name)
                and not name.endswith("_hash")
                and not isinstance(child, dict | list)
            ):
                out.append((path, child))
            else:
                _password_paths(child, path, out)
    elif isinstance(value, list):
        for i, child in enumerate(value):
            _password_paths(child, f"{at}.{i}", out)


@check("no_literal_password")
def no_literal_password(resource: Resource, index: ResourceIndex, params: dict[str, Any]) -> Outcome:
    """False when any password-bearing attribute of the resource has a value written in the
    configuration: in the resource itself, or through a variable default, local or tfvars value.
    A reference to a generated or Vault value stays unknown and passes. In plan JSON, a value
    whose configuration is an expression (``var.x``) was supplied at plan time and passes."""
    from scanner.model import is_unknown

    found: list[tuple[str, Any]] = []
    _password_paths(resource.attributes, "", found)
    refs = resource.context.get("expression_references") or {}
    for path, value in found:
        if is_unknown(value) or value in (None, "") or refs.get(path):
            continue
        return Outcome(False, path=path, detail=f"{path} is set from the configuration")
    return Outcome(True)
