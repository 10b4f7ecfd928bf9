"""The gateway template, the native stack and the service registry name the same services and variables."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

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
    values = gateway.native_values(
        listen="127.0.0.1:18080",
        run_dir=tmp_path,
        static_root=tmp_path / "static",
        web_root=tmp_path / "web",
        upstreams={service.name: "127.0.0.1:1" for service in SERVICES},
        environment={"GATEWAY_ADMIN_ALLOW": "10.0.0.0/8"},
    )
    assert set(values) == gateway.template_variables()
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
        "GATEWAY_READ_RATE",
        "GATEWAY_READ_BURST",
        "GATEWAY_WRITE_RATE",
        "GATEWAY_WRITE_BURST",
        "GATEWAY_CONNECTIONS_PER_CLIENT",
        "GATEWAY_CLIENT_TIMEOUT",
        "GATEWAY_MAX_BODY_SIZE",
        "GATEWAY_MICROCACHE_TTL",
        "GATEWAY_ADMIN_ALLOW",
        "CORS_ALLOWED_ORIGINS",
        "GATEWAY_WEB_ROOT",
    ):
        assert re.search(rf"^#? ?{name}=", documented, re.MULTILINE), name


# --- Containers: compose, the native stack and the nginx template tell the same story ----------

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
ENV_EXAMPLE = (REPO_ROOT / ".env.example").read_text()
WEB = {service.name: COMPOSE["services"][service.name] for service in SERVICES}


def _documented(name: str) -> bool:
    return re.search(rf"^#? ?{name}=", ENV_EXAMPLE, re.MULTILINE) is not None


def _read_variables() -> set[str]:
    """Every environment variable the services' settings read (servicekit's and each service's own)."""
    sources = sorted((REPO_ROOT / "servicekit" / "servicekit" / "conf").glob("*.py"))
    sources += [service.path / "config" / "settings.py" for service in SERVICES]
    pattern = re.compile(r"""(?:env\.\w+|secret)\(\s*["']([A-Z][A-Z0-9_]+)["']""")
    return {name for source in sources for name in pattern.findall(source.read_text())}


def test_compose_builds_the_six_services_of_the_registry_from_their_directories() -> None:
    for service in SERVICES:
        build = WEB[service.name]["build"]
        assert build["args"]["SERVICE"] == service.directory
        assert WEB[service.name]["environment"]["SERVICE_NAME"] == service.name
        for worker, command in service.workers:
            assert COMPOSE["services"][worker]["image"] == WEB[service.name]["image"], worker
            assert COMPOSE["services"][worker]["command"][2:] == list(command), worker


def test_every_variable_the_services_read_is_documented_in_env_example() -> None:
    undocumented = sorted(name for name in _read_variables() if not _documented(name))
    assert not undocumented, f"read by the services but not in .env.example: {undocumented}"


def test_compose_gives_every_service_its_secrets_and_documents_its_variables() -> None:
    for name, service in WEB.items():
        environment = service["environment"]
        for required in ("DJANGO_SECRET_KEY", "DATABASE_URL", "BROKER_URL", "ALLOWED_HOSTS"):
            assert environment.get(required), (name, required)
        assert environment["DATABASE_URL"].endswith(f"@postgres:5432/{name}"), name
    referenced = set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", (REPO_ROOT / "docker-compose.yml").read_text()))
    undocumented = sorted(name for name in referenced if not _documented(name))
    assert not undocumented, f"compose reads these from .env but .env.example does not list them: {undocumented}"


def test_only_auth_gets_the_private_key() -> None:
    holders = {name for name, service in COMPOSE["services"].items() if "jwt_private_key" in service.get("secrets", [])}
    assert holders and {COMPOSE["services"][name]["image"] for name in holders} == {"shop/auth"}
    for name, service in COMPOSE["services"].items():
        if name not in holders:
            assert "JWT_PRIVATE_KEY_FILE" not in service.get("environment", {}), name


def test_auth_alone_gets_huge_pages_for_its_password_hashes_natively_and_in_compose(tmp_path: Path) -> None:
    from stack.environment import AUTH_GLIBC_TUNABLES, service_environment

    def native(service: str) -> str | None:
        ports = {other.name: 8001 + index for index, other in enumerate(SERVICES)}
        named = next(other for other in SERVICES if other.name == service)
        return service_environment(named, ports=ports, db_suffix="", static_root=tmp_path).get("GLIBC_TUNABLES")

    assert native("auth") == COMPOSE["services"]["auth"]["environment"]["GLIBC_TUNABLES"] == AUTH_GLIBC_TUNABLES
    for service in SERVICES[1:]:
        assert "GLIBC_TUNABLES" not in COMPOSE["services"][service.name].get("environment", {}), service.name
        assert native(service.name) == os.environ.get("GLIBC_TUNABLES"), service.name


def test_every_gateway_upstream_resolves_in_compose_and_in_the_native_stack() -> None:
    nginx = COMPOSE["services"]["nginx"]["environment"]
    assert set(gateway.template_variables()) <= set(nginx), "a template variable compose does not set"
    for service in SERVICES:
        host, port = nginx[service.upstream_variable].split(":")
        assert host == service.name and host in COMPOSE["services"] and port == "8000"
    assert COMPOSE["services"]["nginx"]["ports"] == ["${GATEWAY_PORT:-8080}:80"]
    published = [name for name, service in COMPOSE["services"].items() if service.get("ports")]
    assert published == ["nginx"], "only the gateway publishes a port"
    # The native stack renders gateway.native_values (test_the_rendered_template_is_valid_nginx
    # checks that it sets every template variable).
    assert "gateway.native_values(" in (REPO_ROOT / "stack" / "cli.py").read_text()


def test_the_servicekit_wheel_the_images_install_holds_every_subpackage(tmp_path: Path) -> None:
    import sys
    import zipfile

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(tmp_path),
         str(REPO_ROOT / "servicekit")],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    [wheel] = tmp_path.glob("servicekit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in ("migrations/0002_events.py", "management/commands/relay_events.py", "py.typed",
                   "templates/servicekit/redoc.html"):  # fmt: skip
        assert f"servicekit/{module}" in names, module


def test_the_gateway_starts_after_every_service_is_ready_and_every_worker_has_started() -> None:
    depends = COMPOSE["services"]["nginx"]["depends_on"]
    for service in SERVICES:
        assert depends[service.name] == {"condition": "service_healthy"}, service.name
        for worker, _ in service.workers:
            assert depends[worker] == {"condition": "service_started"}, worker
    assert set(depends) == {s.name for s in SERVICES} | {w for s in SERVICES for w, _ in s.workers}


def test_the_image_is_healthy_when_the_service_is_ready_not_merely_alive() -> None:
    dockerfile = (REPO_ROOT / "docker" / "Dockerfile").read_text()
    healthcheck = dockerfile[dockerfile.index("HEALTHCHECK") :].split("ENTRYPOINT")[0]
    assert "/ready/" in healthcheck and "/health/" not in healthcheck


def test_every_container_that_looks_up_names_retries_every_second() -> None:
    for name, service in COMPOSE["services"].items():
        if name in ("postgres", "rabbitmq"):
            continue
        assert service.get("dns_opt") == ["timeout:1", "attempts:5"], name


def test_the_gateway_image_holds_the_template_the_watcher_the_docs_and_the_web_client() -> None:
    nginx = COMPOSE["services"]["nginx"]
    assert nginx["build"] == {"context": ".", "dockerfile": "docker/gateway/Dockerfile"}
    dockerfile = (REPO_ROOT / "docker" / "gateway" / "Dockerfile").read_text()
    for copied in (
        "COPY nginx/gateway.conf.template /etc/nginx/templates/default.conf.template",
        "COPY nginx/watch-upstreams.sh /docker-entrypoint.d/40-watch-upstreams.sh",
        f"COPY nginx/docs/ {nginx['environment']['GATEWAY_DOCS_ROOT']}/",
        f"COPY --from=web /web/dist/ {nginx['environment']['GATEWAY_WEB_ROOT']}/",
    ):
        assert copied in dockerfile, copied
    assert os.access(REPO_ROOT / "nginx" / "watch-upstreams.sh", os.X_OK), "the nginx image runs only executable *.sh"
