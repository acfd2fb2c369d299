"""Live OCI tenancies: collection through the ``oci`` SDK, the inventory snapshot, and the
mapping of live objects onto the shared resource model.

Importing this package does not import the ``oci`` SDK (only the ``collector`` does, when it
collects), so offline replays stay fast. The API emulator the tests and benchmarks run the
collector against is not part of the package: ``tests/emulator/``.
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
