#!/usr/bin/env bash
# Usage: tools/dist_launch.sh NPROC SCRIPT [args...]  (used by dist_train/test)
# Starts NPROC processes of SCRIPT on this machine with torchrun: one per
# GPU, or, without CUDA, any number on the CPU (gloo backend).
# Several machines: run it on each with the same NNODES, MASTER_ADDR and
# PORT and its own NODE_RANK (0 on the machine at MASTER_ADDR).
set -euo pipefail
NPROC=$1
SCRIPT=$2
shift 2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
PORT=${PORT:-29500}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PYTHONPATH="$ROOT:${PYTHONPATH:-}"
# More processes than visible GPUs: one clear line instead of NCCL errors.
python -m hvt_mm.cli.distributed "$NPROC"
exec python -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" --master_port="$PORT" \
    --nproc_per_node="$NPROC" "$SCRIPT" "$@" --launcher pytorch
