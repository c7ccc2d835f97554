"""One training step of an mmdet/mmseg model on tiny synthetic inputs."""
from typing import Dict, Sequence

import torch
from mmengine.model import revert_sync_batchnorm
from mmengine.structures import PixelData

DEFAULT_SHAPES = ((3, 128, 128), (3, 125, 130))


def _backward(losses: Dict[str, torch.Tensor], model) -> float:
    total = sum(v.sum() if isinstance(v, torch.Tensor) else sum(v)
                for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total), losses
    total.backward()
    grads = [p.grad for p in model.backbone.parameters() if p.requires_grad]
    assert grads and all(g is not None for g in grads), \
        'some trainable backbone parameters got no gradient'
    assert all(torch.isfinite(g).all() for g in grads)
    return float(total)


def det_loss_step(model,
                  shapes: Sequence = DEFAULT_SHAPES,
                  num_classes: int = 3) -> float:
    """mmdet: forward(mode='loss') and backward; returns the total loss."""
    from mmdet.testing import demo_mm_inputs
    model = revert_sync_batchnorm(model).train()
    packed = demo_mm_inputs(
        len(shapes), [list(s) for s in shapes],
        num_classes=num_classes,
        with_mask=True)
    data = model.data_preprocessor(packed, training=True)
    return _backward(model(**data, mode='loss'), model)


def seg_loss_step(model,
                  shapes: Sequence = DEFAULT_SHAPES,
                  num_classes: int = 4) -> float:
    """mmseg: forward(mode='loss') and backward; returns the total loss."""
    from mmseg.structures import SegDataSample
    model = revert_sync_batchnorm(model).train()
    generator = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for c, h, w in shapes:
        inputs.append(
            torch.randint(
                0, 256, (c, h, w), generator=generator, dtype=torch.uint8))
        sample = SegDataSample(
            metainfo=dict(
                img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w)))
        sample.gt_sem_seg = PixelData(
            data=torch.randint(0, num_classes, (1, h, w), generator=generator))
        samples.append(sample)
    data = model.data_preprocessor(
        dict(inputs=inputs, data_samples=samples), training=True)
    return _backward(model(**data, mode='loss'), model)
