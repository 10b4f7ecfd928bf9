"""deploy/kubernetes/: what the generator makes, consistent with docker-compose.yml, valid and policy-clean.

No cluster: the checked-in files are compared with the generator's output, read back and held to
compose and the registry; with the tools of `make test-kubernetes` (KUBE_TOOLS, .venv-kube/bin),
each overlay is built with kustomize (kubectl's), validated against the Kubernetes API schemas
and scanned by checkov.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from stack import gateway
from stack.kubernetes import dev_secrets, layout, policy, source
from stack.services import REPO_ROOT, SERVICES

ROOT = layout.ROOT
DOCS = (REPO_ROOT / "docs" / "kubernetes.md").read_text()
KUBERNETES_VERSION = "1.34.0"
COMPOSE = source.compose()["services"]
WORKERS = {worker: (service, command) for service in SERVICES for worker, command in service.workers}


def load(relative: str) -> list[dict[str, Any]]:
    return [document for document in yaml.safe_load_all((ROOT / relative).read_text()) if document]


BASE = {(o["kind"], o["metadata"]["name"]): o for path in (ROOT / "base").glob("*.yaml")
        if path.name != "kustomization.yaml" for o in load(f"base/{path.name}")}  # fmt: skip
KUSTOMIZATION = load("base/kustomization.yaml")[0]
CONFIG = {
    g["name"]: dict(item.split("=", 1) for item in g.get("literals", [])) for g in KUSTOMIZATION["configMapGenerator"]
}


def pod(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = BASE[("Deployment", name)]["spec"]["template"]["spec"]
    return spec


def env_names(container: dict[str, Any], service: str) -> set[str]:
    names = {entry["name"] for entry in container.get("env", [])}
    for source_ in container.get("envFrom", []):
        names |= set(CONFIG[source_["configMapRef"]["name"]])
    assert {s["configMapRef"]["name"] for s in container["envFrom"]} == {"shop-config", f"{service}-config"}
    return names


# --- Generated, not edited ----------------------------------------------------------------------


def test_the_checked_in_manifests_are_what_the_generator_makes() -> None:
    problems = layout.differences()
    assert not problems, f"deploy/kubernetes/ differs from the generator's output; run `make manifests`: {problems}"


def test_a_changed_missing_or_stale_file_is_noticed(tmp_path: Path) -> None:
    copy = tmp_path / "kubernetes"
    shutil.copytree(ROOT, copy)
    (copy / "base" / "auth.yaml").write_text("edited by hand\n")
    (copy / "base" / "bank.yaml").unlink()
    (copy / "overlays" / "prod" / "left-over.yaml").write_text("kind: ConfigMap\n")
    assert layout.differences(copy) == [
        "missing: base/bank.yaml", "differs: base/auth.yaml", "not generated: overlays/prod/left-over.yaml",
    ]  # fmt: skip
    layout.write(copy)
    assert layout.differences(copy) == []


# --- The same system as docker-compose.yml ------------------------------------------------------


def test_the_same_services_and_workers_as_compose() -> None:
    deployments = {name for kind, name in BASE if kind == "Deployment"}
    containers = set(COMPOSE) - {"postgres", "rabbitmq", "nginx"}
    assert deployments == containers | {"gateway"}
    assert {name for kind, name in BASE if kind == "Service"} == {s.name for s in SERVICES} | {"gateway"}
    for service in SERVICES:
        assert ("HorizontalPodAutoscaler", service.name) in BASE and ("PodDisruptionBudget", service.name) in BASE
        assert pod(service.name)["containers"][0]["image"].startswith(f"{COMPOSE[service.name]['image']}:")


def test_the_same_commands_as_compose() -> None:
    for service in SERVICES:
        web = pod(service.name)["containers"][0]
        assert (
            "command" not in web and "args" not in web and "command" not in COMPOSE[service.name]
        )  # the image's gunicorn
    for worker, (service, command) in WORKERS.items():
        container = pod(worker)["containers"][0]
        assert container["args"] == COMPOSE[worker]["command"] == ["python", "manage.py", *command], worker
        assert container["image"] == pod(service.name)["containers"][0]["image"], worker


def test_the_same_environment_variables_as_compose() -> None:
    for service in SERVICES:
        compose_names = set(COMPOSE[service.name]["environment"]) - source.ENTRYPOINT_VARIABLES
        web = pod(service.name)["containers"][0]
        # and the database's own address, for a cluster that puts a pooler before it (compose has none)
        assert env_names(web, service.name) == compose_names | {source.POOLED_DIRECT}, service.name
        [migrate] = pod(service.name)["initContainers"]
        values = {entry["name"]: entry.get("value") for entry in migrate["env"]}
        startup = " ".join(str(COMPOSE[service.name]["environment"].get("STARTUP_COMMANDS", "")).split())
        assert values["MIGRATE"] == "1" and values["STARTUP_COMMANDS"] == startup, service.name
        for worker, _ in service.workers:
            worker_names = set(COMPOSE[worker]["environment"]) - source.ENTRYPOINT_VARIABLES
            assert worker_names <= env_names(pod(worker)["containers"][0], service.name), worker
    shared = {name: source.resolve(value, {}) for name, value in source.common_environment().items()}
    for name, value in CONFIG["shop-config"].items():
        assert shared[name] == value, name


def test_every_secret_comes_from_a_secret_and_none_is_in_a_configmap() -> None:
    for service in SERVICES:
        for container in (pod(service.name)["containers"][0], pod(service.name)["initContainers"][0]):
            refs = {e["name"] for e in container["env"] if "secretKeyRef" in e.get("valueFrom", {})}
            for name, value in COMPOSE[service.name]["environment"].items():
                if "change-me" in str(value) or name in (
                    "DATABASE_URL",
                    "BROKER_URL",
                    "DJANGO_SECRET_KEY",
                    "EMAIL_URL",
                ):
                    assert name in refs, (service.name, name)
    for values in CONFIG.values():
        for name, value in values.items():
            assert "change-me" not in value and "PASSWORD" not in name and "SECRET" not in name, name


def test_the_same_probes_as_the_images_healthcheck() -> None:
    urls = (REPO_ROOT / "servicekit" / "servicekit" / "urls.py").read_text()
    assert 'path("health/"' in urls and 'path("ready/"' in urls
    dockerfile = (REPO_ROOT / "docker" / "Dockerfile").read_text()
    assert "os.environ['SERVICE_NAME'] + '/ready/'" in dockerfile and "'Host': 'localhost'" in dockerfile
    for service in SERVICES:
        web = pod(service.name)["containers"][0]
        assert web["readinessProbe"]["httpGet"]["path"] == f"/{service.name}/ready/"
        assert web["livenessProbe"]["httpGet"]["path"] == f"/{service.name}/health/"
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            assert web[probe]["httpGet"]["httpHeaders"] == [{"name": "Host", "value": "localhost"}]
        assert web["ports"][0]["containerPort"] == 8000


def test_only_the_pods_compose_gives_the_private_key_mount_it() -> None:
    holders = {name for name in COMPOSE if "jwt_private_key" in COMPOSE[name].get("secrets", [])}
    mounting = {
        name
        for kind, name in BASE
        if kind == "Deployment"
        and "jwt-signing-key" in {v.get("secret", {}).get("secretName") for v in pod(name)["volumes"]}
    }
    assert mounting == holders == {"auth", "auth-relay"}
    key_file = CONFIG["auth-config"]["JWT_PRIVATE_KEY_FILE"]
    mounts = {m["mountPath"] for m in pod("auth")["containers"][0]["volumeMounts"]}
    assert str(Path(key_file).parent) in mounts


def test_the_gateway_configuration_is_the_template_rendered_for_the_cluster(tmp_path: Path) -> None:
    conf = (ROOT / "base" / "gateway" / "gateway.conf").read_text()
    assert not gateway.template_variables(conf), "a template variable left unrendered"
    for service in SERVICES:
        assert re.search(rf"server {service.name}:8000;", conf), service.name
    assert "location ~ ^/[^/]+/internal(/|$) {\n        return 404;" in conf
    main = (ROOT / "base" / "gateway" / "nginx.conf").read_text()
    # nginx -t on this machine, with the container's paths moved under tmp_path.
    (tmp_path / "shop").mkdir()
    for name, text in (("nginx.conf", main), ("gateway.conf", conf)):
        text = text.replace(" /tmp/", f" {tmp_path}/").replace("/var/cache/nginx", str(tmp_path))
        text = re.sub(
            r"server [a-z]+:8000;", "server 127.0.0.1:8000;", text
        )  # the Services' names resolve in the cluster
        (tmp_path / "shop" / name).write_text(text.replace("/etc/nginx/shop", str(tmp_path / "shop")))
    nginx = gateway.ensure_command("nginx", package="nginx")
    result = subprocess.run([nginx, "-t", "-c", str(tmp_path / "shop" / "nginx.conf")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- Rolling updates and hardening --------------------------------------------------------------


def test_rolling_updates_keep_serving_and_let_requests_finish() -> None:
    graceful = source.gunicorn_graceful_timeout()
    for service in SERVICES:
        deployment = BASE[("Deployment", service.name)]["spec"]
        assert "replicas" not in deployment  # its autoscaler's, from two: an apply does not reset it
        assert BASE[("HorizontalPodAutoscaler", service.name)]["spec"]["minReplicas"] == 2
        assert deployment["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
        spec = pod(service.name)
        sleep = int(spec["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][1])
        assert spec["terminationGracePeriodSeconds"] > sleep + graceful
        assert spec["initContainers"][0]["command"] == ["python", "/opt/shop/migrate.py"]
    for worker in WORKERS:
        assert pod(worker)["terminationGracePeriodSeconds"] >= 30, worker


def test_every_pod_is_locked_down() -> None:
    for kind, name in BASE:
        if kind != "Deployment":
            continue
        spec = pod(name)
        assert spec["automountServiceAccountToken"] is False and spec["securityContext"]["runAsNonRoot"], name
        for container in spec["containers"] + spec.get("initContainers", []):
            context = container["securityContext"]
            assert context["runAsUser"] == 10001 and context["runAsNonRoot"] and context["readOnlyRootFilesystem"]
            assert context["allowPrivilegeEscalation"] is False and context["capabilities"] == {"drop": ["ALL"]}
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}
            assert {"requests", "limits"} <= set(container["resources"]), (name, container["name"])
            assert re.fullmatch(r"shop/[a-z]+:\d+\.\d+\.\d+", container["image"]), container["image"]


def test_network_policies_deny_by_default_and_open_only_the_gateway() -> None:
    policies = {name: item["spec"] for (kind, name), item in BASE.items() if kind == "NetworkPolicy"}
    assert policies["default-deny"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [],
        "egress": [],
    }
    from_outside = [name for name, spec in policies.items() for rule in spec.get("ingress", [])
                    for peer in rule["from"] if "namespaceSelector" in peer or "ipBlock" in peer]  # fmt: skip
    assert from_outside == ["gateway"]
    assert policies["services"]["ingress"][0]["from"] == [
        {"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "shop"}}}
    ]


def test_every_skipped_check_has_a_reason_and_is_documented() -> None:
    for check, reason in policy.ALL.items():
        assert reason and check in DOCS, check
    for (_, name), item in BASE.items():
        for key, value in item["metadata"].get("annotations", {}).items():
            if key.startswith("checkov.io/skip"):
                check, _, reason = value.partition("=")
                assert policy.ALL[check] == reason, (name, check)


# --- With the tools: kustomize, the API schemas, checkov ---------------------------------------

TOOLS = os.environ.get("KUBE_TOOLS")
needs_tools = pytest.mark.skipif(not TOOLS, reason="needs the tools of `make test-kubernetes` (KUBE_TOOLS)")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each overlay built by kustomize, the dev one with its secret files written by dev-secrets."""
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl (with its kustomize) is needed to build the overlays"
    work = tmp_path_factory.mktemp("kubernetes")
    shutil.copytree(ROOT, work / "tree")
    dev_secrets.write(work / "tree" / "overlays" / "dev" / "secrets")
    output = {}
    for overlay in ("dev", "prod"):
        result = subprocess.run([kubectl, "kustomize", str(work / "tree" / "overlays" / overlay)],
                                capture_output=True, text=True)  # fmt: skip
        assert result.returncode == 0, result.stderr
        (work / "built").mkdir(exist_ok=True)
        output[overlay] = work / "built" / f"{overlay}.yaml"
        output[overlay].write_text(result.stdout)
    return output


def validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    command = [f"{TOOLS}/kubernetes-validate", "-k", KUBERNETES_VERSION, "--strict", "--quiet", *map(str, paths)]
    return subprocess.run(command, capture_output=True, text=True)


@needs_tools
def test_each_overlay_builds_and_is_valid_against_the_api_schemas(built: dict[str, Path], tmp_path: Path) -> None:
    result = validate(*built.values())
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text(built["prod"].read_text().replace("containerPort: 8000", "containerPort: eight-thousand", 1))
    assert validate(broken).returncode != 0, "a manifest with a wrong type passed the schema validation"


@needs_tools
def test_each_overlay_names_only_secrets_it_makes_or_the_docs_ask_for(built: dict[str, Path]) -> None:
    for overlay, path in built.items():
        objects = [o for o in yaml.safe_load_all(path.read_text()) if o]
        text = path.read_text()
        made = {o["metadata"]["name"] for o in objects if o["kind"] == "Secret"}
        wanted = set(re.findall(r"secretKeyRef:\n\s+key: \S+\n\s+name: (\S+)", text))
        wanted |= set(re.findall(r"secretName: (\S+)", text))
        if overlay == "dev":
            assert wanted - made == {"jwt-retired-keys"}, wanted - made  # optional
        else:
            assert not made
            for name in wanted:
                assert f"`{name}`" in DOCS, f"the docs do not say to create the Secret {name}"
        assert ("StatefulSet" in {o["kind"] for o in objects}) == (overlay == "dev")


@needs_tools
def test_checkov_finds_nothing_left_unexplained(built: dict[str, Path]) -> None:
    result = subprocess.run(
        [f"{TOOLS}/checkov", "-d", str(built["dev"].parent), "--framework", "kubernetes", "--compact",
         "--skip-download", "-o", "cli"],
        capture_output=True, text=True, env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )  # fmt: skip
    summary = re.search(r"Passed checks: (\d+), Failed checks: (\d+), Skipped checks: (\d+)", result.stdout)
    assert summary, result.stdout[-3000:] + result.stderr[-3000:]
    print(f"\ncheckov: {summary.group(0)}")
    assert result.returncode == 0 and summary.group(2) == "0", result.stdout[-6000:]
