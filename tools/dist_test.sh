#!/usr/bin/env bash
# Distributed testing: dist_test.sh CONFIG CHECKPOINT GPUS [ARGS] (see
# dist_common.sh).
source "$(dirname "$0")/dist_common.sh"
dist_run test.py "$3" "$1" "$2" "${@:4}"
