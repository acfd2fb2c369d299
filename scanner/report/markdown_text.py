"""Text made inert in Markdown: the one escaping every Markdown output uses (``--format
markdown``, ``ocisec diff --format markdown``).

A PR comment or job summary renders what it is given. A resource name, file name, message or
suppression reason from a pull request could otherwise end a code span (a backtick), add a
table cell (``|``), a link (``](``), an image (a tracking pixel), raw HTML (a stray
``</details>`` that unfolds a collapsed section), a mention or an autolink.
"""

from __future__ import annotations

import re

from scanner.guards.safe_text import clean_line

# Every character that can open Markdown or HTML syntax inside a line, escaped with a
# backslash: emphasis, code, links and images ([ ] ( ) !), raw HTML (< >), table cells (|),
# issue references (#), autolinks (the ":" of "https://", "@" in e-mail addresses and mentions),
# entities (&), math ($). An underscore inside a word (``kms_key_id``, ``CKV_OCI_2``) opens no
# emphasis and is left as it is, so names stay searchable. Line-start syntax (lists, headings,
# quotes) cannot occur: the text is flattened to one line and always follows a table pipe or a
# list marker.
_MD_SPECIAL = re.compile(r"([\\`*{}\[\]()#!|<>~@&$]|:(?=//)|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_WWW = re.compile(r"(?i)\bwww\.")  # GFM turns a bare "www.example.com" into a link


def md_text(text: str) -> str:
    """``text`` inert in Markdown, on one line: every markup character escaped (control
    characters shown as ``\\uXXXX``). Safe in a table cell and in a list item."""
    flat = " ".join(clean_line(text).split())
    return _WWW.sub(lambda m: m.group()[:-1] + "\\.", _MD_SPECIAL.sub(r"\\\1", flat))


def md_code(text: str, cell: bool = True) -> str:
    """``text`` as an inline code span on one line: nothing inside is markup. The fence is
    longer than any run of backticks in the text (CommonMark). In a table ``cell`` pipes are
    escaped (GFM splits cells before it reads code spans, and drops the backslash inside one);
    elsewhere a pipe is plain text in a code span."""
    flat = " ".join(clean_line(text).split())
    if cell:
        flat = flat.replace("|", "\\|")
    if not flat:
        return ""
    fence = "`" * (max((len(run) for run in re.findall("`+", flat)), default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"
