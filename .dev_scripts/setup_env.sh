#!/usr/bin/env bash
# Create a virtual environment with everything mmseg_encnet needs; a no-op
# when it is already there for this pyproject.toml and torch. Used by the
# README's commands and by CI (once per supported stack).
#
#   VENV         where (default .venv)
#   TORCH_SPEC   torch to install (default torch==2.13.0, this machine's CPU
#                build; torch==2.1.2 is the stack of OpenMMLab's prebuilt
#                CUDA mmcv wheels). Torch older than 2.3 gets numpy<2.
#   PYTHON       interpreter for the venv (default python3)
#
# mmcv 2.1.0 with its compiled ops comes from a wheel on PIP_FIND_LINKS when
# there is one for this torch (append, never replace:
# PIP_FIND_LINKS="$PIP_FIND_LINKS /path/to/wheels"); otherwise it is built
# from source once (10-20 min on 2 cores) and the wheel is kept under
# ~/.cache/mmseg_encnet/ per torch version, so the next set-up reuses it.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
stamp="$VENV/.mmseg_encnet-installed"
want="$( (cat pyproject.toml .dev_scripts/setup_env.sh; echo "$TORCH_SPEC") | sha1sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
say() { echo "[setup $VENV] $*"; }
[ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
py="$VENV/bin/python"
pip() { "$py" -m pip "$@"; }

say "installing $TORCH_SPEC (and wheel, setuptools<70 for mmcv's build)"
pip install -q wheel 'setuptools<70'
pip install -q "$TORCH_SPEC"
torch_version="$("$py" -c 'import torch; print(torch.__version__)')"
constraints="$VENV/constraints.txt"
if "$py" -c 'import sys, torch; v = tuple(int(x) for x in torch.__version__.split("+")[0].split(".")[:2]); sys.exit(v >= (2, 3))'; then
    echo 'numpy<2' > "$constraints"  # torch < 2.3 is built against numpy 1.x
    say "torch $torch_version: keeping numpy<2"
else
    : > "$constraints"
fi

cache="${XDG_CACHE_HOME:-$HOME/.cache}/mmseg_encnet/mmcv-2.1.0-torch-$torch_version"
if pip install -q -c "$constraints" --only-binary=mmcv --find-links "$cache" \
        'mmcv==2.1.0' 2>/dev/null; then
    say "mmcv 2.1.0: installed a prebuilt wheel"
else
    say "mmcv 2.1.0: no prebuilt wheel for torch $torch_version on pip's links;"
    say "compiling it from source now, 10-20 minutes on 2 cores (one-off: the"
    say "wheel is kept in $cache). Progress every minute; log: $VENV/mmcv-build.log"
    mkdir -p "$cache"
    pip install -q -c "$constraints" 'numpy' 'setuptools<70' wheel
    start=$SECONDS
    ( while sleep 60; do
          say "  still compiling mmcv ($(( (SECONDS - start) / 60 )) min)"
      done ) &
    ticker=$!
    trap 'kill $ticker 2>/dev/null' EXIT
    if ! pip wheel --no-build-isolation --no-deps --no-cache-dir \
            -w "$cache" 'mmcv==2.1.0' > "$VENV/mmcv-build.log" 2>&1; then
        kill $ticker
        tail -n 30 "$VENV/mmcv-build.log"
        say "mmcv build failed; the whole log is $VENV/mmcv-build.log"
        exit 1
    fi
    kill $ticker
    say "mmcv compiled in $(( (SECONDS - start) / 60 )) min"
    pip install -q -c "$constraints" --only-binary=mmcv --find-links "$cache" 'mmcv==2.1.0'
fi

say "installing mmengine, mmsegmentation and mmseg_encnet (editable, with test extras)"
pip install -q -c "$constraints" --no-build-isolation -e '.[tests]'
if ! "$py" -c 'import mmcv.ops, mmseg_encnet'; then
    say "import mmcv.ops failed: the mmcv wheel does not fit torch $torch_version"
    say "(a wheel built against another torch has the same file name); put only"
    say "the folder that matches this torch on PIP_FIND_LINKS and run again"
    exit 1
fi
say "ready: torch $torch_version, $("$py" -c 'import numpy, mmcv, mmengine, mmseg; print(f"numpy {numpy.__version__}, mmcv {mmcv.__version__}, mmengine {mmengine.__version__}, mmseg {mmseg.__version__}")')"
echo "$want" > "$stamp"
