"""The dev overlay's own PostgreSQL and RabbitMQ: the images and settings of docker-compose.yml,
one pod each, with the same init script making one role and database per service."""

from __future__ import annotations

from stack.kubernetes import pods, policy, source, workloads
from stack.kubernetes.pods import Object

POSTGRES_UID = 999  # the postgres user of the official Debian-based image
RABBITMQ_UID, RABBITMQ_GID = 100, 101  # the rabbitmq user of the official Alpine-based image


def environment(name: str) -> list[Object]:
    """compose's environment of the container, its change-me secrets taken from the Secret `name`."""
    result: list[Object] = []
    for variable, value in source.compose()["services"][name]["environment"].items():
        if "change-me" in str(value):
            result.append({"name": variable, "valueFrom": {"secretKeyRef": {"name": name, "key": variable}}})
        else:
            result.append({"name": variable, "value": source.resolve(value, {})})
    return result


def service(name: str, port: int) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": workloads.metadata(name, name),
        "spec": {"selector": pods.selector(name), "ports": [{"name": name, "port": port, "targetPort": port}]},
    }


def stateful_set(name: str, spec: Object, skips: dict[str, str]) -> Object:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": workloads.metadata(name, name, skips),
        "spec": {
            "serviceName": name,
            "replicas": 1,
            "selector": {"matchLabels": pods.selector(name)},
            "template": {"metadata": {"labels": pods.labels(name, name)}, "spec": spec},
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}},
                }
            ],
        },
    }


def exec_probe(*command: str, period: int, timeout: int) -> Object:
    return {"exec": {"command": list(command)}, "periodSeconds": period, "timeoutSeconds": timeout,
            "failureThreshold": 5}  # fmt: skip


def postgres() -> list[Object]:
    ready = exec_probe("pg_isready", "-U", "postgres", period=5, timeout=3)
    container: Object = {
        "name": "postgres",
        "image": source.compose()["services"]["postgres"]["image"],
        "imagePullPolicy": "Always",
        "env": [*environment("postgres"), {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"}],
        "ports": [{"name": "postgres", "containerPort": 5432}],
        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
        "livenessProbe": ready,
        "readinessProbe": ready,
        "securityContext": pods.container_security(POSTGRES_UID),
        "volumeMounts": [
            {"name": "data", "mountPath": "/var/lib/postgresql/data"},
            {"name": "init", "mountPath": "/docker-entrypoint-initdb.d", "readOnly": True},
            {"name": "run", "mountPath": "/var/run/postgresql"},
            {"name": "tmp", "mountPath": pods.TMP},
        ],
    }
    spec: Object = {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": pods.pod_security(POSTGRES_UID),
        "containers": [container],
        "volumes": [
            {"name": "init", "configMap": {"name": "postgres-init", "defaultMode": 0o555}},
            {"name": "run", "emptyDir": {}},
            {"name": "tmp", "emptyDir": {}},
        ],
    }
    return [service("postgres", 5432), stateful_set("postgres", spec, policy.POSTGRES)]


def rabbitmq() -> list[Object]:
    ping = exec_probe("rabbitmq-diagnostics", "-q", "ping", period=20, timeout=15)
    security = {**pods.container_security(RABBITMQ_UID), "runAsGroup": RABBITMQ_GID, "readOnlyRootFilesystem": False}
    container: Object = {
        "name": "rabbitmq",
        "image": source.compose()["services"]["rabbitmq"]["image"],
        "imagePullPolicy": "Always",
        "env": environment("rabbitmq"),
        "ports": [{"name": "amqp", "containerPort": 5672}],
        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
        "livenessProbe": ping,
        "readinessProbe": ping,
        "securityContext": security,
        "volumeMounts": [{"name": "data", "mountPath": "/var/lib/rabbitmq"}],
    }
    spec: Object = {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {**pods.pod_security(RABBITMQ_UID), "runAsGroup": RABBITMQ_GID, "fsGroup": RABBITMQ_GID},
        "containers": [container],
    }
    return [service("rabbitmq", 5672), stateful_set("rabbitmq", spec, policy.RABBITMQ)]
