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

from scanner.guards.safe_text import clean_line, clean_text, has_unsafe
from scanner.guards.secretnames import (
    config_text_secrets,
    is_login_pair,
    is_secret_entry,
    is_secret_name,
    key_reading,
    looks_like_credential,
    may_hold,
    names_a_credential,
)
from scanner.model import InputError, Location, Resource, Rule, ScanResult, Suppression

MASK = "***"
MIN_SECRET_LENGTH = 4  # shorter strings ("on", "yes") would mask half the report and hide nothing
# Secrets shorter than this (a chart's `adminPassword: admin`) are masked only as whole words:
# masked inside other words they would turn `adminPassword` into `***Password`, `passed` into
# `***ed`, and say which word the secret is.
WHOLE_WORD_BELOW = 8

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
# Control characters (invalid in XML 1.0, ANSI escapes on a terminal), bidi overrides and line
# breaks inside names are shown as \uXXXX: scanner.guards.safe_text. Names, paths, keys and
# messages are one line each in every report (clean_line): a line break in a resource name must
# not start a line of its own in a CI log, where a runner might read it as a command.
__all__ = ["MASK", "Redactor", "clean_rule", "clean_text", "clean_line", "secret_values", "xml_escape"]


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
        self._short_pattern: Any = None
        self._short_source_pattern: Any = None  # the same for quoted input lines (scrub_source)
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
            self._short_pattern = self._short_source_pattern = None

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

    def _short_matcher(self, source: bool = False) -> Any:
        """Short secrets as whole words only (see ``WHOLE_WORD_BELOW``); Python's engine, since
        RE2 has no look-around, and short secrets are few. With ``source``, for lines quoted from
        the input: a short secret that is a plain word (`admin`) is also a word of the chart's
        comments ("for the admin password"), so there it is masked only where it stands as a
        value, never in prose."""
        cached = self._short_source_pattern if source else self._short_pattern
        if cached is not None:
            return cached or None
        forms: set[str] = set()
        words: set[str] = set()
        for secret in self._secrets:
            if len(secret) >= WHOLE_WORD_BELOW and not _PROSE_WORD.fullmatch(secret):
                continue  # long and not a plain word: masked wherever it stands (_matcher)
            if _PROSE_WORD.fullmatch(secret) and (source or names_a_credential(secret)):
                # a secret that is a word naming a credential (`AWS_SECRET_ACCESS_KEY: secret`,
                # `password: password`) is also a word of ocisec's own text ("holds a plaintext
                # secret"): masked only where it stands as a value, never in the rule's words
                words.add(secret)
            else:
                forms.update({secret, json.dumps(secret)[1:-1], xml_escape(secret, {'"': "&quot;"})})
        # In ocisec's own text a plain word joined into a name by dashes or dots is that name,
        # not the secret: the chart `dns-admin` whose admin password is `admin` stays
        # `dns-admin[base]` (quoted input lines mask plain words as values only, below).
        parts = [
            _whole_word(f, joined=not source and bool(_PROSE_WORD.fullmatch(f)))
            for f in sorted(forms, key=len, reverse=True)
        ]
        if words:
            alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
            parts.append(_AS_VALUE.format(words=alternation))
        pattern = re.compile("|".join(parts), re.MULTILINE) if parts else False
        if source:
            self._short_source_pattern = pattern
        else:
            self._short_pattern = pattern
        return pattern or None

    def _matcher(self) -> Any:
        """One combined matcher for every secret (and its JSON / XML escaped forms), built once:
        RE2 runs the alternation as an automaton, so the cost no longer grows with the number
        of secrets (3,000 secrets: see benchmarks/bench_redact.py)."""
        if self._pattern is None:
            forms: set[str] = set()
            for secret in self._secrets:
                if len(secret) < WHOLE_WORD_BELOW or _PROSE_WORD.fullmatch(secret):
                    # masked as whole words (_short_matcher): a plain word (`postgres`,
                    # `changeme`) inside a longer name or a file name is that name
                    continue
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
        short = self._short_matcher()
        text = self._matcher().sub(MASK, text)
        return short.sub(MASK, text) if short is not None else text

    def scrub_source(self, text: str) -> str:
        """``scrub`` for lines quoted from the input: short secrets that are plain words are
        masked as values only, so the chart's comments stay readable."""
        if not self._secrets or not text:
            return text
        short = self._short_matcher(source=True)
        text = self._matcher().sub(MASK, text)
        return short.sub(_mask_short, text) if short is not None else text

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
        return clean_line(self.scrub(address))

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
                res = _clean_resource(f.resource, self.mask_address(f.resource.address))
                resources[id(f.resource)] = res
            message = f.message
            if res.address != f.resource.address:  # the message quotes the address: quote the masked one
                message = message.replace(f.resource.address, res.address)
            findings.append(
                dataclasses.replace(
                    f,
                    rule_id=_line(f.rule_id),
                    resource=res,
                    message=clean_line(self.scrub(message)),
                    location=_clean_location(f.location),
                    related=[_clean_location(x) for x in f.related],
                    attribute=_line(f.attribute) if f.attribute else f.attribute,
                    suppression=self._clean_suppression(f.suppression),
                )
            )
        errors = self.scrub_errors(result.errors)
        rules = [clean_rule(r) for r in result.rules]
        inputs = [clean_line(self.scrub(i)) for i in result.inputs]
        # Drift quotes attribute values (secret attributes were never taken; a value that is a
        # known secret elsewhere is masked here) and unmanaged objects carry console names.
        drift = [
            dataclasses.replace(
                d,
                address=self.mask_address(d.address),
                message=clean_line(self.scrub(d.message)),
                code_value=clean_line(self.scrub(d.code_value)),
                live_value=clean_line(self.scrub(d.live_value)),
                attribute=clean_line(d.attribute) if d.attribute else d.attribute,
                location=_clean_location(d.location),
                live_location=_clean_location(d.live_location),
            )
            for d in result.drift
        ]
        unmanaged = [
            dataclasses.replace(
                u,
                name=clean_line(self.scrub(u.name)) if u.name else u.name,
                compartment_path=clean_line(u.compartment_path) if u.compartment_path else None,
                location=_clean_location(u.location),
            )
            for u in result.unmanaged
        ]
        # Source lines quoted under findings are input: secrets masked, controls escaped (a line
        # holds no line break; tabs are kept for the layout).
        snippets = {
            key: [(n, clean_text(self.scrub_source(line))) for n, line in lines]
            for key, lines in result.snippets.items()
        }
        return dataclasses.replace(
            result,
            findings=findings,
            errors=errors,
            rules=rules,
            inputs=inputs,
            root=clean_line(result.root),
            metadata=_clean_value(result.metadata),
            snippets=snippets,
            drift=drift,
            unmanaged=unmanaged,
        )

    def scrub_errors(self, errors: Iterable[InputError]) -> list[InputError]:
        """The input errors as ``scrub_result`` shows them (secrets masked in the message and
        the path, control characters escaped): what the CLI says on stderr, without scrubbing
        every finding of the result only to read its errors."""
        return [
            dataclasses.replace(e, message=clean_line(self.scrub(e.message)), path=self.mask_address(e.path))
            for e in errors
        ]

    def _clean_suppression(self, sup: Suppression | None) -> Suppression | None:
        """A suppression's reason and origin come from a comment or configuration: one line,
        secrets masked."""
        if sup is None:
            return None
        texts = (sup.justification, sup.origin or "", sup.expires or "")
        if not any(has_unsafe(t) or "\n" in t or "\t" in t for t in texts) and not self._secrets:
            return sup
        return dataclasses.replace(
            sup,
            justification=clean_line(self.scrub(sup.justification)),
            origin=clean_line(sup.origin) if sup.origin else sup.origin,
            expires=clean_line(sup.expires) if sup.expires else sup.expires,
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


# A short secret that is a plain word, standing as a value: after `key:` / `key=` (quoted or
# not), between quotes, or as a list item, and ending the value (`admin@example.com` is no
# password); the group `lead` keeps what precedes it.
_PROSE_WORD = re.compile(r"[A-Za-z]+")
_AS_VALUE = (
    r"(?:(?P<lead>(?:[:=]|^\s*-)[ \t]*(?:\\?[\"'])?|(?<![\w\\])\\?[\"'])(?:{words})(?=$|[\s\"'\\,}}\]#]))"
)


def _mask_short(m: re.Match[str]) -> str:
    """The mask for a short secret, keeping the key, quote or dash that showed it is a value."""
    lead = m.groupdict().get("lead") or ""
    return lead + MASK


def _whole_word(form: str, joined: bool = False) -> str:
    """``form`` as a pattern that matches it only where it does not run on into a word (with
    ``joined``, nor into a name joined by dashes, dots or slashes: ``dns-admin``, ``admin-ui``,
    ``Deployment/default/app``)."""
    word = r"[\w./-]" if joined else r"\w"
    head = rf"(?<!{word})" if re.match(r"\w", form[0]) else ""
    tail = (r"(?![\w/-]|\.\w)" if joined else r"(?!\w)") if re.match(r"\w", form[-1]) else ""
    return f"{head}{re.escape(form)}{tail}"


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


def _line(text: str) -> str:
    return clean_line(text) if text and (has_unsafe(text) or "\n" in text or "\t" in text) else text


def _clean_location(loc: Location | None) -> Location | None:
    if loc is None or _line(loc.file) is loc.file:
        return loc
    return dataclasses.replace(loc, file=_line(loc.file))


def _clean_resource(res: Resource, address: str) -> Resource:
    """``res`` with every text a reporter prints on one line: the address (secrets masked by
    the caller), the kind (a manifest's ``kind`` is input) and the live provenance."""
    prov = res.provenance
    names = {"ocid": prov.ocid, "region": prov.region, "compartment_id": prov.compartment_id}
    cleaned = {k: _line(v) for k, v in names.items() if v and _line(v) is not v}
    location = _clean_location(prov.location)
    clean_prov = prov
    if cleaned or location is not prov.location:
        clean_prov = dataclasses.replace(prov, location=location, **cleaned)
    if address == res.address and _line(res.kind) is res.kind and clean_prov is prov:
        return res
    return dataclasses.replace(res, address=address, kind=_line(res.kind), provenance=clean_prov)


def _clean_value(value: Any) -> Any:
    """Strings of a plain JSON-like value (result metadata), one line each."""
    if isinstance(value, str):
        return _line(value)
    if isinstance(value, dict):
        return {_line(str(k)) if isinstance(k, str) else k: _clean_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_value(v) for v in value]
    return value


# Rule texts printed on one line, and the long ones (Markdown with code blocks) kept multi-line.
_RULE_LINES = ("id", "title", "message", "category", "failure", "fix")
_RULE_BLOCKS = ("rationale", "remediation")


def clean_rule(rule: Rule) -> Rule:
    """A rule whose printed texts hold no control characters (custom policies are input too):
    one-line fields as one line, the long ones with their line breaks. ``rules`` uses it too."""
    lines = {f: _line(getattr(rule, f) or "") for f in _RULE_LINES}
    blocks = {f: clean_text(getattr(rule, f) or "") for f in _RULE_BLOCKS}
    refs = [{k: _line(v) if isinstance(v, str) else v for k, v in ref.items()} for ref in rule.references]
    changed = any(lines[f] != (getattr(rule, f) or "") for f in _RULE_LINES) or any(
        blocks[f] != (getattr(rule, f) or "") for f in _RULE_BLOCKS
    )
    if not changed and refs == rule.references:
        return rule
    return dataclasses.replace(rule, **lines, **blocks, references=refs)


def secret_values(resource: Resource) -> list[str]:
    """Literal strings held by a resource's secret-like attributes (unknowns hold none), plus
    those its source marked sensitive (``context["sensitive_values"]``, from plan JSON)."""
    attrs = resource.attributes
    found: list[str] = [v for v in resource.context.get("sensitive_values", ()) if isinstance(v, str)]
    if resource.kind == "variable":
        # A variable is secret by declaration (`sensitive = true`) or by name (`db_password`);
        # then all of its value is, whatever its shape.
        name = str(attrs.get("name", resource.name))
        if attrs.get("sensitive") is True or is_secret_name(name):
            for key in ("default", "value"):
                _strings(attrs.get(key), found)
        else:
            # `variable "basic_auth" { default = "admin:pass" }`: a login pair (OCI-SEC-001)
            found += [v for k in ("default", "value") if is_login_pair(name, v := attrs.get(k))]
    elif resource.kind == "helm.values":
        # Chart values were judged key by key, with their values, by the one decision
        # (scanner.guards.secretnames.is_secret_entry) into sensitive_values: a name-only guess
        # here would mask `password` wherever `passwordKey: password` names a key of a Secret.
        pass
    elif resource.kind == "k8s.Secret":
        for key in ("data", "stringData"):
            _strings(attrs.get(key), found)
    elif resource.kind.startswith("k8s.") or resource.kind == "kustomize.patch":
        # Manifests are judged like chart values, key and value together: a name-only guess
        # masked the key names of `secretKeyRef: {key: password}` and the word `object` of an
        # artifact repository's `accessKeySecret: {key: object}` in every message.
        _manifest_secrets(attrs, found)
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


def _manifest_secrets(value: Any, found: list[str]) -> None:
    """Strings of a manifest that the one secret decision calls secrets: ``key: value`` entries,
    ``{name: DB_PASSWORD, value: …}`` env entries, secret lines of config files, credential
    shapes anywhere; blocks that point at a secret (``secretKeyRef``) hold none."""
    stack: list[Any] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            keys = tuple(map(str, node))
            name, env_value = node.get("name"), node.get("value")
            if isinstance(name, str) and isinstance(env_value, str) and is_secret_entry(name, env_value):
                found.append(env_value)
            for key, child in node.items():
                if isinstance(child, str):
                    if (may_hold(str(key)) or len(child) >= 16) and is_secret_entry(str(key), child, keys):
                        found.append(child)  # (a key with no secret word can only hold a credential shape)
                    elif "\n" in child:
                        found += [v for _, _, v in config_text_secrets(child)]
                elif isinstance(child, dict | list | tuple) and key_reading(str(key)) != "reference":
                    stack.append(child)
        elif isinstance(node, list | tuple):
            for child in node:
                if isinstance(child, str) and looks_like_credential(child):
                    found.append(child)
                elif isinstance(child, dict | list | tuple):
                    stack.append(child)


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
