"""What a secret is, decided in one place for every source, rule and reporter.

A name is secret-like when it names a credential (``db_password``, ``api_token``, ``keytab``,
``pwd``) and is not a reference to one, a setting about one or a flag (``vault_secret_id``,
``secret_name``, ``ocir_secret_namespace``, ``token_ttl``, ``enable_secret``). A value is
secret-shaped unless its shape says otherwise: an OCID, a path, a duration, a URL without
credentials, a boolean, a number, a short identifier (``"sub"``, ``"RS256"``) or public material
(a PEM certificate or public key, also base64-encoded, an SSH public key) is not a secret.

Rules (OCI-SEC-001/002), redaction (``scanner.report.redact``) and the named checks use these
predicates; rule parameters extend or narrow the name list through the config file.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# Words that name credential material.
SECRET_WORDS = r"passw(?:or)?d|passphrase|pwd|secret|token|private_?key|api_?key|credential|auth_?key|keytab"
# Names that start like this are switches about a secret, not the secret.
_FLAG_PREFIX = r"(?:enable|enabled|is|use|create|generate|rotate|should|allow|disable|manage|has)_"
# Names that end like this point at, describe or configure a secret.
_NOT_SECRET_SUFFIX = (
    r"_ids?|_ocids?|_names?|_namespaces?|_paths?|_files?|_dirs?|_types?|_kinds?|_length|_version|_number"
    r"|_days|_count|_enabled|_url|_uri|_endpoint|_expiry|_expiration|_fingerprint|_ttl|_seconds|_minutes"
    r"|_hours|_timeout|_bits|_size|_algorithm|_format|_rotation|_required|_allowed|_enforced|_policy"
    r"|_policies|_rules?|_settings?|_min|_max|_config|_configs|_configuration|_details|_stage|_mode"
    r"|_source|_location|_template|_regex|_pattern|_claims?|_audience|_issuer|_scopes?|_header"
    r"|_params?|_parameters?|_query|_field|_attribute|_label|_prefix|_suffix"
)
SECRET_NAME_PATTERN = rf"(?i)^(?!{_FLAG_PREFIX})(?!.*(?:{_NOT_SECRET_SUFFIX})$).*(?:{SECRET_WORDS})"
_SECRET_WORD = re.compile(rf"(?i)(?:{SECRET_WORDS})")
# A word after the secret word that makes the name a reference or a setting
# (`private_key_path_requestor`, `secret_id_list`, `token_url_override`).
_QUALIFIER = re.compile(rf"(?i)^(?:{_NOT_SECRET_SUFFIX.replace('_', '')})$")


_Maybe = re.Pattern[str] | None


@lru_cache(maxsize=64)
def _compiled(extra: str, ignore: str) -> tuple[re.Pattern[str], _Maybe, _Maybe]:
    return (
        re.compile(SECRET_NAME_PATTERN),
        re.compile(extra) if extra else None,
        re.compile(ignore) if ignore else None,
    )


def _names_a_secret(name: str, base: re.Pattern[str]) -> bool:
    """The shared list: a secret word not followed by a qualifier word, in a name that is not a
    flag and does not end like a reference."""
    if not base.search(name):
        return False
    for match in _SECRET_WORD.finditer(name):
        rest = [w for w in re.split(r"[_\-.]+", name[match.end() :]) if w]
        if not any(_QUALIFIER.match(w) for w in rest):
            return True
    return False


@lru_cache(maxsize=8192)  # names repeat across every resource of a scan: decide each once
def is_secret_name(name: str, extra: str = "", ignore: str = "") -> bool:
    """True for names that hold credentials rather than point at them.

    ``extra`` / ``ignore``: regular expressions (``re.search``) from rule parameters that add
    names to the list or take names out of it.
    """
    base, more, less = _compiled(extra or "", ignore or "")
    if less is not None and less.search(name):
        return False
    return _names_a_secret(name, base) or (more is not None and bool(more.search(name)))


_OCID = re.compile(r"^ocid1\.[a-z0-9_-]+\.[a-z0-9_-]*\.[a-z0-9_-]*\.[A-Za-z0-9._-]+$")
_PATH = re.compile(r"^(?:~|\.{1,2}|[A-Za-z]:)?[/\\][\w.@+~ -]*(?:[/\\][\w.@+~ -]*)*$")
_ISO_DURATION = re.compile(
    r"^P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?$"
)
_GO_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:ns|us|ms|s|m|h|d))+$")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^\s@/]+(?:[/?#]\S*)?$", re.IGNORECASE)
# Shorter than 8 characters of one word: an identifier or claim name ("sub", "RS256", "oke").
# No OCI service accepts a password that short, so nothing of that shape is a credential.
_SHORT_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.:-]{1,7}$")
# Public material: a PEM certificate or public key (as text or base64 of it), an SSH public key.
_PUBLIC_MATERIAL = re.compile(
    r"^(?:-----BEGIN (?:CERTIFICATE|PUBLIC KEY|RSA PUBLIC KEY)-----"
    r"|LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t|LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS"
    r"|(?:ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-nistp\d+) AAAA)"
)
_BOOLEAN = {"true", "false", "yes", "no", "on", "off", "enabled", "disabled", "none", "null"}


def is_secret_value(value: Any) -> bool:
    """True when a literal value could be credential material; False for values whose shape says
    they are something else (see the module docstring). Lists and maps are secret-shaped when any
    element is."""
    if isinstance(value, str):
        text = value.strip()
        if not text or text.lower() in _BOOLEAN:
            return False
        if _OCID.match(text) or _PATH.match(text) or _URL.match(text) or _PUBLIC_MATERIAL.match(text):
            return False
        if _ISO_DURATION.match(text.upper()) or _GO_DURATION.match(text):
            return False
        return not _SHORT_IDENTIFIER.match(text)
    if isinstance(value, list | tuple):
        return any(is_secret_value(v) for v in value)
    if isinstance(value, dict):
        return any(is_secret_value(v) for v in value.values())
    return False  # booleans, numbers, null
