#!/usr/bin/env bash
# Fill benchmarks/gpu/wheels/ (ignored by git) with what the GPU machine
# lacks: the wheels of wheels.txt for CPython 3.12 on manylinux x86_64 and
# mmcv 2.1.0's source distribution, which benchmarks/gpu/run.sh installs and
# builds there without a network. Run it here, where PyPI is reachable;
# prints the folder's files and size.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p wheels
py="${PYTHON:-python3}"
grep -v '^#' wheels.txt | xargs "$py" -m pip download -q --no-deps \
    --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform any -d wheels
"$py" -m pip download -q --no-deps --no-binary=:all: -d wheels 'mmcv==2.1.0'
ls -l wheels
du -sh wheels
