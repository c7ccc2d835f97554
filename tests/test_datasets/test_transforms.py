"""ResizeShortSideToMultiple: the official EfficientViT ADE20K test resize."""
import cv2
import numpy as np
import pytest
from mmengine.registry import TRANSFORMS

import hvt_mm  # noqa: F401  (registers the transform)
from hvt_mm.datasets.transforms import ResizeShortSideToMultiple


@pytest.mark.parametrize('shape, expected', [((300, 457), (512, 800)),
                                             ((683, 512), (704, 512)),
                                             ((512, 512), (512, 512))])
def test_one_bicubic_resize_to_the_official_size(shape, expected):
    img = np.random.default_rng(0).integers(
        0, 256, (*shape, 3), dtype=np.uint8)
    out = ResizeShortSideToMultiple(512, 32).transform(
        dict(img=img, img_shape=shape))
    assert out['img'].shape[:2] == expected == out['img_shape']
    # Exactly the official cv2.resize(..., INTER_CUBIC), in one step.
    official = cv2.resize(
        img, dsize=expected[::-1], interpolation=cv2.INTER_CUBIC)
    np.testing.assert_array_equal(out['img'], official)
    np.testing.assert_allclose(
        out['scale_factor'], [expected[1] / shape[1], expected[0] / shape[0]])


def test_registered_and_validated():
    transform = TRANSFORMS.build(
        dict(type='hvt_mm.ResizeShortSideToMultiple', short_side=64))
    assert transform.target_size(100, 50) == (128, 64)
    with pytest.raises(ValueError, match='positive'):
        ResizeShortSideToMultiple(short_side=0)
