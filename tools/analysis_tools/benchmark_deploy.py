"""Deployed forms side by side: PyTorch fp32 and bf16 autocast, ONNX Runtime,
OpenVINO fp32 and bf16, for whole Mask R-CNN and UperNet models.

``python tools/analysis_tools/benchmark_deploy.py [--models FasterViT-0 ...]
[--custom NAME DET_CONFIG SEG_CONFIG] [--tasks det seg] [--forms ...]
[--toy NAME CONFIG CHECKPOINT ...] [--out-dir DIR]``

Speed: each suite model (``benchmark_suite.py``'s, Swin-T and ResNet-50
included) in Mask R-CNN at 800x1344 and UperNet at 512x512 with random
weights; every form runs the same image in turn, ``--repeats`` rounds, and
the median ``test_step`` img/s (preprocessing, network, post-processing)
is reported with its ratio to PyTorch fp32. Task metric: each ``--toy``
checkpoint (e.g. a learning-test run) on its config's test set in every
form, mAP / mIoU beside PyTorch fp32's and the per-image agreement.

Writes ``DIR/deploy.json`` and ``DIR/deploy.md``.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config

from hvt_mm.analysis.suite_models import (SuiteModel, add_custom_argument,
                                          custom_model, load_task_config,
                                          select_models)

DEPLOY_CONFIGS = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
    'deploy')
#: form -> deploy-config backend part (None: PyTorch).
FORMS: Dict[str, Optional[str]] = {
    'pytorch': None,
    'pytorch-bf16': None,
    'onnxruntime': 'onnxruntime',
    'openvino': 'openvino',
    'openvino-bf16': 'openvino-bf16',
}
TASKS = {
    'det': ('instance-seg', '800x1344', (1344, 800)),
    'seg': ('segmentation', '512x512', (512, 512)),
}


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--models',
        nargs='+',
        default=[],
        help='suite model names (default: FasterViT-0 and Swin-T unless '
        '--custom is given)')
    add_custom_argument(parser)
    parser.add_argument('--tasks', nargs='+', choices=TASKS, default=['seg'])
    parser.add_argument(
        '--forms', nargs='+', choices=FORMS, default=list(FORMS))
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument(
        '--toy',
        nargs=3,
        action='append',
        default=[],
        metavar=('NAME', 'CONFIG', 'CHECKPOINT'),
        help='a trained model to judge every form by its task metric')
    parser.add_argument('--skip-speed', action='store_true')
    parser.add_argument('--out-dir', default='work_dirs/benchmark_deploy')
    return parser.parse_args(argv)


def deploy_config(task: str, form: str, shape=None) -> Config:
    """The shipped static deploy config of ``task`` for ``form`` (mmdeploy
    takes ``Config`` objects as well as paths), with
    ``onnx_config.input_shape`` replaced by ``shape`` (width, height)."""
    prefix, size, _ = TASKS[task]
    cfg = Config.fromfile(
        osp.join(DEPLOY_CONFIGS, f'{prefix}_{FORMS[form]}_static-{size}.py'))
    if shape is not None:
        cfg.onnx_config.input_shape = list(shape)
    return cfg


def build_forms(task: str,
                forms: Sequence[str],
                model_cfg: str,
                checkpoint: str,
                work_dir: str,
                image,
                shape=None) -> dict:
    """``{form: object with test_step}``; each backend exported once."""
    from hvt_mm.deployment import mmdeploy_support, verification
    built = {}
    pytorch = None
    for form in forms:
        deploy_cfg = deploy_config(task,
                                   form if FORMS[form] else 'onnxruntime',
                                   shape)
        if FORMS[form] is None:
            if pytorch is None:
                _, pytorch, _ = verification.build_models(
                    deploy_cfg, model_cfg, checkpoint, [])
            scope = Config.fromfile(model_cfg).get('default_scope')
            built[form] = pytorch if form == 'pytorch' else \
                verification.AutocastModel(pytorch, scope)
            continue
        files = mmdeploy_support.deploy(deploy_cfg, model_cfg, checkpoint,
                                        image, osp.join(work_dir, form))
        _, _, built[form] = verification.build_models(deploy_cfg, model_cfg,
                                                      checkpoint, files)
    return built


def _random_checkpoint(cfg: Config, path: str) -> str:
    from mmengine.registry import init_default_scope

    from hvt_mm.analysis.model_builder import build_model_from_config
    init_default_scope(cfg.default_scope)
    torch.manual_seed(0)
    model, _ = build_model_from_config(cfg)
    torch.save({'state_dict': model.state_dict()}, path)
    return path


def measure_speed(model: SuiteModel, task: str, forms: Sequence[str],
                  repeats: int, work_dir: str) -> List[dict]:
    """Rows of median img/s per form for one model and task."""
    from mmdeploy.apis.utils import build_task_processor
    from mmdeploy.utils import load_config
    cfg = load_task_config(model, task)
    if cfg.model.backbone.get('init_cfg'):
        cfg.model.backbone.init_cfg = None
    model_cfg = osp.join(work_dir, 'model_cfg.py')
    cfg.dump(model_cfg)
    checkpoint = _random_checkpoint(cfg, osp.join(work_dir, 'random.pth'))
    width, height = TASKS[task][2]
    image = (np.random.RandomState(0).rand(height, width, 3) * 255).astype(
        np.uint8)
    built = build_forms(task, forms, model_cfg, checkpoint, work_dir, image)
    deploy_cfg, loaded = load_config(
        deploy_config(task, 'onnxruntime'), model_cfg)
    processor = build_task_processor(loaded, deploy_cfg, 'cpu')
    inputs, _ = processor.create_input(image, [width, height])
    seconds = {form: [] for form in built}
    with torch.no_grad():
        for form in built:  # warm-up (first-run allocations, JIT)
            built[form].test_step(inputs)
        for _ in range(repeats):  # interleaved: load drifts hit all forms
            for form, deployed in built.items():
                start = time.perf_counter()
                deployed.test_step(inputs)
                seconds[form].append(time.perf_counter() - start)
    base = 1.0 / statistics.median(seconds[forms[0]])
    rows = []
    for form in built:
        fps = 1.0 / statistics.median(seconds[form])
        rows.append(
            dict(
                model=model.name,
                task=task,
                size=f'{height}x{width}',
                form=form,
                fps=fps,
                ratio=fps / base))
    return rows


def measure_metric(name: str, model_cfg: str, checkpoint: str,
                   forms: Sequence[str], work_dir: str) -> List[dict]:
    """Rows of the task metric and toy-size img/s per form."""
    from hvt_mm.deployment import verification
    cfg = Config.fromfile(model_cfg)
    task = 'seg' if cfg.get('default_scope') == 'mmseg' else 'det'
    # the static export takes the first test image's size at the config's
    # test scale (to a multiple of 32); the other images are resized to it
    first = verification.test_dataloader(cfg).dataset[0]['inputs']
    shape = (first.shape[-1] // 32 * 32, first.shape[-2] // 32 * 32)
    image = (np.random.RandomState(0).rand(shape[1], shape[0], 3) *
             255).astype(np.uint8)
    built = build_forms(task, forms, model_cfg, checkpoint, work_dir, image,
                        shape)
    loader = verification.test_dataloader(cfg, shape)
    results = verification.evaluate_forms(built, cfg, loader)
    metric = 'mIoU' if task == 'seg' else 'coco/bbox_mAP'
    rows = []
    for form, metrics in results.items():
        value = metrics[metric] * (1 if task == 'seg' else 100)
        rows.append(
            dict(
                model=name,
                task=task,
                size=f'{shape[1]}x{shape[0]}',
                form=form,
                metric=metric,
                value=value,
                fps=metrics['fps'],
                agreement=metrics.get('agreement')))
    return rows


def markdown(speed: List[dict], metric: List[dict]) -> str:
    lines = []
    if speed:
        lines += [
            '| model | task | input | form | img/s | x PyTorch fp32 |',
            '|---|---|---|---|--:|--:|'
        ]
        lines += [
            f"| {r['model']} | {r['task']} | {r['size']} | {r['form']} | "
            f"{r['fps']:.3f} | {r['ratio']:.2f} |" for r in speed
        ]
        lines.append('')
    if metric:
        lines += [
            '| model | input | form | metric | value | img/s | agreement |',
            '|---|---|---|---|--:|--:|---|'
        ]
        for r in metric:
            agreement = r['agreement'] or {}
            text = ', '.join(
                f'{k}={v:.4g}' if isinstance(v, float) else f'{k}={v}'
                for k, v in agreement.items() if k != 'images')
            lines.append(f"| {r['model']} | {r['size']} | {r['form']} | "
                         f"{r['metric']} | {r['value']:.2f} | "
                         f"{r['fps']:.2f} | {text} |")
    return '\n'.join(lines) + '\n'


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    os.makedirs(args.out_dir, exist_ok=True)
    speed, metric = [], []
    models = [custom_model(*triple) for triple in args.custom]
    if args.models or not models:
        models = select_models(args.models or ['FasterViT-0', 'Swin-T']) + \
            models
    if not args.skip_speed:
        for model in models:
            for task in args.tasks:
                if task not in model.configs:
                    continue
                with tempfile.TemporaryDirectory() as tmp:
                    speed += measure_speed(model, task, args.forms,
                                           args.repeats, tmp)
                print(markdown(speed, []), flush=True)
    for name, config, checkpoint in args.toy:
        with tempfile.TemporaryDirectory() as tmp:
            metric += measure_metric(name, config, checkpoint, args.forms, tmp)
        print(markdown([], metric), flush=True)
    with open(osp.join(args.out_dir, 'deploy.json'), 'w') as f:
        json.dump(dict(speed=speed, metric=metric), f, indent=1, default=float)
    with open(osp.join(args.out_dir, 'deploy.md'), 'w') as f:
        f.write(markdown(speed, metric))
    return 0


if __name__ == '__main__':
    sys.exit(main())
