"""Training/testing extensions: benchmark hook, layer-decay constructor."""
from .hooks import BenchmarkHook
from .optimizers import LayerDecayOptimWrapperConstructor

__all__ = ['BenchmarkHook', 'LayerDecayOptimWrapperConstructor']
