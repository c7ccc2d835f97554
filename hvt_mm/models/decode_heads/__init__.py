"""mmseg decode heads (imported only when mmseg is installed)."""
