"""Administration of users: listing, viewing, creating, changing and removing accounts."""
