"""The README and docs/ as a newcomer uses them: every relative link and anchor resolves, every
``bash`` block marked ``<!-- runnable -->`` runs with the documented exit code, and every ``ocisec``
command shown uses a command and options that exist."""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md")),
         *sorted((ROOT / "examples").glob("*/README.md"))]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
RUNNABLE = re.compile(r"<!-- runnable(?::\s*exit (\d+))? -->\n```bash\n(.*?)^```", re.M | re.S)
COMMANDS = {"scan", "audit", "baseline", "rules", "diff"}


def _rel(page: Path) -> str:
    return str(page.relative_to(ROOT))


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens; an
    underscore inside a word (``cis_reports``) stays, emphasis markers (``_x_``) go."""
    text = re.sub(r"[`*]|(?<!\w)_|_(?!\w)", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    found = {slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", text, re.M)}
    found |= set(re.findall(r'id="([^"]+)"', text))
    return found


def links() -> list[tuple[Path, str]]:
    out = []
    for page in PAGES:
        text = FENCE.sub("", page.read_text(encoding="utf-8"))  # code blocks hold no links
        out += [(page, target) for target in LINK.findall(text)]
    return out


@pytest.mark.parametrize("page,target", links(), ids=lambda v: v if isinstance(v, str) else _rel(v))
def test_every_link_resolves(page, target):
    if re.match(r"^[a-z]+:", target):  # https:, mailto: — no network in tests; only the shape
        assert re.match(r"^(https://|mailto:)[^\s]+$", target), target
        return
    path, _, fragment = target.partition("#")
    dest = (page.parent / path).resolve() if path else page
    assert dest.exists(), f"{_rel(page)}: {target} does not exist"
    if fragment and dest.suffix == ".md":
        assert fragment in anchors(dest), f"{_rel(page)}: no heading #{fragment} in {_rel(dest)}"


def test_the_readme_links_every_docs_page():
    readme = (ROOT / "README.md").read_text()
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f"(docs/{page.name})" in readme, page.name


def runnable_blocks() -> list[tuple[Path, int, str]]:
    out = []
    for page in PAGES:
        for m in RUNNABLE.finditer(page.read_text(encoding="utf-8")):
            out.append((page, int(m.group(1) or 0), m.group(2)))
    return out


@pytest.fixture
def shell_env(tmp_path) -> dict[str, str]:
    """``ocisec`` on PATH running this checkout, a scratch ``$TMPDIR`` and cache."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "ocisec"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m scanner.cli "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OCISEC_", "GITHUB_", "CI_"))}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", TMPDIR=str(tmp_path),
               OCISEC_CACHE_DIR=str(tmp_path / "cache"), NO_COLOR="1")
    return env


def test_there_are_runnable_blocks_in_readme_and_docs():
    pages = {page.name for page, _, _ in runnable_blocks()}
    assert "README.md" in pages and len(runnable_blocks()) >= 4


@pytest.mark.parametrize("page,code,block", runnable_blocks(),
                         ids=lambda v: _rel(v) if isinstance(v, Path) else None)
def test_runnable_block_runs_with_its_documented_exit_code(page, code, block, shell_env):
    proc = subprocess.run(["bash", "-e", "-c", block], cwd=ROOT, env=shell_env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == code, f"{_rel(page)}:\n{block}\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"


def ocisec_invocations() -> list[tuple[Path, list[str]]]:
    """Every ``ocisec <command> ...`` in a bash or console block, as words."""
    found = []
    for page in PAGES:
        for lang, body in FENCE.findall(page.read_text(encoding="utf-8")):
            if lang not in ("bash", "console", "sh"):
                continue
            body = body.replace("\\\n", " ")
            for line in body.splitlines():
                line = line.split(" #", 1)[0].removeprefix("$ ").strip()
                for part in re.split(r"&&|\|\||\|", line):
                    words = part.split()
                    if words and words[0].endswith("ocisec") and len(words) > 1 and words[1] in COMMANDS:
                        found.append((page, words[1:]))
    return found


def _help(command: list[str]) -> str:
    from typer.testing import CliRunner

    from scanner.cli import app

    res = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    return res.output


@pytest.mark.parametrize("page,words", ocisec_invocations(),
                         ids=lambda v: _rel(v) if isinstance(v, Path) else " ".join(v)[:60])
def test_every_ocisec_command_shown_uses_existing_options(page, words):
    command = words[:2] if words[0] in ("baseline", "rules") and len(words) > 1 and \
        not words[1].startswith("-") and words[1] in ("create", "show") else words[:1]
    help_text = _help(command)
    try:
        tokens = shlex.split(" ".join(words))
    except ValueError:
        tokens = words
    for token in tokens:
        if token.startswith("--"):
            option = token.split("=", 1)[0]
            assert option in help_text, f"{_rel(page)}: `ocisec {' '.join(words)}`: no option {option}"
