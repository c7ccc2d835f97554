"""LightViTFPN: the published detectors' neck (official names, pyramid)."""
import pytest
import torch
from mmdet.models.necks import FPN

from hvt_mm.models.necks import LightViTFPN
from tests.conftest import randomise

IN_CHANNELS = [16, 32, 64]


def inputs(size=(40, 56)):
    h, w = size
    return [
        torch.randn(1, c, -(-h // 2**i), -(-w // 2**i))
        for i, c in enumerate(IN_CHANNELS)
    ]


def test_official_names_and_shapes():
    neck = LightViTFPN([64, 128, 256], 256, num_outs=5)
    shapes = {k: tuple(v.shape) for k, v in neck.state_dict().items()}
    assert shapes['lateral_convs.0.conv.weight'] == (256, 64, 1, 1)
    assert shapes['fpn_convs.2.conv.weight'] == (256, 256, 3, 3)
    # ConvTranspose2d weights are (in, out, k, k).
    assert shapes['extra_trans_convs.0.conv.weight'] == (256, 256, 2, 2)
    assert shapes['extra_fpn_convs.0.conv.bias'] == (256, )
    assert len(shapes) == 2 * (3 + 3 + 1 + 1)


@torch.no_grad()
def test_pyramid_strides_4_to_64_from_strides_8_to_32():
    neck = LightViTFPN(IN_CHANNELS, 8, num_outs=5).eval()
    x = inputs()
    outs = neck(x)
    assert [tuple(o.shape[-2:]) for o in outs] == [(80, 112), (40, 56),
                                                   (20, 28), (10, 14), (5, 7)]
    # The stride-4 level is the transposed conv of the fused stride-8
    # lateral: recompute it from the parts.
    laterals = [conv(f) for conv, f in zip(neck.lateral_convs, x)]
    for i in (2, 1):
        laterals[i - 1] = laterals[i - 1] + torch.nn.functional.interpolate(
            laterals[i], size=laterals[i - 1].shape[-2:])
    expected = neck.extra_fpn_convs[0](neck.extra_trans_convs[0](laterals[0]))
    torch.testing.assert_close(outs[0], expected)


@pytest.mark.parametrize('add_extra_convs', [False, 'on_input', 'on_output'])
@torch.no_grad()
def test_without_trans_convs_it_is_mmdets_fpn(add_extra_convs):
    """num_extra_trans_convs=0 (which crashes the reference neck) gives
    mmdet's FPN, output for output, with the same weights."""
    ours = LightViTFPN(
        IN_CHANNELS,
        8,
        num_outs=5,
        num_extra_trans_convs=0,
        add_extra_convs=add_extra_convs).eval()
    randomise(ours)
    theirs = FPN(
        IN_CHANNELS, 8, num_outs=5, add_extra_convs=add_extra_convs).eval()
    theirs.load_state_dict(ours.state_dict(), strict=True)
    x = inputs((37, 50))
    for a, b in zip(ours(x), theirs(x), strict=True):
        torch.testing.assert_close(a, b)


def test_bad_settings_say_what_to_change():
    with pytest.raises(ValueError, match='num_outs >= 4'):
        LightViTFPN(IN_CHANNELS, 8, num_outs=3)
    with pytest.raises(ValueError, match='add_extra_convs'):
        LightViTFPN(IN_CHANNELS, 8, num_outs=5, add_extra_convs='on_top')
    neck = LightViTFPN(IN_CHANNELS, 8, num_outs=5)
    with pytest.raises(ValueError, match="backbone's out_indices"):
        neck(inputs()[:2])
