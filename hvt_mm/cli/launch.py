"""What ``tools/train.py`` and ``tools/test.py`` share: config loading,
options, the checks before a run, and ``main``'s error handling.

Every problem a user can fix (wrong path, bad ``--cfg-options``, missing
data, a model whose parts do not fit) is reported as one
:class:`UsageError` line that says what to do (exit code 2). The checks
live in focused modules: :mod:`.cfg_check`, :mod:`.data_check`,
:mod:`.model_check`, :mod:`.distributed`.
"""
import argparse
import os
import os.path as osp
import sys
from typing import Callable, Optional

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from ..engine.compile import configure_compile
from ..utils.errors import UsageError
from .cfg_check import check_cfg_option_keys, check_checkpoint_files
from .data_check import check_data, missing_data_paths
from .distributed import check_processes, setup_cpu_distributed
from .model_check import check_channels


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Parse ``path`` and merge ``--cfg-options`` with clear errors."""
    if not osp.isfile(path):
        hint = ''
        if osp.isdir('configs'):
            hint = ' (see the files in configs/)'
        raise UsageError(f'config file {path!r} does not exist{hint}')
    try:
        cfg = Config.fromfile(path)
    except Exception as exc:  # syntax errors, missing bases, bad imports
        raise UsageError(f'cannot parse config {path!r}: '
                         f'{type(exc).__name__}: {exc}') from exc
    if cfg_options:
        check_cfg_option_keys(cfg, cfg_options)
        try:
            cfg.merge_from_dict(cfg_options)
        except Exception as exc:
            raise UsageError(
                f'bad --cfg-options {cfg_options}: {exc}; use dotted keys '
                'like model.backbone.arch=2 or train_cfg.max_iters=100'
            ) from exc
    return cfg


def default_work_dir(config_path: str) -> str:
    return osp.join('work_dirs', osp.splitext(osp.basename(config_path))[0])


class CfgOptionsAction(DictAction):
    """``DictAction`` that reports unparsable values in one line."""

    def __call__(self, parser, namespace, values, option_string=None):
        try:
            super().__call__(parser, namespace, values, option_string)
        except Exception as exc:  # DictAction raises anything, even
            # RecursionError, on unbalanced brackets or dict(...) values
            parser.exit(
                2, f'error: bad --cfg-options {" ".join(values)}: cannot '
                f'parse ({type(exc).__name__}); use key=value with values '
                'like 1, a, "[1,2]" or "(1,2)"\n')


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Options shared by train and test: overrides and launcher."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override config settings with dotted keys, e.g. '
        'train_cfg.max_iters=100 test_dataloader.batch_size=2')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    parser.add_argument(
        '--compile',
        action='store_true',
        help='torch.compile backbone, neck and heads (settings: the '
        'config key compile=dict(...), see hvt_mm.engine.compile)')


def prepare_config(args: argparse.Namespace) -> Config:
    """Load the config, apply overrides, launcher and work dir."""
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or \
        default_work_dir(args.config)
    try:
        configure_compile(cfg, getattr(args, 'compile', False))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return cfg


def build_runner(cfg: Config) -> Runner:
    """The Runner of ``cfg`` after the checks that need no model (checkpoint
    files, processes per device, the CPU distributed path) and with the
    model's channels checked, before any weights are loaded or data read.
    """
    check_checkpoint_files(cfg)
    if cfg.get('launcher', 'none') == 'pytorch':
        check_processes(int(os.environ.get('LOCAL_WORLD_SIZE', 1)))
    setup_cpu_distributed(cfg)
    runner = Runner.from_cfg(cfg)
    check_channels(runner.model)
    return runner


def run_tool(args: argparse.Namespace,
             build_cfg: Callable[[argparse.Namespace], Config],
             run: Callable[[Runner], Optional[int]]) -> int:
    """A tool's ``main``: ``build_cfg(args)``, :func:`build_runner`, then
    ``run(runner)``. A :class:`UsageError` before the run prints one
    ``error:`` line and returns 2; Ctrl-C returns 130 (whatever ``run``
    saved on the way out is logged there)."""
    try:
        runner = build_runner(build_cfg(args))
    except UsageError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    try:
        code = run(runner)
    except KeyboardInterrupt:
        return 130
    return code or 0


__all__ = [
    'UsageError', 'CfgOptionsAction', 'add_common_args', 'check_data',
    'load_config', 'missing_data_paths', 'default_work_dir', 'prepare_config',
    'build_runner', 'run_tool'
]
