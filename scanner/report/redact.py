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

from scanner.guards.secretnames import is_secret_name
from scanner.model import Location, Resource, Rule, ScanResult

MASK = "***"
MIN_SECRET_LENGTH = 4  # shorter strings ("on", "yes") would mask half the report and hide nothing

# Which names hold credentials (`password`, `admin_password`, `private_key`, `auth_token`...) and
# which only point at one (`vault_secret_id`, `secret_name`) is decided in one shared place:
# scanner.guards.secretnames.is_secret_name, imported above.

# Under a secret-like block (`secret_content { content = ... }`) these children carry the value.
_PAYLOAD_KEYS = {"content", "value", "data", "key", "text"}


def xml_escape(text: str, entities: dict[str, str] | None = None) -> str:
    """``&``, ``<``, ``>`` (and ``entities``) escaped as XML does. Not ``xml.sax.saxutils``: it
    imports urllib, http and email, a fifth of the start-up time of a pre-commit run."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for char, entity in (entities or {}).items():
        text = text.replace(char, entity)
    return text


SENSITIVE_KEY = "(sensitive)"
# Instance keys in an address: ["quoted"] or [bare], as Terraform prints them.
_ADDRESS_KEY = re.compile(r'\[("(?:[^"\\]|\\.)*"|[^\]"]*)\]')
# C0 and C1 control characters but tab and newline: invalid in XML 1.0 (JUnit), and ANSI escape
# sequences on a terminal. Rendered visibly as \uXXXX instead.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """``text`` with control characters (tab and newline aside) shown as ``\\uXXXX``."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text) if _CONTROL.search(text) else text


class Redactor:
    """A set of secret strings, and ``scrub`` to mask them in any text.

    Two kinds of secret: those of at least ``MIN_SECRET_LENGTH`` characters are masked wherever
    they appear; ``add_key`` secrets of any length are masked where they are a resource's
    instance key (``fe["Pw1"]`` becomes ``fe["(sensitive)"]``), since there a short value is
    as telling as a long one and masking it cannot mangle the report.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._keys: set[str] = set()
        self._pattern: Any = None
        for secret in secrets:
            self.add(secret)

    def add(self, value: str) -> None:
        """Remember a secret; values shorter than ``MIN_SECRET_LENGTH`` only mask instance keys."""
        if not isinstance(value, str) or not value:
            return
        self._keys.add(value)
        if len(value) >= MIN_SECRET_LENGTH and value not in self._secrets:
            self._secrets.add(value)
            self._pattern = None

    def add_key(self, value: str) -> None:
        """Remember a secret to mask as an instance key only, whatever its length."""
        if isinstance(value, str) and value:
            self._keys.add(value)

    def update(self, other: Redactor) -> None:
        """Add every secret another redactor holds."""
        for secret in other._secrets:
            self.add(secret)
        self._keys |= other._keys

    def without_text_of(self, text: str) -> Redactor:
        """A copy holding only the secrets that do not occur in ``text`` (the rules' own words)."""
        if not text or not any(secret in text for secret in self._secrets):
            return self
        out = Redactor()
        out._secrets = {secret for secret in self._secrets if secret not in text}
        out._keys = set(self._keys)
        return out

    def __len__(self) -> int:
        return len(self._secrets)

    def _matcher(self) -> Any:
        """One combined matcher for every secret (and its JSON / XML escaped forms), built once:
        RE2 runs the alternation as an automaton, so the cost no longer grows with the number
        of secrets (3,000 secrets: see benchmarks/bench_redact.py)."""
        if self._pattern is None:
            forms: set[str] = set()
            for secret in self._secrets:
                forms.update({secret, json.dumps(secret)[1:-1], xml_escape(secret, {'"': "&quot;"})})
                forms.add(json.dumps(secret, ensure_ascii=False)[1:-1])
            self._pattern = _compile_alternation(sorted(forms, key=len, reverse=True))
        return self._pattern

    def scrub(self, text: str) -> str:
        """``text`` with every occurrence of every secret replaced by ``***``.

        Also matches a secret as JSON and XML escape it, for text that was serialised already;
        reporters get results scrubbed before serialising (``scrub_result``).
        """
        if not self._secrets or not text:
            return text
        return self._matcher().sub(MASK, text)

    def mask_address(self, address: str) -> str:
        """``address`` with every instance key that is, or holds, a secret replaced by
        ``"(sensitive)"``; then cleaned of control characters."""
        if "[" in address and (self._keys or self._secrets):

            def key(m: re.Match[str]) -> str:
                raw = m.group(1)
                value = raw
                if raw.startswith('"'):
                    try:
                        value = json.loads(raw)
                    except ValueError:
                        value = raw[1:-1]
                if value in self._keys or (self._secrets and self.scrub(value) != value):
                    return f'["{SENSITIVE_KEY}"]'
                return m.group(0)

            address = _ADDRESS_KEY.sub(key, address)
        return clean_text(self.scrub(address))

    def scrub_result(self, result: ScanResult) -> ScanResult:
        """A copy of ``result`` that is safe to serialise: secrets masked in finding and error
        messages and in resource addresses (instance keys), control characters escaped in
        every text a reporter prints.

        Scrubbing before rendering matters: the text report wraps lines (a secret split across
        two lines escapes a scrub of the output), and JSON / XML escaping changes how a secret
        with quotes or non-ASCII characters looks.
        """
        resources: dict[int, Resource] = {}
        findings = []
        for f in result.findings:
            res = resources.get(id(f.resource))
            if res is None:
                masked = self.mask_address(f.resource.address)
                res = f.resource
                if masked != res.address:
                    res = dataclasses.replace(res, address=masked)
                resources[id(f.resource)] = res
            message = f.message
            if res is not f.resource:  # the message quotes the address: quote the masked one
                message = message.replace(f.resource.address, res.address)
            findings.append(
                dataclasses.replace(
                    f,
                    resource=res,
                    message=clean_text(self.scrub(message)),
                    location=_clean_location(f.location),
                    related=[_clean_location(x) for x in f.related],
                    attribute=clean_text(f.attribute) if f.attribute else f.attribute,
                )
            )
        errors = [
            dataclasses.replace(e, message=clean_text(self.scrub(e.message)), path=self.mask_address(e.path))
            for e in result.errors
        ]
        rules = [_clean_rule(r) for r in result.rules]
        inputs = [clean_text(self.scrub(i)) for i in result.inputs]
        snippets = {
            key: [(n, clean_text(self.scrub(line))) for n, line in lines]
            for key, lines in result.snippets.items()
        }
        return dataclasses.replace(
            result, findings=findings, errors=errors, rules=rules, inputs=inputs, snippets=snippets
        )

    @classmethod
    def for_result(cls, result: ScanResult) -> Redactor:
        """A redactor holding every secret-like value of the resources in ``result``'s findings
        (those the scan already collected, when it did: collecting is not done twice)."""
        redactor = cls(result.secret_values)
        if result.secret_values:
            return redactor
        seen: set[int] = set()
        for finding in result.findings:
            if id(finding.resource) not in seen:
                seen.add(id(finding.resource))
                for value in secret_values(finding.resource):
                    redactor.add(value)
        return redactor


def _compile_alternation(forms: list[str]) -> Any:
    """A matcher for any of ``forms`` (longest first); RE2 when it accepts the size."""
    if not forms:
        return re.compile(r"(?!)")
    try:
        import re2

        options = re2.Options()
        options.log_errors = False
        options.max_mem = 256 << 20
        options.longest_match = True  # a secret that contains another is masked whole
        return re2.compile("|".join(re2.escape(f) for f in forms), options)
    except Exception:  # noqa: BLE001 - too large for RE2 or RE2 missing: Python's engine
        return re.compile("|".join(re.escape(f) for f in forms))


def _clean_location(loc: Location | None) -> Location | None:
    if loc is None or not _CONTROL.search(loc.file):
        return loc
    return dataclasses.replace(loc, file=clean_text(loc.file))


def _clean_rule(rule: Rule) -> Rule:
    """A rule whose printed texts hold no control characters (custom policies are input too)."""
    fields = ("id", "title", "rationale", "remediation", "message", "category")
    if not any(_CONTROL.search(getattr(rule, f) or "") for f in fields):
        return rule
    return dataclasses.replace(rule, **{f: clean_text(getattr(rule, f)) for f in fields})


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
