"""The Postman collection (postman/), run with newman against the stack: the whole story must pass."""

from __future__ import annotations

from e2e import shop
from e2e.conftest import Stack


def test_the_postman_collection_passes_against_the_gateway(stack: Stack) -> None:
    result = shop.newman(stack)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "assertions" in result.stdout
