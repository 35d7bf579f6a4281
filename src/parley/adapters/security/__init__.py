"""Password hashing, access tokens, the instance secret."""
