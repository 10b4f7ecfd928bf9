"""Signing key rotation: a new current key, the old one retired (it keeps verifying), and pruning.

Rotate whenever a key may have leaked, or on a schedule: tokens signed before keep verifying
with the retired key. Prune once every token a retired key signed has expired (the refresh token
lifetime by default): from then on nothing it signed verifies. `manage.py jwt_keys rotate|prune|list`
runs these; every worker of every process notices within JWT_KEYS_RELOAD_SECONDS (the key files
are the truth, not this process's memory).
"""

from __future__ import annotations

import time
from datetime import timedelta

from cryptography.hazmat.primitives import serialization

from servicekit.keys import (
    PUBLIC_KEY_NAME,
    generate_keypair,
    load_private_key,
    load_public_key,
    thumbprint,
    write_atomically,
)
from users.tokens.keyring import SigningKeyRing, keyring


def rotate_signing_key(ring: SigningKeyRing | None = None) -> str:
    """Retire the current key (it keeps verifying) and make a new one current; return the new kid.

    The public half of the new key is written beside the private key as `jwt_public.pem`, for
    verifiers that read a key file rather than the JWKS.
    """
    ring = ring or keyring()
    with ring.changing():
        old = load_private_key(ring.private_key_file.read_bytes()).public_key()
        ring.retired_dir.mkdir(parents=True, exist_ok=True)
        retired_pem = old.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        write_atomically(ring.retired_dir / f"{thumbprint(old)}.pem", retired_pem, mode=0o644)
        private_pem, public_pem = generate_keypair()
        write_atomically(ring.private_key_file.with_name(PUBLIC_KEY_NAME), public_pem, mode=0o644)
        write_atomically(ring.private_key_file, private_pem, mode=0o600)
    return thumbprint(load_public_key(public_pem))


def prune_retired_keys(*, older_than: timedelta, ring: SigningKeyRing | None = None) -> list[str]:
    """Drop the keys retired longer ago than `older_than`; return their kids."""
    ring = ring or keyring()
    dropped = []
    cutoff = time.time() - older_than.total_seconds()
    with ring.changing():
        for path in ring.retired_dir.glob("*.pem") if ring.retired_dir.is_dir() else []:
            if path.stat().st_mtime <= cutoff:
                dropped.append(path.stem)
                path.unlink()
    return dropped
