"""Kubernetes manifests generated from the service registry and docker-compose.yml (`make manifests`).

`layout` lays out deploy/kubernetes/ (a kustomize base and the dev and prod overlays) from
`workloads` (each service's Deployments, Service, autoscaler, disruption budget), `edge` (the
gateway and its Ingress), `network` (NetworkPolicies) and `data` (the dev overlay's PostgreSQL and
RabbitMQ), all reading `source`: the registry, the compose file and the images' settings.
"""
