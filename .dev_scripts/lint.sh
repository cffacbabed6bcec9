#!/usr/bin/env bash
# Lint as OpenMMLab's pre-commit does (settings in setup.cfg): flake8, isort
# and yapf over the code; exits non-zero and shows the diff when a file is
# off. `bash .dev_scripts/lint.sh --fix` rewrites the imports and the formatting.
# Uses the venv of .dev_scripts/setup_env.sh (VENV), installing the pinned tools
# (pinned here, so that every machine formats alike) when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${VENV:-.venv}/bin"
paths=(mmseg_encnet tools benchmarks tests configs)
if ! "$bin/python" -c 'import flake8, isort, yapf' 2>/dev/null; then
    echo "[lint] installing flake8, isort and yapf (pinned)"
    "$bin/python" -m pip install -q 'flake8==7.5.0' 'isort==9.0.2' 'yapf==0.43.0'
fi
if [ "${1:-}" = --fix ]; then
    "$bin/isort" -q "${paths[@]}"
    "$bin/yapf" -i -r "${paths[@]}"
fi
status=0
"$bin/flake8" "${paths[@]}" || status=1
"$bin/isort" --check-only --diff -q "${paths[@]}" || status=1
"$bin/yapf" --diff -r "${paths[@]}" || status=1
[ $status = 0 ] && echo "[lint] flake8, isort, yapf: clean"
exit $status
