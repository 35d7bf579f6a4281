"""Ports: small `typing.Protocol`s named for a capability, implemented under `parley.adapters`."""
