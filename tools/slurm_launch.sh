#!/usr/bin/env bash
# Usage: tools/slurm_launch.sh PARTITION JOB_NAME SCRIPT [args...]
# (used by slurm_train/test). One task per GPU: GPUS tasks in all (8),
# GPUS_PER_NODE per machine (min(GPUS, 8)), CPUS_PER_TASK cores each (5),
# SRUN_ARGS extra srun options. mmengine reads the ranks from SLURM_*
# variables; set MASTER_PORT when two jobs share a machine.
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
SCRIPT=$3
shift 3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-$((GPUS < 8 ? GPUS : 8))}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PYTHONPATH="$ROOT:${PYTHONPATH:-}"
# shellcheck disable=SC2086  # SRUN_ARGS holds several options
exec srun -p "$PARTITION" --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 $SRUN_ARGS \
    python -u "$SCRIPT" "$@" --launcher=slurm
