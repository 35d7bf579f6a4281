"""The chat path: choosing a model, calling its provider, streaming, and storing turns."""
