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

import base64
import binascii
import re
from functools import lru_cache
from typing import Any

# Words that name credential material.
SECRET_WORDS = r"passw(?:or)?d|passphrase|pwd|secret|token|private_?key|api_?key|credential|auth_?key|keytab"
# Names that start like this are switches about a secret, not the secret.
_FLAG_PREFIX = r"(?:enable|enabled|is|use|create|generate|rotate|should|allow|disable|manage|has)_"
# Names that end like this point at, describe or configure a secret.
_NOT_SECRET_SUFFIX = (
    r"_ids?|_ocids?|_names?|_namespaces?|_paths?|_files?|_filenames?|_dirs?|_director(?:y|ies)|_folders?|_mounts?|_types?|_kinds?|_length|_version|_number"
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


# --- keys in any naming convention, judged with their values (Helm, Kubernetes, config files) ----
# Terraform names are snake_case and `is_secret_name` reads them. Chart values are camelCase
# (`passwordSecretKey`), environment variables SCREAMING_SNAKE (`PUSH_API_TOKEN`), config files
# dotted (`mysql.pass`): `key_reading` reads all of them word by word.
_KEY_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# Words that name credential material (after joining `api key` -> `apikey`, see _joined).
_HOLDING_WORDS = frozenset(
    {
        "password", "passwd", "pass", "pwd", "passphrase", "secret", "secrets", "token", "tokens",
        "credential", "credentials", "keytab", "apikey", "privatekey", "secretkey", "accesskey",
        "authkey", "signingkey", "encryptionkey", "masterkey", "htpasswd", "passwords",
        "enckey", "cryptokey", "accountkey", "hmackey", "sessionkey", "cookiekey", "licensekey",
        "sharedkey", "encryptkey", "salt",
    }
)  # fmt: skip
# `<word> key` pairs that name a key's material rather than the name of a key in a Secret
# (`enc key` and `crypto key`: supabase's `dbEncKey`, `cryptoKey`, keys that encrypt data at rest;
# `account key`: an Azure storage account's key, a GCP service account's key).
_KEY_MATERIAL = frozenset(
    {"api", "private", "access", "auth", "signing", "encryption", "master", "secret", "enc", "crypto",
     "account", "hmac", "session", "cookie", "license", "shared", "encrypt"}
)  # fmt: skip
# A last word that makes the key a reference, a switch or a setting about a secret.
_SETTING_WORDS = frozenset(
    {
        "name", "names", "ref", "refs", "id", "ids", "ocid", "ocids", "file", "files", "path", "paths",
        "dir", "mount", "mounts", "size", "count", "ttl", "length", "enabled", "enable", "create",
        "type", "kind", "url", "uri", "endpoint", "expiry", "expiration", "seconds", "timeout",
        "policy", "annotations", "annotation", "labels", "label", "provider", "store", "class",
        "mode", "format", "version", "namespace", "selector", "template", "rotation", "interval",
        "duration", "period", "days", "hours", "minutes", "min", "max", "header", "field",
        "param", "params", "prefix", "suffix", "location", "source", "usage", "audience",
        "issuer", "scope", "scopes", "claim", "claims", "algorithm", "bits", "number", "required",
        "allowed", "fingerprint", "hash", "lookup", "generate", "backend", "cache", "strategy",
        "config", "configuration", "settings", "volume", "volumes", "env", "resources", "refresh",
        "secretname", "keyref", "mountpath", "subpath", "user", "username",
        # where something lives (kubescape's `proxySecretDirectory: proxy-support`): a place
        "directory", "directories", "dirs", "folder", "folders", "filename", "filenames",
        "filepath", "dirname", "pathname", "mountpoint", "mounted",
    }
)  # fmt: skip
# Words that make a key name a place wherever they stand after the secret word
# (`secretMountPoint`, `tokenMountDir`): a key about where a secret is mounted holds no secret.
_PLACE_WORDS = frozenset({"mount", "mounts", "mounted", "mountpath", "mountpoint"})
# A first word that makes the whole key point at a secret kept elsewhere (`existingSecret`).
_REFERENCE_FIRST = frozenset({"existing", "use", "from", "external"})


def key_words(name: str) -> list[str]:
    """The lower-case words of a key in any convention: ``passwordSecretKey`` ->
    ``[password, secret, key]``, ``PUSH_API_TOKEN`` -> ``[push, api, token]``."""
    return [w.lower() for w in _KEY_WORD.findall(name)]


def _joined(words: list[str]) -> list[str]:
    """``api key`` -> ``apikey`` (and ``private key``, ``secret key``...), ``secret name`` ->
    ``secretname``, ``key ref`` -> ``keyref``: compounds read as one word whatever the case."""
    out: list[str] = []
    for w in words:
        if out and w == "key" and out[-1] in _KEY_MATERIAL:
            out[-1] += "key"
        elif out and w == "name" and out[-1] == "secret":
            out[-1] = "secretname"
        elif out and w == "ref" and out[-1] in ("key", "secretkey"):
            out[-1] = "keyref"
        else:
            out.append(w)
    return out


@lru_cache(maxsize=8192)  # keys repeat across environments and charts: decide each once
def key_reading(name: str) -> str:
    """How a key of any convention relates to a secret.

    ``"holds"``: the value is credential material (``password``, ``apiKey``, ``mysql.pass``,
    ``PUSH_API_TOKEN``, ``client_secret``). ``"ambiguous"``: ``secretKey`` holds an AWS-style
    secret in some charts and names the key of a Secret in others (``enterpriseLicense.secretKey:
    license``); the caller decides by the value and the keys beside it. ``"reference"``: the key
    names or points at a secret, or configures one (``existingSecret``, ``passwordSecretKey``,
    ``userKey``, ``tlsSecretName``, ``secretKeyRef``, ``tokenCacheSize``, ``enableTokenCache``).
    ``"ambiguous-name"``: ``privateKeySecret`` usually names the Secret holding the key; a value
    shaped like an object name says so. ``"none"``: no secret word at all.
    """
    words = key_words(name.rsplit(".", 1)[-1]) if "." in name else key_words(name)
    if len(words) == 1 and words[0] not in _HOLDING_WORDS:
        words = _run_together(words[0])  # `accesskeysecret`, `adminpassword`
    joined = _joined(words)
    if not any(w in _HOLDING_WORDS or w in ("secretname", "keyref") for w in joined):
        return "none"
    last = joined[-1]
    if words[0] in _REFERENCE_FIRST or "existing" in words or last in _SETTING_WORDS:
        return "reference"
    held = next(i for i, w in enumerate(joined) if w in _HOLDING_WORDS or w in ("secretname", "keyref"))
    if _PLACE_WORDS.intersection(joined[held + 1 :]):
        # `secretMountPoint`, `tokenMountDir`: where a secret is mounted (`mountPassword`, a
        # CIFS mount's password, holds one)
        return "reference"
    if words[0] in ("enable", "is", "allow", "disable", "create", "generate", "rotate", "manage"):
        return "reference"  # a switch about a secret (`enableTokenCache`, `createSecret`)
    if last == "key":
        # `passwordKey`, `userKey`, `tokenKey`: the key inside a Secret that holds the value
        return "reference"
    if last == "secretkey":
        # `passwordSecretKey`: the key of the Secret where the password is; `secretKey` alone
        # is decided by its value
        return "reference" if len(joined) > 1 and joined[-2] in _HOLDING_WORDS else "ambiguous"
    if last == "secret" and len(joined) > 1 and joined[-2] not in _SECRET_OWNERS:
        # `privateKeySecret`, `credentialsSecret`, `tlsSecret`: usually the name of the Secret
        # that holds the thing; `clientSecret`, `cookieSecret`, `jwtSecret` hold one
        return "ambiguous-name"
    if last not in _HOLDING_WORDS and not any(w in _HOLDING_WORDS for w in joined[-2:]):
        # the secret word is far from the end: `tokenReviewerJwtAudience`, `passwordResetPage`
        return "reference"
    return "holds"


# Words before `secret` that make it the secret itself (`clientSecret`), not a Secret's name.
_SECRET_OWNERS = frozenset(
    {"client", "cookie", "jwt", "hmac", "shared", "webhook", "app", "session", "api", "oauth",
     "consumer", "signing", "encryption", "master", "root", "admin", "proxy", "hub", "xsrf", "csrf"}
)  # fmt: skip
_RUN_TOGETHER = re.compile(
    r"^(?P<head>[a-z0-9]*?)"
    r"(?P<word>password|passwd|passphrase|secret|token|apikey|privatekey|accesskey|accountkey|credentials?)"
    r"(?P<tail>[a-z0-9]*)$"
)


def _run_together(word: str) -> list[str]:
    """A lower-case key written as one word (``accesskeysecret``, ``adminpassword``), cut
    around its secret word so the rules above can read it."""
    m = _RUN_TOGETHER.match(word)
    if m is None:
        return [word]
    return [w for w in (m.group("head"), m.group("word"), m.group("tail")) if w]


# A value that names a key of a Secret or a Secret itself: lower-case DNS-like words
# (`license`, `jenkins-jks-file`, `admin-password`, `tls.key`).
_KEY_NAME_VALUE = re.compile(r"^[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)*$")
# The name of a Kubernetes object: lower-case words joined by dashes or dots (`my-secret`).
_RESOURCE_NAME_VALUE = re.compile(r"^[a-z][a-z0-9]*(?:[-.][a-z0-9]+)+$")
_FLAG_VALUE = re.compile(r"^(?:[01]|-|y|n)$", re.IGNORECASE)
_SIZE_VALUE = re.compile(r"^\d+(?:\.\d+)?\s*(?:[kKmMgGtTpP]i?[bB]?|[bB])?$")
_HOSTNAME_VALUE = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+(?::\d+)?$"
)
# Templates and placeholders: `{{ … }}`, `${VAR}`, `$(cmd)`, `<your-token>`, a shell variable
# (`$DB_PASSWORD`), python and ruby interpolation (`%(ENV_PW)s`, `%{PW}`).
_TEMPLATE_VALUE = re.compile(
    r"\{\{.*\}\}|^\$\{[^}]+\}$|^\$\([^)]+\)$|^<[^<>]+>$|^\$[A-Z_][A-Z0-9_]*$|^%\([\w.-]+\)s$|^%\{[\w.-]+\}$",
    re.S,
)
# Shapes that are credential material whatever the key is called.
_CREDENTIAL_SHAPES = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"  # PEM private key
    r"|^(?:sk|rk)_live_[A-Za-z0-9]{16,}$"  # Stripe live keys
    r"|^(?:AKIA|ASIA)[0-9A-Z]{16}$"  # AWS access key id (paired with its secret)
    r"|^gh[pousr]_[A-Za-z0-9]{30,}$|^github_pat_[A-Za-z0-9_]{40,}$"  # GitHub tokens
    r"|^xox[abposr]-[A-Za-z0-9-]{10,}$"  # Slack tokens
    r"|^glpat-[A-Za-z0-9_-]{20,}$"  # GitLab tokens
    r"|^AIza[0-9A-Za-z_-]{35}$"  # Google API keys
    # an Azure connection string's key (storage `AccountKey=`, Service Bus / Event Hubs
    # `SharedAccessKey=`): base64, so never a placeholder such as `<key>` or `${KEY}`
    r"|(?:^|;)\s*(?:AccountKey|SharedAccessKey)=[A-Za-z0-9+/]{20,}={0,2}\s*(?:;|$)"
    # an API key written `<uuid>:<key>` (OpenWhisk's `whisk.auth.system` / `guest`, the basic-auth
    # pair its CLI sends): a UUID login and 32 or more random letters and digits, mixed case
    r"|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:(?=[A-Za-z0-9]*[a-z])"
    r"(?=[A-Za-z0-9]*[A-Z])(?=[A-Za-z0-9]*[0-9])[A-Za-z0-9]{32,}$"
    # an htpasswd line, `<user>:<hash>` (Apache MD5, bcrypt, SHA-1, SHA-256/512 crypt): nginx and
    # traefik basic auth. A hash of the password, cracked offline; a line of a longer file too
    r"|^[\w.@+-]+:(?:\$apr1\$[./0-9A-Za-z]{1,8}\$[./0-9A-Za-z]{22}|\$2[abxy]\$\d\d\$[./0-9A-Za-z]{53}"
    r"|\{SHA\}[A-Za-z0-9+/]{27}=|\$[56]\$(?:rounds=\d+\$)?[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{43,86})[ \t]*$"
    r"|^ocid1\.credential\.",  # an OCI auth token's OCID is not the token; kept out below
    re.M,
)
# An OCI auth token (the password of OCIR and of Swift/SMTP clients): 20 printable characters
# mixing upper and lower case, digits and at least two punctuation marks (`5rR:]9#K3wT<S]oJ_aX1`).
# Slashes, `@`, `=` and spaces are left out so paths, e-mail addresses, base64 and timestamps are
# never read as one.
_OCI_AUTH_TOKEN = re.compile(
    r"^(?=.*[A-Z])(?=.*[a-z])(?=.*[0-9])(?=(?:.*[^A-Za-z0-9]){2})[!-.0-9:-<>-?A-~]{20}$"
)


_URL_WITH_PASSWORD = re.compile(
    r"^[a-z][a-z0-9+.-]*://[^\s:/@]*:(?P<password>[^\s/@]+)@[^\s@]+$", re.IGNORECASE
)
_PLACEHOLDER_PASSWORD = re.compile(r"^[<*]|\{\{|\$\{|\$\(|%s|^\$[A-Z_]+$|^x+$", re.IGNORECASE)


# Three base64url parts on a line, the first two JSON objects: `{` encodes as `e` then one of
# `w-z`, `0-9`, `-`, `_` (`eyJ` is `{"`, `eyAg` is `{ ` and `ewo` is `{` and a newline).
_JWT = re.compile(
    r"^[ \t]*(e[w-z0-9_-][A-Za-z0-9_-]{6,})\.(e[w-z0-9_-][A-Za-z0-9_-]{6,})\.[A-Za-z0-9_-]{8,}[ \t]*$", re.M
)


def _json_object_part(part: str) -> bool:
    try:
        text = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    return text.lstrip().startswith("{") and '"' in text


def _is_jwt(value: str) -> bool:
    """A signed JWT (alone or on a line of a longer text): header and claims decode to JSON
    objects, whatever their spacing (supabase's demo ``anonKey`` has its claims written
    ``{  \\n "role": "anon", …}``, so it starts ``eyAg…``, not ``eyJ…``)."""
    return any(
        _json_object_part(m.group(1)) and _json_object_part(m.group(2)) for m in _JWT.finditer(value)
    )


def _encoded_credential(value: str) -> bool:
    """Base64 of a PEM private key (``LS0tLS1CRUdJTi…`` is ``-----BEGIN``) or of a registry
    credential (``eyJhdXRocyI6…`` is ``{"auths":``, a ``.dockerconfigjson``): a chart's
    ``tls.key`` or pull secret pasted encoded. Certificates and public keys are not secrets."""
    head = re.sub(r"\s+", "", value)[:256]
    try:
        text = base64.b64decode(head[: len(head) // 4 * 4], validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return False
    return "PRIVATE KEY" in text or (text.startswith('{"auths":') and '"auth' in text[9:])


# An elision inside a PEM body: base64 has no dots, so `...` or `…` (alone on a line, or ending a
# truncated line `MIIEpAIB...`) says lines were left out; `<key>`, `[snip]` and `(redacted)` are
# placeholders. Headers such as `Proc-Type: 4,ENCRYPTED` contain none of these.
_PEM_ELISION = re.compile(r"\.\.\.|…|<[^<>\n]*>|\[[^\]\n]*\]|\((?:redacted|snip|truncated|omitted)\)", re.I)
# Comment markers a PEM block's lines carry when it is commented out or quoted in docs.
_PEM_LINE_PREFIX = re.compile(r"(?m)^[ \t]*(?:#+|//|;+|\*|--)?[ \t]*")


def pem_body_elided(body: str) -> bool:
    """A PEM private key block whose body (the text between its BEGIN and END markers) cannot be
    a key: one character repeated (karmada's `XXXXXXXXXXXX…`, `....`), or lines left out
    (dragonfly's commented example: two real-looking base64 lines around `...`, unusable). A
    complete block is a key wherever it stands, in a comment too: it is key material committed to
    the repository, and a commented-out example key is often the one deployed."""
    text = body.replace("\\n", "\n").replace("\\r", "\n")
    if _PEM_ELISION.search(text):
        return True
    chars = set(re.sub(r"\s", "", _PEM_LINE_PREFIX.sub("", text)))
    return len(chars) == 1 and len(text.strip()) >= 3


def _pem_placeholder(value: str, begin: re.Match[str]) -> bool:
    """A PEM private key block written as a placeholder (``pem_body_elided``): no key is there.
    Any other block is read as a key."""
    return pem_body_elided(value[begin.end() :].split("-----", 1)[0])


def looks_like_credential(value: Any) -> bool:
    """True for a string whose shape is credential material whatever key holds it: a PEM private
    key block, a JWT, a Stripe live key, an AWS access key id, a GitHub, GitLab, Slack or OCI auth
    token, a URL with a password in it."""
    if not isinstance(value, str) or len(value) < 16 or value.startswith("ocid1."):
        return False
    shape = _CREDENTIAL_SHAPES.search(value)
    if shape is not None and not (shape.group(0).startswith("-----BEGIN") and _pem_placeholder(value, shape)):
        return True
    if _is_jwt(value):
        return True
    if value.startswith(("LS0tLS1CRUdJTi", "eyJhdXRocyI6")) and _encoded_credential(value):
        return True
    url = _URL_WITH_PASSWORD.match(value.strip())
    if url is not None:
        # `postgresql://accounts-admin:accounts-pwd@accounts-db:5432/…` (bank-of-anthos): a
        # password written into a connection URL; a placeholder (`<db-password>`, `${PW}`,
        # `%s`, `****`) is not one
        return not _PLACEHOLDER_PASSWORD.search(url.group("password"))
    return _OCI_AUTH_TOKEN.match(value) is not None and "{{" not in value and "${" not in value


def is_secret_literal(value: Any) -> bool:
    """``is_secret_value`` plus the shapes that settings take in charts and manifests: flags
    (``"1"``, ``"-"``), sizes (``262144``, ``512Mi``), host names, and template expressions or
    placeholders (``{{ .Values.x }}``, ``${DB_PASSWORD}``, ``<your-token>``) are not secrets."""
    if not isinstance(value, str):
        return is_secret_value(value)
    text = value.strip()
    if _FLAG_VALUE.match(text) or _SIZE_VALUE.match(text) or _TEMPLATE_VALUE.search(text):
        return False
    if _HOSTNAME_VALUE.match(text) and not looks_like_credential(text):
        return False
    return is_secret_value(value)


@lru_cache(maxsize=8192)
def may_hold(key: str) -> bool:
    """Whether ``is_secret_entry`` can call a short value under ``key`` a secret: the key names a
    secret, or holds a ``login:password`` pair. Other keys hold only credential shapes (16
    characters or more), so a caller walking many values can skip the rest cheaply."""
    return key_reading(key) != "none" or _holds_pair(key)


def is_secret_entry(key: str, value: Any, siblings: Any = ()) -> bool:
    """One decision for a ``key: value`` of chart values, a manifest's env or a config file: the
    value is a secret when its shape is a credential (whatever the key), or when the key holds
    credentials and the value is secret-shaped. ``siblings``: the other keys of the same mapping
    (``secretKey`` beside ``secretName`` names the key of that Secret)."""
    if looks_like_credential(value) or is_login_pair(str(key), value):
        return True
    if isinstance(value, str) and ":" in value and _LOGIN_ONLY.match(value.strip()):
        return False  # `credentials: "scraper:"`: a login whose password is left empty
    if isinstance(value, str) and ":" in value and (ref := _LOGIN_PAIR.match(value.strip())) is not None:
        if ref.group("login").lower() in _REFERENCE_SCHEMES:
            return False  # `credentials: "env:GOOGLE_CREDS"`, `password: "vault:db#pw"`: where it is
    if _password_hint(str(key)):
        return _shipped_hint(value, siblings)
    reading = key_reading(str(key))
    if reading == "none" or reading == "reference":
        return False
    if reading == "holds" and _stand_in_default(value):
        return True  # `AWS_SECRET_ACCESS_KEY: secret`: a shipped default, however generic
    if isinstance(value, str) and _KMS_KEY_NAME.match(value.strip()):
        return False  # `cryptoKey: projects/…/cryptoKeys/app`: a key kept in a KMS, by its name
    if isinstance(value, str) and _spells_its_key(str(key), value):
        return False  # `licenseKey: license_key`: the name of the key inside a Secret
    if reading == "holds" and _short_password(str(key), value):
        return True
    if reading == "holds" and _key_id_half(str(key), siblings) and not looks_like_credential(value):
        return False  # `accessKey: minioadmin` beside `secretKey`: the key pair's id, a user name
    if not is_secret_literal(value):
        return False
    if _names_an_identifier(str(key), value):
        return False
    if reading == "ambiguous-name":
        # `privateKeySecret: my-secret` names a Secret; a random string is the secret. Kong's
        # `smtp_password_secret: CHANGEME-smtp-password` is a placeholder for such a name: words
        # joined by dashes, whatever their case
        return not (isinstance(value, str) and _names_an_object(value.strip()))
    if reading == "ambiguous":
        # `secretKey` beside `secretName` (`jksSecretKey` beside `jksSecretName`): the key of
        # the Secret its neighbour names
        stem = str(key)[:-3]
        names_a_secret = any(str(s) in (stem + "Name", stem + "name", stem + "NAME") for s in siblings)
        if names_a_secret and isinstance(value, str) and _KEY_NAME_VALUE.match(value.strip()):
            return False
    return True


# Words a chart or manifest ships as the default value of a credential (`AWS_SECRET_ACCESS_KEY:
# secret`, `apiKey: changeme`): shorter than the eight characters `is_secret_value` asks, but
# they work until someone replaces them, so under a key that holds a secret they are one. Only
# words that name a credential or ask to be changed: a token's other short words (vault's
# `server.dev.devRootToken: "root"`, for a dev mode switched off) are left to the eight-character
# rule, and passwords have their own (`_short_password`).
_DEFAULT_WORDS = frozenset(
    {"secret", "password", "passwd", "pass", "passphrase", "changeme", "changeit", "token",
     "apikey", "secretkey", "letmein"}
)  # fmt: skip


def names_a_credential(word: str) -> bool:
    """A value that is one of the generic words naming a credential (``secret``, ``password``,
    ``changeme``): a shipped default under a secret key, and a word of every report's own text,
    so redaction masks it only where it stands as a value."""
    return word.strip().lower() in _DEFAULT_WORDS


def _stand_in_default(value: Any) -> bool:
    """A value that is one of the generic words charts ship as a credential's default."""
    return isinstance(value, str) and value.strip().lower() in _DEFAULT_WORDS


@lru_cache(maxsize=8192)
def _password_hint(key: str) -> bool:
    """``passwordHint``, ``adminPasswordHint``, ``password_hint``: text about a password."""
    words = _joined(key_words(key.rsplit(".", 1)[-1]))
    return len(words) > 1 and words[-1] == "hint" and words[-2] in _PASSWORD_WORDS


def _shipped_hint(value: Any, siblings: Any) -> bool:
    """A password hint is no secret (``"the name of your first pet"``), except a single word
    beside a password key in the same mapping: dask's ``jupyter.passwordHint: "dask"`` next to
    ``password: "sha1:…"`` is the default password itself, in plain text, which the chart prints
    as the login. Sentences, templates, flags and a hint with no password beside it pass."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    if not text or re.search(r"\s", text) or len(text) > 64 or _TEMPLATE_VALUE.search(text):
        return False
    if _FLAG_VALUE.match(text) or text.lower() in _BOOLEAN:
        return False
    for sibling in siblings or ():
        words = _joined(key_words(str(sibling).rsplit(".", 1)[-1]))
        if words and words[-1] in _PASSWORD_WORDS and key_reading(str(sibling)) == "holds":
            return True
    return False


# Mappings whose children are secrets whatever they are called (`secrets: {db: ...}`).
SECRET_BLOCKS = frozenset({"secrets", "secret", "credentials"})


def is_secret_under(owner: str, key: str, value: Any, siblings: Any = ()) -> bool:
    """``is_secret_entry`` for a value of a values file, where the key of the enclosing map also
    speaks (``owner``, empty at the top): a child of a ``secrets:`` or ``credentials:`` block is a
    secret when its value is secret-shaped whatever it is called (concourse's ``secrets.localUsers:
    "test:test"``), unless its own key is a setting; the ``value`` of a secret key is judged as
    that key (langfuse's ``salt: {value: …}``). OCI-SEC-101's walk, the Secret and ConfigMap
    templates' readings and redaction all decide with this."""
    if is_secret_entry(key, value, siblings):
        return True
    block = owner.lower() in SECRET_BLOCKS
    if not (block or key.lower() == "value") or key_reading(owner) != "holds":
        return False  # most owners are neither: decided before the owner's words are read
    if block and key_reading(key) == "none" and not is_setting_key(key):
        return is_secret_literal(value)
    return key.lower() == "value" and is_secret_entry(owner, value, siblings)


# The name of a key kept in a KMS: Google Cloud's resource name, an AWS alias (an AWS key's ARN
# is a reference scheme above; OCI's key OCID and Azure's key URL are not secret-shaped).
_KMS_KEY_NAME = re.compile(
    r"^projects/[^/\s]+/locations/[^/\s]+/keyRings/[^/\s]+/cryptoKeys/[^/\s]+(?:/cryptoKeyVersions/\d+)?$"
    r"|^alias/[A-Za-z0-9/_-]+$"
)
# Keys whose value is documented as `<login>:<password>` (falcosidekick's `webui.user`, basic
# auth and htpasswd lines). Only these: `host:port`, `image:tag` and `key:value` selectors live
# under other keys.
_PAIR_KEYS = frozenset({"user", "auth", "basicauth", "credentials", "credential", "htpasswd", "userpass"})
_REFERENCE_SCHEMES = frozenset(
    {"env", "file", "secret", "secrets", "vault", "configmap", "k8s", "kubernetes", "arn", "ref", "keyvault"}
)
_GROUP_NAMES = frozenset({"root", "nogroup", "nobody", "users", "wheel", "daemon", "staff", "adm"})
# `login:password`: a login without spaces, slashes or `@host` parts, one colon, a password.
_LOGIN_ONLY = re.compile(r"^[A-Za-z0-9][\w.+-]*:$")
_LOGIN_PAIR = re.compile(r"^(?P<login>[A-Za-z0-9][\w.+-]*):(?P<password>[^\s:/][^\s]*)$")


# Last words that say how a pair is written, not what it is: prefect's `basicAuth.authString:
# "admin:pass"`, `auth_line`, `basicAuthValue` hold the pair their first words name.
_PAIR_FORM_WORDS = frozenset({"string", "str", "line", "lines", "value", "pair"})


@lru_cache(maxsize=8192)
def _holds_pair(key: str) -> bool:
    words = _joined(key_words(key.rsplit(".", 1)[-1]))
    if len(words) == 1 and words[0].startswith("auth") and words[0][4:] in _PAIR_FORM_WORDS:
        words = ["auth", words[0][4:]]  # `authstring`, `AUTHSTRING`
    if len(words) > 1 and words[-1] in _PAIR_FORM_WORDS:
        words = words[:-1]
    if len(words) > 1 and words[-2:] == ["basic", "auth"]:
        words = [*words[:-2], "basicauth"]
    return bool(words) and words[-1] in _PAIR_KEYS


def is_login_pair(key: str, value: Any) -> bool:
    """A ``<login>:<password>`` pair under a key that holds one (``user``, ``auth``,
    ``basicAuth``, ``credentials``, ``htpasswd``): falcosidekick's ``webui.user: "admin:admin"``.
    Not a pair: a port or version after the colon (``host:8080``, ``nginx:1.25``), an empty or
    templated password (``admin:``, ``admin:{{ .Values.x }}``), a URL, or a reference key
    (``userKey``, ``authSecret``)."""
    if not isinstance(value, str) or ":" not in value or not _holds_pair(key):
        return False  # most values have no colon: decided before the key is read
    m = _LOGIN_PAIR.match(value.strip())
    if m is None:
        return False
    if m.group("login").lower() in _REFERENCE_SCHEMES:
        return False  # `credentials: "env:GOOGLE_CREDS"`, `auth: "secret:my-secret"`: where it is
    password = m.group("password")
    if _TEMPLATE_VALUE.search(password) or "{{" in password or password.startswith("$"):
        return password.startswith(("$apr1$", "$2y$", "$2a$", "$2b$", "$5$", "$6$"))  # htpasswd hashes
    if password.lower() in _GROUP_NAMES:
        return False  # `user: "nobody:nogroup"`: an owner and group, as chown and docker write them
    if _joined(key_words(key.rsplit(".", 1)[-1]))[-1] == "user" and (
        m.group("login") == "system" or _k8s_identity(password)
    ):
        # under a `user` key, a Kubernetes user name `<prefix>:<name>`: kubevela's
        # `authentication.defaultUser: kubevela:vela-core` (the user it impersonates),
        # `system:serviceaccount:ns:sa`. Under `auth` or `credentials` a pair is a login
        return False
    return not re.fullmatch(r"v?\d+(?:[.\-]\d+)*[\w.-]*|latest|stable|\*", password)


def _k8s_identity(text: str) -> bool:
    """The name half of a Kubernetes user name (``vela-core``): lower-case words joined by dashes,
    none of them a word that calls the text a secret (``change-me``, ``my-secret``)."""
    if "-" not in text or not _RESOURCE_NAME_VALUE.match(text):
        return False
    words = set(re.split(r"[-.]", text))
    return not (_STAND_IN_WORDS.intersection(words) or words.intersection(("me", "pass", "pwd")))


# Last words of a key that hold a password (not a token or a key: those are generated, long).
_PASSWORD_WORDS = frozenset({"password", "passwords", "passwd", "pass", "pwd", "passphrase"})
# The ones that cannot be read as anything else (`pass` and `pwd` are also abbreviations).
_FULL_PASSWORD_WORDS = frozenset({"password", "passwords", "passwd", "passphrase"})


def _key_id_half(key: str, siblings: Any) -> bool:
    """``accessKey`` beside ``secretKey`` (MinIO's and many S3 clients' pair): the access key is
    the pair's id, sent in clear with every request like AWS's access key id; its secret half is
    the sibling. Alone, or beside a ``keyId`` (``secret.s3.accessKey`` next to ``keyId``), an
    ``accessKey`` is the secret itself."""
    if _joined(key_words(key.rsplit(".", 1)[-1])) != ["accesskey"]:
        return False
    for sibling in siblings or ():
        words = key_words(str(sibling))
        if len(words) > 1 and words[0] == "secret" and words[-1] == "key":
            return True  # `secretKey`, `secretAccessKey`, `secret_access_key`
    return False


def _spells_its_key(key: str, value: str) -> bool:
    """A ``*Key`` value that spells its own key's words (``licenseKey: license_key``, ``dbEncKey:
    db-enc-key``) names the key inside a Secret where the material is, as ``passwordKey`` does.
    Only keys named `…key`: ``password: password`` and harbor's ``accesskeysecret:
    accesskeysecret`` are placeholders a chart ships, and work as such."""
    words = key_words(key.rsplit(".", 1)[-1])
    if not words or not _joined(words)[-1].endswith("key"):
        return False
    return [w for w in key_words(value.strip()) if w] == words and not re.search(r"\s", value.strip())


def _short_password(key: str, value: Any) -> bool:
    """A password key holding a short word: pihole's ``adminPassword: admin``, nextcloud's
    ``smtp.password: pass``. Shorter than the eight characters ``is_secret_value`` asks of a
    credential, but a password a chart ships is a finding however short; flags, numbers,
    booleans and templates are not passwords."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    words = _joined(key_words(key.rsplit(".", 1)[-1]))
    if not words or words[-1] not in _PASSWORD_WORDS:
        return False
    if text.isdigit() and (len(text) >= 6 or (len(text) >= 4 and words[-1] in _FULL_PASSWORD_WORDS)):
        # skywalking's `postgresql.auth.password: "123456"`: a quoted number of six digits or
        # more under a password key is the password, and so is litmus's `rootPassword: "1234"`
        # under a key that spells the word out. Shorter ones under a loosely named key
        # (`pass: "1234"`) may be a port or a count, and `"0"`/`"1"` are flags
        return True
    if not _SHORT_IDENTIFIER.match(text):
        return False
    return not (_FLAG_VALUE.match(text) or _SIZE_VALUE.match(text) or text.lower() in _BOOLEAN)


def is_secret_data_value(key: str, value: Any) -> bool:
    """A value a chart's Secret template writes into its data as the value of an entry, under a
    key that names secret material (redash's ``secretKey: test``, ``cookieSecret: test``, each
    rendered ``{{ .Values.redash.secretKey | b64enc }}``): the secret, however short. Where the
    value lands says it is no name; ``is_secret_entry`` asks eight characters of a key or token
    because it cannot see that. Flags, sizes, booleans, templates, the names of Secrets and keys
    that spell their own name (``licenseKey: license_key``) are not secrets here either."""
    if not isinstance(value, str) or key_reading(key) not in ("holds", "ambiguous"):
        return False
    text = value.strip()
    if not _SHORT_IDENTIFIER.match(text) or text.lower() in _BOOLEAN or _spells_its_key(key, text):
        return False
    return not (_FLAG_VALUE.match(text) or _SIZE_VALUE.match(text) or _names_an_object(text))


def _names_an_object(text: str) -> bool:
    """A Kubernetes object's name (``my-secret``), or a placeholder for one written in capitals
    (``CHANGEME-smtp-password``): words joined by dashes, each all letters or a short number."""
    if _RESOURCE_NAME_VALUE.match(text):
        return True
    words = text.split("-")
    return len(words) > 2 and all(w.isalpha() or (w.isdigit() and len(w) <= 4) for w in words)


# Lower-case words joined by dashes or dots, each all letters or at most four characters
# (`etcd-cluster-k8s`): a name someone chose, not a generated token (`abcdef.0123456789abcdef`).
_WORDS_VALUE = re.compile(r"^[a-z][a-z0-9]*(?:[-.][a-z0-9]+)+$")


# Words of a value that make it a stand-in for a secret rather than a name (`your-…-key`,
# `changeme-…`, `…-insecure-token`): the chart's default, which works until someone replaces it.
_STAND_IN_WORDS = frozenset(
    {"your", "my", "secret", "password", "passwd", "key", "private", "changeme", "change", "replace",
     "insecure", "token"}
)  # fmt: skip


def _names_an_identifier(key: str, value: Any) -> bool:
    """A ``*Token`` key whose value is a chosen name, not a random string: etcd's
    ``initialClusterToken: etcd-cluster-k8s`` tells clusters apart and protects nothing. Tokens
    are generated; passwords may be words (`changeme`), so only tokens are read this way. Words
    that call the value a secret (``your-…-secret``, ``…-key-public``) make it a stand-in for one,
    not a name."""
    words = _joined(key_words(key.rsplit(".", 1)[-1]))
    if not words or words[-1] not in ("token", "tokens") or not isinstance(value, str):
        return False
    text = value.strip()
    if not _WORDS_VALUE.match(text):
        return False
    words = re.split(r"[-.]", text)
    if _STAND_IN_WORDS.intersection(words):
        # supabase's `publicAccessToken: your-super-secret-and-long-logflare-key-public`: a text
        # that calls itself a secret stands in for one, and works as one when deployed; so does
        # flagsmith's `testToken: test-e2e-token`, a token that calls itself one
        return False
    return all(w.isalpha() or len(w) <= 4 for w in words)


# Last words of a key that hold who someone is, not what proves it: `user`, `username`, `login`,
# `dbUser`, `MYSQL_USER`, `adminLogin`, `user_name`.
_IDENTITY_WORDS = frozenset({"user", "username", "usr", "login", "loginname", "userid"})


def names_an_identity(key: str, value: Any = None) -> bool:
    """A key that holds a user name or login (seaweedfs's Secret template writes ``user:
    "YourSWUser"`` beside a generated password): an identifier, not secret material. Not when
    the value is a ``login:password`` pair under it (``webui.user: "admin:admin"``) or is shaped
    like a credential whatever the key."""
    words = _joined(key_words(key.rsplit(".", 1)[-1]))
    if len(words) > 1 and words[-1] in ("name", "id") and words[-2] in ("user", "login"):
        words = [*words[:-2], words[-2] + words[-1]]
    if not words or words[-1] not in _IDENTITY_WORDS:
        return False
    return value is None or not (looks_like_credential(value) or is_login_pair(key, value))


def is_setting_key(name: str) -> bool:
    """A key that names, points at or configures something (``name``, ``create``,
    ``annotations``, ``existingSecret``, ``mountPath``), whatever block it is in."""
    words = _joined(key_words(name))
    return bool(words) and (words[-1] in _SETTING_WORDS or words[0] in _REFERENCE_FIRST or words[-1] == "key")


# --- configuration files held in values, ConfigMaps and Secrets -----------------------------------
# A line of a properties / YAML / dotenv file: `db.password=...`, `password: ...`
_CONFIG_LINE = re.compile(
    r"(?im)^[ \t]*(?P<key>[\w.\-]*"
    r"(pass(word|wd|phrase)?|pwd|secret|token|api[_-]?key|private[_-]?key|credential)"
    r"[\w.\-]*)[ \t]*[:=][ \t]*['\"]?(?P<value>[^\s'\"#]+)"
)
# An INI / netdata-style line whose key has spaces: `api key = 11111111-2222-…` (the key's words
# are read by `key_reading`, so `bind to = localhost` is not a secret).
_INI_LINE = re.compile(
    r"(?im)^[ \t]*(?P<key>[A-Za-z][\w.\-]*(?:[ \t]+[\w.\-]+){1,3})[ \t]*=[ \t]*['\"]?(?P<value>[^\s'\"#;]+)"
)


def config_text_secrets(text: str) -> list[tuple[str, int, str]]:
    """The secret lines of a configuration file (properties, YAML, dotenv, INI) held in a value:
    ``(key, line within the text, value)`` for each key that sets a secret-like name to a literal
    secret (``db.password=s3cr3t``, ``api key = 1111…``), in the order of the text. References and
    templates (``${DB_PASSWORD}``, ``{{ .Values.x }}``, an OCID) are not secrets."""
    if "=" not in text and ":" not in text:
        return []
    keys: dict[str, tuple[int, str]] = {}
    for pattern in (_CONFIG_LINE, _INI_LINE):
        for m in pattern.finditer(text):
            key, value = m.group("key"), m.group("value")
            if key in keys or value.startswith(("{{", "$", "%")):
                continue
            if is_secret_entry(key, value):
                keys[key] = (text.count("\n", 0, m.start("key")), value)
    return sorted(((k, line, v) for k, (line, v) in keys.items()), key=lambda t: t[1])


# AWS's access key id and its secret access key: the id (`AKIA…`/`ASIA…`) is sent in clear with
# every request; the secret half is 40 characters of base64 letters. Under neutral keys (`id`,
# `key`, `first`/`second`) the secret half has no shape of its own: beside an id it is the secret.
_AWS_KEY_ID = re.compile(r"^(?:AKIA|ASIA)[0-9A-Z]{16}$")
_AWS_SECRET_KEY = re.compile(r"^(?=.*[a-z])(?=.*[A-Z])(?=.*[0-9/+])[A-Za-z0-9/+]{40}$")


def is_aws_secret_half(value: Any, sibling_values: Any) -> bool:
    """True for the secret half of an AWS-style access key pair: a 40-character base64 string
    in the same map as an ``AKIA…``/``ASIA…`` access key id, whatever the keys are called."""
    if not isinstance(value, str) or not _AWS_SECRET_KEY.match(value.strip()):
        return False
    return any(isinstance(v, str) and _AWS_KEY_ID.match(v.strip()) for v in sibling_values or ())
