"""The loopback OCI API emulator: an independent witness for the live collector's tests and
benchmarks (see ``server``). It imports nothing from ``scanner``."""

from .doc_types import SERVICE_TYPES, ServiceType
from .server import Fault, OciEmulator, Recorded

__all__ = ["SERVICE_TYPES", "Fault", "OciEmulator", "Recorded", "ServiceType"]
