"""ONNX export of hvt_mm backbones and the EfficientViT segmentor.

What is exported (:func:`build_export_target`):

* a bare backbone spec (``FasterViT:0``, see
  :mod:`hvt_mm.analysis.model_spec`) or backbone config
  (``model = dict(type='hvt_mm.FastViT', ...)``): the backbone, outputs
  ``out0..outN`` (its ``out_indices`` maps);
* an mmseg config whose decode head is ``EfficientViTHead``: the whole
  segmentor in tensor mode, output ``logits`` ``(B, classes, H/8, W/8)``;
* any other mmdet/mmseg config: its backbone.

The input is the already normalised image ``(B, C, H, W)`` (the data
preprocessor is not part of the graph). Backbones are exported in their
inference form (``switch_to_deploy()``).

Exporter: ``torch.onnx.export(dynamo=True)`` (torch.export + onnxscript).
The TorchScript exporter (``dynamo=False``) is not used: it bakes Python
size arithmetic into constants and exports wrong graphs (FastViT and LightViT
outputs differ even at the traced size). The onnxscript graph optimiser is
switched off (``optimize=False``): it deletes ``x + 1e-15`` as a no-op,
which turns EfficientViT's ``0 / (0 + eps)`` into NaN; onnxruntime applies
its own graph optimisations when it loads the model.

Dynamic height and width: a family whose ``static_export_reason`` is set
(FasterViT, LightViT) computes sizes in Python in a way ``torch.export``
cannot keep symbolic; export it once per input size.
"""
import os.path as osp
from typing import List, NamedTuple, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from ..checkpoint import load_checkpoint_file, unwrap_state_dict
from ..models.backbones.base import HVTBackbone
from ..utils.errors import UsageError

# Dynamic graphs are traced at least this large per side so that
# size-dependent choices take their general branch (EfficientViT switches
# to a quadratic attention form for maps of <= head_dim tokens; traced on a
# tiny map, that form would be exported for every size).
MIN_DYNAMIC_TRACE_SIZE = 256
# Above this many parameter bytes the weights go to a side file
# (``<out>.data``): one protobuf holds at most 2 GiB.
EXTERNAL_DATA_BYTES = 1536 * 2**20


class ExportTarget(NamedTuple):
    """What :func:`export_onnx` exports."""
    module: nn.Module  # eval mode, returns a tensor or tuple of tensors
    backbone: HVTBackbone  # its backbone (inference form)
    kind: str  # 'backbone' or 'segmentor'
    output_names: Tuple[str, ...]


class SegmentorLogits(nn.Module):
    """An mmseg segmentor in tensor mode: normalised image -> logits."""

    def __init__(self, segmentor: nn.Module) -> None:
        super().__init__()
        self.segmentor = segmentor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.segmentor(x, mode='tensor')


class BackboneOutputs(nn.Module):
    """A backbone returning a tuple (one ONNX output per map)."""

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        return tuple(self.backbone(x))


def _is_config_path(config: str) -> bool:
    return config.endswith('.py') or osp.isfile(config)


def _build(config: str, cfg_options: Optional[dict]) -> nn.Module:
    if not _is_config_path(config):
        from ..analysis.model_spec import build_from_spec
        if cfg_options:
            raise UsageError('--cfg-options needs a config file, not the '
                             f'backbone spec {config!r}.')
        return build_from_spec(config)
    from ..analysis.model_builder import build_model_from_config
    from ..cli.launch import load_config
    model, _ = build_model_from_config(load_config(config, cfg_options))
    return model


def _load(model: nn.Module, checkpoint: str) -> None:
    state = unwrap_state_dict(load_checkpoint_file(checkpoint))
    if isinstance(model, HVTBackbone) and state and all(
            k.startswith('backbone.') for k in state):
        state = {k[len('backbone.'):]: v for k, v in state.items()}
    model.load_state_dict(state, strict=True)


def build_export_target(config: str,
                        checkpoint: Optional[str] = None,
                        cfg_options: Optional[dict] = None) -> ExportTarget:
    """Build (and load) the model of ``config`` (a config file or backbone
    spec) in eval mode with its backbone in the inference form.

    Raises:
        UsageError: if the config holds no hvt_mm backbone.
    """
    model = _build(config, cfg_options)
    if checkpoint is not None:
        _load(model, checkpoint)
    model.eval()
    backbone = model if isinstance(model, HVTBackbone) else getattr(
        model, 'backbone', None)
    if not isinstance(backbone, HVTBackbone):
        raise UsageError(
            f'{config!r} builds a {type(model).__name__} without an hvt_mm '
            'backbone; pytorch2onnx exports hvt_mm backbones and the '
            'EfficientViT segmentor.')
    backbone.switch_to_deploy()
    head = getattr(model, 'decode_head', None)
    if type(head).__name__ == 'EfficientViTHead':
        return ExportTarget(
            SegmentorLogits(model).eval(), backbone, 'segmentor', ('logits', ))
    names = tuple(f'out{i}' for i in backbone.out_indices)
    return ExportTarget(
        BackboneOutputs(backbone).eval(), backbone, 'backbone', names)


def export_onnx(target: ExportTarget,
                shape: Sequence[int],
                out: str,
                dynamic: bool = False) -> None:
    """Write ``target`` as ONNX, traced on a random ``(1, C, H, W)`` image.

    With ``dynamic`` the height and width axes are symbolic (batch stays
    1); the graph is traced at no less than ``MIN_DYNAMIC_TRACE_SIZE``.

    Raises:
        UsageError: ``dynamic`` for a family that exports per size.
    """
    reason = type(target.backbone).static_export_reason
    if dynamic and reason:
        raise UsageError(
            f'{type(target.backbone).__name__} cannot be exported with '
            f'dynamic height/width: {reason} Export once per input size '
            '(omit --dynamic).')
    height, width = shape
    kwargs = {}
    if dynamic:
        height = max(height, MIN_DYNAMIC_TRACE_SIZE)
        width = max(width, MIN_DYNAMIC_TRACE_SIZE)
        low = target.backbone.min_input_size
        kwargs['dynamic_shapes'] = ({
            2: torch.export.Dim('height', min=low),
            3: torch.export.Dim('width', min=low)
        }, )
    image = torch.randn(1, target.backbone.in_channels, height, width)
    export_module(target.module, image, out, target.output_names, **kwargs)


def export_module(module: nn.Module,
                  image: torch.Tensor,
                  out: str,
                  output_names: Sequence[str],
                  dynamic_shapes: Optional[tuple] = None,
                  opset_version: int = 18) -> None:
    """``torch.onnx.export`` with the settings explained above (dynamo
    exporter, no onnxscript optimiser, one file up to 1.5 GiB of weights);
    input ``input``."""
    size = sum(p.numel() * p.element_size() for p in module.parameters())
    with torch.no_grad():
        torch.onnx.export(
            module,
            (image, ),
            out,
            dynamo=True,
            verbose=False,
            optimize=False,  # keeps `+ eps` (see the module docstring)
            external_data=size > EXTERNAL_DATA_BYTES,
            opset_version=opset_version,
            input_names=['input'],
            output_names=list(output_names),
            dynamic_shapes=dynamic_shapes)


def max_relative_errors(target: ExportTarget,
                        onnx_file: str,
                        sizes: Sequence[Sequence[int]],
                        seed: int = 0) -> List[float]:
    """Run ``onnx_file`` in onnxruntime and the PyTorch model on the same
    random images; per size the largest ``max|a - b| / max|a|`` over the
    outputs."""
    import onnxruntime
    session = onnxruntime.InferenceSession(
        onnx_file, providers=['CPUExecutionProvider'])
    generator = torch.Generator().manual_seed(seed)
    errors = []
    for height, width in sizes:
        image = torch.randn(
            1, target.backbone.in_channels, height, width, generator=generator)
        with torch.no_grad():
            expected = target.module(image)
        if isinstance(expected, torch.Tensor):
            expected = (expected, )
        got = session.run(None, {'input': image.numpy()})
        error = 0.0
        for ref, new in zip(expected, got):
            new = torch.from_numpy(new)
            if new.shape != ref.shape:
                raise AssertionError(
                    f'ONNX output shape {tuple(new.shape)} differs from '
                    f'PyTorch {tuple(ref.shape)} at {height}x{width}.')
            scale = ref.abs().max().clamp_min(1e-12)
            error = max(error, float((ref - new).abs().max() / scale))
        errors.append(error)
    return errors
