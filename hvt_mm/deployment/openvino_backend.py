"""mmdeploy's ``openvino`` backend on the current OpenVINO Python API.

mmdeploy 1.3.1 converts ONNX with the Model Optimizer (``mo``) and runs the
IR through ``openvino.inference_engine``; both were removed from OpenVINO
(2023-2024), so its backend fails on any current ``openvino`` wheel. This
module registers, in mmdeploy's backend registry under the same name
``'openvino'``, a manager that converts with ``openvino.convert_model`` and
runs with ``openvino.Core``. ``backend_config.precision`` (``'fp32'``,
default, or ``'bf16'``) is OpenVINO's ``INFERENCE_PRECISION_HINT`` on the
CPU: bf16 needs AVX-512 BF16 or AMX, elsewhere OpenVINO runs fp32.
"""
import os.path as osp
from typing import Any, Dict, Optional, Sequence

import mmdeploy.backend.openvino  # noqa: F401  (registers theirs first)
import torch
from mmdeploy.backend.base import BACKEND_MANAGERS, BaseBackendManager
from mmdeploy.backend.base.base_wrapper import BaseWrapper
from mmdeploy.utils import get_backend_config

#: ``backend_config.precision`` -> OpenVINO's CPU inference precision.
PRECISIONS: Dict[str, str] = {'fp32': 'f32', 'bf16': 'bf16'}


def precision_of(deploy_cfg: Any) -> str:
    """The OpenVINO precision a deploy config asks for (``'fp32'``
    unless ``backend_config.precision`` says otherwise)."""
    precision = get_backend_config(deploy_cfg).get('precision', 'fp32')
    if precision not in PRECISIONS:
        raise ValueError(f'backend_config.precision must be one of '
                         f'{sorted(PRECISIONS)}, got {precision!r}')
    return precision


class OpenVINOWrapper(BaseWrapper):
    """Runs an OpenVINO IR (``.xml`` beside its ``.bin``) on the CPU; the
    model is recompiled when an input shape changes (dynamic exports)."""

    def __init__(self,
                 ir_model_file: str,
                 output_names: Optional[Sequence[str]] = None,
                 precision: str = 'fp32') -> None:
        import openvino as ov
        self.core = ov.Core()
        self.model = self.core.read_model(ir_model_file)
        self.config = {'INFERENCE_PRECISION_HINT': PRECISIONS[precision]}
        self.compiled = self.core.compile_model(self.model, 'CPU', self.config)
        if output_names is None:
            output_names = [o.get_any_name() for o in self.model.outputs]
        super().__init__(output_names)

    def forward(self, inputs: Dict[str,
                                   torch.Tensor]) -> Dict[str, torch.Tensor]:
        arrays = {
            name: tensor.detach().cpu().contiguous().numpy()
            for name, tensor in inputs.items()
        }
        results = self.compiled(arrays)
        by_name = {
            name: torch.from_numpy(results[self.compiled.output(name)].copy())
            for name in self.output_names
        }
        return by_name


@BACKEND_MANAGERS.register('openvino')
class OpenVINOManager(BaseBackendManager):
    """mmdeploy backend manager: ONNX -> OpenVINO IR -> CPU inference."""

    @classmethod
    def build_wrapper(cls,
                      backend_files: Sequence[str],
                      device: str = 'cpu',
                      input_names: Optional[Sequence[str]] = None,
                      output_names: Optional[Sequence[str]] = None,
                      deploy_cfg: Optional[Any] = None,
                      **kwargs) -> OpenVINOWrapper:
        if device != 'cpu':
            raise ValueError(f'the OpenVINO backend runs on the CPU, got '
                             f'device {device!r}; use --device cpu')
        precision = 'fp32' if deploy_cfg is None else precision_of(deploy_cfg)
        return OpenVINOWrapper(backend_files[0], output_names, precision)

    @classmethod
    def is_available(cls, with_custom_ops: bool = False) -> bool:
        import importlib.util
        return importlib.util.find_spec('openvino') is not None

    @classmethod
    def get_version(cls) -> str:
        if not cls.is_available():
            return 'None'
        import openvino
        return openvino.__version__

    @classmethod
    def to_backend(cls,
                   ir_files: Sequence[str],
                   work_dir: str,
                   deploy_cfg: Any,
                   log_level: int = 20,
                   device: str = 'cpu',
                   **kwargs) -> Sequence[str]:
        """Convert each ONNX file to ``work_dir/<name>.xml`` (+ ``.bin``)."""
        return [onnx_to_openvino(path, work_dir) for path in ir_files]


def onnx_to_openvino(onnx_file: str, work_dir: str) -> str:
    """Convert one ONNX file to OpenVINO IR; returns the ``.xml`` path."""
    import openvino as ov
    name = osp.splitext(osp.basename(onnx_file))[0]
    xml = osp.join(work_dir, f'{name}.xml')
    # The IR keeps float32 weights; precision is chosen at compile time.
    ov.save_model(ov.convert_model(onnx_file), xml, compress_to_fp16=False)
    return xml


__all__ = [
    'OpenVINOManager', 'OpenVINOWrapper', 'PRECISIONS', 'onnx_to_openvino',
    'precision_of'
]
