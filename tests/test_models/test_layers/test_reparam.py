"""Fusion maths and reparameterizable bricks (hvt_mm.models.layers.reparam)."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from hvt_mm.models.layers.reparam import (BNFoldable, ConvBN, MobileOneBlock,
                                          ReparamLargeKernelConv, RepCPE,
                                          RepMixer, fold_bn_, fuse_bn,
                                          fusible_modules, identity_kernel,
                                          pad_kernel, sequential_conv_bn_pairs)
from tests.conftest import randomise


def max_rel_diff(ref: torch.Tensor, new: torch.Tensor) -> float:
    """max |ref - new| / max |ref|."""
    return float((ref - new).abs().max() / ref.abs().max())


def _bricks():
    # (id, factory taking deploy, input channels)
    return [
        ('mobileone_dense_3x3_s2',
         lambda d: MobileOneBlock(4, 8, 3, 2, deploy=d), 4),
        ('mobileone_dw_3x3_s2',
         lambda d: MobileOneBlock(6, 6, 3, 2, groups=6, deploy=d), 6),
        ('mobileone_1x1_skip', lambda d: MobileOneBlock(6, 6, 1, deploy=d), 6),
        ('mobileone_3x3_skip_2branches_noact', lambda d: MobileOneBlock(
            6, 6, 3, num_conv_branches=2, act_cfg=None, deploy=d), 6),
        ('mobileone_grouped_skip',
         lambda d: MobileOneBlock(6, 6, 3, groups=2, deploy=d), 6),
        ('large_kernel_s2_groups',
         lambda d: ReparamLargeKernelConv(4, 8, 7, 2, groups=4, deploy=d), 4),
        ('large_kernel_dense_s1',
         lambda d: ReparamLargeKernelConv(4, 4, 5, 1, deploy=d), 4),
        ('repmixer', lambda d: RepMixer(6, 3, 1e-5, deploy=d), 6),
        ('repmixer_no_layer_scale', lambda d: RepMixer(6, 3, None, deploy=d),
         6),
        ('repcpe', lambda d: RepCPE(6, 7, deploy=d), 6),
    ]


BRICKS = _bricks()
IDS = [b[0] for b in BRICKS]


def _randomized(factory, seed=0, dtype=torch.float32):
    torch.manual_seed(seed)
    module = randomise(factory(False), seed).to(dtype).eval()
    if isinstance(module, RepCPE):
        with torch.no_grad():  # default init is tiny next to the identity
            module.pe.weight.mul_(5)
    return module


def test_fuse_bn_matches_eval_bn():
    torch.manual_seed(0)
    block = randomise(ConvBN(3, 5, 3, 2, 1)).eval()
    x = torch.randn(2, 3, 9, 11)
    kernel, bias = fuse_bn(block.conv.weight, block.bn)
    torch.testing.assert_close(
        F.conv2d(x, kernel, bias, 2, 1), block(x), rtol=1e-5, atol=1e-5)
    expected_t = block.bn.weight / (block.bn.running_var + 1e-5).sqrt()
    torch.testing.assert_close(kernel[:, 0, 0, 0],
                               block.conv.weight[:, 0, 0, 0] * expected_t)


class _Folding(BNFoldable):
    """Linear -> BN1d (biased linear), conv -> GroupNorm (does not fold),
    and a Sequential conv -> BN2d pair."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 6)
        self.fc_norm = nn.BatchNorm1d(6)
        self.conv = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.gn = nn.GroupNorm(2, 4)
        self.seq = nn.Sequential(
            nn.Conv2d(4, 5, 3, 2, 1, groups=1, bias=False), nn.BatchNorm2d(5),
            nn.ReLU())

    def conv_norm_pairs(self):
        return [('fc', 'fc_norm'), ('conv', 'gn')] + \
            sequential_conv_bn_pairs(self.seq, 'seq')

    def forward(self, x, tokens):
        return self.seq(self.gn(self.conv(x))), self.fc_norm(self.fc(tokens))


def test_bn_folds_into_biased_linear_and_sequential_conv_only():
    torch.manual_seed(0)
    module = randomise(_Folding()).eval()
    assert module.conv_norm_pairs()[2:] == [('seq.0', 'seq.1')]
    x, tokens = torch.randn(2, 3, 9, 7), torch.randn(5, 4)
    with torch.no_grad():
        before = module(x, tokens)
        module.switch_to_deploy()
        module.switch_to_deploy()
        after = module(x, tokens)
    assert isinstance(module.fc_norm, nn.Identity)
    assert isinstance(module.seq[1], nn.Identity)
    assert isinstance(module.gn, nn.GroupNorm)  # only BatchNorm folds
    assert module.seq[0].bias is not None and module.conv.bias is None
    for ref, new in zip(before, after):
        torch.testing.assert_close(new, ref, rtol=1e-5, atol=1e-5)
    with pytest.raises(TypeError, match='ConvTranspose2d'):
        fold_bn_(nn.ConvTranspose2d(2, 2, 2), nn.BatchNorm2d(2).eval())


@pytest.mark.parametrize('channels,groups', [(6, 1), (6, 6), (6, 2)])
def test_identity_kernel_is_identity(channels, groups):
    x = torch.randn(2, channels, 5, 7)
    kernel = identity_kernel(channels, groups, 3, x)
    assert kernel.shape == (channels, channels // groups, 3, 3)
    assert kernel.sum().item() == channels
    torch.testing.assert_close(
        F.conv2d(x, kernel, None, 1, 1, 1, groups), x, rtol=0, atol=0)


def test_pad_kernel_keeps_alignment_at_stride_2():
    x = torch.randn(1, 2, 13, 10)
    small = torch.randn(3, 2, 3, 3)
    big = pad_kernel(small, 7)
    assert big.shape == (3, 2, 7, 7)
    torch.testing.assert_close(
        F.conv2d(x, big, None, 2, 3), F.conv2d(x, small, None, 2, 1))


@pytest.mark.parametrize('name,factory,channels', BRICKS, ids=IDS)
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_switch_to_deploy_is_equivalent(name, factory, channels, dtype):
    module = _randomized(factory, dtype=dtype)
    x = torch.randn(2, channels, 13, 10, dtype=dtype)
    with torch.no_grad():
        before = module(x)
    module.switch_to_deploy()
    assert module.deploy
    with torch.no_grad():
        after = module(x)
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    assert max_rel_diff(before, after) <= tol
    fused = getattr(module, module.fused_name)
    assert fused.weight.dtype == dtype and fused.bias is not None
    # Only the fused conv (plus parameter-free activation/SE) is left.
    assert {k.split('.')[0] for k in module.state_dict()} == \
        {module.fused_name}


@pytest.mark.parametrize('name,factory,channels', BRICKS, ids=IDS)
def test_deploy_build_loads_fused_state_strictly(name, factory, channels):
    module = _randomized(factory)
    module.switch_to_deploy()
    state = module.state_dict()
    fresh = factory(True).eval()
    assert set(fresh.state_dict()) == set(state)
    fresh.load_state_dict(state, strict=True)
    x = torch.randn(1, channels, 9, 12)
    with torch.no_grad():
        torch.testing.assert_close(fresh(x), module(x), rtol=0, atol=0)


@pytest.mark.parametrize('name,factory,channels', BRICKS, ids=IDS)
def test_switch_to_deploy_twice_is_noop(name, factory, channels):
    module = _randomized(factory)
    module.switch_to_deploy()
    fused = getattr(module, module.fused_name)
    weight = fused.weight.detach().clone()
    module.switch_to_deploy()
    assert getattr(module, module.fused_name) is fused
    torch.testing.assert_close(fused.weight, weight, rtol=0, atol=0)


@pytest.mark.parametrize('name,factory,channels', BRICKS, ids=IDS)
def test_switch_to_deploy_in_training_mode_fuses_running_statistics(
        name, factory, channels):
    """As mmpretrain's RepVGG: called in training mode (mmdeploy does),
    fusion uses the running statistics and leaves the module in eval."""
    module = _randomized(factory).train()
    x = torch.randn(2, channels, 9, 11)
    with torch.no_grad():
        expected = module.eval()(x)
    module.train().switch_to_deploy()
    assert module.deploy and not module.training
    with torch.no_grad():
        torch.testing.assert_close(module(x), expected, rtol=1e-5, atol=1e-5)


def test_official_branch_names():
    assert set(RepMixer(4).state_dict()) == {
        'norm.rbr_skip.weight', 'norm.rbr_skip.bias',
        'norm.rbr_skip.running_mean', 'norm.rbr_skip.running_var',
        'norm.rbr_skip.num_batches_tracked', 'layer_scale'
    } | {
        f'mixer.{branch}.{p}'
        for branch in ('rbr_skip', 'rbr_conv.0.bn', 'rbr_scale.bn')
        for p in ('weight', 'bias', 'running_mean', 'running_var',
                  'num_batches_tracked')
    } | {'mixer.rbr_conv.0.conv.weight', 'mixer.rbr_scale.conv.weight'}
    # Stride 2 or in != out: no skip branch; 1x1: no scale branch.
    assert not any('rbr_skip' in k
                   for k in MobileOneBlock(4, 4, 3, 2).state_dict())
    assert not any('rbr_scale' in k
                   for k in MobileOneBlock(4, 4, 1).state_dict())
    assert set(
        ReparamLargeKernelConv(2, 4, 7, 2, 2, deploy=True).state_dict()) == {
            'lkb_reparam.weight', 'lkb_reparam.bias'
        }


def test_fusible_modules_returns_outermost_only():
    model = nn.Sequential(
        RepMixer(4), nn.Sequential(MobileOneBlock(4, 4, 3)),
        nn.Conv2d(4, 4, 1))
    found = fusible_modules(model)
    assert found == [model[0], model[1][0]]


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match='BatchNorm-type'):
        MobileOneBlock(4, 4, 3, norm_cfg=dict(type='LN2d'))
    with pytest.raises(ValueError, match='small_kernel'):
        ReparamLargeKernelConv(4, 4, 3, small_kernel=5)


def test_parameters_on_meta_keeps_buffers_real():
    from hvt_mm.models.layers.reparam import parameters_on_meta
    with parameters_on_meta():
        module = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    assert all(p.is_meta for p in module.parameters())
    assert not any(b.is_meta for b in module.buffers())
    assert nn.Conv2d(3, 4, 3).weight.device.type == 'cpu'  # patch undone
