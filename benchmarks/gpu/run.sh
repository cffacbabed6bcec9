#!/usr/bin/env bash
# EncNet on a GPU machine without a network, in one command from the repo
# root (benchmarks/gpu/README.md):
#
#   bash benchmarks/gpu/run.sh [--device cuda] [--quick] [--limit 540] [--out DIR]
#
# 1. installs mmengine, mmsegmentation and their pure-Python needs from
#    benchmarks/gpu/wheels/ (filled beforehand by fetch_wheels.sh) into
#    $GPU_SITE, unless they import already;
# 2. builds mmcv 2.1.0 from its source distribution there against the
#    machine's torch, on all cores, with its ops compiled for the CPU only
#    (EncNet, PSPNet and FCN use no mmcv CUDA op), unless mmcv.ops imports;
# 3. runs benchmarks/gpu/run.py: checks, then measurements, records in $OUT
#    (else benchmarks/results/gpu/), within --limit seconds in all.
# Each step prints its wall time. PYTHON picks the interpreter (python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
WHEELS="$ROOT/benchmarks/gpu/wheels"
SITE="${GPU_SITE:-/tmp/mmseg_encnet_site}"
py="${PYTHON:-python3}"
start=$SECONDS
export PYTHONPATH="$ROOT:$SITE${PYTHONPATH:+:$PYTHONPATH}"
elapsed() { echo "$(( SECONDS - start )) s"; }

if "$py" -c 'import mmengine, mmseg' 2>/dev/null; then
    echo "== install: mmengine and mmseg import already"
else
    echo "== install: wheels of $WHEELS into $SITE"
    "$py" -m pip install -q --no-index --no-deps --no-compile --target "$SITE" \
        $(ls "$WHEELS"/*.whl | grep -v setuptools-)
    echo "== install: $(elapsed)"
fi

if "$py" -c 'import mmcv.ops' 2>/dev/null; then
    echo "== mmcv: mmcv.ops imports already"
else
    echo "== mmcv: building 2.1.0 with CPU ops on $(nproc) cores (log: $SITE-mmcv-build.log)"
    built=$SECONDS
    build_deps="$SITE-build"  # setuptools < 70 for mmcv's setup.py only
    "$py" -m pip install -q --no-index --no-deps --target "$build_deps" \
        "$WHEELS"/setuptools-*.whl
    if ! CUDA_VISIBLE_DEVICES= FORCE_CUDA=0 MMCV_WITH_OPS=1 MAX_JOBS="$(nproc)" \
            PYTHONPATH="$build_deps:$PYTHONPATH" \
            "$py" -m pip install --no-index --no-deps --no-build-isolation \
            --target "$SITE" "$WHEELS"/mmcv-2.1.0.tar.gz > "$SITE-mmcv-build.log" 2>&1; then
        tail -n 30 "$SITE-mmcv-build.log"
        echo "== mmcv: build failed; the whole log is $SITE-mmcv-build.log"
        exit 1
    fi
    "$py" -c 'import mmcv.ops'
    echo "== mmcv: built in $(( SECONDS - built )) s"
fi

"$py" -c 'import torch, mmcv, mmengine, mmseg; print(f"== stack: torch {torch.__version__} (CUDA {torch.version.cuda}), mmcv {mmcv.__version__}, mmengine {mmengine.__version__}, mmseg {mmseg.__version__}")'
"$py" "$ROOT/benchmarks/gpu/run.py" "$@"
echo "== run.sh: $(elapsed) in all"
