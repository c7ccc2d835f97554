"""One resize to a short side and a long side rounded up to a multiple."""
import math

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform

from ...registry import register_transform


@register_transform
class ResizeShortSideToMultiple(BaseTransform):
    """Resize ``img`` once: the short side to ``short_side``, the long side
    to ``ceil(long * short_side / short / divisor) * divisor``.

    This is the evaluation resize of the official EfficientViT ADE20K
    models (``applications/efficientvit_seg`` of mit-han-lab/efficientvit:
    OpenCV bicubic, aspect ratio kept up to the rounding), done in one step
    where mmseg's ``Resize`` + ``ResizeToMultiple`` would resample twice.
    Labels are not resized (evaluation compares at the original size).

    Required keys: ``img``. Modified: ``img``, ``img_shape``. Added:
    ``scale_factor`` (w, h), ``keep_ratio`` (False: the rounding changes
    it slightly).

    Args:
        short_side: Target of the shorter image side. Defaults to 512.
        divisor: The longer side becomes a multiple of it. Defaults to 32.
        interpolation: mmcv interpolation. Defaults to ``'bicubic'``.
    """

    def __init__(self,
                 short_side: int = 512,
                 divisor: int = 32,
                 interpolation: str = 'bicubic') -> None:
        if short_side < 1 or divisor < 1:
            raise ValueError('ResizeShortSideToMultiple needs positive '
                             f'short_side and divisor, got {short_side}, '
                             f'{divisor}.')
        self.short_side = short_side
        self.divisor = divisor
        self.interpolation = interpolation

    def target_size(self, height: int, width: int) -> tuple:
        """``(height, width)`` after the resize."""
        long_side = math.ceil(
            max(height, width) * self.short_side / min(height, width) /
            self.divisor) * self.divisor
        if height < width:
            return self.short_side, long_side
        return long_side, self.short_side

    def transform(self, results: dict) -> dict:
        img = results['img']
        height, width = img.shape[:2]
        new_h, new_w = self.target_size(height, width)
        results['img'] = mmcv.imresize(
            img, (new_w, new_h), interpolation=self.interpolation)
        results['img_shape'] = (new_h, new_w)
        results['scale_factor'] = np.array([new_w / width, new_h / height],
                                           dtype=np.float32)
        results['keep_ratio'] = False
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(short_side={self.short_side}, '
                f'divisor={self.divisor}, '
                f'interpolation={self.interpolation!r})')
