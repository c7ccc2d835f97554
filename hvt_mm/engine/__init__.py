"""Training/testing extensions: benchmark hook, layer-decay constructor."""
