"""Official FasterViT DINO checkpoints (IDEA-Research layout) -> mmdet DINO.

The full key list of the published detector, converted and loaded strictly,
is covered by tests/test_golden.py; here: each kind of rename, the class
rows, and the official container read weights-only.
"""
import argparse

import pytest
import torch

from hvt_mm.checkpoint import UnsafeCheckpointError
from hvt_mm.checkpoint.dino import COCO_CATEGORY_IDS, convert
from tests.malicious import RunsShell
from tests.tool_loader import load_tool

RENAMES = {
    'backbone.0.levels.2.blocks.0.gamma3':
    'backbone.stages.2.blocks.0.layer_scale1.weight',
    'backbone.0.norm1.weight':
    'backbone.norm1.weight',
    'input_proj.0.0.weight':
    'neck.convs.0.conv.weight',
    'input_proj.0.1.bias':
    'neck.convs.0.gn.bias',
    'input_proj.3.0.weight':
    'neck.extra_convs.0.conv.weight',
    'transformer.level_embed':
    'level_embed',
    'transformer.tgt_embed.weight':
    'query_embedding.weight',
    'transformer.enc_output.weight':
    'memory_trans_fc.weight',
    'transformer.enc_output_norm.bias':
    'memory_trans_norm.bias',
    'transformer.encoder.layers.5.self_attn.value_proj.weight':
    'encoder.layers.5.self_attn.value_proj.weight',
    'transformer.encoder.layers.0.norm1.weight':
    'encoder.layers.0.norms.0.weight',
    'transformer.encoder.layers.0.linear1.bias':
    'encoder.layers.0.ffn.layers.0.0.bias',
    'transformer.encoder.layers.0.linear2.weight':
    'encoder.layers.0.ffn.layers.1.weight',
    'transformer.encoder.layers.0.norm2.bias':
    'encoder.layers.0.norms.1.bias',
    'transformer.decoder.layers.1.self_attn.in_proj_weight':
    'decoder.layers.1.self_attn.attn.in_proj_weight',
    'transformer.decoder.layers.1.self_attn.out_proj.bias':
    'decoder.layers.1.self_attn.attn.out_proj.bias',
    'transformer.decoder.layers.1.norm2.weight':
    'decoder.layers.1.norms.0.weight',
    'transformer.decoder.layers.1.cross_attn.sampling_offsets.bias':
    'decoder.layers.1.cross_attn.sampling_offsets.bias',
    'transformer.decoder.layers.1.norm1.weight':
    'decoder.layers.1.norms.1.weight',
    'transformer.decoder.layers.1.norm3.bias':
    'decoder.layers.1.norms.2.bias',
    'transformer.decoder.norm.weight':
    'decoder.norm.weight',
    'transformer.decoder.ref_point_head.layers.1.bias':
    'decoder.ref_point_head.layers.1.bias',
    'bbox_embed.2.layers.2.weight':
    'bbox_head.reg_branches.2.4.weight',
    'transformer.enc_out_bbox_embed.layers.0.bias':
    'bbox_head.reg_branches.6.0.bias',
}


def official_state() -> dict:
    state = {k: torch.randn(3) for k in RENAMES}
    state['input_proj.0.0.weight'] = torch.randn(256, 392, 1, 1)
    state['input_proj.3.0.weight'] = torch.randn(256, 1568, 3, 3)
    # Class rows hold their COCO category id (label_enc has one more).
    state['class_embed.0.weight'] = torch.arange(91.)[:, None].repeat(1, 4)
    state['transformer.enc_out_class_embed.bias'] = torch.arange(91.)
    state['label_enc.weight'] = torch.arange(92.)[:, None].repeat(1, 4)
    # second names of the shared branches and a derived buffer
    state['transformer.decoder.class_embed.0.weight'] = state[
        'class_embed.0.weight']
    state['transformer.decoder.bbox_embed.0.layers.0.weight'] = torch.ones(1)
    state['backbone.0.levels.2.blocks.0.attn.pos_emb_funct.'
          'relative_position_index'] = torch.zeros(1)
    return state


def test_every_kind_of_entry_lands_in_mmdet_names():
    state = official_state()
    out = convert(state)
    for official, mmdet in RENAMES.items():
        assert out[mmdet].shape == state[official].shape, official
        if official != 'backbone.0.levels.2.blocks.0.gamma3':
            assert out[mmdet] is state[official]
    assert not any('decoder.class_embed' in k or 'decoder.bbox_embed' in k
                   or 'relative_position_index' in k for k in out)


def test_the_80_coco_category_rows_are_kept_in_order():
    out = convert(official_state())
    ids = torch.tensor(COCO_CATEGORY_IDS, dtype=torch.float)
    for key in ('bbox_head.cls_branches.0.weight',
                'bbox_head.cls_branches.6.bias',
                'dn_query_generator.label_embedding.weight'):
        value = out[key]
        assert value.shape[0] == 80
        assert torch.equal(value.reshape(80, -1)[:, 0], ids), key


def test_unknown_entries_are_refused():
    with pytest.raises(KeyError, match='unknown DINO entry'):
        convert(dict(official_state(), **{'some_other.weight': torch.ones(1)}))


def test_official_container_with_args_converts_weights_only(tmp_path):
    """Official training checkpoints carry argparse.Namespace under
    `args`: read weights-only all the same; code still cannot run."""
    tool = load_tool('tools/model_converters/convert_checkpoint.py')
    src, dst = tmp_path / 'dino.pth', tmp_path / 'out.pth'
    torch.save(
        dict(
            model=official_state(),
            args=argparse.Namespace(lr=1e-4, backbone='faster_vit_4_21k_224'),
            epoch=11), src)
    assert tool.main(['dino', str(src), str(dst)]) == 0
    out = torch.load(dst, weights_only=True)
    assert 'bbox_head.reg_branches.6.0.bias' in out

    marker = tmp_path / 'ran'
    torch.save(dict(model=official_state(), args=RunsShell(str(marker))), src)
    with pytest.raises((UnsafeCheckpointError, SystemExit)):
        tool.main(['dino', str(src), str(dst)])
    assert not marker.exists()
