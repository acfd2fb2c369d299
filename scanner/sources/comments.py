"""Comments as each format's own parser sees them, for ``ocisec:ignore`` suppressions.

A suppression must come from a real comment: text that merely looks like one inside a YAML
block scalar (``|``, ``>``), a quoted or flow string, an HCL heredoc or a quoted string is data,
and a pull request controls data (a ConfigMap's script, a policy document). So comments are
taken from the tokens the parsers produce, never from a pattern over lines:

- HCL (``.tf``, ``.tfvars``, ``.hcl``): tree-sitter-hcl's ``comment`` nodes (``#``, ``//``,
  ``/* */``);
- YAML (``.yaml``, ``.yml``): the text between PyYAML's tokens (a comment is the only thing
  there besides blanks and line breaks); Go template actions (``{{ ... }}``) of chart templates
  are blanked first, same length, so lines and columns stay exact;
- HCL's JSON syntax (``.tf.json``): the value of a ``"//"`` property, which Terraform ignores as
  a comment.

Other files have no comments ocisec reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Comment:
    """One comment: the line it starts on (1-based), its text (markers included), its last
    line, and whether it is the only thing on its first line (a comment line)."""

    line: int
    text: str
    end_line: int
    alone: bool


def comments(name: str, text: str) -> list[Comment] | None:
    """The comments of file ``name`` (its suffix picks the syntax), or None when the file's
    syntax has none ocisec reads or the text cannot be tokenized."""
    lower = name.lower()
    if lower.endswith(".tf.json") or lower.endswith(".tfvars.json"):
        return json_comments(text)
    if lower.endswith((".tf", ".tfvars", ".hcl")):
        return hcl_comments(text)
    if lower.endswith((".yaml", ".yml")):
        return yaml_comments(text)
    return None


_TEMPLATE_ACTION = re.compile(r"\{\{.*?\}\}", re.S)
_BLANK_LINE = re.compile(r"(?m)^[ \t]+$")


def yaml_comments(text: str) -> list[Comment]:
    """Comments of a YAML stream: ``#`` runs in the gaps between the scanner's tokens. Tokens
    after a syntax error are not read (what follows is not known to be a comment). A chart
    template is tried as written first (values files often hold ``{{ }}`` inside strings), then
    with its template actions blanked; the reading that gets further is used."""
    spans, complete = _token_spans(text)
    if not complete and "{{" in text:
        # Blank the actions (same length, line breaks kept), then empty the lines left blank: a
        # blank line longer than a block scalar's indentation would change how YAML reads it.
        blanked = _TEMPLATE_ACTION.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
        blanked = _BLANK_LINE.sub("", blanked)
        other, other_complete = _token_spans(blanked)
        if other_complete or _reach(other) > _reach(spans):
            text, spans, complete = blanked, other, other_complete
    if not complete:
        text = text[: _reach(spans)]  # only the well-formed part: no guess about the rest
    out: list[Comment] = []
    pos = 0
    for start, end in [*spans, (len(text), len(text))]:
        if start > pos:
            _gap_comments(text, pos, start, out)
        pos = max(pos, end)
    return out


def _reach(spans: list[tuple[int, int]]) -> int:
    return spans[-1][1] if spans else 0


def _token_spans(text: str) -> tuple[list[tuple[int, int]], bool]:
    """Start and end offsets of every non-empty token, and whether the scanner reached the end."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    spans: list[tuple[int, int]] = []
    try:
        while True:
            token = loader.get_token()
            if token is None or isinstance(token, yaml.StreamEndToken):
                return spans, True
            if token.end_mark.index > token.start_mark.index:
                spans.append((token.start_mark.index, token.end_mark.index))
    except (yaml.YAMLError, RecursionError):
        return spans, False
    finally:
        loader.dispose()


def _gap_comments(text: str, start: int, end: int, out: list[Comment]) -> None:
    """Comments in ``text[start:end]``, a stretch between tokens: blanks, breaks and comments."""
    at = text.find("#", start, end)
    while at >= 0:
        stop = text.find("\n", at, end)
        stop = end if stop < 0 else stop
        line_start = text.rfind("\n", 0, at) + 1
        line = text.count("\n", 0, at) + 1
        alone = not text[line_start:at].strip()
        out.append(Comment(line, text[at:stop].rstrip("\r"), line, alone))
        at = text.find("#", stop, end)


# A JSON string token, whole (escapes included): strings are the only place where quotes,
# colons and slashes are not syntax.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')


def json_comments(text: str) -> list[Comment]:
    """The values of ``"//"`` properties in HCL's JSON syntax, which Terraform reads as comments."""
    import json

    out: list[Comment] = []
    tokens = list(_JSON_STRING.finditer(text))
    for key, value in zip(tokens, tokens[1:], strict=False):
        if key.group() != '"//"' or text[key.end() : value.start()].strip() != ":":
            continue
        try:
            body = json.loads(value.group())
        except ValueError:
            continue
        line = text.count("\n", 0, value.start()) + 1
        line_start = text.rfind("\n", 0, key.start()) + 1
        alone = not text[line_start : key.start()].strip(" \t{,")
        out.append(Comment(line, "// " + body, line, alone))
    return out


def hcl_comments(text: str) -> list[Comment]:
    """Every ``#``, ``//`` and ``/* */`` comment tree-sitter-hcl finds (text inside strings and
    heredocs is a template, never a comment). Iterative: deep nesting cannot overflow."""
    from scanner.sources.terraform.hclparse import _for_tree_sitter, _parser

    src = text.encode("utf-8")
    root = _parser().parse(_for_tree_sitter(src)).root_node
    out: list[Comment] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "comment":
            row = node.start_point[0]
            line_start = src.rfind(b"\n", 0, node.start_byte) + 1
            alone = not src[line_start : node.start_byte].strip()
            body = src[node.start_byte : node.end_byte].decode("utf-8", "replace")
            out.append(Comment(row + 1, body, node.end_point[0] + 1, alone))
            continue
        stack.extend(reversed(node.children))
    out.sort(key=lambda c: c.line)
    return out
