"""Model configurations: admin management, startup registration, and the hot-path catalog."""
