#!/usr/bin/env bash
# Create ./.venv with everything mmseg_encnet needs; a no-op when it is
# already there for this pyproject.toml. Used by the README's commands.
#
#   TORCH_SPEC   torch to install (default torch==2.13.0; GPU users: install
#                a CUDA torch into .venv first, or set e.g. TORCH_SPEC=torch)
#   PYTHON       interpreter for the venv (default python3)
#
# mmcv 2.1.0 is built from source (10-20 min) unless pip finds a wheel on
# PIP_FIND_LINKS or an index (GPU users: `mim install mmcv==2.1.0`).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
stamp="$VENV/.mmseg_encnet-installed"
want="$(cat pyproject.toml tools/setup_env.sh | sha1sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
[ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
pip() { "$VENV/bin/python" -m pip "$@"; }
echo "setting up $VENV (torch, mmcv, mmengine, mmsegmentation, mmseg_encnet)"
# mmcv's source build needs pkg_resources and torch in the build env.
pip install -q wheel 'setuptools<70'
pip install -q "${TORCH_SPEC:-torch==2.13.0}"
pip install -q --no-build-isolation 'mmcv==2.1.0'
pip install -q --no-build-isolation -e '.[tests]'
"$VENV/bin/python" -c 'import mmcv.ops, mmseg_encnet'
echo "$want" > "$stamp"
