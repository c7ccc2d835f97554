"""EfficientViT: series structure, layer ids, LiteMLA numerics, weights."""
import pytest
import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm

from hvt_mm.checkpoint import CheckpointMismatchError
from hvt_mm.checkpoint.efficientvit import convert
from hvt_mm.models.backbones.efficientvit import (EfficientViT,
                                                  EfficientViTBlock, LiteMLA)
from hvt_mm.models.layers import ConvNormAct, DSConv, HVTStage, ResConvPair
from tests.backbone_families import EFFICIENTVIT
from tests.conftest import randomise
from tests.efficientvit_reference import reference_attention
from tests.official_keys import official_shapes, random_state

pytestmark = pytest.mark.usefixtures('single_thread')
TINY_L = EFFICIENTVIT.cases[1].arch


def _meta(arch, **kwargs):
    with torch.device('meta'):
        return EfficientViT(arch=arch, **kwargs)


def test_series_settings():
    b1, l1 = _meta('b1'), _meta('l1')
    for model in (b1, l1):  # one layout for both series
        assert len(model.stem.blocks) == 1 and len(model.stages) == 4
        assert all(isinstance(s, HVTStage) for s in model.stages)
        assert all(s.downsample.shortcut is None for s in model.stages)
    assert isinstance(b1.stem.blocks[0].main, DSConv)
    assert isinstance(l1.stem.blocks[0].main, ResConvPair)
    # B counts a conv stage's strided block in its depth, L does not.
    assert [len(s.blocks) for s in b1.stages] == [1, 2, 3, 4]
    assert [len(s.blocks) for s in l1.stages] == [1, 1, 6, 6]
    b_bn = [m for m in b1.modules() if isinstance(m, nn.BatchNorm2d)]
    l_bn = [m for m in l1.modules() if isinstance(m, nn.BatchNorm2d)]
    assert {m.eps for m in b_bn} == {1e-5}
    assert {m.eps for m in l_bn} == {1e-7}
    assert {type(m) for m in b1.modules()} >= {nn.Hardswish}
    gelus = [m for m in l1.modules() if isinstance(m, nn.GELU)]
    assert gelus and {m.approximate for m in gelus} == {'tanh'}
    assert not any(isinstance(m, nn.Hardswish) for m in l1.modules())
    heads = {m.head_dim for m in b1.modules() if isinstance(m, LiteMLA)}
    assert heads == {16}
    # SyncBN etc. keep the series eps unless given.
    custom = _meta('l1', norm_cfg=dict(type='BN', eps=1e-6))
    assert {m.eps
            for m in custom.modules()
            if isinstance(m, nn.BatchNorm2d)} == {1e-6}


def test_syncbn_keeps_names_and_fuses():
    bn, sync = _meta('b1'), _meta('b1', norm_cfg=dict(type='SyncBN'))
    assert list(bn.state_dict()) == list(sync.state_dict())
    assert 'stem.conv.bn.weight' in bn.state_dict()  # mmcv's name
    assert any(isinstance(m, nn.SyncBatchNorm) for m in sync.modules())
    # Children stay in execution order, so mmcv's fuse_conv_bn works.
    from mmcv.cnn import fuse_conv_bn
    model = EfficientViT('b0').eval()
    randomise(model, seed=1)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        ref = model(x)
        fused = fuse_conv_bn(model)(x)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    for a, b in zip(fused, ref):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


def test_raw_outputs_equal_stage_outputs():
    model = EfficientViT('b0').eval()
    x = torch.randn(1, 3, 64, 64)
    outs = model(x)
    y = model.stem(x)
    for stage, out in zip(model.stages, outs):
        y = stage(y)
        torch.testing.assert_close(out, y, rtol=0, atol=0)


def test_get_layer_depth():
    model = _meta('b1')
    # stem -> 0; each stage's downsample joins its first block: stage0 has
    # 1 block (1), stage1 2 (2, 3), stage2 3 (4..6), stage3 4 (7..10);
    # output norms 11; 12 layers.
    assert model.get_layer_depth('stem.blocks.0.main.x') == (0, 12)
    assert model.get_layer_depth('stem.conv.conv.weight') == (0, 12)
    assert model.get_layer_depth('stages.0.downsample.main.x') == (1, 12)
    assert model.get_layer_depth('stages.0.blocks.0.main.x') == (1, 12)
    assert model.get_layer_depth('stages.1.downsample.main.x') == (2, 12)
    assert model.get_layer_depth('stages.1.blocks.1.main.x') == (3, 12)
    assert model.get_layer_depth('stages.3.blocks.3.local_module.x') == \
        (10, 12)
    assert model.get_layer_depth('norm4.weight') == (11, 12)
    assert model.get_layer_depth('backbone.stages.0.blocks.0.x',
                                 'backbone.') == (1, 12)
    assert model.get_layer_depth('decode_head.x', 'backbone.') == (11, 12)
    l1 = _meta('l1')
    assert l1.get_layer_depth('stem.blocks.0.main.conv1.x')[0] == 0
    assert l1.get_layer_depth('stages.0.downsample.main.x')[0] == 1


def test_bad_arch_messages():
    with pytest.raises(ValueError, match="Unknown EfficientViT arch 'b9'"):
        EfficientViT('b9')
    bad = dict(TINY_L)
    bad.pop('head_dim')
    with pytest.raises(ValueError, match=r"missing \['head_dim'\]"):
        EfficientViT(bad)
    with pytest.raises(ValueError, match="series must be 'b' or 'l'"):
        EfficientViT(dict(TINY_L, series='x'))


@pytest.mark.parametrize('size', [(3, 5), (4, 4), (2, 2)])
def test_attention_matches_formula_both_paths(size):
    """N > dim uses the linear form, N <= dim (16) the quadratic one."""
    mla = LiteMLA(32, 32, head_dim=16)
    qkv = torch.randn(2, 6 * 32, *size)
    out = mla.attention(qkv)
    assert out.dtype == torch.float32 and out.shape == (2, 64, *size)
    torch.testing.assert_close(
        out.double(), reference_attention(qkv, 16), rtol=1e-5, atol=1e-6)


def test_aggregation_is_grouped_per_head_slice():
    mla = LiteMLA(64, 64, head_dim=16)
    dw, pw = mla.aggreg[0]
    assert (dw.kernel_size, dw.groups, dw.padding) == ((5, 5), 192, (2, 2))
    assert pw.groups == 3 * 4 and pw.weight.shape == (192, 16, 1, 1)
    assert mla.proj.conv.in_channels == 128 and mla.proj.norm is not None
    assert mla.qkv.norm is None and mla.qkv.conv.bias is None


def test_block_structure_fewer_norm():
    block = EfficientViTBlock(32, 16, 4, dict(type='BN'), dict(type='HSwish'))
    local = block.local_module.main
    assert local.inverted_conv.norm is None
    assert local.inverted_conv.conv.bias is not None
    assert local.depth_conv.norm is None
    assert local.point_conv.norm is not None
    assert local.point_conv.conv.bias is None


def test_autocast_bf16_large_activations():
    """The attention core runs in fp32 under CPU bf16 autocast."""
    torch.manual_seed(0)
    mla = LiteMLA(64, 64, head_dim=16).eval()
    x = torch.randn(2, 64, 24, 24) * 300
    ref = mla(x)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        qkv = mla.qkv(x)
        assert qkv.dtype == torch.bfloat16
        core = mla.attention(torch.cat([qkv, mla.aggreg[0](qkv)], 1))
        assert core.dtype == torch.float32
        out = mla(x)
    assert out.dtype == torch.bfloat16
    assert torch.isfinite(out).all()
    torch.testing.assert_close(
        out.float(), ref, rtol=0.05, atol=0.05 * ref.abs().max().item())


def test_autocast_fp16_does_not_overflow():
    """Sums over 48x48 tokens of 1e3-scale q/k/v exceed fp16's 65504."""
    torch.manual_seed(0)
    mla = LiteMLA(32, 32, head_dim=16).eval()
    qkv = torch.rand(1, 6 * 32, 48, 48) * 1e3
    ref = mla.attention(qkv)
    with torch.autocast('cpu', dtype=torch.float16):
        out = mla.attention(qkv.half())
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, ref, rtol=2e-3, atol=1e-3 * ref.max())
    naive = (
        qkv.half().reshape(1, 4, 48, -1)[:, :, 32:] @ qkv.half().reshape(
            1, 4, 48, -1)[:, :, 16:32].transpose(-1, -2))
    assert not torch.isfinite(naive).all()  # fp16 matmul would overflow


def test_backbone_bf16_autocast_finite():
    model = EfficientViT(TINY_L).eval()
    x = torch.randn(1, 3, 64, 96) * 50
    ref = model(x)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        outs = model(x)
    for out, r in zip(outs, ref):
        assert torch.isfinite(out).all()
        torch.testing.assert_close(
            out.float(), r, rtol=0.1, atol=0.1 * r.abs().max().item())


# ---------------------------------------------------------------- weights
@pytest.mark.parametrize('arch', ['l1'])
def test_load_official_cls_checkpoint(tmp_path, arch):
    state = random_state(official_shapes(f'efficientvit_cls_{arch}'))
    path = tmp_path / f'efficientvit_{arch}.pt'
    torch.save({'state_dict': state}, path)
    model = EfficientViT(
        arch,
        init_cfg=dict(
            type='Pretrained', checkpoint=str(path), prefix='backbone.'))
    model.init_weights()
    own = model.state_dict()
    expected = convert(state)  # official names -> stem / stages.i.*
    assert len(expected) == sum(k.startswith('backbone.') for k in state)
    assert set(own) == set(expected)
    for key, value in own.items():
        assert torch.equal(value, expected[key]), key
    assert torch.equal(
        own['stages.3.blocks.0.context_module.main.proj.bn.running_var'],
        state['backbone.stages.4.op_list.1.context_module.main.proj.norm.'
              'running_var'])
    # Without prefix the converter strips backbone. and drops head.*
    bare = EfficientViT(
        arch, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    bare.init_weights()
    for key, value in bare.state_dict().items():
        assert torch.equal(value, own[key]), key


def test_dynamic_shape_export():
    """One torch.export graph serves several input sizes (static-rank
    reshapes); the tiny-map quadratic branch becomes a guard, not a silent
    wrong path."""
    from torch.export import Dim, export
    model = EfficientViT('b0').eval()
    h, w = Dim('h', min=2, max=64), Dim('w', min=2, max=64)
    program = export(
        model, (torch.randn(1, 3, 128, 160), ),
        dynamic_shapes={'x': {
            2: 32 * h,
            3: 32 * w
        }})
    for size in [(128, 160), (256, 96)]:
        x = torch.randn(1, 3, *size)
        for got, ref in zip(program.module()(x), model(x)):
            torch.testing.assert_close(got, ref, rtol=1e-5, atol=1e-5)
    with pytest.raises(Exception, match='Guard failed'):
        program.module()(torch.randn(1, 3, 64, 64))


# Inference form (the generic checks are in test_conformance.py).
@pytest.mark.parametrize('arch', ['b0', TINY_L], ids=['b0', 'tiny_l'])
def test_inference_form_folds_every_batchnorm(arch):
    """Every BN of EfficientViT follows a conv (ConvNormAct): none is left,
    and each conv that had one gained a bias."""
    model = EfficientViT(arch).eval()
    normed = [
        name for name, m in model.named_modules()
        if isinstance(m, ConvNormAct) and m.with_norm
    ]
    model.switch_to_deploy()
    assert not any(isinstance(m, _BatchNorm) for m in model.modules())
    for name in normed:
        unit = model.get_submodule(name)
        assert unit.deploy and unit.norm is None and not unit.with_norm
        assert unit.conv.bias is not None, name
    assert any(
        k.endswith('context_module.main.proj.conv.bias')
        for k in model.state_dict())


def test_fused_checkpoint_of_another_variant_names_it(tmp_path):
    fused = EfficientViT('b0', deploy=True)
    path = str(tmp_path / 'b0_fused.pth')
    torch.save({'state_dict': fused.state_dict()}, path)
    model = EfficientViT(
        'b1', deploy=True, init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(CheckpointMismatchError, match="arch='b0'"):
        model.init_weights()
