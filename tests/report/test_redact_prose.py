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
    assert Redactor(["default"]).scrub("Deployment/default/app runs") == "Deployment/default/app runs"
    assert r.scrub("the password is admin.") == "the password is ***."
    assert r.scrub('"admin"') == '"***"'


def test_a_plain_word_secret_of_any_length_is_masked_as_a_word_only():
    # `postgres` (8 letters) as a password: masked where it stands, not in `postgres.yaml`
    r = Redactor(["postgres"])
    assert r.scrub("crunchy/postgres.yaml: kind PostgresCluster (postgres-operator)") == (
        "crunchy/postgres.yaml: kind PostgresCluster (postgres-operator)"
    )
    assert r.scrub("the password postgres was set") == "the password *** was set"
    assert Redactor(["Xk9fQ2Lm-pw"]).scrub("file-Xk9fQ2Lm-pw.yaml") == "file-***.yaml"  # not a word


def test_manifest_key_names_of_secret_references_are_not_secret_values(tmp_path):
    from scanner.workflow.scan import ScanOptions, run_scan

    (tmp_path / "wf.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: artifact-disable-archive\n"
        "spec:\n  artifactRepository:\n    s3:\n      accessKeySecret: {name: my-cred, key: object}\n"
        "      secretKeySecret: {name: my-cred, key: password}\n"
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: app\n          image: app:1\n          env:\n"
        "            - {name: DB_PASSWORD, value: Hunter22-pass}\n"
        "            - name: TOKEN\n              valueFrom: {secretKeyRef: {name: app, key: token}}\n"
    )
    result, _ = run_scan([tmp_path], ScanOptions(cache_dir=None))
    r = Redactor.for_result(result)
    assert r.scrub("the object is not checked; token and password are words") == (
        "the object is not checked; token and password are words"
    )
    assert r.scrub("DB_PASSWORD is Hunter22-pass") == "DB_PASSWORD is ***"
