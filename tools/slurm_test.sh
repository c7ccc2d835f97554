#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#     tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args...]
# See tools/slurm_launch.sh and docs/distributed.md.
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
shift 4
TOOLS="$(cd "$(dirname "$0")" && pwd)"
exec "$TOOLS/slurm_launch.sh" "$PARTITION" "$JOB_NAME" "$TOOLS/test.py" \
    "$CONFIG" "$CHECKPOINT" "$@"
