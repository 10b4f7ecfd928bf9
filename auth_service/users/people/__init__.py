"""People: registration, profiles, roles and access, and proving an address is one's own (one-time codes)."""
