#!/usr/bin/env bash
# Starts a Docker engine when none answers (Debian's docker.io; needs root), and waits for it.
set -euo pipefail
if docker info >/dev/null 2>&1; then exit 0; fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "dockerd is not installed: apt-get install -y docker.io" >&2
  exit 1
fi
log=${DOCKERD_LOG:-/tmp/dockerd.log}
nohup dockerd >"$log" 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then exit 0; fi
  sleep 1
done
echo "dockerd did not start within 60 s; see $log" >&2
tail -20 "$log" >&2
exit 1
