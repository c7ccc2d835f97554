"""Layer-wise learning-rate decay driven by ``backbone.get_layer_depth``."""
from collections import Counter
from typing import Dict, List, Optional, Tuple

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor

from ...registry import register_optim_wrapper_constructor


@register_optim_wrapper_constructor
class LayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor plus lr decay over backbone depth.

    Every parameter first gets mmengine's paramwise treatment
    (``custom_keys``, ``bias_lr_mult``, ``bias_decay_mult``,
    ``norm_decay_mult``, ``dwconv_decay_mult``, ``flat_decay_mult``, ...),
    then the learning rate of each ``backbone.*`` parameter is multiplied by
    ``layer_decay_rate ** (num_layers - 1 - layer_id)``, where
    ``(layer_id, num_layers) = model.backbone.get_layer_depth(name)`` and
    ``name`` is the parameter name inside the backbone. Parameters outside
    the backbone (neck, heads) keep scale 1. Weight decay is not scaled.

    The backbone defines what a layer is, so this works for any detector
    or segmentor whose backbone implements ``get_layer_depth``, unlike the
    ConvNeXt/BEiT-specific constructors of mmdet and mmseg.

    ``paramwise_cfg`` keys, in addition to mmengine's:
        layer_decay_rate (float): Required, in ``(0, 1]``.

    Example:
        >>> optim_wrapper = dict(
        ...     optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
        ...     constructor='hvt_mm.LayerDecayOptimWrapperConstructor',
        ...     paramwise_cfg=dict(layer_decay_rate=0.9, norm_decay_mult=0.,
        ...                        flat_decay_mult=0.))
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        paramwise_cfg = dict(paramwise_cfg or {})
        if 'layer_decay_rate' not in paramwise_cfg:
            raise ValueError(
                'LayerDecayOptimWrapperConstructor needs '
                'paramwise_cfg=dict(layer_decay_rate=...), e.g. 0.9; use '
                'the default constructor if you do not want layer decay.')
        # Left in paramwise_cfg (mmengine ignores unknown keys) so that it is
        # never empty: an empty one makes mmengine skip add_params.
        rate = paramwise_cfg['layer_decay_rate']
        if not isinstance(rate, (int, float)) or not 0 < rate <= 1:
            raise ValueError(
                f'layer_decay_rate must be a number in (0, 1], got {rate!r}')
        self.layer_decay_rate = float(rate)
        super().__init__(optim_wrapper_cfg, paramwise_cfg)
        if self.base_lr is None:
            raise ValueError('LayerDecayOptimWrapperConstructor needs an '
                             'explicit optimizer lr to scale.')

    def add_params(self,
                   params: List[dict],
                   module: nn.Module,
                   prefix: str = '',
                   is_dcn_module=None) -> None:
        super().add_params(params, module, prefix, is_dcn_module)
        if prefix == '':
            # The recursion enters here once per submodule; only the
            # outermost call sees the whole model and rescales the groups.
            self._apply_layer_decay(params, module)

    def _apply_layer_decay(self, params: List[dict], model: nn.Module) -> None:
        backbone = getattr(model, 'backbone', None)
        if backbone is None or not callable(
                getattr(backbone, 'get_layer_depth', None)):
            raise TypeError(
                'LayerDecayOptimWrapperConstructor needs model.backbone with '
                f'a get_layer_depth(name) method; {type(model).__name__} ' +
                ('has no backbone' if backbone is None else
                 f'has backbone {type(backbone).__name__} without it') +
                '. Use a hvt_mm backbone or the default constructor.')
        names = {
            id(p): n[len('backbone.'):]
            for n, p in model.named_parameters(remove_duplicate=False)
            if n.startswith('backbone.')
        }
        counts: Dict[Tuple[int, int], int] = Counter()
        for group in params:
            name = names.get(id(group['params'][0]))
            if name is None:
                continue
            layer_id, num_layers = self._layer_depth(backbone, name)
            scale = self.layer_decay_rate**(num_layers - 1 - layer_id)
            group['lr'] = group.get('lr', self.base_lr) * scale
            counts[(layer_id, num_layers)] += 1
        rate = self.layer_decay_rate
        summary = ', '.join(
            f'{layer}/{total}: x{rate**(total - 1 - layer):.4g} ({n} params)'
            for (layer, total), n in sorted(counts.items()))
        print_log(
            f'layer decay {self.layer_decay_rate} on '
            f'{type(backbone).__name__}: {summary}',
            logger='current')

    @staticmethod
    def _layer_depth(backbone: nn.Module, name: str) -> Tuple[int, int]:
        depth = backbone.get_layer_depth(name)
        valid = (
            isinstance(depth, tuple) and len(depth) == 2
            and all(isinstance(v, int) for v in depth)
            and 0 <= depth[0] < depth[1])
        if not valid:
            raise ValueError(
                f'{type(backbone).__name__}.get_layer_depth({name!r}) '
                f'returned {depth!r}; expected (layer_id, num_layers) ints '
                'with 0 <= layer_id < num_layers.')
        return depth
