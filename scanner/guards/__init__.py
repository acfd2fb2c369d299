"""Shared guards, below every layer that reads input: bounded and safe file reading (``safe_io``),
YAML without alias bombs (``safe_yaml``), linear-time regular expressions (``safe_regex``), work
limits (``limits``), the one authenticated cache (``cache``) and secret detection by name and value
shape (``secretnames``). They know no source, rule or reporter; they may use the model."""
