#!/usr/bin/env bash
# Usage: tools/dist_launch.sh GPUS SCRIPT [args...]  (used by dist_train/test)
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR, PORT.
set -euo pipefail
GPUS=$1
SCRIPT=$2
shift 2
cd "$(dirname "$0")/.."
PYTHONPATH="$PWD:${PYTHONPATH:-}" exec torchrun \
    --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${PORT:-29500}" \
    --nproc_per_node="$GPUS" "$SCRIPT" "$@" --launcher pytorch
