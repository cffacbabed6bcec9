#!/usr/bin/env bash
# Distributed training on one or more nodes: dist_train.sh CONFIG GPUS [ARGS]
# (see dist_common.sh).
source "$(dirname "$0")/dist_common.sh"
dist_run train.py "$2" "$1" "${@:3}"
