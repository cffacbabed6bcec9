#!/usr/bin/env bash
# The main job: set up .venv, generate the demo data, train and evaluate
# EncNet on it, and print where the results are. Extra arguments go to
# tools/demo.py (e.g. --config configs/demo/fcn_r18-d8_demo.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .dev_scripts/setup_env.sh
PYTHONWARNINGS=ignore "${VENV:-.venv}/bin/python" tools/demo.py "$@"
