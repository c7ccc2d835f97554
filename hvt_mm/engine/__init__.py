"""Training/testing extensions: benchmark and compile hooks, layer-decay
constructor, mixed precision for training and testing."""
from .compile import CompileSettings, compile_model, configure_compile
from .hooks import BenchmarkHook, CompileHook
from .optimizers import (BF16AmpOptimWrapper,
                         LayerDecayOptimWrapperConstructor, amp_optim_wrapper)
from .runner import AmpTestLoop, amp_test_cfg, precision_of

__all__ = [
    'AmpTestLoop', 'amp_test_cfg', 'precision_of', 'BenchmarkHook',
    'BF16AmpOptimWrapper', 'CompileHook', 'CompileSettings',
    'LayerDecayOptimWrapperConstructor', 'amp_optim_wrapper', 'compile_model',
    'configure_compile'
]
