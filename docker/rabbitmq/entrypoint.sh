#!/bin/sh
# Writes the cluster's shared Erlang cookie (TALLY_RABBITMQ_COOKIE, from .env) where the node reads it, then starts
# the node as the image would. Without the variable the node keeps the cookie the image makes (a single node).
set -eu
if [ "${TALLY_RABBITMQ_COOKIE_REQUIRED:-false}" = true ] && [ -z "${TALLY_RABBITMQ_COOKIE:-}" ]; then
  echo "Set RABBITMQ_COOKIE in .env (any long random string): the nodes of the broker cluster share it" >&2
  exit 1
fi
if [ -n "${TALLY_RABBITMQ_COOKIE:-}" ]; then
  cookie=/var/lib/rabbitmq/.erlang.cookie
  umask 077
  printf '%s' "$TALLY_RABBITMQ_COOKIE" > "$cookie"
  chown rabbitmq:rabbitmq "$cookie" 2>/dev/null || true
  chmod 400 "$cookie"
fi
if [ "$#" -gt 0 ]; then
  exec "$@"
fi
exec docker-entrypoint.sh rabbitmq-server
