"""Implementations of the application's ports. Only the composition root picks them."""
