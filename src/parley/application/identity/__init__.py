"""Identity use cases: accounts, sessions, API keys, and resolving who a request acts as."""
