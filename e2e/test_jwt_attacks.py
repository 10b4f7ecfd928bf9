"""Forged and misused tokens against every service, through the gateway, with the stack's real keys (JWKS)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives import serialization

from e2e.conftest import Stack, forged_claims
from servicekit.keys import generate_keypair, load_private_key, thumbprint
from stack.services import SERVICES

ISSUER, AUDIENCE = "shop-auth", "shop"


def _b64(data: bytes | dict[str, Any]) -> str:
    raw = json.dumps(data).encode() if isinstance(data, dict) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(**overrides: Any) -> dict[str, Any]:
    forged = {"email": "mallory@example.com", "roles": ["customer", "staff", "admin"], **overrides}
    return forged_claims(issuer=ISSUER, audience=AUDIENCE, **forged)


def _attacks(stack: Stack) -> dict[str, str]:
    private = stack.private_key
    kid = thumbprint(load_private_key(private).public_key())
    other_private, _ = generate_keypair()
    public_pem = (
        load_private_key(private)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )

    def signed(key: bytes = private, headers: dict[str, Any] | None = None, **claims: Any) -> str:
        return jwt.encode(_claims(**claims), key, algorithm="RS256", headers={"kid": kid, **(headers or {})})

    valid = signed()
    header, payload, signature = valid.split(".")
    tampered = _b64({**jwt.decode(valid, options={"verify_signature": False}), "user_id": str(uuid.uuid4())})
    hs_header = _b64({"alg": "HS256", "typ": "JWT", "kid": kid})
    hs_mac = hmac.new(public_pem, f"{hs_header}.{payload}".encode(), hashlib.sha256).digest()
    now = int(time.time())
    return {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{payload}.",
        "HS256 signed with the public key": f"{hs_header}.{payload}.{_b64(hs_mac)}",
        "tampered payload": f"{header}.{tampered}.{signature}",
        "stripped signature": f"{header}.{payload}.",
        "another key with the same kid": signed(key=other_private),
        "unknown kid": jwt.encode(_claims(), other_private, algorithm="RS256", headers={"kid": "no-such-key"}),
        "jku header to a foreign key set": signed(
            key=other_private, headers={"kid": "attacker", "jku": "http://127.0.0.1:9/jwks.json"}
        ),
        "x5u header to a foreign certificate": signed(
            key=other_private, headers={"kid": "attacker", "x5u": "http://127.0.0.1:9/cert.pem"}
        ),
        "expired": signed(iat=now - 3600, exp=now - 1800),
        "not yet valid": signed(nbf=now + 3600),
        "wrong issuer": signed(iss="someone-else"),
        "wrong audience": signed(aud="another-system"),
        "refresh token used as access": signed(token_type="refresh"),
        "service token where a user is required": jwt.encode(
            {
                **_claims(user_id=None, email=None, roles=None),
                "token_type": "service",
                "client_id": "orders",
                "scopes": ["catalog:reserve"],
            },
            private,
            algorithm="RS256",
            headers={"kid": kid},
        ),
    }


def test_every_service_refuses_every_forged_or_misused_token(stack: Stack, http: requests.Session) -> None:
    attacks = _attacks(stack)
    tried = refused = 0
    failures = []
    for service in SERVICES:
        url = f"{stack.url}/{service.name}/api/whoami/"
        for name, token in attacks.items():
            response = http.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
            tried += 1
            if response.status_code == 401 and set(response.json()) == {"code", "message", "fields", "request_id"}:
                refused += 1
            else:
                failures.append(f"{service.name}: {name}: {response.status_code}")
    print(f"\nJWT attacks: {tried} tried against {len(SERVICES)} services, {refused} refused with 401")
    assert not failures, failures
    # And the genuine article still works, so the refusals are not a broken verifier.
    login = http.post(
        f"{stack.url}/auth/api/register/",
        json={"email": f"honest-{uuid.uuid4().hex[:8]}@example.com", "password": "a-long-e2e-passphrase"},
        timeout=10,
    )
    honest = {"Authorization": f"Bearer {login.json()['access']}"}
    for service in SERVICES:
        assert http.get(f"{stack.url}/{service.name}/api/whoami/", headers=honest, timeout=10).status_code == 200
