"""The offending lines of each finding, for the text report (as Checkov and Trivy show them).

Reporters never re-read input, so the workflow reads the lines once here and stores them on the
result (``ScanResult.snippets``). Reads are bounded (regular files only, at most
``MAX_FILE_BYTES``), and values of secret-like keys are masked before anything is stored; the
reporter's redaction runs over the lines again, with every secret value the scan collected.
"""

from __future__ import annotations

import re
from pathlib import Path

from scanner.guards.safe_io import UnreadableInput, read_regular_file
from scanner.guards.secretnames import is_secret_name, looks_like_credential
from scanner.model import Finding, ScanResult, Status
from scanner.report.summary import offending_lines, snippet_key

CONTEXT = 2  # lines shown before and after the offending ones
MAX_FILE_BYTES = 8 << 20
MAX_LINE = 200  # characters of one shown line (minified JSON would fill the screen)
MASK = '"***"'
# PEM blocks: every line from BEGIN to END is key material (or its armour) and never shown.
_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*(PRIVATE KEY|ENCRYPTED|CERTIFICATE REQUEST)[A-Z ]*-----")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*-----")
# A long unbroken base64 / hex run is masked wherever it is (a key pasted without armour, a token).
_LONG_TOKEN = re.compile(r"(?<![\w.])[A-Za-z0-9+/=_-]{32,}")  # not the tail of an OCID
# A JWT's three dotted parts are one token: masking only the long header would show the claims
# and most of the signature, and leave no whole value for the reporter's redaction to find. The
# shape alone also fits host names (`example-app.execution.svc`): masked only when it decodes.
_JWT_RUN = re.compile(r"(?<![\w.])e[w-z0-9_-][A-Za-z0-9_-]{6,}\.e[w-z0-9_-][A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]+")
# `key = value` (HCL), `key: value` (YAML), `"key": value` (JSON): group 1 is up to the value.
_ASSIGNMENT = re.compile(r'^(\s*(?:-\s+)?"?([A-Za-z_][\w.-]*)"?\s*[:=]\s*)(\S.*?)(,?)\s*$')


def mask_line(line: str, force: bool = False) -> str:
    """``line`` with the value of a secret-like key masked (``password = "***"``); with ``force``,
    the value of any key (the offending line of a secrets rule: ``default = "pw"``)."""
    m = _ASSIGNMENT.match(line)
    if m is None or not (force or is_secret_name(m.group(2))):
        return line
    value = m.group(3)
    if value in ("{", "[", "|", ">", "|-", ">-") or value.startswith(("var.", "local.", "data.", "{{")):
        return line  # a block opens, or a reference: no literal to hide
    if value in ('""', "''", "~", "null", "{}", "[]"):
        return line  # empty (`existingSecret: ""`): nothing to hide, and `"***"` would say there is
    return f"{m.group(1)}{MASK}{m.group(4)}"


def attach_snippets(result: ScanResult, findings: list[Finding] | None = None) -> None:
    """Store the lines around each located finding of ``findings`` (default: the failing and
    unknown ones) in ``result.snippets``; unreadable files are skipped silently (their errors,
    if any, were reported by the scan itself)."""
    root = Path(result.root)
    files: dict[str, list[str] | None] = {}
    if findings is None:
        findings = [f for f in result.findings
                    if f.suppression is None and f.status in (Status.FAILED, Status.UNKNOWN)]
    # Lines a secrets rule points at hold the secret whatever the key is called: mask them all.
    secret_spans = {
        snippet_key(f): offending_lines(f) for f in findings if result.rule(f.rule_id).category == "secrets"
    }
    for finding in findings:
        key = snippet_key(finding)
        span = offending_lines(finding)
        if key is None or span is None or key in result.snippets:
            continue
        assert finding.location is not None
        name = finding.location.file
        if name not in files:
            files[name] = _read_lines(root / name)
        lines = files[name]
        if not lines:
            continue
        first, last = span
        start, end = max(1, first - CONTEXT), min(len(lines), last + CONTEXT)
        if first > len(lines):
            continue
        forced = secret_spans.get(key) or (0, -1)
        result.snippets[key] = [
            (n, _shorten(mask_line(lines[n - 1], force=forced[0] <= n <= forced[1])))
            for n in range(start, end + 1)
        ]


def _read_lines(path: Path) -> list[str] | None:
    """The file's lines with key material already hidden: PEM blocks whole, long tokens."""
    try:
        data = read_regular_file(path, MAX_FILE_BYTES)
    except (UnreadableInput, OSError):
        return None
    lines = data.decode("utf-8", errors="replace").splitlines()
    in_pem = False
    for i, line in enumerate(lines):
        starts = _PEM_BEGIN.search(line) is not None
        if in_pem or starts:
            indent = line[: len(line) - len(line.lstrip())]
            lines[i] = f"{indent}*** (PEM key material)"
            in_pem = _PEM_END.search(line) is None  # a one-line (escaped) block ends where it starts
            continue
        line = _JWT_RUN.sub(lambda m: "***" if looks_like_credential(m.group()) else m.group(), line)
        lines[i] = _LONG_TOKEN.sub(lambda m: _mask_token(m.group()), line)
    return lines


# An environment variable's name written in capitals, three words or more of at most 16 letters
# or digits (`RETAIL_CART_PERSISTENCE_DYNAMODB_CREATE_TABLE`): a name, shown as it is.
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]{0,15}(?:_[A-Z][A-Z0-9]{0,15}){2,}$")


def _mask_token(token: str) -> str:
    # OCIDs and resource paths are long too, but they hold dots or are names: keep those.
    if token.startswith(("ocid1", "oci_")) or "_" in token.strip("_-") and token.lower() == token:
        return token
    if _ENV_NAME.match(token):
        return token  # a key of a ConfigMap or an env list, never masked for its length
    return "***"


def _shorten(line: str) -> str:
    line = line.rstrip().expandtabs(4)
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…"
