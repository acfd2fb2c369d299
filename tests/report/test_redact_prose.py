"""In lines quoted from the input, short secrets that are plain words (`admin`) are masked where
they stand as a value, never in the prose around them (pgadmin4's values: `password: admin` under "# -- for the admin password")."""

from __future__ import annotations

from scanner.report.redact import Redactor


def test_short_word_secret_masked_as_value_not_in_comment():
    r = Redactor(["admin"])
    line = '    password: admin  # the admin password, change it'
    assert r.scrub_source(line) == '    password: ***  # the admin password, change it'


def test_short_word_secret_masked_in_every_value_shape():
    r = Redactor(["admin"])
    assert r.scrub_source('adminPassword: "admin"') == 'adminPassword: "***"'
    assert r.scrub_source("value: 'admin'") == "value: '***'"
    assert r.scrub_source("  - admin") == "  - ***"
    assert r.scrub_source("--password=admin") == "--password=***"
    assert r.scrub_source('{"value": "admin"}') == '{"value": "***"}'
    assert r.scrub_source('{\\"value\\": \\"admin\\"}') == '{\\"value\\": \\"***\\"}'


def test_short_word_secret_left_in_prose_and_in_longer_words():
    r = Redactor(["admin"])
    assert r.scrub_source("Log in as the admin user") == "Log in as the admin user"
    assert r.scrub_source("administrator: admins") == "administrator: admins"


def test_short_secret_that_is_no_word_still_masked_everywhere():
    r = Redactor(["Pw1x!z"])
    assert r.scrub_source("# was Pw1x!z before") == "# was *** before"


def test_short_word_secret_not_masked_inside_a_longer_value():
    assert Redactor(["admin"]).scrub_source("email: admin@example.com") == "email: admin@example.com"


def test_messages_still_mask_short_secrets_as_whole_words():
    # a message is ocisec's own text: a short secret there is masked wherever it stands
    assert Redactor(["admin"]).scrub("value admin was set") == "value *** was set"


def test_a_short_word_secret_inside_a_dashed_name_is_the_name():
    # issue 17: `prometheus-mysql-***[base]` / `dns-***[base]` masked a chart's name
    r = Redactor(["admin"])
    assert r.scrub("dns-admin[base] holds a secret") == "dns-admin[base] holds a secret"
    assert r.scrub("admin-ui[prod] and a.admin.key") == "admin-ui[prod] and a.admin.key"
    assert r.scrub("the password is admin.") == "the password is ***."
    assert r.scrub('"admin"') == '"***"'
