"""Sign-in: the password check behind bounded guessing (lockout per address, slow-down per email)."""
