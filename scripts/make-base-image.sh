#!/usr/bin/env bash
# Builds a Debian base image offline (no registry pull): debootstrap a minimal bookworm and import it.
# Usage: scripts/make-base-image.sh [IMAGE_NAME]   (default: codex-sys/debian-base:bookworm)
set -euo pipefail
name=${1:-codex-sys/debian-base:bookworm}
if docker image inspect "$name" >/dev/null 2>&1; then
  echo "base image $name already present"
  exit 0
fi
root=$(mktemp -d /tmp/codex-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "debootstrap bookworm into $root (a few minutes)…"
debootstrap --variant=minbase bookworm "$root" >/tmp/debootstrap.log 2>&1 || {
  tail -30 /tmp/debootstrap.log >&2
  exit 1
}
tar -C "$root" -c . | docker import - "$name" >/dev/null
echo "imported $name"
