#!/usr/bin/env bash
# The test suite: set up the venv, then pytest (slow end-to-end tests
# included; pass -m "not slow" to skip them). Extra arguments go to pytest.
# VENV and TORCH_SPEC select the stack, as in .dev_scripts/setup_env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .dev_scripts/setup_env.sh
"${VENV:-.venv}/bin/python" -m pytest "$@"
