"""Shared API of every hvt_mm backbone (arch tables, outputs, freezing)."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.utils.checkpoint as cp
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

OutIndices = Union[int, Sequence[int]]


class HVTBackbone(BaseModule):
    """Base class implementing the options shared by all four families.

    Subclasses define ``arch_zoo`` (variant name -> per-stage settings),
    ``checkpoint_family`` (module name under :mod:`hvt_mm.checkpoint` that
    converts official checkpoints) and ``min_input_size``, build their layers,
    then call :meth:`_init_outputs`. They implement :meth:`_stem_modules`
    and :meth:`_stage_modules` (or override :meth:`_frozen_modules` when
    their output levels do not map one-to-one to stages) and
    :meth:`get_layer_depth`.

    Conventions (identical in every family):

    * ``out_indices``: int or sequence; negative values count from the
      number of stages; stored as a sorted tuple.
    * ``out_norm_cfg``: norm config for the ``norm{i}`` layer applied to each
      returned map; ``None`` returns raw stage features.
    * ``frozen_stages``: -1 freezes nothing, 0 the stem, ``k`` the stem plus
      stages ``0..k-1`` and their output norms.
    * ``norm_eval``: keep BatchNorm-type layers (only those) in eval mode
      during training.
    * ``with_cp``: gradient checkpointing, one block at a time, only while
      gradients flow.
    """

    arch_zoo: Dict[str, dict] = {}
    checkpoint_family: str = ''
    min_input_size: int = 32

    def __init__(self,
                 in_channels: int = 3,
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(in_channels, int) or in_channels < 1:
            raise ValueError(
                f'in_channels must be a positive int, got {in_channels!r}')
        self.in_channels = in_channels
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.with_cp = with_cp

    # ------------------------------------------------------------------ arch
    @classmethod
    def parse_arch(cls, arch: Union[str, dict]) -> dict:
        """Return a copy of the settings of ``arch`` (a name or a dict)."""
        required = set(next(iter(cls.arch_zoo.values())))
        if isinstance(arch, str):
            key = arch.lower()
            if key not in cls.arch_zoo:
                raise ValueError(
                    f'Unknown {cls.__name__} arch {arch!r}; choose one of '
                    f'{sorted(cls.arch_zoo)} or pass a dict with keys '
                    f'{sorted(required)}.')
            return copy.deepcopy(cls.arch_zoo[key])
        if not isinstance(arch, dict):
            raise TypeError(f'{cls.__name__} arch must be a str or dict, '
                            f'got {type(arch).__name__}')
        missing, extra = required - set(arch), set(arch) - required
        if missing or extra:
            raise ValueError(
                f'Custom {cls.__name__} arch must have exactly the keys '
                f'{sorted(required)}; missing {sorted(missing)}, '
                f'unexpected {sorted(extra)}.')
        return copy.deepcopy(arch)

    @staticmethod
    def parse_out_indices(out_indices: OutIndices,
                          num_stages: int) -> Tuple[int, ...]:
        """Normalise ``out_indices`` to a sorted tuple of valid indices."""
        if isinstance(out_indices, int):
            out_indices = [out_indices]
        indices = []
        for index in out_indices:
            if not -num_stages <= index < num_stages:
                raise ValueError(
                    f'out_indices {tuple(out_indices)} out of range for '
                    f'{num_stages} stages (valid: {-num_stages}..'
                    f'{num_stages - 1}).')
            indices.append(index % num_stages)
        if len(set(indices)) != len(indices):
            raise ValueError(f'Duplicate out_indices: {tuple(out_indices)}')
        return tuple(sorted(indices))

    @staticmethod
    def drop_path_rates(drop_path_rate: float,
                        depths: Sequence[int]) -> List[List[float]]:
        """Stochastic depth rising linearly over all blocks, split by stage."""
        total = sum(depths)
        rates = torch.linspace(
            0, drop_path_rate, total, device='cpu').tolist()  # meta-safe
        out, start = [], 0
        for depth in depths:
            out.append(rates[start:start + depth])
            start += depth
        return out

    # --------------------------------------------------------------- outputs
    def _init_outputs(self, stage_channels: Sequence[int],
                      out_indices: OutIndices,
                      out_norm_cfg: Optional[dict]) -> None:
        """Set ``out_indices``, ``out_channels`` and build ``norm{i}``."""
        self.num_stages = len(stage_channels)
        self.stage_channels = tuple(stage_channels)
        self.out_indices = self.parse_out_indices(out_indices,
                                                  self.num_stages)
        self.out_channels = tuple(stage_channels[i] for i in self.out_indices)
        self.out_norm_cfg = copy.deepcopy(out_norm_cfg)
        for i in self.out_indices:
            if out_norm_cfg is None:
                norm = nn.Identity()
            else:
                norm = build_norm_layer(out_norm_cfg, stage_channels[i])[1]
            self.add_module(f'norm{i}', norm)
        self._freeze_stages()

    def _output(self, index: int, feature: torch.Tensor) -> torch.Tensor:
        return getattr(self, f'norm{index}')(feature)

    # ----------------------------------------------------------------- input
    def _check_input(self, x: torch.Tensor) -> None:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'{type(self).__name__} expects a (B, {self.in_channels}, H, '
                f'W) tensor, got shape {tuple(x.shape)}; set in_channels '
                'to match your data or fix the data pipeline.')
        h, w = x.shape[-2:]
        if min(h, w) < self.min_input_size:
            raise ValueError(
                f'{type(self).__name__} input {h}x{w} is too small; the '
                f'minimum side is {self.min_input_size} pixels. Resize or '
                'pad the image.')

    def _run_block(self, block: nn.Module, *args):
        """Call ``block``, checkpointing activations if ``with_cp``."""
        if self.with_cp and self.training and torch.is_grad_enabled() and \
                any(isinstance(a, torch.Tensor) and a.requires_grad
                    for a in args):
            return cp.checkpoint(block, *args, use_reentrant=False)
        return block(*args)

    # -------------------------------------------------------------- freezing
    def _stem_modules(self) -> List[nn.Module]:
        raise NotImplementedError

    def _stage_modules(self, index: int) -> List[nn.Module]:
        """Modules of stage ``index`` including its downsample layers."""
        raise NotImplementedError

    def _frozen_modules(self) -> List[nn.Module]:
        """What ``frozen_stages`` freezes: the stem, stages
        ``0..frozen_stages-1`` and their output norms."""
        modules = list(self._stem_modules())
        for i in range(min(self.frozen_stages, self.num_stages)):
            modules += self._stage_modules(i)
            if i in self.out_indices:
                modules.append(getattr(self, f'norm{i}'))
        return modules

    def _freeze_stages(self) -> None:
        if self.frozen_stages < 0:
            return
        for module in self._frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'HVTBackbone':
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self

    # ---------------------------------------------------------------- layers
    def get_layer_depth(self, param_name: str,
                        prefix: str = '') -> Tuple[int, int]:
        """Return ``(layer_id, num_layers)`` of a parameter for lr decay.

        The stem is layer 0, blocks count upward, output norms take the
        largest id. Names outside ``prefix`` get ``num_layers - 1``.
        """
        raise NotImplementedError

    # ---------------------------------------------------------- initialise
    def init_weights(self) -> None:
        init_cfg = self.init_cfg
        if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
            from hvt_mm.checkpoint.loading import load_pretrained
            load_pretrained(
                self,
                init_cfg['checkpoint'],
                prefix=init_cfg.get('prefix'),
                map_location=init_cfg.get('map_location', 'cpu'))
            self._is_init = True
            return
        self._init_custom_weights()
        super().init_weights()

    def _init_custom_weights(self) -> None:
        """Family-specific default initialisation (before ``init_cfg``)."""
