"""Checks on a built model before any data flows through it.

A neck or head whose ``in_channels`` disagree with the backbone's
``out_channels`` builds fine and fails at the first iteration with a bare
convolution shape error; here it fails before training, naming the setting.
Generic: works for any backbone with an ``out_channels`` attribute (all
hvt_mm backbones) and mmdet/mmseg necks and heads, by their attributes.
"""
from typing import Any, List, Optional, Sequence

import torch.nn as nn
from mmengine.model import is_model_wrapper

from ..utils.errors import UsageError


def _as_list(value: Any) -> List[int]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _head_expects(head: nn.Module, channels: Sequence[int]) -> List[int]:
    """What an mmseg decode head should be given for ``channels``."""
    index = head.in_index
    picked = [channels[i] for i in _as_list(index)]
    if getattr(head, 'input_transform', None) == 'resize_concat':
        return [sum(picked)]  # mmseg stores the concatenated width
    return picked


def channel_problems(model: nn.Module) -> List[str]:
    """Every neck/head input that disagrees with what feeds it."""
    if is_model_wrapper(model):
        model = model.module
    backbone = getattr(model, 'backbone', None)
    channels: Optional[Sequence[int]] = getattr(backbone, 'out_channels', None)
    if not isinstance(channels, (list, tuple)):
        return []  # not an hvt_mm-style backbone: nothing to compare with
    channels = list(channels)
    problems = []
    neck = getattr(model, 'neck', None)
    if neck is not None:
        expected = getattr(neck, 'in_channels', None)
        if expected is not None and _as_list(expected) != channels:
            problems.append(f'model.neck.in_channels is {expected} but the '
                            f'backbone outputs {channels} channels')
        return problems  # heads see the neck's outputs
    for name in ('decode_head', 'auxiliary_head'):
        heads = getattr(model, name, None)
        if heads is None:
            continue
        many = isinstance(heads, nn.ModuleList)
        for i, head in enumerate(heads if many else [heads]):
            if not hasattr(head, 'in_index'):
                continue
            key = f'model.{name}' + (f'.{i}' if many else '')
            try:
                expected = _head_expects(head, channels)
            except IndexError:
                problems.append(f'{key}.in_index {head.in_index} points '
                                f'past the {len(channels)} backbone outputs')
                continue
            given = _as_list(head.in_channels)
            if given != expected:
                shown = expected if isinstance(head.in_channels,
                                               (list, tuple)) else expected[0]
                problems.append(f'{key}.in_channels is {head.in_channels} '
                                f'but in_index {head.in_index} of the '
                                f'backbone outputs {channels} gives {shown}')
    return problems


def check_channels(model: nn.Module) -> None:
    """Raise if a neck or head does not fit the backbone's outputs.

    Raises:
        UsageError: naming each setting to change and the right value.
    """
    problems = channel_problems(model)
    if problems:
        raise UsageError(
            'the model does not fit together: ' + '; '.join(problems) +
            '. Set these in_channels from the backbone\'s out_channels '
            '(it depends on arch and out_indices).')
