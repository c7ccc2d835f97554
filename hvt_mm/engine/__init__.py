"""Training/testing extensions: benchmark hook, layer-decay constructor,
bfloat16 mixed precision."""
from .hooks import BenchmarkHook
from .optimizers import (BF16AmpOptimWrapper,
                         LayerDecayOptimWrapperConstructor, amp_optim_wrapper)

__all__ = [
    'BenchmarkHook', 'BF16AmpOptimWrapper',
    'LayerDecayOptimWrapperConstructor', 'amp_optim_wrapper'
]
