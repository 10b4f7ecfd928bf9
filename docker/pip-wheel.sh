#!/bin/sh
# `pip wheel` into /wheels for the build stage. Behind a proxy that intercepts TLS, pip must trust
# the proxy's CA: given as the build secret `ca_bundle` (see docs/containers.md), it is added to
# the image's CA bundle for this one command and never stored in a layer.
set -eu
if [ -s /run/secrets/ca_bundle ]; then
    bundle=$(mktemp)
    trap 'rm -f "$bundle"' EXIT
    cat /etc/ssl/certs/ca-certificates.crt /run/secrets/ca_bundle > "$bundle"
    export PIP_CERT="$bundle"
fi
pip wheel --no-deps --wheel-dir /wheels "$@"
