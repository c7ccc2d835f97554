"""Load official or hvt_mm checkpoints into a backbone, reporting mismatches."""
import importlib
import re
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader

from .io import select_prefix, unwrap_state_dict

# Output norms are new in dense-prediction backbones: never in classifiers.
OPTIONAL_KEYS = re.compile(r'^norm\d+\.')


class CheckpointMismatchError(ValueError):
    """A checkpoint does not fit the model (other family or variant)."""


def convert_state_dict(family: str,
                       state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Apply ``hvt_mm.checkpoint.<family>.convert`` (idempotent)."""
    module = importlib.import_module(f'hvt_mm.checkpoint.{family}')
    return module.convert(state)


def _describe(keys, limit: int = 8) -> str:
    keys = sorted(keys)
    more = f' ... (+{len(keys) - limit} more)' if len(keys) > limit else ''
    return ', '.join(keys[:limit]) + more


def _drop_unfit_output_norms(own: Dict[str, torch.Tensor],
                             state: Dict[str, torch.Tensor],
                             source: str) -> Dict[str, torch.Tensor]:
    """Skip checkpoint ``norm{i}`` groups unlike the model's ``norm{i}``.

    Output norms are optional, and a classifier's final norm (e.g. a BN,
    converted to ``norm3``) only seeds an output norm of the same type:
    a group loads only if its key names and shapes all match.
    """
    groups = {m.group(0) for m in map(OPTIONAL_KEYS.match, state) if m}
    skipped = set()
    for group in groups:
        theirs = {k: v.shape for k, v in state.items() if k.startswith(group)}
        mine = {k: v.shape for k, v in own.items() if k.startswith(group)}
        if theirs != mine:
            skipped.update(theirs)
    if not skipped:
        return state
    print_log(f'{source}: skipped output-norm entries that do not fit the '
              f'model: {_describe(skipped)}', logger='current')
    return {k: v for k, v in state.items() if k not in skipped}


def load_state_dict_checked(model: nn.Module,
                            state: Dict[str, torch.Tensor],
                            source: str = 'checkpoint') -> None:
    """Load ``state`` into ``model``; raise on any real mismatch.

    Missing ``norm{i}`` output norms are allowed and checkpoint ``norm{i}``
    groups that do not fit are skipped (both reported in the log).
    Everything else missing, unexpected or of another shape raises
    :class:`CheckpointMismatchError` naming the keys.
    """
    # Optional model-specific check with a precise message (e.g. FastViT:
    # fused checkpoint into an unfused model) before the generic key diff.
    if callable(getattr(model, 'check_checkpoint', None)):
        model.check_checkpoint(state)
    own = model.state_dict()
    state = _drop_unfit_output_norms(own, state, source)
    shape_errors = [
        f'{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}'
        for k, v in state.items() if k in own and v.shape != own[k].shape
    ]
    missing = set(own) - set(state)
    unexpected = set(state) - set(own)
    # Layers a backbone adds to the official design (regex ``new_keys``,
    # e.g. LightViT's stride-4 ``trans_conv``) may be missing as well.
    new_keys = getattr(model, 'new_keys', None)
    hard_missing = {k for k in missing if not OPTIONAL_KEYS.match(k)
                    and not (new_keys and re.match(new_keys, k))}
    if shape_errors or hard_missing or unexpected:
        lines = [f'{source} does not fit {type(model).__name__} '
                 f'({len(state)} checkpoint keys, {len(own)} model keys).']
        if shape_errors:
            lines.append(f'Shape mismatch ({len(shape_errors)}): ' +
                         '; '.join(shape_errors[:6]))
        if hard_missing:
            lines.append(f'Missing ({len(hard_missing)}): ' +
                         _describe(hard_missing))
        if unexpected:
            lines.append(f'Unexpected ({len(unexpected)}): ' +
                         _describe(unexpected))
        lines.append('Is it a checkpoint of another family or variant? '
                     'Check `arch` and `prefix`.')
        raise CheckpointMismatchError('\n'.join(lines))
    model.load_state_dict(state, strict=False)
    if missing:
        print_log(
            f'Loaded {source}; newly initialised: {_describe(missing)}',
            logger='current')


def load_pretrained(model: nn.Module,
                    checkpoint: str,
                    prefix: Optional[str] = None,
                    map_location: str = 'cpu') -> None:
    """Load ``checkpoint`` (official or converted) into an hvt_mm backbone."""
    raw = CheckpointLoader.load_checkpoint(checkpoint, map_location)
    state = select_prefix(unwrap_state_dict(raw), prefix)
    state = convert_state_dict(model.checkpoint_family, state)
    load_state_dict_checked(model, state, source=f'checkpoint {checkpoint!r}')
