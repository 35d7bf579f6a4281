"""Reading operator configuration files."""
