"""What the shared backbone tests need to know about each family.

One :class:`Family` entry per family: a new family adds one entry here and
nothing else to the shared tests. Expected values are written from the
papers' variant tables (quoted in ``docs/backbones/<family>.md``) and the
docstrings, not read back from the implementation.
"""
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple, Union

from hvt_mm.models.backbones import (EfficientViT, FasterViT, FastViT,
                                     HVTBackbone, LightViT)


@dataclass(frozen=True)
class Case:
    """A small configuration the runtime tests build and run.

    Attributes:
        arch: Arch name or dict (small, but with every module type).
        frozen: Parameter-name prefixes that ``frozen_stages=k`` freezes,
            as documented: ``frozen(k)`` for ``k`` in ``0..max_frozen``.
        max_frozen: Largest valid ``frozen_stages``.
        drop_path_scope: Prefix of the modules with stochastic depth.
    """
    arch: Union[str, dict]
    frozen: Callable[[int], List[str]]
    max_frozen: int
    drop_path_scope: str


@dataclass(frozen=True)
class Family:
    """Attributes:
        cls: The backbone class.
        cases: Runtime configurations (:class:`Case`).
        channels: Default ``out_channels`` of every arch (spec tables).
        official: Arch -> ``[(key list, build kwargs)]`` of its official
            checkpoint files (``tests/data/keys``).
        prefix: ``init_cfg`` prefix the official files need.
    """
    cls: type
    cases: Tuple[Case, ...]
    channels: Dict[str, Tuple[int, ...]]
    official: Dict[str, List[Tuple[str, dict]]] = field(default_factory=dict)
    prefix: Optional[str] = None

    @property
    def name(self) -> str:
        return self.cls.__name__


def _stages(stem: List[str], stage: Callable[[int], List[str]]):
    """``frozen(k)``: the stem, then stages ``1..k`` as ``stage(i)``."""
    return lambda k: stem + [p for i in range(1, k + 1) for p in stage(i)]


FASTERVIT = Family(
    cls=FasterViT,
    cases=(
        Case(
            arch=dict(
                stem_dims=8,
                embed_dims=[16, 32, 64, 128],
                depths=[1, 1, 3, 2],
                num_heads=[1, 2, 2, 4],
                window_sizes=[7, 7, 7, 7],
                hat=[False, False, True, False],
                layer_scale_init=0.5,
                do_propagation=True,
                drop_path_rate=0.),
            # stage i with the downsample leading into it, and its norm{i}
            frozen=_stages(['stem.'],
                           lambda i: [f'stages.{i - 1}.', f'norm{i - 1}.']),
            max_frozen=4,
            drop_path_scope='stages.'), ),
    channels={
        '0': (64, 128, 256, 512),
        '1': (80, 160, 320, 640),
        '2': (96, 192, 384, 768),
        '3': (128, 256, 512, 1024),
        '4': (196, 392, 784, 1568),
        '5': (320, 640, 1280, 2560),
        '6': (320, 640, 1280, 2560),
        '4_21k_224': (196, 392, 784, 1568),
        '4_21k_384': (196, 392, 784, 1568),
        '4_21k_512': (196, 392, 784, 1568),
        '4_21k_768': (196, 392, 784, 1568),
    },
    official={
        '0': [('fastervit_0_224', {})],
        '3': [('fastervit_3_224', {})],
        '4_21k_224': [('fastervit_4_21k_224', {})],
    })

EFFICIENTVIT = Family(
    cls=EfficientViT,
    cases=(
        Case(
            arch='b0',
            frozen=_stages(['stem.', 'norm0.'],
                           lambda i: [f'stages.{i - 1}.', f'norm{i}.']),
            max_frozen=4,
            drop_path_scope='stages.'),
        # Tiny L-series variant: the res/fmb/mb/att stages of L1.
        Case(
            arch=dict(
                series='l',
                stem_dims=8,
                stem_depth=1,
                embed_dims=[16, 16, 32, 32],
                depths=[1, 2, 1, 2],
                head_dim=16,
                norm_eps=1e-7),
            frozen=_stages(['stem.', 'norm0.'],
                           lambda i: [f'stages.{i - 1}.', f'norm{i}.']),
            max_frozen=4,
            # L models also drop the stem's residual blocks (official).
            drop_path_scope=''),
    ),
    channels={
        'b0': (16, 32, 64, 128),
        'b1': (32, 64, 128, 256),
        'b2': (48, 96, 192, 384),
        'b3': (64, 128, 256, 512),
        'l0': (64, 128, 256, 512),
        'l1': (64, 128, 256, 512),
        'l2': (64, 128, 256, 512),
        'l3': (128, 256, 512, 1024),
    },
    official={
        arch: [(f'efficientvit_cls_{arch}', {})]
        for arch in ('b0', 'b1', 'b2', 'b3', 'l1', 'l2', 'l3')
    },
    prefix='backbone.')

LIGHTVIT = Family(
    cls=LightViT,
    cases=(
        Case(
            arch=dict(
                embed_dims=[16, 32, 64],
                depths=[1, 2, 1],
                num_heads=[1, 2, 4],
                mlp_ratios=[4, 2, 2],
                num_tokens=4),
            # stem.* and the global tokens, then stages[i - 1] (merge included)
            # with norm{i}; the new stride-4 level (trans_conv, norm0) never
            frozen=_stages(['stem.', 'global_token'],
                           lambda i: [f'stages.{i - 1}.', f'norm{i}.']),
            max_frozen=3,
            drop_path_scope='stages.'), ),
    channels={
        **dict.fromkeys(['t', 'tiny'], (64, 64, 128, 256)),
        **dict.fromkeys(['s', 'small'], (96, 96, 192, 384)),
        **dict.fromkeys(['b', 'base'], (128, 128, 256, 512)),
    },
    official={
        't': [('lightvit_tiny', {})],
        's': [('lightvit_small', {})],
        'b': [('lightvit_base', {})],
    })

FASTVIT = Family(
    cls=FastViT,
    cases=(
        Case(
            arch=dict(
                depths=[1, 1, 1, 2],
                embed_dims=[8, 16, 32, 64],
                mlp_ratios=[2, 2, 2, 2],
                block_types=['repmixer'] * 3 + ['attention'],
                pos_embeds=[False] * 3 + [True],
                layer_scale_init=1e-5),
            # stages[i] holds its downsample and RepCPE (pos_embed)
            frozen=_stages(['stem.'],
                           lambda i: [f'stages.{i - 1}.', f'norm{i - 1}.']),
            max_frozen=4,
            drop_path_scope='stages.'), ),
    channels={
        't8': (48, 96, 192, 384),
        't12': (64, 128, 256, 512),
        's12': (64, 128, 256, 512),
        'sa12': (64, 128, 256, 512),
        'sa24': (64, 128, 256, 512),
        'sa36': (64, 128, 256, 512),
        'ma36': (76, 152, 304, 608),
    },
    official={
        arch: [(f'fastvit_{arch}_unfused', {}),
               (f'fastvit_{arch}_fused', dict(deploy=True))]
        for arch in ('t8', 't12', 's12', 'sa12', 'sa24', 'sa36', 'ma36')
    })

FAMILIES: Tuple[Family, ...] = (FASTERVIT, EFFICIENTVIT, LIGHTVIT, FASTVIT)
CASES = [(family, case) for family in FAMILIES for case in family.cases]


def case_id(pair) -> str:
    family, case = pair
    arch = case.arch if isinstance(case.arch, str) else 'tiny'
    if isinstance(case.arch, dict) and 'series' in case.arch:
        arch = f'tiny_{case.arch["series"]}'
    return f'{family.name}-{arch}'


def all_families_covered() -> bool:
    """Every backbone family has an entry here."""
    return set(HVTBackbone.families()) == {f.cls for f in FAMILIES}
