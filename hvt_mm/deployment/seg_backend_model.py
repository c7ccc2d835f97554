"""Deployed segmentors post-processed as mmseg does (registered with
mmdeploy's segmentation backend models by
:mod:`hvt_mm.deployment.mmdeploy_support`).

mmdeploy's ``End2EndModel`` takes the graph's label map (argmax in the
graph) and, when the test pipeline resized the image, scales the label map
to the original size by nearest-neighbour sampling. mmseg scales the logits
(bilinear) and takes the argmax after; the two disagree along region
boundaries (toy ADE20K, images resized to a 512x512 static input: 96 % of
pixels agree, mIoU 0.3 points lower). Our segmentation deploy configs set
``codebase_config.with_argmax=False`` (the graph returns logits) and
``model_type='mmseg_postprocess'``, this model, which hands the logits to
mmseg's own ``BaseSegmentor.postprocess_result`` (padding crop, flip,
bilinear resize, argmax): the deployed model's predictions are mmseg's.
"""
from mmdeploy.codebase.mmseg.deploy import segmentation_model
from mmseg.models.segmentors.base import BaseSegmentor

from ..utils.errors import UsageError

#: mmdeploy's registry of mmseg backend models.
BACKEND_SEGMENTORS = getattr(segmentation_model, '__BACKEND_MODEL')


@BACKEND_SEGMENTORS.register_module('mmseg_postprocess')
class MMSegPostprocessModel(segmentation_model.End2EndModel):
    """mmdeploy's ``End2EndModel`` with mmseg's post-processing of the
    graph's logits ``(N, C, H, W)``."""

    #: as the decode heads resize; ``check_deployable`` refuses models
    #: whose decode head aligns corners.
    align_corners = False

    def pack_result(self, batch_outputs, data_samples):
        if batch_outputs.dim() != 4 or batch_outputs.shape[1] < 2:
            raise UsageError(
                'model_type="mmseg_postprocess" needs class logits (N, C, H, '
                'W) with C >= 2 from the graph, got '
                f'{tuple(batch_outputs.shape)}: set '
                'codebase_config.with_argmax=False in the deploy config')
        return BaseSegmentor.postprocess_result(self, batch_outputs,
                                                data_samples)


__all__ = ['BACKEND_SEGMENTORS', 'MMSegPostprocessModel']
