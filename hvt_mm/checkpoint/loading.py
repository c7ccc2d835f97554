"""Load a converted state dict into a module, reporting every mismatch.

Generic over ``nn.Module``: what a model may legitimately lack (layers new
in the dense-prediction backbone, such as output norms) is passed in as a
pattern, so this module knows nothing about model classes.
"""
import re
from typing import Dict, Iterable, List, Optional, Pattern, Set

import torch
import torch.nn as nn
from mmengine.logging import print_log

StateDict = Dict[str, torch.Tensor]
_GROUP = re.compile(r'^[^.]+\.')


class CheckpointMismatchError(ValueError):
    """A checkpoint does not fit the model (other family or variant)."""


def describe_keys(keys: Iterable[str], limit: int = 8) -> str:
    """Up to ``limit`` sorted names, then how many more there are."""
    keys = sorted(keys)
    more = f' ... (+{len(keys) - limit} more)' if len(keys) > limit else ''
    return ', '.join(keys[:limit]) + more


def _drop_unfit_optional(own: StateDict, state: StateDict, optional: Pattern,
                         source: str) -> StateDict:
    """Skip optional top-level groups (e.g. ``norm3.*``) unlike the model's.

    A classifier's final norm converted to an output norm (say a BN) only
    seeds an output norm of the same type: a group loads only if all its
    names and shapes match.
    """
    groups = {
        m.group(0)
        for m in map(_GROUP.match, state) if m and optional.match(m.group(0))
    }
    skipped = set()
    for group in groups:
        theirs = {k: v.shape for k, v in state.items() if k.startswith(group)}
        mine = {k: v.shape for k, v in own.items() if k.startswith(group)}
        if theirs != mine:
            skipped.update(theirs)
    if not skipped:
        return state
    print_log(
        f'{source}: skipped entries that do not fit the model\'s '
        f'optional layers: {describe_keys(skipped)}',
        logger='current')
    return {k: v for k, v in state.items() if k not in skipped}


def _shape_errors(state: StateDict, own: StateDict) -> List[str]:
    """One line per entry whose shape differs from the model's."""
    return [
        f'{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}'
        for k, v in state.items() if k in own and v.shape != own[k].shape
    ]


def load_state_dict_checked(module: nn.Module,
                            state: StateDict,
                            optional: Optional[Pattern] = None,
                            source: str = 'checkpoint') -> None:
    """Load ``state`` into ``module``; raise on any real mismatch.

    Entries matching ``optional`` may be missing (they keep their
    initialisation, which is logged), and optional groups that do not fit
    are skipped. Anything else missing, unexpected or of another shape
    raises :class:`CheckpointMismatchError` naming the entries. Shapes are
    checked before anything is loaded; names after the module's own load
    hooks ran (a backbone may bring a checkpoint into its form there).
    """
    own = module.state_dict()
    if optional is not None:
        state = _drop_unfit_optional(own, state, optional, source)
    shape_errors = _shape_errors(state, own)
    if shape_errors:  # refuse before anything is loaded
        _check(source, module, state, own, shape_errors,
               set(own) - set(state),
               set(state) - set(own), optional)
    result = module.load_state_dict(state, strict=False)
    missing = set(result.missing_keys)
    _check(source, module, state, own, [], missing,
           set(result.unexpected_keys), optional)
    if missing:
        print_log(
            f'Loaded {source}; newly initialised: '
            f'{describe_keys(missing)}',
            logger='current')


def check_state_dict_fits(module: nn.Module,
                          state: StateDict,
                          optional: Optional[Pattern] = None,
                          source: str = 'checkpoint') -> None:
    """Raise :class:`CheckpointMismatchError` unless ``state`` fits
    ``module`` exactly (entries matching ``optional`` and BatchNorm batch
    counters may be missing)."""
    own = module.state_dict()
    shape_errors = _shape_errors(state, own)
    missing = {
        k
        for k in set(own) - set(state) if not k.endswith('num_batches_tracked')
    }
    _check(source, module, state, own, shape_errors, missing,
           set(state) - set(own), optional)


def _check(source: str, module: nn.Module, state: StateDict, own: StateDict,
           shape_errors: List[str], missing: Set[str], unexpected: Set[str],
           optional: Optional[Pattern]) -> None:
    """Raise :class:`CheckpointMismatchError` if anything does not fit."""
    missing = {k for k in missing if optional is None or not optional.match(k)}
    if not (shape_errors or missing or unexpected):
        return
    lines = [
        f'{source} does not fit {type(module).__name__} ({len(state)} '
        f'checkpoint entries, {len(own)} model entries).'
    ]
    if shape_errors:
        lines.append(f'Shape mismatch ({len(shape_errors)}): ' +
                     '; '.join(shape_errors[:6]))
    if missing:
        lines.append(f'Missing ({len(missing)}): ' + describe_keys(missing))
    if unexpected:
        lines.append(f'Unexpected ({len(unexpected)}): ' +
                     describe_keys(unexpected))
    lines.append('Is it a checkpoint of another family or variant? Check '
                 '`arch` and `prefix`.')
    raise CheckpointMismatchError('\n'.join(lines))
