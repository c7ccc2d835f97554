"""Training/testing extensions: benchmark and compile hooks, layer-decay
constructor, bfloat16 mixed precision."""
from .compile import CompileSettings, compile_model, configure_compile
from .hooks import BenchmarkHook, CompileHook
from .optimizers import (BF16AmpOptimWrapper,
                         LayerDecayOptimWrapperConstructor, amp_optim_wrapper)

__all__ = [
    'BenchmarkHook', 'BF16AmpOptimWrapper', 'CompileHook', 'CompileSettings',
    'LayerDecayOptimWrapperConstructor', 'amp_optim_wrapper', 'compile_model',
    'configure_compile'
]
