"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT``.

Prints the dataset metrics (mAP for mmdet, mIoU for mmseg) and, through
``hvt_mm.BenchmarkHook``, the model throughput in img/s.
"""
import argparse
import os.path as osp
import sys

from mmengine.device import get_device

# Importing hvt_mm registers its models and hooks and makes checkpoint IO
# safe (weights-only reads, atomic writes).
from hvt_mm.cli.launch import (UsageError, add_common_args, check_data,
                               prepare_config, run_tool)
from hvt_mm.engine import amp_test_cfg


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Test (and benchmark) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='dir to save evaluation logs')
    parser.add_argument(
        '--out',
        help='dump raw predictions: a .pkl file '
        '(mmdet) or a directory of label maps (mmseg)')
    parser.add_argument(
        '--show-dir',
        help='save drawn predictions here '
        '(relative paths go under the run\'s log dir)')
    parser.add_argument(
        '--show', action='store_true', help='display predictions in a window')
    parser.add_argument(
        '--wait-time',
        type=float,
        default=2,
        help='seconds between images with --show')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='low-precision inference: fp16 autocast on CUDA, bfloat16 on '
        'CPU (detectors on CPU: backbone and neck only)')
    parser.add_argument(
        '--tta',
        action='store_true',
        help='test-time augmentation (config tta_model)')
    add_common_args(parser)
    return parser.parse_args(argv)


def _enable_visualization(cfg, args: argparse.Namespace) -> None:
    hook = cfg.default_hooks.get('visualization')
    if hook is None:
        raise UsageError('--show/--show-dir need a `visualization` entry '
                         'in default_hooks')
    hook['draw'] = True
    if args.show:
        hook['show'] = True
        hook['wait_time'] = args.wait_time
    if args.show_dir:
        if cfg.default_scope == 'mmseg':
            cfg.visualizer['save_dir'] = args.show_dir
        else:
            hook['test_out_dir'] = args.show_dir


def _dump_predictions(cfg, out: str) -> None:
    if cfg.default_scope == 'mmseg':
        cfg.test_evaluator['output_dir'] = out
        cfg.test_evaluator['keep_results'] = True
        return
    if not out.endswith(('.pkl', '.pickle')):
        raise UsageError(f'--out {out!r} must end with .pkl for detection')
    dump = dict(type='DumpDetResults', out_file_path=out)
    evaluators = cfg.test_evaluator
    if not isinstance(evaluators, list):
        evaluators = [evaluators]
    cfg.test_evaluator = list(evaluators) + [dump]


def build_cfg(args: argparse.Namespace):
    cfg = prepare_config(args)
    if not osp.isfile(args.checkpoint) and '://' not in args.checkpoint:
        raise UsageError(f'checkpoint {args.checkpoint!r} not found')
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        _enable_visualization(cfg, args)
    if args.out:
        _dump_predictions(cfg, args.out)
    if args.amp:
        try:
            cfg.test_cfg = amp_test_cfg(
                cfg.get('test_cfg'), get_device(), cfg.get('default_scope'))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if args.tta:
        if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
            raise UsageError('--tta needs tta_model and tta_pipeline in '
                             'the config')
        cfg.model = dict(**cfg.tta_model, module=cfg.model)
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    check_data(cfg, ['test_dataloader'])
    return cfg


def test(runner) -> None:
    runner.test()


def main(argv=None) -> int:
    return run_tool(parse_args(argv), build_cfg, test)


if __name__ == '__main__':
    sys.exit(main())
