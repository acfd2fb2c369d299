"""Package layout that pyproject.toml cannot express alone: the top-level ``policies/`` directory
(the one source of the rules) is shipped inside the wheel as ``scanner.policies``."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["scanner", "scanner.*"]), "scanner.policies"],
    package_dir={"scanner.policies": "policies"},
)
