"""Optimizer wrappers and constructors; registered on import."""
from .amp import BF16AmpOptimWrapper, amp_optim_wrapper
from .layer_decay import LayerDecayOptimWrapperConstructor

__all__ = [
    'BF16AmpOptimWrapper', 'LayerDecayOptimWrapperConstructor',
    'amp_optim_wrapper'
]
