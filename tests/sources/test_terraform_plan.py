"""The Terraform plan JSON source, on hand-written plans in Terraform's documented format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scanner.model import InputError, Location, Resource, Unknown
from scanner.sources.terraform_plan import (
    KNOWN_AFTER_APPLY,
    PROVIDER_EXPRESSION,
    collect_sensitive,
    is_plan_json,
    load_plan,
    strip_instance_keys,
)

REPO = Path(__file__).resolve().parents[2]
PLANS = REPO / "fixtures" / "plans"
COMP = "ocid1.compartment.oc1..aaaaaaaaappcompartment"
PASSWORD = "Wr0ng-Horse-Battery#42"


def _after_apply(ref: str | None, symbol: str | None) -> Unknown:
    return Unknown(KNOWN_AFTER_APPLY, nonnull=True, ref=ref, symbol=symbol)


@pytest.fixture(scope="module")
def app() -> dict[str, Resource]:
    resources, errors = load_plan(PLANS / "app.json", REPO)
    assert errors == []
    by_address = {r.address: r for r in resources}
    assert len(by_address) == len(resources), "addresses are unique"
    return by_address


def _write(tmp_path: Path, plan: Any, name: str = "plan.json") -> Path:
    path = tmp_path / name
    path.write_text(plan if isinstance(plan, str) else json.dumps(plan), encoding="utf-8")
    return path


# -- which resources ------------------------------------------------------------------------------
def test_one_resource_per_managed_instance_that_survives_apply(app: dict[str, Resource]) -> None:
    assert list(app) == [
        "oci_core_instance.web",
        'oci_core_volume.scratch["a"]',  # for_each keys as Terraform writes them
        'oci_core_volume.scratch["b"]',
        "oci_database_autonomous_database.adb",
        "oci_kms_key.app",
        "oci_kms_vault.main",
        "oci_objectstorage_bucket.logs",
        "oci_objectstorage_bucket.public",
        "module.storage.oci_core_volume.v[0]",
        "module.storage.oci_core_volume.v[1]",
        "module.storage.oci_kms_key.vol",
        "provider.oci",
        "provider.oci.home",
        "var.admin_password",
        "var.compartment_ocid",
        "var.region",
        "module.storage.var.compartment_id",
        "module.storage.var.management_endpoint",
    ]
    # data.oci_objectstorage_namespace.ns (a data source) and oci_core_volume.legacy (deleted) are out.
    assert app["module.storage.oci_core_volume.v[1]"].kind == "oci_core_volume"
    assert app["provider.oci.home"].kind == "provider.oci"
    assert app["var.region"].kind == "variable"


def test_provenance_points_at_the_plan_file(app: dict[str, Resource]) -> None:
    for resource in app.values():
        assert resource.provenance.source == "terraform-plan"
        assert resource.provenance.location == Location("fixtures/plans/app.json", 1, 1)


def test_context_lets_the_lead_overlay_tf_locations(app: dict[str, Resource]) -> None:
    volume = app["module.storage.oci_core_volume.v[1]"].context
    assert volume["config_address"] == "module.storage.oci_core_volume.v"
    assert volume["module"] == "module.storage"
    assert volume["scope"] == str(PLANS / "app.json")
    assert volume["actions"] == ["create"]
    assert app['oci_core_volume.scratch["a"]'].context["config_address"] == "oci_core_volume.scratch"
    assert app['oci_core_volume.scratch["a"]'].context["actions"] == ["no-op"]
    assert app["oci_kms_key.app"].context["module"] == ""


# -- attributes -----------------------------------------------------------------------------------
def test_known_values_nested_blocks_and_dropped_nulls(app: dict[str, Resource]) -> None:
    assert app["oci_kms_key.app"].attributes == {
        "compartment_id": COMP,
        "display_name": "app-key",
        "key_shape": [{"algorithm": "AES", "length": 32}],  # curve_id: null is dropped
        "management_endpoint": _after_apply("oci_kms_vault.main", "oci_kms_vault.main.management_endpoint"),
        "protection_mode": "HSM",
    }


def test_unknown_in_a_nested_block_follows_the_after_unknown_structure(app: dict[str, Resource]) -> None:
    web = app["oci_core_instance.web"].attributes
    assert web["source_details"] == [
        {
            "kms_key_id": _after_apply("oci_kms_key.app", "oci_kms_key.app.id"),
            "source_id": "ocid1.image.oc1.eu-frankfurt-1.aaaaimage",
            "source_type": "image",
        }
    ]
    # private_ip / nsg_ids are unknown but not written: computed by OCI, so not "set".
    assert web["create_vnic_details"] == [
        {"assign_public_ip": "false", "subnet_id": "ocid1.subnet.oc1.eu-frankfurt-1.aaaaweb"}
    ]
    assert web["shape_config"] == [{"memory_in_gbs": 16, "ocpus": 1}]
    for computed in ("id", "private_ip", "launch_options", "is_pv_encryption_in_transit_enabled"):
        assert computed not in web


def test_provider_computed_unknowns_are_not_mistaken_for_a_customer_key(app: dict[str, Resource]) -> None:
    # kms_key_id is Optional+Computed: the plan shows it "known after apply" on a bucket that does
    # not set it. Reporting it as set would make the customer-managed-key rule pass wrongly.
    public = app["oci_objectstorage_bucket.public"].attributes
    assert "kms_key_id" not in public
    assert "versioning" not in public
    assert public["access_type"] == "ObjectRead"
    assert public["object_events_enabled"] is False  # a known provider default is a value
    assert "kms_key_id" not in app['oci_core_volume.scratch["b"]'].attributes
    assert app["oci_objectstorage_bucket.logs"].attributes["kms_key_id"] == _after_apply(
        "oci_kms_key.app", "oci_kms_key.app.id"
    )


def test_unwritten_empty_blocks_and_maps_are_absent(app: dict[str, Resource]) -> None:
    logs = app["oci_objectstorage_bucket.logs"].attributes
    assert "retention_rules" not in logs and "freeform_tags" not in logs and "metadata" not in logs
    volume = app["module.storage.oci_core_volume.v[0]"].attributes
    assert "source_details" not in volume and "block_volume_replicas" not in volume


def test_references_inside_a_module_resolve_to_module_addresses(app: dict[str, Resource]) -> None:
    assert app["module.storage.oci_core_volume.v[0]"].attributes == {
        "availability_domain": "Uocm:EU-FRANKFURT-1-AD-1",
        "compartment_id": COMP,
        "display_name": "data-0",
        "kms_key_id": _after_apply("module.storage.oci_kms_key.vol", "oci_kms_key.vol.id"),
        "size_in_gbs": "50",
    }
    assert app["module.storage.oci_core_volume.v[1]"].attributes["availability_domain"] == (
        "Uocm:EU-FRANKFURT-1-AD-2"
    )
    # Through a module variable the plan no longer knows which resource is behind the value.
    assert app["module.storage.oci_kms_key.vol"].attributes["management_endpoint"] == _after_apply(
        None, "var.management_endpoint"
    )


def test_sensitive_values_are_kept_and_listed_for_redaction(app: dict[str, Resource]) -> None:
    adb = app["oci_database_autonomous_database.adb"]
    assert adb.attributes["admin_password"] == PASSWORD
    assert adb.context["sensitive_attributes"] == ["admin_password"]
    assert adb.context["sensitive_values"] == {PASSWORD}
    assert app["oci_kms_key.app"].context["sensitive_values"] == {PASSWORD}  # shared by the whole plan
    assert adb.attributes["vault_id"] == _after_apply("oci_kms_vault.main", "oci_kms_vault.main.id")


def test_non_literal_attributes_are_told_apart_from_literals(app: dict[str, Resource]) -> None:
    # In a plan every value is resolved; the configuration still says which ones were literals.
    assert app["oci_database_autonomous_database.adb"].context["expression_references"] == {
        "admin_password": ["var.admin_password"],
        "compartment_id": ["var.compartment_ocid"],
        "kms_key_id": ["oci_kms_key.app.id", "oci_kms_key.app"],
        "vault_id": ["oci_kms_vault.main.id", "oci_kms_vault.main"],
    }
    assert app["oci_core_instance.web"].context["expression_references"] == {
        "compartment_id": ["var.compartment_ocid"],
        "source_details.0.kms_key_id": ["oci_kms_key.app.id", "oci_kms_key.app"],
    }


# -- providers and variables ----------------------------------------------------------------------
def test_providers_keep_constants_and_leave_references_unknown(app: dict[str, Resource]) -> None:
    default = app["provider.oci"]
    assert default.attributes == {
        "auth": "InstancePrincipal",
        "region": Unknown(PROVIDER_EXPRESSION, symbol="var.region"),
    }
    assert default.context["region"] == "eu-frankfurt-1"  # var.region's value in the plan
    home = app["provider.oci.home"]
    assert home.attributes == {"auth": "InstancePrincipal", "region": "us-ashburn-1", "alias": "home"}
    assert home.context["region"] == "us-ashburn-1"


def test_resources_carry_the_region_of_their_provider(app: dict[str, Resource]) -> None:
    assert app["oci_objectstorage_bucket.public"].context["region"] == "us-ashburn-1"  # provider = oci.home
    assert app["oci_objectstorage_bucket.logs"].context["region"] == "eu-frankfurt-1"
    assert app["module.storage.oci_core_volume.v[0]"].context["region"] == "eu-frankfurt-1"  # inherited


def test_variables(app: dict[str, Resource]) -> None:
    # A plan cannot tell a tfvars value from -var or TF_VAR_: the value is context, not `value`.
    assert app["var.admin_password"].attributes == {
        "name": "admin_password",
        "sensitive": True,
        "description": "ADMIN password of the Autonomous Database",
    }
    assert app["var.admin_password"].context["plan_value"] == PASSWORD
    assert app["var.region"].attributes == {"name": "region", "default": "eu-frankfurt-1"}
    assert app["var.region"].context["plan_value"] == "eu-frankfurt-1"
    assert app["var.compartment_ocid"].attributes == {"name": "compartment_ocid"}
    assert app["module.storage.var.compartment_id"].attributes == {"name": "compartment_id"}
    assert app["module.storage.var.compartment_id"].context["module"] == "module.storage"


# -- sniffing and errors --------------------------------------------------------------------------
def test_is_plan_json(tmp_path: Path) -> None:
    assert is_plan_json(PLANS / "app.json")
    assert is_plan_json(PLANS / "broken.json")  # claimed, so that load_plan can report it
    state = _write(tmp_path, {"format_version": "1.0", "values": {"root_module": {}}}, "state.json")
    assert not is_plan_json(state)
    assert not is_plan_json(_write(tmp_path, {"name": "web", "version": "1.0.0"}, "package.json"))
    # The keys must be top-level once the text parses.
    nested = {"format_version": "1", "meta": {"resource_changes": []}}
    assert not is_plan_json(_write(tmp_path, nested, "nested.json"))
    assert not is_plan_json(_write(tmp_path, {"format_version": "1.2", "resource_changes": []}, "p.txt"))
    assert not is_plan_json(tmp_path / "missing.json")


def test_broken_json_is_an_input_error_with_its_line() -> None:
    resources, errors = load_plan(PLANS / "broken.json", REPO)
    assert resources == []
    assert errors == [
        InputError(
            "fixtures/plans/broken.json",
            "invalid JSON: Expecting ',' delimiter at line 10, column 11",
            line=10,
        )
    ]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"format_version": "2.0", "resource_changes": []}, "unsupported plan format_version '2.0'"),
        ({"format_version": "1.0", "values": {}}, "not a Terraform plan: it is a Terraform state"),
        ([1, 2, 3], "not a Terraform plan: expected the output of `terraform show -json <planfile>`"),
    ],
)
def test_documents_that_are_not_supported_plans(tmp_path: Path, document: Any, message: str) -> None:
    resources, errors = load_plan(_write(tmp_path, document), tmp_path)
    assert resources == []
    assert [e.path for e in errors] == ["plan.json"]
    assert errors[0].message.startswith(message)


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    resources, errors = load_plan(tmp_path / "gone.json", tmp_path)
    assert resources == []
    assert len(errors) == 1 and errors[0].path == "gone.json"
    assert errors[0].message.startswith("cannot read plan file")


def test_utf16_from_powershell_redirection(tmp_path: Path) -> None:
    plan = {"format_version": "1.2", "planned_values": {"root_module": {}}, "resource_changes": []}
    path = tmp_path / "plan.json"
    path.write_bytes(json.dumps(plan).encode("utf-16"))  # with a BOM, as `>` in Windows PowerShell 5
    assert is_plan_json(path)
    assert load_plan(path, tmp_path) == ([], [])


def test_malformed_plan_structure_does_not_raise(tmp_path: Path) -> None:
    plan = {
        "format_version": "1.2",
        "resource_changes": [
            {"address": "oci_core_volume", "mode": "managed", "change": {"actions": ["create"], "after": {}}},
            {
                "address": "oci_core_volume.ok",
                "mode": "managed",
                "type": "oci_core_volume",
                "name": "ok",
                "change": {"actions": ["create"], "after": {"size_in_gbs": "50"}},
            },
        ],
    }
    resources, errors = load_plan(_write(tmp_path, plan), tmp_path)
    assert [r.address for r in resources] == ["oci_core_volume.ok"]
    assert len(errors) == 1 and "oci_core_volume" in errors[0].message


def test_errored_plan_is_loaded_with_a_warning(tmp_path: Path) -> None:
    plan = {"format_version": "1.2", "errored": True, "planned_values": {"root_module": {}}}
    resources, errors = load_plan(_write(tmp_path, plan), tmp_path)
    assert resources == []
    assert [e.message for e in errors] == [
        "Terraform reported errors while planning; the plan may be incomplete"
    ]


# -- smaller cases --------------------------------------------------------------------------------
def test_planned_values_fill_in_without_resource_changes(tmp_path: Path) -> None:
    # format 0.1 (Terraform 0.12): no configuration, so nothing is known about what was written.
    plan = {
        "format_version": "0.1",
        "planned_values": {
            "root_module": {
                "child_modules": [
                    {
                        "address": 'module.db["eu"]',
                        "resources": [
                            {
                                "address": 'module.db["eu"].oci_kms_key.k',
                                "mode": "managed",
                                "type": "oci_kms_key",
                                "name": "k",
                                "values": {"display_name": "k", "protection_mode": "HSM", "vault_id": None},
                                "sensitive_values": {},
                            },
                            {
                                "address": 'module.db["eu"].data.oci_kms_vault.v',
                                "mode": "data",
                                "type": "oci_kms_vault",
                                "name": "v",
                                "values": {},
                            },
                        ],
                    }
                ]
            }
        },
    }
    resources, errors = load_plan(_write(tmp_path, plan), tmp_path)
    assert errors == []
    [key] = resources
    assert key.address == 'module.db["eu"].oci_kms_key.k'
    assert key.attributes == {"display_name": "k", "protection_mode": "HSM"}
    assert key.context["module"] == 'module.db["eu"]'
    assert key.context["config_address"] == "module.db.oci_kms_key.k"


def test_unknowns_without_configuration_may_be_null(tmp_path: Path) -> None:
    plan = {
        "format_version": "1.2",
        "resource_changes": [
            {
                "address": "oci_core_volume.v",
                "mode": "managed",
                "type": "oci_core_volume",
                "name": "v",
                "change": {
                    "actions": ["create"],
                    "after": {"nsg_ids": ["a", None]},
                    "after_unknown": {"kms_key_id": True, "nsg_ids": [False, True]},
                },
            }
        ],
    }
    [volume], _ = load_plan(_write(tmp_path, plan), tmp_path)
    assert volume.attributes == {
        "nsg_ids": ["a", Unknown(KNOWN_AFTER_APPLY)],
        "kms_key_id": Unknown(KNOWN_AFTER_APPLY),
    }


def test_reference_to_one_counted_instance_keeps_its_index(tmp_path: Path) -> None:
    expressions = {
        "one": {"references": ["oci_kms_key.k[0].id", "oci_kms_key.k"]},
        "two": {"references": ["oci_kms_key.k[0].id", "oci_kms_key.k[1].id", "oci_kms_key.k"]},
        "keyed": {"references": ["oci_kms_key.k", "each.key"]},
        "lookup": {"references": ["oci_kms_key.k.id", "oci_kms_key.k", "data.oci_kms_keys.all.keys"]},
    }
    plan = {
        "format_version": "1.2",
        "resource_changes": [
            {
                "address": "oci_core_volume.v",
                "mode": "managed",
                "type": "oci_core_volume",
                "name": "v",
                "change": {
                    "actions": ["create"],
                    "after": {},
                    "after_unknown": dict.fromkeys(expressions, True),
                },
            }
        ],
        "configuration": {
            "root_module": {
                "resources": [
                    {
                        "address": "oci_core_volume.v",
                        "mode": "managed",
                        "type": "oci_core_volume",
                        "name": "v",
                        "expressions": expressions,
                    },
                ]
            }
        },
    }
    [volume], _ = load_plan(_write(tmp_path, plan), tmp_path)
    assert volume.attributes == {
        "one": _after_apply("oci_kms_key.k[0]", "oci_kms_key.k[0].id"),
        "two": _after_apply(None, None),  # two instances: neither is "the" key
        "keyed": _after_apply("oci_kms_key.k", None),  # every instance may be meant
        "lookup": _after_apply(None, None),  # a data source may be what is unknown
    }


def test_collect_sensitive_gathers_every_marked_string() -> None:
    plan = {
        "resource_changes": [
            {
                "change": {
                    "before": {"secret_content": [{"content": "b2xk"}]},
                    "before_sensitive": {"secret_content": True},
                    "after": {
                        "secret_content": [{"content": "bmV3", "name": "plain"}],
                        "tags": ["x", "tok-1"],
                    },
                    "after_sensitive": {"secret_content": [{"content": True}], "tags": [False, True]},
                }
            }
        ],
        "planned_values": {
            "outputs": {
                "conn": {"sensitive": True, "value": {"dsn": "db/pw@host"}},
                "ip": {"sensitive": False, "value": "10.0.0.1"},
            }
        },
        "variables": {"token": {"value": "t0ken"}, "empty": {"value": ""}, "name": {"value": "plain-name"}},
        "configuration": {
            "root_module": {
                "variables": {"token": {"sensitive": True}, "empty": {"sensitive": True}, "name": {}}
            }
        },
    }
    assert collect_sensitive(plan) == {"b2xk", "bmV3", "tok-1", "db/pw@host", "t0ken"}


@pytest.mark.parametrize(
    ("address", "config_address"),
    [
        ('module.a["x.y"].oci_core_volume.v["k]"]', "module.a.oci_core_volume.v"),
        ("module.a[0].module.b.oci_kms_key.k", "module.a.module.b.oci_kms_key.k"),
        ("oci_kms_key.k", "oci_kms_key.k"),
    ],
)
def test_strip_instance_keys(address: str, config_address: str) -> None:
    assert strip_instance_keys(address) == config_address
