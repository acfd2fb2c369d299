"""Responses built from the SDK's own models: ``swagger_types`` says which fields exist and
their types, ``attribute_map`` their wire (camelCase) names.

A field the model does not declare cannot be sent: ``to_wire`` raises ``UnknownField`` instead
of inventing a camelCase name for it. The SDK's deserializer would drop such a field silently, so
an emulator that sent it would let the collector read data the real service never returns.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any


class UnknownField(ValueError):
    """Inventory data names a field its SDK model does not have."""


@cache
def model_info(module: str, name: str) -> tuple[Any, dict[str, str], dict[str, str]] | None:
    """``(class, attribute_map, swagger_types)`` of ``oci.<module>.models.<name>``, or None."""
    try:
        models = importlib.import_module(f"oci.{module}.models")
    except ImportError:
        return None
    cls = getattr(models, name, None)
    if cls is None:
        return None
    inst = cls()
    return cls, dict(inst.attribute_map), dict(inst.swagger_types)


def split_model(model: str) -> tuple[str, str]:
    """``("core", "Volume")`` of ``core.Volume``."""
    module, _, name = model.rpartition(".")
    return module, name


def to_wire(value: Any, type_name: str, module: str, where: str = "") -> Any:
    """Snake-case data of SDK model ``type_name`` (in ``oci.<module>.models``) as the service
    sends it: camelCase keys by the model's attribute map, recursively; a polymorphic model by its
    discriminator's subtype. Raises ``UnknownField`` naming the path of an undeclared field."""
    if value is None:
        return None
    if type_name.startswith("list[") and isinstance(value, list):
        return [to_wire(v, type_name[5:-1], module, f"{where}[{i}]") for i, v in enumerate(value)]
    if type_name.startswith("dict(") and isinstance(value, dict):
        inner = type_name[type_name.index(",") + 1 : -1].strip()
        return {k: to_wire(v, inner, module, f"{where}.{k}") for k, v in value.items()}
    if not isinstance(value, dict):
        return value
    found = model_info(module, type_name)
    if found is None:
        if type_name in ("object", "dict"):
            return value
        raise UnknownField(f"{where or type_name}: no SDK model oci.{module}.models.{type_name}")
    cls, attribute_map, swagger_types = found
    if hasattr(cls, "get_subtype"):
        probe = {attribute_map.get(k, k): v for k, v in value.items() if k in attribute_map}
        sub = cls.get_subtype(probe)
        if sub and sub != type_name and model_info(module, sub) is not None:
            type_name = sub
            _, attribute_map, swagger_types = model_info(module, sub)  # type: ignore[misc]
    out: dict[str, Any] = {}
    for k, v in value.items():
        if k not in attribute_map:
            raise UnknownField(
                f"{where or type_name}.{k}: oci.{module}.models.{type_name} has no field {k!r}"
            )
        out[attribute_map[k]] = to_wire(v, swagger_types[k], module, f"{where}.{k}" if where else k)
    return out


def project(value: dict[str, Any], model: str) -> dict[str, Any]:
    """The fields of ``value`` that the (summary) ``model`` declares: what a list call returns."""
    module, name = split_model(model)
    found = model_info(module, name)
    if found is None:
        raise UnknownField(f"no SDK model oci.{module}.models.{name}")
    return {k: v for k, v in value.items() if k in found[2]}
