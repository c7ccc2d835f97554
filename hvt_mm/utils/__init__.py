"""The bottom layer: helpers every other package may use (error type,
spelling suggestions). Imports nothing else from hvt_mm."""
