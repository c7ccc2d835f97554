"""Hooks; each module registers its class on import."""
from .benchmark_hook import BenchmarkHook

__all__ = ['BenchmarkHook']
