"""``Redactor.scrub_errors``: what the CLI prints on stderr is what ``scrub_result`` would show,
without scrubbing every finding of the scan only to read its errors."""

from __future__ import annotations

from scanner.model import InputError
from scanner.report.redact import Redactor


def test_scrub_errors_equals_the_errors_of_scrub_result(result, planted_secret):
    secret = planted_secret
    result.errors.append(InputError(f"values-{secret}.yaml", f"bad value {secret}\x1b[31m", 3))
    redactor = Redactor.for_result(result)
    redactor.add(secret)
    errors = redactor.scrub_errors(result.errors)
    assert errors == redactor.scrub_result(result).errors
    assert len(errors) == len(result.errors) >= 2
    shown = " ".join(f"{e.path} {e.message}" for e in errors)
    assert secret not in shown and "\x1b" not in shown
    assert result.errors[-1].message.startswith("bad value " + secret)  # the input is not changed
