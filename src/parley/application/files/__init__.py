"""Files: uploads streamed to a blob store, their text, and their use as chat context."""
