#!/usr/bin/env bash
# Usage: tools/dist_train.sh CONFIG GPUS [train.py args...]
# GPUS processes on this machine (CPU without CUDA: any number, gloo).
# Several machines: NNODES, NODE_RANK, MASTER_ADDR, PORT (tools/dist_launch.sh).
set -euo pipefail
CONFIG=$1
GPUS=$2
shift 2
exec "$(dirname "$0")/dist_launch.sh" "$GPUS" "$(dirname "$0")/train.py" \
    "$CONFIG" "$@"
