"""RSA key pairs for signing tokens: generated, written with tight permissions, never committed."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from jwt.algorithms import RSAAlgorithm

PRIVATE_KEY_NAME = "jwt_private.pem"
PUBLIC_KEY_NAME = "jwt_public.pem"


def generate_keypair(bits: int = 2048) -> tuple[bytes, bytes]:
    """Return a new RSA private key and its public key, both PEM-encoded."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


def write_keypair(directory: Path, *, overwrite: bool = False) -> tuple[Path, Path]:
    """Write a key pair into `directory` (private key mode 0600) unless one is already there."""
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / PRIVATE_KEY_NAME, directory / PUBLIC_KEY_NAME
    if overwrite or not (private_path.exists() and public_path.exists()):
        private_pem, public_pem = generate_keypair()
        # Public first, each replaced atomically: a reader never sees a half-written key.
        write_atomically(public_path, public_pem, mode=0o644)
        write_atomically(private_path, private_pem, mode=0o600)
    return private_path, public_path


def write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`."""
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def public_jwk(public_key: RSAPublicKey) -> dict[str, str]:
    """Return the key as a JWK for RS256 signatures, with its RFC 7638 thumbprint as `kid`."""
    jwk: dict[str, str] = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    return {"kty": "RSA", "n": jwk["n"], "e": jwk["e"], "alg": "RS256", "use": "sig", "kid": thumbprint(public_key)}


def thumbprint(public_key: RSAPublicKey) -> str:
    """The RFC 7638 JWK thumbprint: SHA-256 of the required members, sorted, without whitespace."""
    jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def load_public_key(pem: bytes) -> RSAPublicKey:
    """Parse a PEM public key, refusing anything but RSA."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def load_private_key(pem: bytes) -> RSAPrivateKey:
    """Parse an unencrypted PEM private key, refusing anything but RSA."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key
