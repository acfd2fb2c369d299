"""Mutated Terraform never crashes the parser or the evaluator: it parses, or it is reported."""

from __future__ import annotations

import random
from pathlib import Path

from scanner.sources.terraform import load_terraform
from scanner.sources.terraform.hclparse import parse_hcl
from scanner.sources.terraform.syntax import HclSyntaxError

ROOT = Path(__file__).resolve().parents[2]
ALPHABET = '{}[]()"$%~=\n#*.,:?!<>0a\\'


def _mutants(count: int, seed: int = 7):
    rng = random.Random(seed)
    sources = sorted((ROOT / "fixtures" / "platform" / "insecure").rglob("*.tf"))
    texts = [p.read_text() for p in sources]
    for _ in range(count):
        chars = list(rng.choice(texts))
        for _ in range(rng.randint(1, 5)):
            i = rng.randrange(len(chars))
            roll = rng.random()
            if roll < 0.3:
                del chars[i]
            elif roll < 0.6:
                chars.insert(i, rng.choice(ALPHABET))
            else:
                j = rng.randrange(len(chars))
                chars[i:i] = chars[j : j + rng.randint(1, 40)]
        yield "".join(chars)


def test_mutated_files_parse_or_raise_a_syntax_error_and_evaluate(tmp_path):
    parsed = 0
    for n, text in enumerate(_mutants(300)):
        try:
            parse_hcl(text)
        except HclSyntaxError as exc:
            assert "HCL syntax error" in str(exc) or "nesting" in str(exc)
            continue
        parsed += 1
        d = tmp_path / str(n)
        d.mkdir()
        (d / "main.tf").write_text(text)
        result = load_terraform([d / "main.tf"], d)  # must not raise
        assert all(e.path for e in result.errors)
    assert parsed > 30  # the mutations leave many files valid: the evaluator is exercised too
