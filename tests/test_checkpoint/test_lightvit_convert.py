"""Official LightViT checkpoints -> hvt_mm LightViT state dicts."""
import torch

from hvt_mm.checkpoint.lightvit import convert
from tests.official_keys import official_shapes


def _official_names():
    return list(official_shapes('lightvit_tiny'))


def test_drops_classifier_and_derived_buffers_only():
    names = _official_names()
    state = {n: torch.full((1, ), float(i)) for i, n in enumerate(names)}
    out = convert(state)
    dropped = set(names) - set(out)
    assert dropped == {
        'norm.weight', 'norm.bias', 'neck.0.weight', 'neck.0.bias',
        'neck.1.weight', 'neck.1.bias', 'head.weight', 'head.bias'
    } | {n
         for n in names if n.endswith('.relative_position_index')}
    assert len(dropped) == 8 + 14  # head entries + one index per block
    # Everything else keeps its name, tensor and order.
    assert list(out) == [n for n in names if n not in dropped]
    assert all(out[n] is state[n] for n in out)


def test_idempotent_and_keeps_output_norms():
    state = {
        'norm.weight': torch.ones(2),
        'norm0.weight': torch.ones(2),
        'norm12.bias': torch.ones(2),
        'neck.0.bias': torch.ones(2),
        'stages.0.0.norm1.weight': torch.ones(2),
        'stages.0.0.attn.relative_position_index': torch.zeros(2),
        'trans_conv.weight': torch.ones(2)
    }
    once = convert(state)
    assert list(once) == [
        'norm0.weight', 'norm12.bias', 'stages.0.0.norm1.weight',
        'trans_conv.weight'
    ]
    twice = convert(once)
    assert list(twice) == list(once)
    assert all(twice[k] is once[k] for k in once)


def test_unwraps_containers_and_module_prefix():
    tensor = torch.zeros(1, 8, 64)
    for ckpt in ({
            'state_dict': {
                'global_token': tensor,
                'head.bias': tensor
            }
    }, {
            'model': {
                'module.global_token': tensor
            },
            'ema_model': {
                'global_token': tensor + 1
            },
            'epoch': 299
    }, {
            'module.global_token': tensor
    }):
        out = convert(ckpt)
        assert list(out) == ['global_token'] and out['global_token'] is tensor
