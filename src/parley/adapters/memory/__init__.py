"""In-process adapters for the embedded default (one process, nothing shared)."""
