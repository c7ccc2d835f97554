"""Loops; registered on import."""
from .amp_test_loop import AmpTestLoop, amp_context, amp_test_cfg, precision_of

__all__ = ['AmpTestLoop', 'amp_context', 'amp_test_cfg', 'precision_of']
