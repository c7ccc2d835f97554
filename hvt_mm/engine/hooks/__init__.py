"""Hooks; each module registers its class on import."""
from .benchmark_hook import BenchmarkHook
from .compile_hook import CompileHook

__all__ = ['BenchmarkHook', 'CompileHook']
