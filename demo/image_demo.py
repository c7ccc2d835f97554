"""Draw a detector's or segmentor's predictions on one image.

    python demo/image_demo.py IMAGE CONFIG [--weights CKPT] [--out-dir DIR]
                              [--device cpu|cuda] [--score-thr 0.3]

The config's ``default_scope`` picks mmdet's ``DetInferencer`` (boxes and
masks) or mmseg's ``MMSegInferencer`` (segmentation overlay); they do the
drawing and write ``DIR/vis/<image name>`` plus the raw predictions
(``DIR/preds/<image stem>.json`` for mmdet, a label map
``DIR/pred/00000000_pred.png`` for mmseg). Class names
and colours come from the config's test dataset, the classes its heads are
built for, so converted checkpoints without metadata are labelled right.
"""
import argparse
import os.path as osp
import sys
import warnings
from typing import Optional, Sequence

import torch
from mmengine.config import Config

# Importing hvt_mm registers the backbones and makes checkpoint reads safe.
from hvt_mm.cli.launch import UsageError, load_config

INFERENCERS = ('mmdet', 'mmseg')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Run a detector/segmentor on an image and save the '
        'drawn predictions')
    parser.add_argument('image', help='image file')
    parser.add_argument('config', help='mmdet or mmseg config file')
    parser.add_argument(
        '--weights',
        help='checkpoint file; without it the model is randomly '
        'initialised (useful only to check the plumbing)')
    parser.add_argument(
        '--out-dir',
        default='outputs',
        help='output folder (default: '
        '%(default)s)')
    parser.add_argument(
        '--device',
        choices=['cpu', 'cuda'],
        default='cuda' if torch.cuda.is_available() else 'cpu',
        help='device (default: cuda if available, else cpu)')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=0.3,
        help='mmdet: draw boxes/masks scoring at least this (default: '
        '%(default)s)')
    return parser.parse_args(argv)


def _check_args(args: argparse.Namespace) -> Config:
    if not osp.isfile(args.image):
        raise UsageError(f'image {args.image!r} not found')
    if args.weights is not None and not osp.isfile(args.weights) \
            and '://' not in args.weights:
        raise UsageError(f'--weights checkpoint {args.weights!r} not found')
    if args.device == 'cuda' and not torch.cuda.is_available():
        raise UsageError('--device cuda, but CUDA is not available here; '
                         'use --device cpu')
    cfg = load_config(args.config)
    scope = cfg.get('default_scope')
    if scope not in INFERENCERS:
        raise UsageError(f'config {args.config!r} has default_scope '
                         f'{scope!r}; image_demo runs mmdet and mmseg '
                         'configs only')
    return cfg


def build_inferencer(cfg: Config, weights: Optional[str], device: str):
    """``DetInferencer`` or ``MMSegInferencer`` by ``cfg.default_scope``,
    labelled with the config's test-dataset classes and palette."""
    with warnings.catch_warnings():
        # Both warn that checkpoints without metadata get COCO/Cityscapes
        # names; we replace those below.
        warnings.filterwarnings('ignore', message='.*(classes|dataset_meta)')
        if cfg.default_scope == 'mmdet':
            from mmdet.apis import DetInferencer
            inferencer = DetInferencer(
                cfg, weights, device=device, show_progress=False)
        else:
            from mmseg.apis import MMSegInferencer
            inferencer = MMSegInferencer(cfg, weights, device=device)
    from mmengine.registry import DATASETS
    dataset = dict(cfg.test_dataloader.dataset, lazy_init=True)
    metainfo = DATASETS.build(dataset).metainfo
    # In place: DetInferencer's visualizer holds the same dict.
    meta = inferencer.model.dataset_meta
    meta['classes'] = metainfo['classes']
    if metainfo.get('palette') is not None:
        meta['palette'] = metainfo['palette']
    return inferencer


def run(args: argparse.Namespace) -> str:
    """Run the demo; returns the path of the drawn image."""
    cfg = _check_args(args)
    if args.weights is None:
        print(
            'warning: no --weights, the model is randomly initialised',
            file=sys.stderr)
    inferencer = build_inferencer(cfg, args.weights, args.device)
    kwargs = dict(out_dir=args.out_dir)
    if cfg.default_scope == 'mmdet':
        kwargs.update(pred_score_thr=args.score_thr, no_save_pred=False)
    inferencer(args.image, **kwargs)
    return osp.join(args.out_dir, 'vis', osp.basename(args.image))


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        out_file = run(args)
    except UsageError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    print(f'Drawn predictions: {out_file}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
