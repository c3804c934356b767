"""The staff roles, kept apart from the table definitions so the CLI can list them without SQLAlchemy."""

STAFF_ROLES = ("staff", "editor", "admin")  # editor: the content workspace only, no referrals
