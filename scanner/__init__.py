"""ocisec: policy and compliance scanner for Oracle Cloud Infrastructure."""

__version__ = "0.1.0"
