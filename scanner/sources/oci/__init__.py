"""Live OCI tenancies: collection through the ``oci`` SDK, the inventory snapshot, and the
mapping of live objects onto the shared resource model.

Importing this package does not import the ``oci`` SDK (only ``collector`` and ``emulator``
clients do), so offline replays stay fast.
"""

from scanner.sources.oci.snapshot import (
    FORMAT,
    CollectionError,
    InventorySnapshot,
    SnapshotError,
    SnapshotResource,
    load_snapshot,
)

__all__ = [
    "FORMAT",
    "CollectionError",
    "InventorySnapshot",
    "SnapshotError",
    "SnapshotResource",
    "load_snapshot",
]
