#!/usr/bin/env bash
# Usage: tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args...]
# Several machines: NNODES, NODE_RANK, MASTER_ADDR, PORT (tools/dist_launch.sh).
set -euo pipefail
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
shift 3
exec "$(dirname "$0")/dist_launch.sh" "$GPUS" "$(dirname "$0")/test.py" \
    "$CONFIG" "$CHECKPOINT" "$@"
