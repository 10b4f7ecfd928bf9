"""Each service's objects: its web Deployment, Service, HorizontalPodAutoscaler and PodDisruptionBudget,
and one Deployment per background worker (relays, consumers, reconcilers, the reservation expirer)."""

from __future__ import annotations

from stack.kubernetes import pods, policy, source
from stack.kubernetes.pods import Object
from stack.services import Service

REPLICAS = 2
MAX_REPLICAS = 6
CPU_TARGET = 70  # percent of the requested CPU
# A worker stops between batches on SIGTERM; a relay's batch waits up to 10 s for the broker's
# confirms, a consumer's applies what has arrived, a reconciler's pass settles what it started.
WORKER_GRACE_SECONDS = 60
WEB_RESOURCES = {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}
# auth's Argon2id hashes take 19 MiB each, one per thread signing in.
AUTH_RESOURCES = {"requests": {"cpu": "500m", "memory": "384Mi"}, "limits": {"cpu": "2", "memory": "768Mi"}}
WORKER_RESOURCES = {"requests": {"cpu": "100m", "memory": "192Mi"}, "limits": {"cpu": "500m", "memory": "384Mi"}}


def web_grace_seconds() -> int:
    """Longer than the preStop pause plus gunicorn's graceful timeout, so that in-flight requests finish."""
    return pods.PRESTOP_SECONDS + source.gunicorn_graceful_timeout() + 10


def metadata(name: str, component: str, skips: dict[str, str] | None = None) -> Object:
    meta: Object = {"name": name, "labels": pods.labels(name, component)}
    if skips:
        meta["annotations"] = policy.skip_annotations(skips)
    return meta


def deployment(
    name: str, component: str, replicas: int | None, spec: Object, skips: dict[str, str] | None = None
) -> Object:
    """A Deployment; `replicas` None for one its HorizontalPodAutoscaler sizes (from its minReplicas):
    a count written here would be set back by every `kubectl apply`, scaling it down mid-release."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(name, component, skips),
        "spec": {
            **({} if replicas is None else {"replicas": replicas}),
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": pods.selector(name)},
            # A new pod is ready (migrated, its readiness passed) before an old one is taken away.
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {"metadata": {"labels": pods.labels(name, component)}, "spec": spec},
        },
    }


def web_deployment(service: Service, tag: str) -> Object:
    health, ready = source.probe_paths(service)
    main: Object = {
        "name": "web",
        "ports": [{"name": "http", "containerPort": pods.PORT, "protocol": "TCP"}],
        "resources": AUTH_RESOURCES if service.name == "auth" else WEB_RESOURCES,
        # The entrypoint's wait for the database, then gunicorn's start, within 2 minutes.
        "startupProbe": pods.http_probe(health, periodSeconds=2, timeoutSeconds=3, failureThreshold=60),
        "livenessProbe": pods.http_probe(health, periodSeconds=10, timeoutSeconds=3, failureThreshold=3),
        "readinessProbe": pods.http_probe(ready, periodSeconds=5, timeoutSeconds=5, failureThreshold=2),
        "lifecycle": {"preStop": {"exec": {"command": ["sleep", str(pods.PRESTOP_SECONDS)]}}},
    }
    spec = pods.pod_spec(
        service, tag, main, holds_key=source.holds_private_key(service.name), grace_seconds=web_grace_seconds()
    )
    return deployment(service.name, "web", None, spec, policy.SERVICE)  # sized by its autoscaler


def worker_deployment(service: Service, worker: str, command: tuple[str, ...], tag: str) -> Object:
    main: Object = {"name": "worker", "args": source.worker_command(command), "resources": WORKER_RESOURCES}
    spec = pods.pod_spec(
        service, tag, main, holds_key=source.holds_private_key(worker), grace_seconds=WORKER_GRACE_SECONDS
    )
    return deployment(worker, "worker", 1, spec, policy.WORKER)


def service_object(service: Service) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(service.name, "web"),
        "spec": {
            "selector": pods.selector(service.name),
            "ports": [{"name": "http", "port": pods.PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def autoscaler(service: Service) -> Object:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata(service.name, "web"),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": service.name},
            "minReplicas": REPLICAS,
            "maxReplicas": MAX_REPLICAS,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": CPU_TARGET}},
                }
            ],
        },
    }


def disruption_budget(name: str, component: str) -> Object:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(name, component),
        "spec": {"minAvailable": 1, "selector": {"matchLabels": pods.selector(name)}},
    }


def service_objects(service: Service, tag: str) -> list[Object]:
    """Everything one service runs as, in the order kubectl applies it."""
    return [
        service_object(service),
        web_deployment(service, tag),
        autoscaler(service),
        disruption_budget(service.name, "web"),
        *(worker_deployment(service, worker, command, tag) for worker, command in service.workers),
    ]
