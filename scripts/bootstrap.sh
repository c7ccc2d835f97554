#!/usr/bin/env bash
# Create (or refresh) the project virtualenv with the pinned OpenMMLab stack.
# Idempotent: a stamp file records what was installed; a second run takes seconds.
# Honours VENV (default .venv) and PYTHON (default python3.11 or python3).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
STAMP="$VENV/.hvt_mm_stack"
STACK="torch==2.13.0 setuptools>=77,<82 mmengine==0.10.7 mmcv==2.1.0 mmdet==3.3.0 mmsegmentation==1.2.2 mmpretrain==1.2.0 ftfy regex pycocotools pytest"
WANT="$STACK|$(sha1sum setup.py | cut -c1-40)"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
    exit 0
fi
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PY="$VENV/bin/python"
# The machine-wide pip config lists optional local indexes; hide pip's
# warnings about the ones that do not exist.
pip_install() {
    "$PY" -m pip install --disable-pip-version-check -q "$@" \
        2> >(grep -v 'is ignored: it is neither' >&2)
}

pip_install "setuptools>=77,<82" wheel
# Keep a torch the user already has (e.g. a CUDA build); otherwise take 2.13.0.
if ! "$PY" -c "import torch" 2>/dev/null; then
    pip_install "torch==2.13.0"
fi
pip_install "mmengine==0.10.7"
# mmcv has no wheel for this torch: build it against the installed torch, with ops.
if ! "$PY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '2.1.0'" 2>/dev/null; then
    echo "[bootstrap] building mmcv 2.1.0 with ops (about 11 minutes the first time; pip caches the wheel)"
    MMCV_WITH_OPS=1 pip_install --no-build-isolation "mmcv==2.1.0"
fi
pip_install "mmdet==3.3.0" "mmsegmentation==1.2.2" "mmpretrain==1.2.0" ftfy regex pycocotools pytest "setuptools>=77,<82"
pip_install --no-build-isolation --no-deps -e .
"$PY" -c "import mmcv.ops, mmdet, mmseg, hvt_mm" >/dev/null
echo "$WANT" > "$STAMP"
echo "[bootstrap] environment ready in $VENV"
