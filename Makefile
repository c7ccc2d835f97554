# Two entry points for a newcomer (see README.md); both bootstrap .venv first.
PY := .venv/bin/python
DEMO_CONFIG := configs/demo_mask_rcnn_fastervit_0_toy_coco.py
DEMO_WORK_DIR := work_dirs/demo
LINT_PATHS := hvt_mm tools tests configs demo setup.py

.PHONY: env demo test test-fast data lint format

env:
	@bash scripts/bootstrap.sh

data: env
	@$(PY) tools/misc/make_toy_data.py --root data

demo: data
	$(PY) tools/train.py $(DEMO_CONFIG) --work-dir $(DEMO_WORK_DIR) --resume
	$(PY) tools/test.py $(DEMO_CONFIG) $$(cat $(DEMO_WORK_DIR)/last_checkpoint) \
	    --work-dir $(DEMO_WORK_DIR) --show-dir overlays \
	    --cfg-options test_evaluator.classwise=True
	@echo "Prediction overlays: $(DEMO_WORK_DIR)/*/overlays"

test: env
	$(PY) -m pytest -ra $(PYTEST_ARGS)

test-fast: env
	$(PY) -m pytest -ra -m "not slow" $(PYTEST_ARGS)

# flake8, isort and yapf as configured in setup.cfg (CI runs this first).
lint: env
	$(PY) -m flake8 $(LINT_PATHS)
	$(PY) -m isort --check-only --diff --quiet $(LINT_PATHS)
	$(PY) -m yapf --diff --recursive --parallel $(LINT_PATHS)

# Apply isort and yapf in place.
format: env
	$(PY) -m isort --quiet $(LINT_PATHS)
	$(PY) -m yapf --in-place --recursive --parallel $(LINT_PATHS)
