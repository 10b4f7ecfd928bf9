"""Tokens: issuing them, refresh token families, and the signing key ring with its rotation."""
