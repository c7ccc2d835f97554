"""Config checks before anything is built: ``--cfg-options`` keys that do
not exist, checkpoint files the config names that are not there.

mmengine's ``merge_from_dict`` adds any key it is given, so a misspelt
``--cfg-options`` key is silently ignored wherever code reads settings with
``.get`` (``env_cfg``, a detector's ``train_cfg``/``test_cfg``, plain
variables). Rule: an option must name an existing key, except where the
object built from that dict rejects unknown keys itself, so that a typo
still fails loudly there:

* inside a dict with a ``type`` (an object config: its constructor raises
  on unknown arguments; hvt_mm backbones also suggest the nearest name);
* directly inside the dicts the Runner turns into objects of an implicit
  type (:data:`IMPLICIT_OBJECTS`: data loaders, loops, ...);
* at the top level, the settings the Runner reads (``load_from``,
  ``custom_hooks``, ``find_unused_parameters``...), and in ``env_cfg``
  the keys it reads there;
* below a key whose value is ``None`` (the option fills an optional dict).

Anything else is refused with the nearest existing name; to add a key on
purpose, write it in a config that inherits this one (``_base_``).
"""
import functools
import inspect
import os.path as osp
import re
from typing import Any, FrozenSet, Iterator, List, Optional, Tuple

from mmengine.config import Config
from mmengine.runner import Runner

from ..utils.errors import UsageError
from ..utils.suggest import did_you_mean

#: Top-level dicts the Runner passes as keyword arguments to an object of a
#: default type (DataLoader, a loop, the optimizer wrapper, ...), which
#: raises on unknown keys.
IMPLICIT_OBJECTS = frozenset({
    'train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg',
    'val_cfg', 'test_cfg', 'optim_wrapper', 'randomness', 'log_processor'
})


def _keys_read(pattern: str) -> FrozenSet[str]:
    """Config keys the installed mmengine Runner reads (``cfg.get('k')``,
    ``env_cfg.get('k')``), found in its source, so a newer mmengine's
    settings are known without a hand-kept list; none if the source is not
    available (then only constructor arguments may be added)."""
    try:
        source = inspect.getsource(inspect.getmodule(Runner))
    except (OSError, TypeError):
        return frozenset()
    return frozenset(re.findall(pattern + r"\.get\(\s*'(\w+)'", source))


@functools.lru_cache(maxsize=None)
def _runner_settings() -> List[str]:
    params = inspect.signature(Runner.__init__).parameters
    return [p for p in params if p != 'self'] + sorted(_keys_read(r'\bcfg'))


@functools.lru_cache(maxsize=None)
def _env_cfg_keys() -> FrozenSet[str]:
    return _keys_read(r'\benv_cfg')


def _may_add(parts: List[str], node: Any) -> bool:
    """Whether key ``parts[-1]`` may be added to ``node`` (at ``parts``)."""
    parent, name = parts[:-1], parts[-1]
    if not parent:
        return name in _runner_settings()
    if 'type' in node or (len(parent) == 1 and parent[0] in IMPLICIT_OBJECTS):
        return True
    return parent == ['env_cfg'] and name in _env_cfg_keys()


def _unknown_key(cfg: Config, key: str) -> Optional[str]:
    """Why ``key`` may not be set, or ``None`` if it may."""
    parts = key.split('.')
    node: Any = cfg
    for depth, part in enumerate(parts):
        if isinstance(node, (list, tuple)):
            if part.isdigit() and int(part) < len(node):
                node = node[int(part)]
                continue
            return None  # mmengine reports bad list indices itself
        if not isinstance(node, (dict, Config)):
            return None  # None is filled in; scalars are refused by mmengine
        if part in node:
            node = node[part]
            continue
        if _may_add(parts[:depth + 1], node):
            return None
        names = sorted(map(str, node.keys()))
        where = f'under {".".join(parts[:depth])!r}' if depth else \
            'at the top level'
        candidates = names + (_runner_settings() if depth == 0 else [])
        return (f'the config has no {part!r} {where}'
                f'{did_you_mean(part, candidates)}; keys there: '
                f'{", ".join(names[:15])}{" ..." if len(names) > 15 else ""}')
    return None


def check_cfg_option_keys(cfg: Config, options: dict) -> None:
    """Refuse ``--cfg-options`` keys that would be silently ignored.

    Raises:
        UsageError: naming the key, the nearest existing one and how to add
            a key on purpose.
    """
    problems = [(key, _unknown_key(cfg, key)) for key in options]
    problems = [f'{key}: {why}' for key, why in problems if why]
    if problems:
        raise UsageError(
            f'--cfg-options {"; ".join(problems)}. Options may only add '
            'keys inside a dict with a `type`, a data loader or a loop; '
            'to add another key on purpose, write it in a config that '
            'inherits this one (_base_ = ...).')


def _pretrained_paths(node: Any, path: str) -> Iterator[Tuple[str, str]]:
    """``(dotted key, checkpoint)`` of every ``Pretrained`` init_cfg."""
    if isinstance(node, dict):
        if node.get('type') == 'Pretrained' and node.get('checkpoint'):
            yield f'{path}.checkpoint', node['checkpoint']
        for key, value in node.items():
            yield from _pretrained_paths(value, f'{path}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _pretrained_paths(value, f'{path}.{i}')


def _is_local(path: Any) -> bool:
    return isinstance(path, str) and '://' not in path


def check_checkpoint_files(cfg: Config) -> None:
    """Every local checkpoint the config names (``init_cfg`` of type
    ``Pretrained``, ``load_from``) exists.

    Raises:
        UsageError: naming the setting, the file and the ways out.
    """
    for key, path in _pretrained_paths(cfg.get('model'), 'model'):
        if _is_local(path) and not osp.isfile(osp.expanduser(path)):
            init_cfg = key.rsplit('.', 1)[0]
            raise UsageError(
                f'pretrained weights {path!r} ({key}) not found. Put the '
                'file there (the config\'s header says where it comes '
                f'from), pass another with --cfg-options {key}=PATH_OR_URL, '
                f'or train from scratch with --cfg-options {init_cfg}=None.')
    load_from = cfg.get('load_from')
    if _is_local(load_from) and not osp.isfile(osp.expanduser(load_from)):
        raise UsageError(
            f'load_from checkpoint {load_from!r} not found; fix the path '
            '(--cfg-options load_from=PATH) or set load_from=None.')
