#!/usr/bin/env bash
# Create (or refresh) the project virtualenv with the pinned OpenMMLab stack.
# Idempotent: a stamp file records what was installed; a second run takes seconds.
# Honours VENV (default .venv) and PYTHON (default python3.11 or python3).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
STAMP="$VENV/.hvt_mm_stack"

# Every pin, once; the stamp is derived from these lines and setup.py.
TORCH="torch==2.13.0"
# torch 2.13 needs >=77; from 80.9 every pkg_resources import warns (UserWarning)
# and mmengine re-imports it once per mmdet::/mmseg:: base, so each tool run
# would start with a screen of warnings.
SETUPTOOLS="setuptools>=77,<80"
MMENGINE="mmengine==0.10.7"
MMCV_VERSION="2.1.0"
STACK=("mmdet==3.3.0" "mmsegmentation==1.2.2" "mmpretrain==1.2.0" ftfy regex
       pycocotools)
TOOLS=(pytest "flake8==7.1.1" "isort==5.13.2" "yapf==0.43.0"
       "onnx==1.23.2" "onnxruntime==1.32.0" "onnxscript==0.7.2")
# mmdeploy's metadata pins protobuf<=3.20.2, which onnx 1.23 does not accept:
# install it without dependencies, beside what it really imports.
MMDEPLOY="mmdeploy==1.3.1"
DEPLOY=("aenum==3.1.17" "multiprocess==0.70.19" "grpcio==1.85.3"
        "prettytable" "terminaltables" "openvino==2026.4.1")
WANT="$TORCH $SETUPTOOLS $MMENGINE mmcv==$MMCV_VERSION ${STACK[*]} ${TOOLS[*]} $MMDEPLOY ${DEPLOY[*]}|$(sha1sum setup.py | cut -c1-40)"

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

pip_install "$SETUPTOOLS" wheel
# Keep a torch the user already has (e.g. a CUDA build); otherwise take ours.
if ! "$PY" -c "import torch" 2>/dev/null; then
    pip_install "$TORCH"
fi
pip_install "$MMENGINE"
# mmcv has no wheel for this torch: build it against the installed torch, with ops.
if ! "$PY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '$MMCV_VERSION'" 2>/dev/null; then
    echo "[bootstrap] building mmcv $MMCV_VERSION with ops (about 11 minutes the first time; pip caches the wheel)"
    MMCV_WITH_OPS=1 pip_install --no-build-isolation "mmcv==$MMCV_VERSION"
fi
pip_install "${STACK[@]}" "${TOOLS[@]}" "${DEPLOY[@]}" "$SETUPTOOLS"
pip_install --no-deps "$MMDEPLOY"
pip_install --no-build-isolation --no-deps -e .
"$PY" -c "import mmcv.ops, mmdet, mmseg, hvt_mm" >/dev/null
echo "$WANT" > "$STAMP"
echo "[bootstrap] environment ready in $VENV"
