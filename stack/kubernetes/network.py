"""NetworkPolicies: nothing in or out by default; then the gateway from the Ingress controller, the
services from the shop's own pods, DNS for everyone, SMTP for the senders of email (compose's
`egress` network), and, per overlay, the database and the broker."""

from __future__ import annotations

from collections.abc import Iterable

from stack.kubernetes import edge, pods, source
from stack.kubernetes.pods import Object

INGRESS_CONTROLLER_NAMESPACE = "ingress-nginx"
SMTP_PORTS = (25, 465, 587)
APPLICATIONS = {"key": "app.kubernetes.io/component", "operator": "In", "values": ["web", "worker"]}
SHOP = {"app.kubernetes.io/part-of": "shop"}
WEB = {"app.kubernetes.io/component": "web", **SHOP}


def policy(name: str, pod_selector: Object, *, ingress: list[Object] | None = None,
           egress: list[Object] | None = None) -> Object:  # fmt: skip
    spec: Object = {"podSelector": pod_selector, "policyTypes": []}
    if ingress is not None:
        spec["policyTypes"].append("Ingress")
        spec["ingress"] = ingress
    if egress is not None:
        spec["policyTypes"].append("Egress")
        spec["egress"] = egress
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "shop"}},
        "spec": spec,
    }


def tcp(*numbers: int) -> list[Object]:
    return [{"protocol": "TCP", "port": number} for number in numbers]


def applications() -> Object:
    """The services' pods: web and workers (and their migrating init containers)."""
    return {"matchLabels": SHOP, "matchExpressions": [APPLICATIONS]}


def email_senders() -> list[str]:
    """The containers compose lets out to the world, for SMTP."""
    return sorted(name for name, service in source.compose()["services"].items()
                  if "egress" in service.get("networks", []))  # fmt: skip


def base_policies() -> list[Object]:
    dns = {
        "to": [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }
        ],
        "ports": [{"protocol": "UDP", "port": 53}, *tcp(53)],
    }
    controller = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": INGRESS_CONTROLLER_NAMESPACE}}}
    return [
        policy("default-deny", {}, ingress=[], egress=[]),
        policy("dns", {}, egress=[dns]),
        policy(
            "gateway",
            {"matchLabels": pods.selector(edge.NAME)},
            ingress=[{"from": [controller], "ports": tcp(edge.LISTEN)}],
            egress=[{"to": [{"podSelector": {"matchLabels": WEB}}], "ports": tcp(pods.PORT)}],
        ),
        # The gateway and the services themselves (internal calls, the JWKS, service tokens).
        # /<prefix>/internal/ is answered 404 by the gateway, so only these pods reach it.
        policy(
            "services",
            {"matchLabels": WEB},
            ingress=[{"from": [{"podSelector": {"matchLabels": SHOP}}], "ports": tcp(pods.PORT)}],
        ),
        policy(
            "service-calls",
            applications(),
            egress=[{"to": [{"podSelector": {"matchLabels": WEB}}], "ports": tcp(pods.PORT)}],
        ),
        policy(
            "smtp",
            {"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "In", "values": email_senders()}]},
            egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": tcp(*SMTP_PORTS)}],
        ),
    ]


def in_cluster_data_policies() -> list[Object]:
    """The dev overlay's PostgreSQL and RabbitMQ pods: reached by the services' pods only."""
    result = []
    for name, port in (("postgres", 5432), ("rabbitmq", 5672)):
        result.append(policy(f"{name}-clients", applications(),
                             egress=[{"to": [{"podSelector": {"matchLabels": pods.selector(name)}}],
                                      "ports": tcp(port)}]))  # fmt: skip
        result.append(policy(name, {"matchLabels": pods.selector(name)},
                             ingress=[{"from": [{"podSelector": applications()}], "ports": tcp(port)}]))  # fmt: skip
    return result


def external_data_policy(networks: Iterable[str]) -> Object:
    """The prod overlay: PostgreSQL and RabbitMQ outside the namespace, at these addresses."""
    return policy(
        "data-stores",
        applications(),
        egress=[{"to": [{"ipBlock": {"cidr": network}} for network in networks], "ports": tcp(5432, 5671, 5672)}],
    )
