"""Keeping secret values out of every report.

Reporters print rule metadata, addresses and engine messages, never attribute values; but a
message may quote a value, and a parse error may too. ``Redactor`` is the safety net:
``scanner.report.render`` fills one with every secret-like value of the scanned resources and
scrubs every message with it, plus the whole output with any secrets the caller supplies.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable
from typing import Any

from scanner.model import Resource, ScanResult
from scanner.secretnames import is_secret_name

MASK = "***"
MIN_SECRET_LENGTH = 4  # shorter strings ("on", "yes") would mask half the report and hide nothing

# Which names hold credentials (`password`, `admin_password`, `private_key`, `auth_token`...) and
# which only point at one (`vault_secret_id`, `secret_name`) is decided in one shared place:
# scanner.secretnames.is_secret_name, imported above.

# Under a secret-like block (`secret_content { content = ... }`) these children carry the value.
_PAYLOAD_KEYS = {"content", "value", "data", "key", "text"}


def xml_escape(text: str, entities: dict[str, str] | None = None) -> str:
    """``&``, ``<``, ``>`` (and ``entities``) escaped as XML does. Not ``xml.sax.saxutils``: it
    imports urllib, http and email, a fifth of the start-up time of a pre-commit run."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for char, entity in (entities or {}).items():
        text = text.replace(char, entity)
    return text


class Redactor:
    """A set of secret strings, and ``scrub`` to mask them in any text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, value: str) -> None:
        """Remember a secret; values shorter than ``MIN_SECRET_LENGTH`` are ignored."""
        if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH and value not in self._secrets:
            self._secrets.add(value)
            self._pattern = None

    def update(self, other: Redactor) -> None:
        """Add every secret another redactor holds."""
        for secret in other._secrets:
            self.add(secret)

    def __len__(self) -> int:
        return len(self._secrets)

    def scrub(self, text: str) -> str:
        """``text`` with every occurrence of every secret replaced by ``***``.

        Also matches a secret as JSON and XML escape it, since the final output of the json,
        sarif and junit reporters holds the escaped form (a password with a quote in it).
        """
        if not self._secrets:
            return text
        if self._pattern is None:
            forms = set()
            for secret in self._secrets:
                forms.update({secret, json.dumps(secret)[1:-1], xml_escape(secret, {'"': "&quot;"})})
            # Longest first, so a secret that contains another is masked whole.
            ordered = sorted(forms, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(form) for form in ordered))
        return self._pattern.sub(MASK, text)

    def scrub_result(self, result: ScanResult) -> ScanResult:
        """A copy of ``result`` whose finding and error messages are scrubbed.

        Scrubbing before rendering matters for the text report, where wrapping may split a
        secret across lines and out of reach of a scrub of the final output.
        """
        findings = [dataclasses.replace(f, message=self.scrub(f.message)) for f in result.findings]
        errors = [
            dataclasses.replace(e, message=self.scrub(e.message), path=self.scrub(e.path))
            for e in result.errors
        ]
        return dataclasses.replace(result, findings=findings, errors=errors)

    @classmethod
    def for_result(cls, result: ScanResult) -> Redactor:
        """A redactor holding every secret-like value of the resources in ``result``'s findings."""
        redactor = cls()
        seen: set[int] = set()
        for finding in result.findings:
            if id(finding.resource) not in seen:
                seen.add(id(finding.resource))
                for value in secret_values(finding.resource):
                    redactor.add(value)
        return redactor


def secret_values(resource: Resource) -> list[str]:
    """Literal strings held by a resource's secret-like attributes (unknowns hold none), plus
    those its source marked sensitive (``context["sensitive_values"]``, from plan JSON)."""
    attrs = resource.attributes
    found: list[str] = [v for v in resource.context.get("sensitive_values", ()) if isinstance(v, str)]
    if resource.kind == "variable":
        # A variable is secret by declaration (`sensitive = true`) or by name (`db_password`);
        # then all of its value is, whatever its shape.
        if attrs.get("sensitive") is True or is_secret_name(str(attrs.get("name", resource.name))):
            for key in ("default", "value"):
                _strings(attrs.get(key), found)
    elif resource.kind == "k8s.Secret":
        for key in ("data", "stringData"):
            _strings(attrs.get(key), found)
    else:
        _collect(attrs, False, found)
    return found


def _collect(value: Any, in_secret_block: bool, found: list[str]) -> None:
    """Strings under secret-like keys; inside a secret-like block, also under payload keys.
    Iterative: 600 nested blocks must not exhaust the interpreter's stack."""
    stack: list[tuple[Any, bool]] = [(value, in_secret_block)]
    while stack:
        node, in_secret = stack.pop()
        if isinstance(node, dict):
            for key, child in node.items():
                name = str(key)
                secret_name = is_secret_name(name)
                payload = in_secret and name in _PAYLOAD_KEYS
                if (secret_name and not isinstance(child, dict | list)) or payload:
                    _strings(child, found)
                elif isinstance(child, dict | list | tuple):
                    # A nested block: `secret_content` opens a secret block, plain ones are searched on.
                    stack.append((child, in_secret or secret_name))
        elif isinstance(node, list | tuple):
            for child in node:
                if isinstance(child, str):
                    if in_secret:  # a list attribute with a secret-like name: `passwords = [...]`
                        found.append(child)
                else:
                    stack.append((child, in_secret))


def _strings(value: Any, found: list[str]) -> None:
    """Every string leaf of a value (iteratively, whatever its depth)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
