"""Containers and pod specs: security contexts, probes, environment, volumes, the migrating init container."""

from __future__ import annotations

from typing import Any

from stack.kubernetes import source
from stack.services import Service

SHOP_UID = 10001  # the user the service images run as (docker/Dockerfile)
PORT = 8000  # gunicorn's port in the images (GUNICORN_BIND)
PRESTOP_SECONDS = 5  # endpoints are removed and the gateway's connections move on before SIGTERM
MIGRATE_SCRIPT = "/opt/shop/migrate.py"
TMP = "/tmp"  # noqa: S108 - an emptyDir of the pod's own, mounted there
PRIVATE_KEY_DIR = "/run/shop-keys"
PRIVATE_NETWORKS = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
)  # compose's JWT_PRIVATE_KEY_FILE is /run/shop-keys/jwt_private.pem

Object = dict[str, Any]


def labels(name: str, component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": "shop",
    }


def selector(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name}


def container_security(uid: int) -> Object:
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "privileged": False,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def pod_security(uid: int) -> Object:
    """fsGroup: the mounted Secrets (0440) are readable by the pod's group."""
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "fsGroup": uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def image(name: str, tag: str) -> str:
    return f"{source.image(name)}:{tag}"


def tmp_volume() -> Object:
    return {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}}


def environment(service: Service) -> Object:
    """envFrom the shared and the service's ConfigMaps (the service's wins), env from its Secrets."""
    env = []
    for name in source.secret_variables(service):
        ref = source.secret_ref(service, name)
        assert ref is not None
        key_ref: Object = {"name": ref.secret, "key": ref.key}
        if ref.optional:
            key_ref["optional"] = True
        env.append({"name": name, "valueFrom": {"secretKeyRef": key_ref}})
    return {
        "envFrom": [{"configMapRef": {"name": "shop-config"}}, {"configMapRef": {"name": f"{service.name}-config"}}],
        "env": env,
    }


def key_volumes(holds_key: bool) -> tuple[list[Object], list[Object]]:
    """auth's signing key (and its retired public keys, if any), for the pods that hold it: volumes and mounts."""
    if not holds_key:
        return [], []
    volumes = [
        {"name": "signing-key", "secret": {"secretName": "jwt-signing-key", "defaultMode": 0o440}},
        {"name": "retired-keys", "secret": {"secretName": "jwt-retired-keys", "defaultMode": 0o440, "optional": True}},
    ]
    mounts = [
        {"name": "signing-key", "mountPath": PRIVATE_KEY_DIR, "readOnly": True},
        {"name": "retired-keys", "mountPath": source.RETIRED_KEYS_DIR, "readOnly": True},
    ]
    return volumes, mounts


def migrate_container(service: Service, tag: str, key_mounts: list[Object]) -> Object:
    """The init container: migrations and start-up commands under a lock, before the pod's process starts."""
    env = environment(service)
    return {
        "name": "migrate",
        "image": image(service.name, tag),
        "imagePullPolicy": "IfNotPresent",
        "command": ["python", MIGRATE_SCRIPT],
        "envFrom": env["envFrom"],
        "env": [
            *env["env"],
            {"name": "MIGRATE", "value": "1"},
            {"name": "STARTUP_COMMANDS", "value": source.startup_commands(service)},
        ],
        "resources": {"requests": {"cpu": "100m", "memory": "192Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "securityContext": container_security(SHOP_UID),
        "volumeMounts": [
            {"name": "tmp", "mountPath": TMP},
            {"name": "migrate-script", "mountPath": "/opt/shop", "readOnly": True},
            *key_mounts,
        ],
    }


def http_probe(path: str, **timing: int) -> Object:
    # Django answers only the hosts it allows; the kubelet's Host is the pod's address.
    return {
        "httpGet": {"path": path, "port": "http", "httpHeaders": [{"name": "Host", "value": "localhost"}]},
        **timing,
    }


def pod_spec(
    service: Service,
    tag: str,
    main: Object,
    *,
    holds_key: bool,
    grace_seconds: int,
) -> Object:
    """A pod of the service (web or worker): the migrating init container, then `main`."""
    volumes, mounts = key_volumes(holds_key)
    main = {
        **main,
        "image": image(service.name, tag),
        "imagePullPolicy": "IfNotPresent",
        **environment(service),
        "securityContext": container_security(SHOP_UID),
        "volumeMounts": [{"name": "tmp", "mountPath": TMP}, *mounts],
    }
    return {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": pod_security(SHOP_UID),
        "terminationGracePeriodSeconds": grace_seconds,
        "initContainers": [migrate_container(service, tag, mounts)],
        "containers": [main],
        "volumes": [
            tmp_volume(),
            {"name": "migrate-script", "configMap": {"name": "shop-migrate", "defaultMode": 0o444}},
            *volumes,
        ],
    }
