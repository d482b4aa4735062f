#!/bin/sh
# Writes the variables docker-compose.yml requires (every ${NAME:?...} in it), each with a
# random value from `openssl rand -hex 32`, to an owner-only env file:
#
#   deploy/compose/generate-env.sh [FILE]      # default var/secrets/compose.env
#   docker compose --env-file var/secrets/compose.env up --build
#
# An existing file is left alone: the broker and provisioning keep the passwords of their
# first start, so new ones would lock the stack out of its own data.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/var/secrets/compose.env}
if [ -e "$out" ]; then
  echo "$out exists; left alone (remove it, and the stack's volumes, to start afresh)" >&2
  exit 1
fi
command -v openssl >/dev/null || { echo "openssl is needed to make the passwords" >&2; exit 1; }

umask 077
mkdir -p "$(dirname "$out")"
names=$(grep -o '\${[A-Z0-9_]*:?' "$root/docker-compose.yml" | sed 's/^\${//; s/:?$//' | sort -u)
tmp="$out.$$.tmp"
trap 'rm -f "$tmp"' EXIT
for name in $names; do
  printf '%s=%s\n' "$name" "$(openssl rand -hex 32)"
done >"$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "wrote $(echo "$names" | wc -l | tr -d ' ') variables to $out (owner-only)"
