"""The policy checks (checkov) the manifests do not meet, each with its reason, as annotations on the
objects they concern (`checkov.io/skipN: CHECK=reason`); docs/kubernetes.md lists them too."""

from __future__ import annotations

PULL_POLICY = (
    "CKV_K8S_15",
    "images are pulled by release tags that are never reused, so IfNotPresent fetches each once; it also "
    "lets the dev overlay run images loaded into a local cluster",
)
DIGEST = (
    "CKV_K8S_43",
    "images are pinned by release tag, one per overlay (its images: list), where a digest: may replace newTag",
)
SECRET_ENV = (
    "CKV_K8S_35",
    "the services read their secrets (DATABASE_URL, DJANGO_SECRET_KEY, BROKER_URL) from the environment "
    "only; the signing key, which they read from a file, is mounted as one",
)
NO_PROBE_LIVENESS = (
    "CKV_K8S_8",
    "a background worker has no port to probe; it exits when it fails and the kubelet restarts it",
)
NO_PROBE_READINESS = ("CKV_K8S_9", "a background worker serves no traffic, so there is nothing for readiness to gate")
IMAGE_USER = (
    "CKV_K8S_40",
    "dev only: the public PostgreSQL and RabbitMQ images run as the users they are built with",
)
WRITABLE_ROOT = (
    "CKV_K8S_22",
    "dev only: RabbitMQ's image writes its configuration and logs outside its data volume",
)

SERVICE = dict([PULL_POLICY, DIGEST, SECRET_ENV])
WORKER = dict([PULL_POLICY, DIGEST, SECRET_ENV, NO_PROBE_LIVENESS, NO_PROBE_READINESS])
GATEWAY = dict([PULL_POLICY, DIGEST])
POSTGRES = dict([DIGEST, SECRET_ENV, IMAGE_USER])
RABBITMQ = dict([DIGEST, SECRET_ENV, IMAGE_USER, WRITABLE_ROOT])
ALL = {**SERVICE, **WORKER, **GATEWAY, **POSTGRES, **RABBITMQ}


def skip_annotations(skips: dict[str, str]) -> dict[str, str]:
    return {
        f"checkov.io/skip{index}": f"{check}={reason}" for index, (check, reason) in enumerate(sorted(skips.items()), 1)
    }
