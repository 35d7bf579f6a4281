"""Blob stores for file bytes: a local directory, or S3-compatible object storage."""
