#!/usr/bin/env bash
# A separate virtualenv with the original implementations, for
# `benchmark_suite.py --originals-python .venv-originals/bin/python`:
# NVlabs' `fastervit` package and timm (FastViT, MIT EfficientViT). They need
# torchvision, which does not load beside the CPU torch build of .venv, so
# they get their own torch. Never a test dependency.
#
# Usage: bash tools/analysis_tools/setup_originals_venv.sh
# Honours VENV (default .venv-originals) and PYTHON (default python3.11).
set -euo pipefail
VENV=${VENV:-.venv-originals}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
case "$(uname -m)" in
  # Versions whose torch and torchvision load together (a CUDA build on
  # x86_64, which also runs on the CPU; a CPU build on aarch64).
  x86_64) TORCH="torch==2.14.1 torchvision==0.29.1" ;;
  *)      TORCH="torch==2.9.1 torchvision==0.24.1" ;;
esac
"$VENV/bin/python" -m pip install -q --upgrade pip
# shellcheck disable=SC2086
"$VENV/bin/python" -m pip install -q $TORCH
"$VENV/bin/python" -m pip install -q timm fastervit scipy  # scipy: FasterViT DINO code
"$VENV/bin/python" - <<'PY'
import fastervit, timm, torch, torchvision
print(f'originals venv ready: torch {torch.__version__}, torchvision '
      f'{torchvision.__version__}, timm {timm.__version__}, fastervit '
      f'{getattr(fastervit, "__version__", "?")}')
PY
