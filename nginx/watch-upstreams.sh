#!/bin/sh
# The gateway container runs this before nginx starts (the nginx image runs /docker-entrypoint.d/*.sh).
#
# nginx resolves the host names of its upstream {} blocks once, when it starts or reloads. A
# container that restarts (after a crash, under `restart: unless-stopped`, or by `docker compose
# restart`) usually comes back with a new address, and nginx would go on sending its requests to
# the old one. This loop resolves the upstream hosts (from the *_UPSTREAM variables) every
# GATEWAY_RESOLVE_EVERY seconds and reloads nginx, gracefully, when an address has changed.
# While a host does not resolve (its container is down) nothing is reloaded: nginx would refuse
# the configuration, and it keeps the addresses it has until the host is back.
set -eu

every="${GATEWAY_RESOLVE_EVERY:-2}"
hosts=$(env | sed -n 's/^[A-Z0-9_]*_UPSTREAM=\([^:]*\):.*$/\1/p' | sort -u)
[ -n "$hosts" ] || exit 0

addresses() {
    for host in $hosts; do
        printf '%s=%s ' "$host" "$(getent hosts "$host" | awk '{print $1}' | sort | tr '\n' ',')"
    done
}

watch() {
    known=$(addresses)
    while sleep "$every"; do
        now=$(addresses)
        [ "$now" != "$known" ] || continue
        case "$now" in *"= "*) continue ;; esac
        if nginx -t -q && nginx -s reload; then
            echo "watch-upstreams: addresses changed, nginx reloaded: $now"
            known=$now
        fi
    done
}

watch &
