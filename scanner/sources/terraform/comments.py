"""The comments of an HCL file, as tree-sitter-hcl's ``comment`` nodes (for suppressions)."""

from __future__ import annotations

from scanner.sources.comments import Comment
from scanner.sources.terraform.hclparse import _for_tree_sitter, _parser


def hcl_comments(text: str) -> list[Comment]:
    """Every ``#``, ``//`` and ``/* */`` comment tree-sitter finds (text inside strings and
    heredocs is a template, never a comment). Iterative: deep nesting cannot overflow."""
    src = text.encode("utf-8")
    root = _parser().parse(_for_tree_sitter(src)).root_node
    out: list[Comment] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "comment":
            row, column = node.start_point
            line_start = src.rfind(b"\n", 0, node.start_byte) + 1
            alone = not src[line_start : node.start_byte].strip()
            body = src[node.start_byte : node.end_byte].decode("utf-8", "replace")
            out.append(Comment(row + 1, body, node.end_point[0] + 1, alone))
            continue
        stack.extend(reversed(node.children))
    out.sort(key=lambda c: c.line)
    return out
