#!/usr/bin/env bash
# Prepares a fresh Debian machine (as root) for the tests: the Docker engine, a Debian base image made
# offline (no registry pull needed), and the tools the tests call. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
# The FAT/exFAT tools mount a disk without exec bits, symlinks or case (test/support/vfat.ts); podman,
# rootlesskit and the rest run the rootless engines (scripts/rootless-podman.sh); iproute2 gives the fault
# suite's private dockerd a bridge of its own (test/support/private-dockerd.ts); docker-registry is the
# 127.0.0.1 registry the prebuilt-image pull test starts (test/support/registry.ts).
packages=(docker.io debootstrap git unzip zip ca-certificates openssl curl python3 chromium dbus gnome-keyring
  iproute2 dosfstools exfatprogs exfat-fuse podman uidmap slirp4netns fuse-overlayfs catatonit runc rootlesskit
  docker-registry)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}…"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
scripts/start-docker.sh
scripts/make-base-image.sh "${CODEX_BASE_IMAGE:-codex-sys/debian-base:bookworm}"
