"""Loading untrusted YAML: safe types only, and bounded.

PyYAML's safe loader builds no arbitrary objects, but an alias bomb (``a: &a [x, x]``, ``b: &b
[*a, *a]``... a billion nodes from a kilobyte) or a recursive alias (``&c {all: [*c]}``) still
hangs or crashes whoever walks the result. ``load`` composes the node graph first, counts the
nodes it stands for with aliases expanded (each shared node counted once per use, in linear
time), refuses cycles, deep nesting and documents over ``LIMITS.max_yaml_nodes``, and only then
constructs Python values.

Shared helper: policy files use it; values files and manifests can too (``load_all`` for
multi-document streams).
"""

from __future__ import annotations

from typing import Any

import yaml

from scanner.guards.limits import LIMITS


class YamlError(ValueError):
    """Invalid or over-limit YAML; ``line`` is 1-based when known. The message never quotes
    the document."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def _loader_class() -> type:
    # libyaml's loader when PyYAML was built with it: ten times faster on a cold start
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str, max_nodes: int | None = None) -> Any:
    """The single document in ``text`` (None when empty); raises ``YamlError``."""
    docs = _load(text, max_nodes, single=True)
    return docs[0] if docs else None


def load_all(text: str, max_nodes: int | None = None) -> list[Any]:
    """Every document in ``text``; the node limit applies to all of them together."""
    return _load(text, max_nodes, single=False)


def _load(text: str, max_nodes: int | None, single: bool) -> list[Any]:
    limit = max_nodes if max_nodes is not None else LIMITS.max_yaml_nodes
    loader = _loader_class()(text)
    out: list[Any] = []
    total = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            total += _expanded_size(node, limit - total)
            out.append(loader.construct_document(node))
            if single and loader.check_node():
                raise YamlError("expected a single YAML document")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        where = f" at line {line}" if line else ""
        raise YamlError(f"invalid YAML{where}: {exc.problem or exc.context}", line) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {type(exc).__name__}") from None
    except RecursionError:
        raise YamlError("YAML nested too deeply") from None
    finally:
        loader.dispose()
    return out


def _expanded_size(root: yaml.Node, budget: int) -> int:
    """Nodes ``root`` stands for with every alias expanded; raises on a cycle, on nesting
    deeper than ``LIMITS.max_depth`` or when the count passes ``budget``. Iterative, with
    the size of each shared node remembered, so it is linear in the composed graph."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    # (node, children done?) frames
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    depth_of: dict[int, int] = {id(root): 1}
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        line = node.start_mark.line + 1
        if not done:
            if key in sizes:
                continue
            if key in on_path:
                raise YamlError(
                    f"recursive YAML alias at line {node.start_mark.line + 1}", node.start_mark.line + 1
                )
            depth = depth_of[key]
            if depth > LIMITS.max_depth:
                raise YamlError(f"YAML nested deeper than max_depth={LIMITS.max_depth} at line {line}", line)
            on_path.add(key)
            stack.append((node, True))
            for child in children:
                ck = id(child)
                if ck in on_path:
                    line = child.start_mark.line + 1
                    raise YamlError(f"recursive YAML alias at line {line}", line)
                if ck not in sizes:
                    depth_of[ck] = max(depth_of.get(ck, 0), depth + 1)
                    stack.append((child, False))
            continue
        on_path.discard(key)
        size = 1 + sum(sizes[id(c)] for c in children)
        if size > budget:
            raise YamlError(
                f"YAML document expands to more than max_yaml_nodes={LIMITS.max_yaml_nodes} nodes "
                f"(an alias bomb?); raise it with --limit max_yaml_nodes=N"
            )
        sizes[key] = size
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []
