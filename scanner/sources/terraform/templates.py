"""Template files for ``templatefile(path, vars)``: found relative to the scan, read within limits
and parsed as a template (the same syntax as a heredoc body). The evaluator
(``scanner.sources.terraform.evaluate``) renders the parsed template with ``vars`` as its only
names; this module evaluates nothing, so it depends on the syntax alone.

IAM policy statements and cloud-init documents are often built this way, so evaluating the
template matters for the rules. A file that is missing, too large, not UTF-8 or not a valid
template gives an unknown value that says why, never a guess.
"""

from __future__ import annotations

from pathlib import Path

from scanner.sources.terraform.syntax import Expr, HclSyntaxError, Lit, Template

# Templates are small documents; a larger file is more likely data than a template.
MAX_TEMPLATE_BYTES = 512 * 1024
_MARKER = "OCISEC_TEMPLATE_END_7f3a"

# (absolute path, mtime_ns, size) -> parsed template, or the reason it cannot be used
_PARSED: dict[tuple[str, int, int], Expr | str] = {}


def parse_template(text: str) -> Expr:
    """A template document as an expression (literal text, interpolations, directives);
    raises ``HclSyntaxError`` when it is not a valid template."""
    from scanner.sources.terraform.hclparse import parse_hcl

    if _MARKER in text:
        raise HclSyntaxError("template holds the parser's end marker")
    added_newline = not text.endswith("\n")
    body = parse_hcl(f"x = <<{_MARKER}\n{text}{chr(10) if added_newline else ''}{_MARKER}\n")
    expr = body.attributes["x"].expr
    if added_newline:
        expr = _drop_final_newline(expr)
    return expr


def _drop_final_newline(expr: Expr) -> Expr:
    if isinstance(expr, Lit) and isinstance(expr.value, str) and expr.value.endswith("\n"):
        return Lit(expr.value[:-1])
    if isinstance(expr, Template) and expr.parts and isinstance(expr.parts[-1], str):
        last = expr.parts[-1][:-1] if expr.parts[-1].endswith("\n") else expr.parts[-1]
        parts = [*expr.parts[:-1], last] if last else expr.parts[:-1]
        if len(parts) == 1 and not isinstance(parts[0], str):
            return Template(parts)  # the text is a string even when it is one interpolation
        return Template(parts) if parts else Lit("")
    return expr


def resolve_template(path: str, root: Path | None, root_rel_dir: str) -> Path | str:
    """Relative paths are read against the scan root (where ``path.module`` points from), then
    against the root module's directory (Terraform's working directory). Only files inside the
    scan root are read: scanned code is not trusted, and a template's text can reach the report
    (``templatefile("/proc/self/environ", {})`` in a pull request must not)."""
    if root is None:
        return "the module directory is not known"
    p = Path(path)
    candidates = [p] if p.is_absolute() else [root / p, root / root_rel_dir / p]
    try:
        inside = root.resolve()
        for candidate in candidates:
            real = candidate.resolve()
            if real.is_relative_to(inside) and real.is_file():
                return real
        if not any(c.resolve().is_relative_to(inside) for c in candidates):
            return "outside the scanned directory, not read"
    except (OSError, RuntimeError):
        return "file not readable"
    return "file not found"


def load_template(target: Path) -> Expr | str:
    """The parsed template at ``target`` (memoised by path, mtime and size), or why it cannot be used."""
    try:
        st = target.stat()
    except OSError:
        return "file not found"
    memo = (str(target), st.st_mtime_ns, st.st_size)
    if memo in _PARSED:
        return _PARSED[memo]
    result: Expr | str
    if not target.is_file():
        result = "not a regular file"
    elif st.st_size > MAX_TEMPLATE_BYTES:
        result = f"file larger than {MAX_TEMPLATE_BYTES // 1024} KiB"
    else:
        try:
            result = parse_template(target.read_bytes().decode("utf-8-sig"))
        except UnicodeDecodeError:
            result = "not UTF-8 text"
        except OSError:
            result = "file not readable"
        except HclSyntaxError as exc:
            result = f"not a valid template ({exc})"
    _PARSED[memo] = result
    return result
