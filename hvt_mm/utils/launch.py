"""Config loading and sanity checks shared by ``tools/train.py``/``test.py``.

Every problem a user can fix (wrong path, bad ``--cfg-options``, missing
data) is reported as one :class:`UsageError` line that says what to do.
"""
import argparse
import os
import os.path as osp
from typing import Iterator, List, Optional

from mmengine.config import Config, DictAction


class UsageError(Exception):
    """A user-fixable problem with the command line, config or data."""


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
        try:
            cfg.merge_from_dict(cfg_options)
        except Exception as exc:
            raise UsageError(
                f'bad --cfg-options {cfg_options}: {exc}; use dotted keys '
                'like model.backbone.arch=2 or train_cfg.max_iters=100'
            ) from exc
    return cfg


def _datasets(cfg_node) -> Iterator:
    """Yield the innermost dataset configs (through wrappers)."""
    if cfg_node is None:
        return
    if 'datasets' in cfg_node:
        for sub in cfg_node['datasets']:
            yield from _datasets(sub)
    elif 'dataset' in cfg_node:
        yield from _datasets(cfg_node['dataset'])
    else:
        yield cfg_node


def missing_data_paths(cfg: Config, loaders: List[str]) -> List[str]:
    """Data roots / annotation files referenced by ``loaders`` that are
    absent on disk."""
    missing = []
    for name in loaders:
        loader = cfg.get(name)
        if not loader:
            continue
        for dataset in _datasets(loader.get('dataset')):
            root = dataset.get('data_root', '') or ''
            ann = dataset.get('ann_file', '') or ''
            if root and not osp.isdir(root):
                missing.append(root)
            elif ann and not osp.exists(osp.join(root, ann)):
                missing.append(osp.join(root, ann))
    return sorted(set(missing))


def check_data(cfg: Config, loaders: List[str]) -> None:
    missing = missing_data_paths(cfg, loaders)
    if missing:
        raise UsageError(
            f'dataset path(s) not found: {", ".join(missing)}. Download the '
            'dataset there, point data_root at it with --cfg-options, or '
            'run `python tools/misc/make_toy_data.py` for the bundled toy '
            'data.')


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


def prepare_config(args: argparse.Namespace) -> Config:
    """Load the config, apply overrides, launcher and work dir."""
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or \
        default_work_dir(args.config)
    return cfg


__all__ = [
    'UsageError', 'CfgOptionsAction', 'add_common_args', 'check_data',
    'load_config', 'missing_data_paths', 'default_work_dir', 'prepare_config'
]
