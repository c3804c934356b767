"""Staff accounts: the rules for usernames and passwords, and argon2 hashing. No web code, so the
command line can add and change accounts without loading the web service."""
