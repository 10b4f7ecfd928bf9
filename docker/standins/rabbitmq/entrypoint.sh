#!/bin/sh
# The official image's defaults, written as configuration before the server starts. Debian's
# rabbitmq-server and rabbitmq-diagnostics switch to the rabbitmq user themselves.
set -eu
mkdir -p /etc/rabbitmq/conf.d /var/lib/rabbitmq /var/log/rabbitmq
cat > /etc/rabbitmq/conf.d/10-standin.conf <<CONF
listeners.tcp.default = 5672
loopback_users = none
default_user = ${RABBITMQ_DEFAULT_USER:-guest}
default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}
log.console = true
log.file = false
CONF
chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /var/log/rabbitmq
exec "$@"
