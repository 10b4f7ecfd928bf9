"""The gateway template, the native stack and the service registry name the same services and variables."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from stack import gateway
from stack.services import REPO_ROOT, SERVICES

TEMPLATE = gateway.TEMPLATE.read_text()


def test_every_service_has_an_upstream_a_route_and_static_files() -> None:
    for service in SERVICES:
        assert f"${{{service.upstream_variable}}}" in TEMPLATE
        assert re.search(rf"location /{service.name}/\s+{{ proxy_pass http://\w+; }}", TEMPLATE), service.name
        assert f"location /{service.name}/static/" in TEMPLATE


def test_every_service_directory_is_a_django_project_with_its_prefix() -> None:
    for service in SERVICES:
        settings = (service.path / "config" / "settings.py").read_text()
        assert (service.path / "manage.py").exists()
        assert f'name="{service.name}"' in settings, service.directory


def test_rendering_refuses_a_missing_variable() -> None:
    with pytest.raises(KeyError, match="AUTH_UPSTREAM"):
        gateway.render({"GATEWAY_LISTEN": "80"})


def test_the_rendered_template_is_valid_nginx(tmp_path: Path) -> None:
    values = dict.fromkeys(gateway.template_variables(), "x")
    values.update(
        GATEWAY_LISTEN="127.0.0.1:18080",
        GATEWAY_AUTH_RATE="10r/s",
        GATEWAY_AUTH_BURST="20",
        GATEWAY_MAX_BODY_SIZE="10m",
        GATEWAY_STATIC_ROOT=str(tmp_path / "static"),
        GATEWAY_ACCESS_LOG=str(tmp_path / "access.log"),
        GATEWAY_CACHE_DIR=str(tmp_path / "cache"),
        GATEWAY_MICROCACHE_TTL="1s",
        GATEWAY_ADMIN_ALLOW="10.0.0.0/8",
        GATEWAY_DOCS_ROOT=str(tmp_path / "docs"),
        **{service.upstream_variable: "127.0.0.1:1" for service in SERVICES},
    )
    main = gateway.write_config(tmp_path / "nginx", values)
    nginx = gateway.ensure_command("nginx", package="nginx")
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path / "nginx"), "-c", str(main)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_env_example_documents_every_gateway_setting() -> None:
    documented = (REPO_ROOT / ".env.example").read_text()
    for name in (
        "GATEWAY_PORT",
        "GATEWAY_AUTH_RATE",
        "GATEWAY_AUTH_BURST",
        "GATEWAY_MAX_BODY_SIZE",
        "GATEWAY_MICROCACHE_TTL",
        "GATEWAY_ADMIN_ALLOW",
    ):
        assert re.search(rf"^#? ?{name}=", documented, re.MULTILINE), name
