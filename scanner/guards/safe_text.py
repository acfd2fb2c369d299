"""Text that cannot steer whatever reads ocisec's output: terminals and CI runners.

Every name, path, key and message in a report comes from the scanned input, which in CI is a
pull request from anyone. Two readers act on text rather than show it:

- a **terminal** runs ANSI escape sequences, and bidirectional overrides (U+202E) reorder what
  a reviewer sees; ``clean_text`` shows both as ``\\uXXXX`` (``clean_line`` also line breaks,
  for one-line fields such as names and paths);
- a **CI runner** executes workflow commands: GitHub reads any line of stdout or stderr that
  starts with ``::`` (after leading spaces) and, in its legacy syntax, ``##[`` anywhere in a
  line; Azure Pipelines reads ``##vso[``. ``defuse`` rewrites those in a finished report so no
  line can be read as a command, in the escaping of the report's own syntax (a JSON escape in
  JSON, a character reference in XML and HTML), so the data still reads back unchanged.

Markdown (PR comments) is the reporters' concern: ``scanner.report.markdown_text``.
"""

from __future__ import annotations

import re

# C0 and C1 controls but tab and newline, plus the characters that reorder or break lines
# without being controls: bidi embeddings, overrides and isolates (Trojan Source), the Arabic
# letter mark, and the Unicode line and paragraph separators.
_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[{_UNSAFE}]")
_CONTROL_OR_BREAK = re.compile(f"[{_UNSAFE}\t\n]")


def _show(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group()):04x}"


def clean_text(text: str) -> str:
    """``text`` with control and bidi characters (tab and newline aside) shown as ``\\uXXXX``."""
    return _CONTROL.sub(_show, text) if _CONTROL.search(text) else text


def clean_line(text: str) -> str:
    """``text`` as one line: every control and bidi character, tab and newline included, shown
    as ``\\uXXXX``. For names, paths, keys and messages: one line each in every report."""
    return _CONTROL_OR_BREAK.sub(_show, text) if _CONTROL_OR_BREAK.search(text) else text


def has_unsafe(text: str) -> bool:
    """Whether ``text`` holds a control or bidi character other than tab and newline."""
    return _CONTROL.search(text) is not None


# --- CI log commands ----------------------------------------------------------------------------

# A line that starts, after blanks, with "::" (GitHub's workflow commands), and the legacy
# command openers GitHub (``##[``) and Azure Pipelines (``##vso[``) find anywhere in a line.
# "Blanks" as the runner trims them (.NET TrimStart: every Unicode white space, NBSP included).
_LINE_COMMAND = re.compile(r"(?m)^([^\S\n]*):(?=:)")
_ANYWHERE_COMMAND = re.compile(r"#(?=#(?:vso)?\[)", re.IGNORECASE)

# How a ":" and a "#" are written so that they read back unchanged in each report syntax.
_ESCAPES = {
    "json": ("\\u003a", "\\u0023"),  # inside a JSON string (the only place such text can be)
    "xml": ("&#58;", "&#35;"),
    "html": ("&#58;", "&#35;"),
    "text": ("\\u003a", "\\u0023"),
}
FORMAT_SYNTAX = {
    "json": "json",
    "sarif": "json",
    "gitlab-sast": "json",
    "junit": "xml",
    "html": "html",
    "text": "text",
    "markdown": "text",
}


def defuse(text: str, syntax: str = "text") -> str:
    """``text`` with no line a CI runner would execute as a command: a leading ``::`` (after
    blanks) becomes ``\\u003a:`` and ``##[`` / ``##vso[`` become ``#\\u0023[``, written in
    ``syntax`` (``json``, ``xml``, ``html`` or ``text``) so JSON and XML still decode to the
    original text."""
    colon, hash_ = _ESCAPES[syntax]
    if "::" in text:
        text = _LINE_COMMAND.sub(lambda m: m.group(1) + colon, text)
    if "##" in text:
        text = _ANYWHERE_COMMAND.sub(lambda _: hash_, text)
    return text


def command_lines(text: str) -> list[str]:
    """Lines of ``text`` a CI runner would read as commands (what ``defuse`` removes). The
    test suite's oracle, and a last check before a report is written."""
    out = []
    for line in re.split(r"\r\n|\r|\n", text):
        if line.lstrip().startswith("::") or re.search(r"##(vso)?\[", line, re.IGNORECASE):
            out.append(line)
    return out
