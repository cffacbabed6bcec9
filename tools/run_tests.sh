#!/usr/bin/env bash
# The test suite: set up .venv, then pytest (slow end-to-end tests included;
# pass -m "not slow" to skip them). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh
.venv/bin/python -m pytest "$@"
