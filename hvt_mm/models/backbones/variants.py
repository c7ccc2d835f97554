"""Name the family and variant a checkpoint belongs to (for error messages).

Every arch of every given backbone family (see
:meth:`~hvt_mm.models.backbones.base.HVTBackbone.families`) is built once
on the ``meta`` device (no memory, no compute) and its parameter names and
shapes are compared with the checkpoint's after that family's converter.
Only error paths call this.
"""
import functools
from typing import Dict, List, Sequence, Tuple

import torch
import torch.nn as nn

Shapes = Dict[str, Tuple[int, ...]]
StateDict = Dict[str, torch.Tensor]


@functools.lru_cache(maxsize=None)
def _variant_shapes(family: type, arch: str, kwargs: Tuple[Tuple[str, object],
                                                           ...]) -> Shapes:
    with torch.device('meta'):
        model = family(arch=arch, out_indices=(), **dict(kwargs))
    return _required(family, model.state_dict())


def _required(family: type, state: StateDict) -> Shapes:
    optional = family.optional_checkpoint_keys
    return {
        k: tuple(v.shape)
        for k, v in state.items() if not optional.match(k)
    }


NO_MATCH = ('The checkpoint matches no variant of any hvt_mm family; is it '
            'a checkpoint of another model, or does `prefix` need to be set '
            '(e.g. prefix="backbone.")?')


def _matches(state: StateDict,
             families: Sequence[type]) -> List[Tuple[type, str, dict]]:
    """``(family, arch, constructor settings)`` of each matching variant."""
    found = []
    for family in families:
        try:
            converted = family.checkpoint_converter(state)
        except (KeyError, ValueError):
            continue  # another family's layout
        shapes = _required(family, converted)
        kwargs = family.variant_kwargs(converted)
        forms = [kwargs]
        if 'deploy' not in kwargs:  # inference-form (fused) files too
            forms.append(dict(kwargs, deploy=True))
        seen = set()
        for arch, settings in family.arch_zoo.items():
            if id(settings) in seen:
                continue  # an alias of a variant already tried
            seen.add(id(settings))
            for form in forms:
                key = tuple(sorted(form.items()))
                if _variant_shapes(family, arch, key) == shapes:
                    found.append((family, arch, form))
                    break
    return found


def matching_variants(state: StateDict,
                      families: Sequence[type]) -> List[Tuple[str, str]]:
    """``(family, arch)`` pairs whose required entries equal ``state``'s
    (a checkpoint after unwrapping, in any family's official layout)."""
    return [(family.__name__, arch)
            for family, arch, _ in _matches(state, families)]


def describe_checkpoint(model: nn.Module, state: StateDict,
                        families: Sequence[type]) -> str:
    """One sentence saying what ``state`` is and which setting to change,
    or ``''`` when it is a checkpoint of the model's own variant (the error
    itself then says what differs)."""
    found = _matches(state, families)
    name = type(model).__name__
    if not found:
        return NO_MATCH
    family, arch, form = found[0]
    family = family.__name__
    # Settings the variant is told apart by (deploy, token counts) that
    # the model was built without.
    differ = {k: v for k, v in form.items() if getattr(model, k, v) != v}
    settings = ''.join(f', {k}={v!r}' for k, v in differ.items())
    zoo = type(model).arch_zoo.get(arch, {}) if family == name else {}
    expected = dict(zoo, **{k: v for k, v in form.items() if k in zoo})
    if family == name and not differ and model.arch_settings == expected:
        return ''
    article = 'an' if family[0] in 'AEIOU' else 'a'
    if family != name:
        return (f'It is {article} {family} checkpoint (arch={arch!r}'
                f'{settings}), not {"an" if name[0] in "AEIOU" else "a"} '
                f'{name} one: use type="hvt_mm.{family}", arch={arch!r}'
                f'{settings}, or a {name} checkpoint.')
    return (f'It is {article} {family} checkpoint of arch={arch!r}'
            f'{settings}: set arch={arch!r}{settings} in the backbone '
            'config, or use a checkpoint of the variant the model was built '
            'with.')
