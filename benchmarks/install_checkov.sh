#!/usr/bin/env bash
# Install checkov into its own virtualenv for the comparison benchmark.
#
# checkov pins many dependencies (bc-python-hcl2 among them) that have no place in
# ocisec's environment, so checkov lives in a separate venv and the benchmark always
# runs it as a separate process.
#
# Usage: benchmarks/install_checkov.sh            (venv at benchmarks/.venv-checkov)
#        CHECKOV_VENV=/some/dir benchmarks/install_checkov.sh
#        PYTHON=python3.12 benchmarks/install_checkov.sh   (interpreter for the venv)
# Idempotent: does nothing when the venv's checkov already answers --version.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${CHECKOV_VENV:-$here/.venv-checkov}"
python="${PYTHON:-python3}"
checkov="$venv/bin/checkov"

if [ -x "$checkov" ] && version="$("$checkov" --version 2>/dev/null)"; then
    echo "checkov $version already installed at $checkov"
    exit 0
fi

if [ ! -x "$venv/bin/python" ]; then
    echo "creating venv $venv with $python"
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet checkov

version="$("$checkov" --version)"
echo "checkov $version installed at $checkov"
