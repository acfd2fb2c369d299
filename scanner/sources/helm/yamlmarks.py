"""Safe YAML loading that keeps the line of every value.

``load_yaml_documents`` composes a YAML stream with PyYAML's safe composer (libyaml when
available) and builds the plain data itself, recording for every path (``spec.replicas``,
``env.0.value``) the lines it spans. Only the safe tags are accepted; aliases are expanded with
a budget so a "billion laughs" document is refused instead of exhausting memory; files above
``MAX_YAML_BYTES`` are not read. Reusable by anything that needs YAML data plus line numbers
(values files, manifests, config files, suppression comments next to a finding's line).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_YAML_BYTES = 8 * 1024 * 1024  # like the Terraform source: larger files are generated, not written
# Alias expansion budget: a document may visit each node a few times through aliases, but an
# alias bomb multiplies them exponentially. Counted per file, on top of its size.
ALIAS_EXPANSION_BUDGET = 100_000

Span = tuple[int, int]  # first and last line, 1-based


class YamlInputError(ValueError):
    """A YAML file that cannot be read safely; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class YamlDocument:
    """One document of a YAML stream: its data and the lines of every path in it.

    ``lines`` maps a dotted path (``""`` for the document itself, ``metadata.name``,
    ``spec.template.spec.containers.0.env.1``) to the lines it spans; for a mapping entry the
    span starts at the key.
    """

    data: Any
    lines: dict[str, Span] = field(default_factory=dict)
    start_line: int = 1
    end_line: int = 1


def read_yaml_text(path: Path, max_bytes: int | None = None) -> str:
    """The text of a YAML file: a regular file (a FIFO or device is refused before it is read),
    at most ``max_bytes`` (default ``LIMITS.max_file_bytes``, 8 MiB) read, UTF-8."""
    from scanner.guards.limits import LIMITS
    from scanner.guards.safe_io import UnreadableInput, read_regular_file

    limit = LIMITS.max_file_bytes if max_bytes is None else max_bytes
    try:
        data = read_regular_file(path, limit)
    except UnreadableInput as exc:
        raise YamlInputError(f"not read: {exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlInputError(f"not UTF-8 text (byte {exc.start})") from None


def load_yaml_documents(text: str) -> list[YamlDocument]:
    """Every document of a YAML stream with its line map; raises ``YamlInputError``.

    Empty documents (``---`` alone) are dropped. Error messages name the line and the problem,
    never the source text (a values file may hold secrets).
    """
    import yaml

    loader_cls = _fast_loader()
    if len(text.encode("utf-8", errors="ignore")) > MAX_YAML_BYTES:
        raise YamlInputError(f"larger than the {MAX_YAML_BYTES // 1048576} MiB limit; not read")
    try:
        nodes = list(yaml.compose_all(text, Loader=loader_cls))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or "malformed YAML"
        raise YamlInputError(f"invalid YAML: {problem}", mark.line + 1 if mark else None) from None
    except RecursionError:
        raise YamlInputError("invalid YAML: nesting too deep") from None
    builder = _Builder(budget=ALIAS_EXPANSION_BUDGET + len(text) // 2)
    docs: list[YamlDocument] = []
    for node in nodes:
        if node is None:
            continue
        lines: dict[str, Span] = {}
        try:
            data = builder.build(node, "", lines)
        except RecursionError:
            raise YamlInputError("YAML nesting too deep", node.start_mark.line + 1) from None
        start, end = _span(node)
        docs.append(YamlDocument(data, lines, start, end))
    return docs


_LOADER: Any = None


def _fast_loader() -> Any:
    """libyaml's safe loader (when available) with a faster tag resolver: a plain scalar whose
    first character no implicit resolver claims (most keys and values) is a string, without
    running the resolver's regular expressions in Python for it."""
    global _LOADER
    if _LOADER is None:
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        claimed = frozenset(ch for ch in base.yaml_implicit_resolvers if ch is not None)
        scalar = yaml.ScalarNode

        class FastSafeLoader(base):  # type: ignore[misc, valid-type]
            def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
                if kind is scalar and implicit[0] and value:
                    first = value[0]
                    # Letters are claimed only by bool and null words, none longer than 5.
                    if first not in claimed or (len(value) > 5 and first.isalpha()):
                        return _STR
                return super().resolve(kind, value, implicit)

        _LOADER = FastSafeLoader
    return _LOADER


def _span(node: Any) -> Span:
    start = node.start_mark.line + 1
    end_mark = node.end_mark
    # A block collection ends at column 0 of the line after its last entry.
    end = (
        end_mark.line if end_mark.column == 0 and end_mark.line > node.start_mark.line else end_mark.line + 1
    )
    return start, max(start, end)


class _Builder:
    """Turns composed nodes into plain data, recording spans and enforcing the alias budget."""

    def __init__(self, budget: int) -> None:
        import yaml

        self.yaml = yaml
        self.ctor = yaml.constructor.SafeConstructor()
        self.budget = budget
        self.scalar_node = yaml.ScalarNode
        self.sequence_node = yaml.SequenceNode

    def build(self, node: Any, path: str, lines: dict[str, Span]) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise YamlInputError(
                "YAML aliases expand beyond the safety limit (an alias bomb?); not read",
                node.start_mark.line + 1,
            )
        start = node.start_mark.line
        end_mark = node.end_mark
        end = end_mark.line
        # A block node ends at column 0 of the line after its last line.
        if end_mark.column or end == start:
            end += 1
        if path not in lines:
            lines[path] = (start + 1, end)
        cls = type(node)
        if cls is self.scalar_node:
            return node.value if node.tag == _STR else self._scalar(node)
        if node.tag not in _COLLECTION_TAGS:
            raise YamlInputError(f"tag {node.tag!r} is not allowed (safe loading)", start + 1)
        prefix = f"{path}." if path else ""
        if cls is self.sequence_node:
            return [self.build(child, f"{prefix}{i}", lines) for i, child in enumerate(node.value)]
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if type(key_node) is self.scalar_node and key_node.tag == _STR:
                key = key_node.value
            elif key_node.tag == "tag:yaml.org,2002:merge":
                self._merge(out, value_node, path, lines)
                continue
            else:
                key = self._scalar(key_node) if type(key_node) is self.scalar_node else None
                if key is None or isinstance(key, (list, dict)):
                    raise YamlInputError("mapping key is not a scalar", key_node.start_mark.line + 1)
            child_path = f"{prefix}{key}"
            out[key] = self.build(value_node, child_path, lines)
            lines[child_path] = (key_node.start_mark.line + 1, lines[child_path][1])
        return out

    def _merge(self, out: dict[Any, Any], value_node: Any, path: str, lines: dict[str, Span]) -> None:
        """``<<: *base`` (or a list of them): keys not already set are taken from the aliases."""
        sources = value_node.value if isinstance(value_node, self.yaml.SequenceNode) else [value_node]
        for source in sources:
            merged = self.build(source, path + "\0merge", {})
            if not isinstance(merged, dict):
                raise YamlInputError("merge key needs a mapping", value_node.start_mark.line + 1)
            for k, v in merged.items():
                out.setdefault(k, v)

    def _scalar(self, node: Any) -> Any:
        tag = node.tag
        if tag == _STR:  # the common case, without the constructor's overhead
            return node.value
        if tag == _INT and node.value.isdigit():
            return int(node.value)
        if tag == "tag:yaml.org,2002:value":
            return node.value  # a plain `=` (CRD schemas have it as a key): a string, as in YAML 1.2
        constructor = self.ctor.yaml_constructors.get(node.tag)
        if constructor is None:
            raise YamlInputError(f"tag {node.tag!r} is not allowed (safe loading)", node.start_mark.line + 1)
        try:
            value = constructor(self.ctor, node)
        except self.yaml.YAMLError as exc:
            raise YamlInputError(
                f"invalid value: {getattr(exc, 'problem', exc)}", node.start_mark.line + 1
            ) from None
        if hasattr(value, "__next__"):  # timestamps/sets are generators in PyYAML
            value = str(node.value)
        if not isinstance(value, (str, int, float, bool, type(None))):
            value = str(node.value)  # dates, binary: kept as written
        return value


_STR = "tag:yaml.org,2002:str"
_COLLECTION_TAGS = {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}
_INT = "tag:yaml.org,2002:int"


def _join(path: str, seg: Any) -> str:
    return f"{path}.{seg}" if path else str(seg)


def value_at(data: Any, path: str) -> Any:
    """The value at dotted ``path`` (``controller.service.type``; a number indexes a list) in
    parsed YAML, or None where the path leads nowhere."""
    for seg in path.split("."):
        if isinstance(data, dict):
            data = data.get(seg)
        elif isinstance(data, list) and seg.isdigit() and int(seg) < len(data):
            data = data[int(seg)]
        else:
            return None
    return data
