"""Data transforms that mmdet/mmseg do not have (registered on import)."""
from .resize import ResizeShortSideToMultiple

__all__ = ['ResizeShortSideToMultiple']
