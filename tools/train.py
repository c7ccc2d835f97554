"""Train a detector or segmentor: ``python tools/train.py CONFIG``.

Works for mmdet and mmseg configs alike (the config's ``default_scope``
decides). Importing hvt_mm registers every model, hook and constructor, so
configs need no extra lines.
"""
import argparse
import os.path as osp
import sys

from mmengine.device import get_device
from mmengine.runner import Runner

# Importing hvt_mm registers its models and hooks and makes checkpoint IO
# safe (weights-only reads, atomic writes).
from hvt_mm.checkpoint import atomic_write
from hvt_mm.cli.faults import find_worker_death, worker_death_message
from hvt_mm.cli.launch import (UsageError, add_common_args, check_data,
                               prepare_config, run_tool)
from hvt_mm.engine import amp_optim_wrapper


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from CHECKPOINT, or from the latest checkpoint in the '
        'work dir when no path is given')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision: fp16 with dynamic loss scaling on CUDA, '
        'bfloat16 autocast on CPU')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='skip validation during training')
    add_common_args(parser)
    return parser.parse_args(argv)


def build_cfg(args: argparse.Namespace):
    cfg = prepare_config(args)
    if args.amp:
        # fp16 + dynamic loss scaling on CUDA, bfloat16 autocast on CPU.
        cfg.optim_wrapper = amp_optim_wrapper(cfg.optim_wrapper, get_device(),
                                              cfg.get('default_scope'))
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise UsageError(f'--resume checkpoint {args.resume!r} not found')
        cfg.resume, cfg.load_from = True, args.resume
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    check_data(cfg, ['train_dataloader', 'val_dataloader'])
    return cfg


def train(runner: Runner) -> int:
    """Train; on Ctrl-C save an iteration checkpoint so --resume loses
    nothing (iteration-based loops resume exactly). A dead DataLoader
    worker ends the run with one ``error:`` line and exit code 1 (nothing
    is saved: the error can strike mid-step, so the last periodic
    checkpoint is the consistent one)."""
    try:
        runner.train()
    except Exception as exc:
        death = find_worker_death(exc)
        if death is None:
            raise
        message = worker_death_message(death, runner.work_dir, runner.iter)
        print(f'error: {message}', file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        loop = runner.train_loop
        if type(loop).__name__ == 'IterBasedTrainLoop' and loop.iter > 0:
            name = f'iter_{loop.iter}.pth'
            # save_checkpoint(by_epoch=False) records `iter + 1` because it
            # normally runs inside after_train_iter; here `iter` iterations
            # are already complete.
            loop._iter -= 1
            try:
                runner.save_checkpoint(runner.work_dir, name, by_epoch=False)
            finally:
                loop._iter += 1
            # `--resume` without a path reads this file (as CheckpointHook).
            atomic_write(
                osp.join(runner.work_dir, 'last_checkpoint'),
                osp.join(runner.work_dir, name).encode())
            runner.logger.warning(
                f'Interrupted: saved {name}; continue with --resume.')
        raise
    return 0


def main(argv=None) -> int:
    return run_tool(parse_args(argv), build_cfg, train)


if __name__ == '__main__':
    sys.exit(main())
