"""The contract every hvt_mm backbone implements: options, outputs, hooks.

A family subclasses :class:`HVTBackbone`, fills the class attributes and
builds its modules in the shared layout (``stem``, ``stages[i]`` with
``downsample`` and ``blocks``); everything shared (arch tables,
``out_indices``, output norms, the stage loop, freezing, ``norm_eval``,
``with_cp``, layer ids for lr decay, pretrained loading and its error
messages) lives here, once, and is derived from that layout.
"""
import copy
import inspect
import re
from typing import (Callable, Dict, FrozenSet, List, Optional, Pattern,
                    Sequence, Tuple, Union)

import torch
import torch.nn as nn
import torch.utils.checkpoint as cp
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from mmengine.runner.checkpoint import CheckpointLoader
from torch.nn.modules.batchnorm import _BatchNorm

from ...checkpoint import (CheckpointMismatchError, check_state_dict_fits,
                           load_state_dict_checked, select_prefix,
                           unwrap_state_dict)
from ...utils.suggest import did_you_mean
from ..layers.reparam import fusible_modules, parameters_on_meta
from .variants import NO_MATCH, describe_checkpoint

OutIndices = Union[int, Sequence[int]]
StateDict = Dict[str, torch.Tensor]
#: One entry of :meth:`HVTBackbone.freeze_groups`.
FreezeGroup = List[Union[nn.Module, nn.Parameter]]


class HVTBackbone(BaseModule):
    """Base class of the FasterViT, EfficientViT, LightViT and FastViT
    backbones.

    Options shared by every family (same meaning everywhere):

    * ``arch``: a key of :attr:`arch_zoo` or a dict with exactly its keys.
    * ``in_channels``: image channels.
    * ``out_indices``: int or sequence of output levels; negative values
      count from the number of levels; stored as a sorted tuple, with
      ``out_channels`` aligned to it.
    * ``out_norm_cfg``: norm config of the ``norm{i}`` layer applied to each
      returned map; ``None`` returns raw stage features.
    * ``frozen_stages``: -1 freezes nothing, 0 the stem, ``k`` the stem plus
      the first ``k`` stages and their output norms (see
      :meth:`freeze_groups`); frozen parts stay frozen after ``train()``.
    * ``norm_eval``: keep BatchNorm-type layers (only those) in eval mode.
    * ``with_cp``: gradient checkpointing, one block at a time, only while
      gradients flow (see :meth:`_run_block`).
    * ``init_cfg``: ``dict(type='Pretrained', checkpoint=PATH_OR_URL,
      prefix=...)`` loads official files, converted files and detector or
      segmentor checkpoints.
    * ``deploy``: build the inference form (see :meth:`switch_to_deploy`);
      a training-form checkpoint loaded into it is fused on load.

    A family provides (each documented below):

    * class attributes :attr:`arch_zoo`, :attr:`min_input_size`,
      :attr:`checkpoint_converter`, :attr:`optional_checkpoint_keys`,
      :attr:`stem_extras`;
    * the modules ``stem`` and ``stages`` (:class:`~hvt_mm.models.layers.
      HVTStage`), and where the stem or a stage passes more than one map,
      :meth:`forward_stem`, :meth:`run_stage` and :meth:`stage_outputs`
      (EfficientViT's stem is an output level, LightViT carries global
      tokens); optionally :meth:`stem_levels`;
    * optionally :meth:`adapt_state_dict` (checkpoints in another form of
      the same weights) and :meth:`variant_kwargs` (how to build a candidate
      variant when naming the arch of a mismatching checkpoint);
    * its inference form, by giving the modules that fuse a
      ``switch_to_deploy()`` (see :mod:`hvt_mm.models.layers.reparam`) and
      a ``deploy`` constructor argument passed on to this class.

    After building its layers a family calls :meth:`_init_outputs`.
    """

    #: Variant name -> per-stage settings (one dict layout per family).
    arch_zoo: Dict[str, dict] = {}
    #: Smallest image side the model accepts.
    min_input_size: int = 32
    #: Pure function mapping an official (or already converted) state dict
    #: to this family's names: ``hvt_mm.checkpoint.<family>.convert``.
    checkpoint_converter: Callable[[StateDict], StateDict] = staticmethod(
        lambda state: state)
    #: Entries that official checkpoints cannot hold (layers new in the
    #: dense-prediction backbone); missing ones are initialised, not errors.
    optional_checkpoint_keys: Pattern = re.compile(r'norm\d+\.')
    #: Top-level modules or parameters besides ``stem``, ``stages`` and the
    #: output norms that belong to the stem for freezing and lr decay.
    stem_extras: Tuple[str, ...] = ()
    #: Why ONNX export needs a fixed input size (None: height and width can
    #: be dynamic axes); see :mod:`hvt_mm.deployment.onnx_export`.
    static_export_reason: Optional[str] = None

    def __new__(cls, *args, **kwargs) -> 'HVTBackbone':
        # A misspelt config key would otherwise end in Python's bare
        # "unexpected keyword argument"; name the closest valid one.
        params = inspect.signature(cls.__init__).parameters
        # (a subclass taking **kwargs checks its own)
        if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            for name in kwargs:
                if name not in params:
                    valid = [p for p in params if p != 'self']
                    raise TypeError(
                        f'{cls.__name__} has no argument {name!r}'
                        f'{did_you_mean(name, valid)}; its arguments are '
                        f'{", ".join(valid)}. Fix the backbone config.')
        self = super().__new__(cls)
        # Fusing a training-form checkpoint on load builds the same model in
        # training form (_twin) from these arguments.
        self.__dict__['_init_args'] = copy.deepcopy((args, kwargs))
        return self

    def __init__(self,
                 in_channels: int = 3,
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None,
                 deploy: bool = False) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(in_channels, int) or in_channels < 1:
            raise ValueError(
                f'in_channels must be a positive int (3 for RGB images), '
                f'got {in_channels!r}')
        self.in_channels = in_channels
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.with_cp = with_cp
        self.deploy = bool(deploy)

    # ------------------------------------------------------------------ arch
    @classmethod
    def parse_arch(cls, arch: Union[str, dict]) -> dict:
        """Return a copy of the settings of ``arch`` (a name or a dict)."""
        required = set(next(iter(cls.arch_zoo.values())))
        if isinstance(arch, str):
            key = arch.lower()
            if key not in cls.arch_zoo:
                raise ValueError(
                    f'Unknown {cls.__name__} arch {arch!r}'
                    f'{did_you_mean(arch, cls.arch_zoo)}; choose one of '
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
                          num_levels: int) -> Tuple[int, ...]:
        """Normalise ``out_indices`` to a sorted tuple of valid indices."""
        if isinstance(out_indices, int):
            out_indices = [out_indices]
        indices = []
        for index in out_indices:
            if not -num_levels <= index < num_levels:
                raise ValueError(
                    f'out_indices {tuple(out_indices)} out of range for '
                    f'{num_levels} output levels (valid: {-num_levels}..'
                    f'{num_levels - 1}).')
            indices.append(index % num_levels)
        if len(set(indices)) != len(indices):
            raise ValueError(
                f'Duplicate out_indices: {tuple(out_indices)} name the same '
                f'level twice (negative values count from the end: -1 is '
                f'{num_levels - 1}); list each level once.')
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
    def _init_outputs(self, level_channels: Sequence[int],
                      out_indices: OutIndices,
                      out_norm_cfg: Optional[dict]) -> None:
        """Set ``out_indices``/``out_channels``, build ``norm{i}``, freeze."""
        self.num_levels = len(level_channels)
        self.level_channels = tuple(level_channels)
        self.out_indices = self.parse_out_indices(out_indices, self.num_levels)
        self.out_channels = tuple(level_channels[i] for i in self.out_indices)
        self.out_norm_cfg = copy.deepcopy(out_norm_cfg)
        for i in self.out_indices:
            if out_norm_cfg is None:
                norm = nn.Identity()
            else:
                norm = build_norm_layer(out_norm_cfg, level_channels[i])[1]
            self.add_module(f'norm{i}', norm)
        if self.deploy:
            # The fused structure; its values come from a checkpoint.
            nn.Module.train(self, False)
            self._fuse_modules()
            nn.Module.train(self, True)
        num_groups = len(self.freeze_groups())
        if not -1 <= self.frozen_stages < num_groups:
            raise ValueError(
                f'frozen_stages must be in -1..{num_groups - 1} for '
                f'{type(self).__name__} (-1: nothing, 0: the stem, k: the '
                f'stem and the first k stages), got {self.frozen_stages}.')
        self._freeze_stages()

    def _output(self, index: int, feature: torch.Tensor) -> torch.Tensor:
        # Contiguous NCHW: LN2d and token reshapes leave channels-last
        # strides, which convolutions then pass on through the neck, and
        # mmcv's RoIAlign kernels (CPU and CUDA) read such maps as if they
        # were contiguous, silently giving wrong RoI features.
        return getattr(self, f'norm{index}')(feature).contiguous()

    def _out_norms(self, *levels: int) -> List[nn.Module]:
        """The output norms built for ``levels`` (for freeze groups)."""
        return [
            getattr(self, f'norm{i}') for i in levels if i in self.out_indices
        ]

    # ----------------------------------------------------------------- input
    def _check_input(self, x: torch.Tensor) -> None:
        """Refuse inputs of the wrong shape (shape checks only).

        Values are not checked: NaN/Inf pass through to the outputs (a
        ``torch.isfinite`` test would synchronise the device every forward).
        """
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'{type(self).__name__} expects a (B, {self.in_channels}, H, '
                f'W) tensor, got shape {tuple(x.shape)}; set in_channels '
                'to match your data or fix the data pipeline.')
        if x.shape[0] == 0:
            raise ValueError(
                f'{type(self).__name__} got an empty batch (shape '
                f'{tuple(x.shape)}); check the data loader and its filters '
                '(e.g. filter_cfg dropping every image) or skip empty '
                'batches before calling the model.')
        h, w = x.shape[-2:]
        if min(h, w) < self.min_input_size:
            raise ValueError(
                f'{type(self).__name__} input {h}x{w} is too small; the '
                f'minimum side is {self.min_input_size} pixels. Resize or '
                'pad the image.')

    # --------------------------------------------------------------- forward
    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """``(B, C, H, W)`` -> the ``out_indices`` maps, each
        ``(B, C_i, H_i, W_i)``, through the shared layout: the stem, then
        each stage (stopping after the last one an output needs)."""
        self._check_input(x)
        state, levels = self.forward_stem(x)
        offset = self.first_stage_level
        for i, stage in enumerate(self.stages):
            if i + offset > self.out_indices[-1]:
                break
            state = self.run_stage(stage, state)
            levels.update(self.stage_outputs(i, state))
        return tuple(self._output(i, levels[i]) for i in self.out_indices)

    def forward_stem(
            self, x: torch.Tensor) -> Tuple[object, Dict[int, torch.Tensor]]:
        """The state ``stages[0]`` takes and the output levels the stem
        computes (default: ``stem(x)``, none)."""
        return self.stem(x), {}

    def run_stage(self, stage: nn.Module, state):
        """One stage on the running state (default: ``stage(state,
        run_block)``, a map in and a map out)."""
        return stage(state, self._run_block)

    def stage_outputs(self, index: int, state) -> Dict[int, torch.Tensor]:
        """Output levels available after ``stages[index]`` (default: the
        state itself is the level ``index + num_levels - num_stages``)."""
        return {index + self.first_stage_level: state}

    def _run_block(self, block: nn.Module, *args):
        """Call ``block``, checkpointing activations if ``with_cp``."""
        if self.with_cp and self.training and torch.is_grad_enabled() and \
                any(isinstance(a, torch.Tensor) and a.requires_grad
                    for a in args):
            return cp.checkpoint(block, *args, use_reentrant=False)
        return block(*args)

    # -------------------------------------------------------------- freezing
    def freeze_groups(self) -> List[FreezeGroup]:
        """What each value of ``frozen_stages`` freezes, from the layout.

        Entry 0 is ``stem`` with the top-level extras named in
        :attr:`stem_extras` (global tokens...) and the output norms of the
        levels the stem produces; entry ``i + 1`` is ``stages[i]`` (its
        ``downsample`` and blocks) with the output norm of its level.
        ``frozen_stages=k`` freezes entries ``0..k``.
        """
        offset = self.first_stage_level
        stem = [self.stem] + [getattr(self, n) for n in self.stem_extras]
        groups = [stem + self._out_norms(*self.stem_levels())]
        for i, stage in enumerate(self.stages):
            groups.append([stage] + self._out_norms(i + offset))
        return groups

    def stem_levels(self) -> Sequence[int]:
        """Output levels computed before ``stages[0]`` that freeze with the
        stem (default: every level before the first stage's)."""
        return range(self.first_stage_level)

    @property
    def first_stage_level(self) -> int:
        """Output level of ``stages[0]`` (levels before it come from the
        stem: EfficientViT's stride-2 map, LightViT's stride-4 map)."""
        return self.num_levels - len(self.stages)

    def _freeze_stages(self) -> None:
        for group in self.freeze_groups()[:self.frozen_stages + 1]:
            for item in group:
                if isinstance(item, nn.Module):
                    item.eval()
                item.requires_grad_(False)

    def train(self, mode: bool = True) -> 'HVTBackbone':
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self

    # -------------------------------------------------------- inference form
    def switch_to_deploy(self) -> None:
        """Switch to the inference form in place (idempotent).

        Every module of the backbone that has a ``switch_to_deploy()`` is
        fused once (BatchNorms folded into the conv or linear layer before
        them, multi-branch blocks merged, fixed-geometry position encodings
        precomputed); frozen stages are re-frozen (fused layers are new
        parameters). Works in either mode, as mmpretrain's RepVGG and
        MobileOne do (mmdeploy calls it before ``model.eval()``): fusion
        uses the BatchNorm running statistics and the backbone is left in
        eval mode. Outputs stay equal to the training form's in eval mode
        and the state dict then matches a model built with ``deploy=True``.
        Only for inference: BatchNorm statistics are baked in.
        """
        if self.deploy:
            return
        self.eval()
        self._fuse_modules()
        self._freeze_stages()
        self.deploy = True

    def _fuse_modules(self) -> None:
        for module in fusible_modules(self):
            module.switch_to_deploy()

    def _twin(self, **changes) -> 'HVTBackbone':
        """A new model built with this one's constructor arguments, with
        ``changes`` applied and no ``init_cfg``."""
        args, kwargs = self._init_args
        signature = inspect.signature(type(self).__init__)
        changes = dict(changes, init_cfg=None)
        unknown = set(changes) - set(signature.parameters)
        if unknown:
            raise TypeError(f'{type(self).__name__}.__init__ takes no '
                            f'{sorted(unknown)} argument.')
        bound = signature.bind(None, *args, **kwargs)
        bound.arguments.update(changes)
        return type(self)(*bound.args[1:], **bound.kwargs)

    def _form_keys(self) -> Tuple[FrozenSet[str], FrozenSet[str]]:
        """State-dict entries only the training form has, and only the
        inference form has (from two twins built on the meta device)."""
        if '_form_keys_cache' not in self.__dict__:
            with torch.device('meta'):
                train, deploy = (
                    set(self._twin(deploy=d).state_dict())
                    for d in (False, True))
            self._form_keys_cache = (frozenset(train - deploy),
                                     frozenset(deploy - train))
        return self._form_keys_cache

    def state_dict_form(self, state: StateDict) -> Optional[str]:
        """``'train'``, ``'deploy'`` or None (no entry tells) for a state
        dict of this model's weights.

        Raises:
            CheckpointMismatchError: if it mixes entries of both forms.
        """
        train_only, deploy_only = self._form_keys()
        train = sorted(k for k in state if k in train_only)
        deploy = sorted(k for k in state if k in deploy_only)
        if train and deploy:
            raise CheckpointMismatchError(
                f'The {type(self).__name__} checkpoint mixes training-form '
                f'entries ({train[:3]}) and fused inference-form entries '
                f'({deploy[:3]}); save it again from one model.')
        return 'train' if train else 'deploy' if deploy else None

    # ---------------------------------------------------------------- layers
    def layer_table(self) -> List[List[str]]:
        """Parameter-name prefixes of each lr-decay layer, in depth order.

        Entry 0 is ``stem`` with :attr:`stem_extras`, then one entry per
        block of ``stages[i].blocks``; the other children of a stage
        (``downsample``, tokenizers, position encodings) join the entry of
        its first block. Output norms are not listed: they, and names
        outside the backbone, take the last layer id.
        """
        table = [['stem', *self.stem_extras]]
        for i, stage in enumerate(self.stages):
            leading = [
                f'stages.{i}.{name}' for name, _ in stage.named_children()
                if name != 'blocks'
            ]
            blocks = [
                f'stages.{i}.blocks.{j}' for j in range(len(stage.blocks))
            ]
            if not blocks:
                table.append(leading)
                continue
            table.append(leading + blocks[:1])
            table.extend([b] for b in blocks[1:])
        return table

    def _layer_ids(self) -> Dict[str, int]:
        if '_layer_id_cache' not in self.__dict__:
            self._layer_id_cache = {
                prefix: layer_id
                for layer_id, prefixes in enumerate(self.layer_table())
                for prefix in prefixes
            }
        return self._layer_id_cache

    def get_layer_depth(self,
                        param_name: str,
                        prefix: str = '') -> Tuple[int, int]:
        """Return ``(layer_id, num_layers)`` of a parameter for lr decay.

        The stem is layer 0, blocks count upward (:meth:`layer_table`),
        output norms and names outside ``prefix`` take ``num_layers - 1``.
        """
        ids = self._layer_ids()
        num_layers = len(self.layer_table()) + 1
        if param_name.startswith(prefix):
            parts = param_name[len(prefix):].split('.')
            for end in range(len(parts), 0, -1):
                layer_id = ids.get('.'.join(parts[:end]))
                if layer_id is not None:
                    return layer_id, num_layers
        return num_layers - 1, num_layers

    # ----------------------------------------------------------- checkpoints
    def adapt_state_dict(self, state: StateDict) -> StateDict:
        """Bring a state dict of this model's weights into its current form.

        Called once for every state dict loaded into the backbone (by
        ``load_state_dict``, mmengine's ``load_from`` and ``init_cfg``), on
        the backbone's own entries. A training-form state dict loaded into
        a ``deploy=True`` model is fused here; a fused one loaded into a
        training-form model is refused (fusion cannot be undone).

        Raises:
            CheckpointMismatchError: for fused weights in a training-form
                model, or training-form weights that do not fit.
        """
        own = self.state_dict()
        if all(k in own for k in state):
            return state  # already this form (the loader names what is off)
        form = self.state_dict_form(state)
        if form is None or form == ('deploy' if self.deploy else 'train'):
            return state
        name = type(self).__name__
        if form == 'deploy':
            _, deploy_only = self._form_keys()
            example = next(k for k in state if k in deploy_only)
            raise CheckpointMismatchError(
                f'The checkpoint holds fused (inference-form) {name} weights '
                f'(e.g. {example!r}, from switch_to_deploy() or tools/'
                f'model_converters/reparameterize.py), but this {name} was '
                'built with deploy=False. Set deploy=True in the backbone '
                'config for inference; to train, load the training-form '
                'checkpoint (fused weights cannot be un-fused).')
        return self._fuse_state(state)

    def _fuse_state(self, state: StateDict) -> StateDict:
        """The inference-form equivalent of a training-form state dict.

        The training-form twin that fuses it holds the checkpoint's own
        tensors (``assign=True``) and was built with its parameters on the
        meta device, so no second full model is allocated (FasterViT-6 has
        1.36 B parameters); buffers are built for real, since derived ones
        (index tables) are not in checkpoints.
        """
        with parameters_on_meta():
            twin = self._twin(deploy=False)
        device = next(iter(state.values())).device
        for module in twin.modules():  # derived buffers next to the weights
            for name, buffer in module.named_buffers(recurse=False):
                if buffer.device != device:
                    setattr(module, name, buffer.to(device))
        result = twin.load_state_dict(state, strict=False, assign=True)
        missing = set(result.missing_keys)
        problems = [
            k for k in missing if not self.optional_checkpoint_keys.match(k)
        ]
        if problems or result.unexpected_keys:
            raise CheckpointMismatchError(
                f'Cannot fuse the training-form {type(self).__name__} '
                'checkpoint for this deploy=True model: missing '
                f'{sorted(problems)[:6]}, unexpected '
                f'{sorted(result.unexpected_keys)[:6]}. Is it another '
                'variant? Check `arch`.')
        twin.switch_to_deploy()
        return {k: v for k, v in twin.state_dict().items() if k not in missing}

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """Every state dict reaching the backbone (``load_state_dict``,
        mmengine's ``load_from``/``resume``, ``init_cfg``) is converted from
        official or earlier hvt_mm layouts, brought into the model's form,
        and refused if it fits only in part."""
        keys = [k for k in state_dict if k.startswith(prefix)]
        if keys:
            own = {k[len(prefix):]: state_dict[k] for k in keys}
            adapted = self.adapt_state_dict(self.checkpoint_converter(own))
            for key in keys:
                del state_dict[key]
            state_dict.update((prefix + k, v) for k, v in adapted.items())
            try:
                check_state_dict_fits(
                    self,
                    adapted,
                    optional=self.optional_checkpoint_keys,
                    source=f'the {prefix.rstrip(".") or "backbone"} state '
                    'dict')
            except CheckpointMismatchError as exc:
                # Converted already when loaded through load_pretrained:
                # name a variant only if it is certain, else leave it to
                # load_pretrained, which has the original names.
                raise self._explained(exc, own, certain_only=True) from exc
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @staticmethod
    def families() -> List[type]:
        """Every backbone family (concrete subclass with an ``arch_zoo``)."""
        found, todo = [], list(HVTBackbone.__subclasses__())
        while todo:
            cls = todo.pop(0)
            if cls.arch_zoo:
                found.append(cls)
            todo.extend(cls.__subclasses__())
        return found

    @classmethod
    def variant_kwargs(cls, state: StateDict) -> dict:
        """Constructor arguments besides ``arch`` under which ``state`` (a
        converted checkpoint) can match a variant (default: none)."""
        return {}

    def load_pretrained(self,
                        checkpoint: str,
                        prefix: Optional[str] = None,
                        map_location: str = 'cpu') -> None:
        """Load a file or URL: official, converted, or a whole detector or
        segmentor checkpoint with ``prefix='backbone.'``.

        Raises:
            CheckpointMismatchError: naming the missing, unexpected and
                mis-shaped entries and, where it can tell, the family and
                variant the checkpoint belongs to.
        """
        raw = CheckpointLoader.load_checkpoint(checkpoint, map_location)
        state = select_prefix(unwrap_state_dict(raw), prefix)
        try:
            load_state_dict_checked(
                self,
                self.adapt_state_dict(self.checkpoint_converter(state)),
                optional=self.optional_checkpoint_keys,
                source=f'checkpoint {checkpoint!r}')
        except CheckpointMismatchError as exc:
            raise self._explained(exc, state) from exc

    def _explained(self,
                   exc: CheckpointMismatchError,
                   state: StateDict,
                   certain_only: bool = False) -> CheckpointMismatchError:
        """``exc`` plus, where it can tell, the family, variant and
        settings the checkpoint ``state`` belongs to (with
        ``certain_only``, nothing unless a variant matches)."""
        if getattr(exc, 'explained', False):
            return exc  # by the load hook this call went through
        what = describe_checkpoint(self, state, self.families())
        if certain_only and what == NO_MATCH:
            return exc
        explained = CheckpointMismatchError(
            f'{exc}\n{what}' if what else str(exc))
        explained.explained = True
        return explained

    def init_weights(self) -> None:
        """The family's initialisation, then ``init_cfg``.

        ``init_cfg`` may be a dict or a list (mmdet's idiom of several
        initialisers). Non-``Pretrained`` entries run as in mmengine; a
        ``Pretrained`` entry loads through :meth:`load_pretrained` (the
        family's converter, strict apart from the layers official files
        cannot hold), never through mmengine's partial ``PretrainedInit``.
        Modules the checkpoint does not cover keep the family's
        initialisation whether or not weights are loaded.
        """
        if self._is_init:
            return super().init_weights()  # mmengine warns and skips
        original = self.init_cfg
        configs = [original] if isinstance(original, dict) else list(original
                                                                     or [])
        pretrained = [c for c in configs if c.get('type') == 'Pretrained']
        if len(pretrained) > 1:
            raise ValueError(
                f'{type(self).__name__} init_cfg names {len(pretrained)} '
                'Pretrained checkpoints; keep one.')
        self._init_custom_weights()
        self.init_cfg = [c for c in configs if c not in pretrained] or None
        try:
            super().init_weights()
        finally:
            self.init_cfg = original
        if pretrained:
            cfg = pretrained[0]
            self.load_pretrained(
                cfg['checkpoint'],
                prefix=cfg.get('prefix'),
                map_location=cfg.get('map_location', 'cpu'))

    def _init_custom_weights(self) -> None:
        """Family-specific default initialisation (before ``init_cfg``)."""
