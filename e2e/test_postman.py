"""The Postman collection (postman/), run with newman against the stack: the whole story must pass."""

from __future__ import annotations

import subprocess

from e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Stack
from stack.services import REPO_ROOT

POSTMAN = REPO_ROOT / "postman"
NEWMAN = POSTMAN / "node_modules" / ".bin" / "newman"


def test_the_postman_collection_passes_against_the_gateway(stack: Stack) -> None:
    assert NEWMAN.exists(), "newman is not installed: run `make postman-tools` (make test does)"
    result = subprocess.run(
        [
            str(NEWMAN), "run", str(POSTMAN / "shop.postman_collection.json"),
            "--environment", str(POSTMAN / "shop.postman_environment.json"),
            "--env-var", f"baseUrl={stack.url}",
            "--env-var", f"adminEmail={ADMIN_EMAIL}",
            "--env-var", f"adminPassword={ADMIN_PASSWORD}",
            "--reporters", "cli", "--color", "off", "--timeout-request", "20000",
        ],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "assertions" in result.stdout
