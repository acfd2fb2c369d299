"""Explicit bounds on the work one scan may do, in one place.

Untrusted input (a pull request) must not make a scan hang or exhaust memory: a ``count`` of a
billion, a ``setproduct`` of two large ranges, a regular expression built to backtrack, a YAML
alias bomb. Each bound below is checked where the work happens; passing one raises
``LimitExceeded``, which the sources turn into an ``InputError`` naming the file and line, so the
scan goes on and exits 2.

Every limit can be changed with ``--limit NAME=N`` or the environment variable
``OCISEC_LIMIT_<NAME>`` (``OCISEC_LIMIT_MAX_INSTANCES=50000``).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass


@dataclass
class Limits:
    """The bounds in force (see ``LIMITS``)."""

    # Bytes of one file a person writes: Terraform, tfvars, policy, values, manifest, chart
    # template, values.schema.json, baseline, configuration, comment lookups; and of standard
    # input (`scan -`). Past this parsing would take minutes (docs/hardening.md lists them all).
    max_file_bytes: int = 8 * 1024 * 1024
    # Bytes of one machine-written document: plan JSON, inventory snapshot, JSON result given to
    # `diff` (those of large estates are big, but not this big).
    max_plan_bytes: int = 256 * 1024 * 1024
    # Instances of one resource or module call (count / for_each), and iterations of one
    # dynamic block.
    max_instances: int = 10_000
    # Elements of one collection a function or expression builds (range, setproduct, for...).
    max_collection: int = 100_000
    # Characters of one string an expression builds.
    max_string: int = 1_000_000
    # Bits of one number an expression builds (pow(10, 100000000) has 332 million).
    max_number_bits: int = 4096
    # Expression evaluation steps for one root module and the modules it calls.
    max_steps: int = 5_000_000
    # Nested blocks (dynamic ones included) of one resource instance.
    max_blocks: int = 10_000
    # Nodes of one YAML document once its aliases are expanded.
    max_yaml_nodes: int = 100_000
    # Nesting depth of one YAML / JSON document (snapshots, baselines, results, schemas and
    # configuration included): checked in linear time before the document is parsed.
    max_depth: int = 200
    # A packaged subchart (`charts/*.tgz`, what `helm dependency build` writes) comes from the
    # pull request too. Bytes of one archive as stored (compressed):
    max_archive_bytes: int = 16 * 1024 * 1024
    # Bytes once unpacked, the archive and the archives nested in it together (tar headers
    # included); a gzip bomb stops here. Helm itself stops a chart at 100 MiB. Each member is also
    # held to max_file_bytes.
    max_archive_unpacked_bytes: int = 100 * 1024 * 1024
    # Members (files and directories) of one archive and the archives nested in it together.
    max_archive_members: int = 10_000
    # Archives inside archives: a packaged chart's own charts/ may hold more .tgz (bitnami's etcd
    # holds common); 1 is the archive under the scanned chart's charts/.
    max_archive_depth: int = 3

    def set(self, name: str, value: int) -> None:
        """Change one limit; raises ``ValueError`` naming the valid ones."""
        names = [f.name for f in dataclasses.fields(self)]
        if name not in names:
            raise ValueError(f"unknown limit {name!r} (known: {', '.join(names)})")
        if value < 1:
            raise ValueError(f"limit {name} must be a positive whole number")
        setattr(self, name, value)

    def load_environment(self, environ: dict[str, str] | None = None) -> list[str]:
        """Apply ``OCISEC_LIMIT_<NAME>`` variables; returns messages for the invalid ones."""
        problems = []
        env = os.environ if environ is None else environ
        for f in dataclasses.fields(self):
            raw = env.get(f"OCISEC_LIMIT_{f.name.upper()}")
            if raw is None:
                continue
            try:
                self.set(f.name, int(raw))
            except ValueError as exc:
                problems.append(f"OCISEC_LIMIT_{f.name.upper()}={raw!r}: {exc}")
        return problems


LIMITS = Limits()
LIMITS.load_environment()


class LimitExceeded(Exception):
    """Input that would take more work than a limit allows. ``str()`` says which limit, the size
    met and how to raise it; never any of the input's text."""

    def __init__(self, limit: str, what: str) -> None:
        self.limit = limit
        value = getattr(LIMITS, limit, "?")
        super().__init__(
            f"{what} exceeds the limit {limit}={value} "
            f"(raise it with --limit {limit}=N or OCISEC_LIMIT_{limit.upper()})"
        )


def check_size(limit: str, size: int, what: str) -> None:
    """Raise ``LimitExceeded`` when ``size`` is above the limit named ``limit``."""
    if size > getattr(LIMITS, limit):
        raise LimitExceeded(limit, f"{what} ({size:,})")


class Budget:
    """Work counted against ``max_steps`` / ``max_blocks``; reset per root module / resource."""

    __slots__ = ("steps", "blocks")

    def __init__(self) -> None:
        self.steps = 0
        self.blocks = 0

    def step(self, n: int = 1) -> None:
        """Count ``n`` evaluation steps."""
        self.steps += n
        if self.steps > LIMITS.max_steps:
            raise LimitExceeded("max_steps", "evaluating this module")

    def block(self) -> None:
        """Count one nested block of the current resource."""
        self.blocks += 1
        if self.blocks > LIMITS.max_blocks:
            raise LimitExceeded("max_blocks", "nested blocks of one resource")


BUDGET = Budget()
