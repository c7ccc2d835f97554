"""Backbone spec strings ``Type:arch[:key=value,...]`` used by the tools."""
import ast
from typing import Any, Dict, List

import torch.nn as nn

from ..registry import MODELS

SPEC_HELP = ('Type:arch[:key=value,...], e.g. FasterViT:0, '
             'FastViT:sa12:deploy=True or FasterViT:0:with_cp=True,'
             'drop_path_rate=0.0 (arch stays a string; values are Python '
             'literals, otherwise strings)')


def _split_top_level(text: str, sep: str) -> List[str]:
    """Split on ``sep`` outside brackets, so tuples survive in values."""
    parts, depth, current = [], 0, ''
    for char in text:
        if char in '([{':
            depth += 1
        elif char in ')]}':
            depth -= 1
        if char == sep and depth == 0:
            parts.append(current)
            current = ''
        else:
            current += char
    parts.append(current)
    return parts


def _literal(value: str) -> Any:
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value


def parse_model_spec(spec: str) -> Dict[str, Any]:
    """Turn ``'FastViT:sa12:deploy=True'`` into a model config dict."""
    fields = spec.strip().split(':', 2)
    if not fields[0]:
        raise ValueError(f'Empty model type in spec {spec!r}; use {SPEC_HELP}')
    cfg: Dict[str, Any] = dict(type=fields[0])
    if len(fields) > 1 and fields[1]:
        cfg['arch'] = fields[1]
    if len(fields) > 2 and fields[2]:
        for item in _split_top_level(fields[2], ','):
            key, eq, value = item.partition('=')
            if not eq or not key.strip():
                raise ValueError(f'Bad option {item!r} in spec {spec!r}; '
                                 f'use key=value. Format: {SPEC_HELP}')
            cfg[key.strip()] = _literal(value.strip())
    return cfg


def build_from_spec(spec: str) -> nn.Module:
    """Build a registered hvt_mm model (normally a backbone) from a spec."""
    cfg = parse_model_spec(spec)
    if MODELS.get(cfg['type']) is None:
        known = sorted(MODELS.module_dict)
        raise KeyError(f'Unknown model type {cfg["type"]!r} in spec '
                       f'{spec!r}; hvt_mm registers {known}.')
    # Build in our scope whatever scope a previous tool/test left current.
    return MODELS.build(dict(cfg, _scope_='hvt_mm'))
