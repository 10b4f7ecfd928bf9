"""auth's signing keys: the current private key signs; it and the retired keys still verify.

Files, not rows: `JWT_PRIVATE_KEY_FILE` is the current key; retired public keys live in
`JWT_RETIRED_KEYS_DIR` as `<kid>.pem`, their modification time being when they were retired.
The ring reads them, and reads them again when they change: workers notice a rotation or a
prune (users.tokens.rotation) within `JWT_KEYS_RELOAD_SECONDS`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from django.conf import settings

from servicekit.keys import load_private_key, load_public_key, thumbprint


@dataclass(frozen=True)
class KeySnapshot:
    """The keys as read at one moment."""

    kid: str
    private_key: RSAPrivateKey
    public_keys: dict[str, RSAPublicKey]
    retired: dict[str, float]


class SigningKeyRing:
    """Reads the key files, and reads them again when they change."""

    def __init__(self, private_key_file: Path, retired_dir: Path, *, reload_seconds: float) -> None:
        self.private_key_file = private_key_file
        self.retired_dir = retired_dir
        self.reload_seconds = reload_seconds
        self._lock = threading.Lock()
        self._snapshot: KeySnapshot | None = None
        self._stamp: tuple[object, ...] = ()
        self._checked_at = 0.0

    def snapshot(self) -> KeySnapshot:
        """Return the current keys, re-reading the files if they changed since the last look."""
        now = time.monotonic()
        if self._snapshot is None or now - self._checked_at >= self.reload_seconds:
            with self._lock:
                try:
                    stamp = self._file_stamp()
                    if self._snapshot is None or stamp != self._stamp:
                        self._snapshot, self._stamp = self._read(), stamp
                except OSError:
                    # A rotation or prune in another process is mid-way: keep the keys we have.
                    if self._snapshot is None:
                        raise
                self._checked_at = now
        return self._snapshot

    def current(self) -> tuple[str, RSAPrivateKey]:
        """The `kid` and private key that sign new tokens."""
        snapshot = self.snapshot()
        return snapshot.kid, snapshot.private_key

    def key_for(self, kid: str) -> RSAPublicKey | None:
        """A public key by `kid` (the servicekit KeySource protocol): auth verifies from its own files."""
        return self.snapshot().public_keys.get(kid)

    def _file_stamp(self) -> tuple[object, ...]:
        retired = (
            sorted((path.name, path.stat().st_mtime_ns) for path in self.retired_dir.glob("*.pem"))
            if self.retired_dir.is_dir()
            else []
        )
        stat = self.private_key_file.stat()
        return (stat.st_mtime_ns, stat.st_size, tuple(retired))

    def _read(self) -> KeySnapshot:
        private_key = load_private_key(self.private_key_file.read_bytes())
        kid = thumbprint(private_key.public_key())
        public_keys = {kid: private_key.public_key()}
        retired: dict[str, float] = {}
        if self.retired_dir.is_dir():
            for path in self.retired_dir.glob("*.pem"):
                key = load_public_key(path.read_bytes())
                public_keys[thumbprint(key)] = key
                retired[thumbprint(key)] = path.stat().st_mtime
        return KeySnapshot(kid=kid, private_key=private_key, public_keys=public_keys, retired=retired)

    @contextmanager
    def changing(self) -> Iterator[None]:
        """Hold this process's readers off while the key files change; they read them afresh after."""
        with self._lock:
            try:
                yield
            finally:
                self._snapshot = None


_keyring: SigningKeyRing | None = None


def keyring() -> SigningKeyRing:
    """This process's key ring, from the settings."""
    global _keyring
    wanted = (Path(settings.JWT_PRIVATE_KEY_FILE), Path(settings.JWT_RETIRED_KEYS_DIR))
    if _keyring is None or (_keyring.private_key_file, _keyring.retired_dir) != wanted:
        _keyring = SigningKeyRing(*wanted, reload_seconds=settings.JWT_KEYS_RELOAD_SECONDS)
    return _keyring
