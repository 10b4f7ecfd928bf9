#!/bin/sh
# As the official image: /etc/nginx/templates/X.template becomes /etc/nginx/conf.d/X, with only the
# environment's variables substituted (nginx's own $variables are left alone).
set -eu
defined=$(env | cut -d= -f1 | sed 's/^/${/; s/$/}/' | tr '\n' ' ')
for template in /etc/nginx/templates/*.template; do
    [ -f "$template" ] || continue
    output="/etc/nginx/conf.d/$(basename "$template" .template)"
    envsubst "$defined" < "$template" > "$output"
    echo "$0: rendered $template into $output"
done
