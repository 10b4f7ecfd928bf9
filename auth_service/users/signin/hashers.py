"""The password hash: Argon2id at OWASP's recommended cost, so a sign-in is not a denial of service.

Django's default Argon2 parameters (memory 100 MiB, 2 passes, 8 lanes) cost about ten times the
CPU of OWASP's recommendation for Argon2id (memory 19 MiB, 2 passes, 1 lane: the Password Storage
Cheat Sheet's first configuration), which resists GPU guessing at the same order of strength,
while leaving the auth service able to take a burst of sign-ins. The algorithm name stays
"argon2", so every stored hash still verifies; a hash made with other parameters is remade with
these at its owner's next successful sign-in (Django's `must_update`).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with m = 19 MiB, t = 2, p = 1."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
