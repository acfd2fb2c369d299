"""``python -m scanner.cli``: the ``ocisec`` command."""

from scanner.cli import app

app()
