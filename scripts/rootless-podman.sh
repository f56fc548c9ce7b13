#!/bin/sh
# Starts a rootless engine as an unprivileged user, for test/integration/rootless-{podman,docker}.test.ts.
#
#   sudo scripts/rootless-podman.sh start IMAGE...          rootless Podman; prints its socket path last
#   sudo scripts/rootless-podman.sh start-docker IMAGE...   rootless Docker; prints its socket path last
#   sudo scripts/rootless-podman.sh stop | stop-docker
#
# Needs root and the Debian packages podman uidmap slirp4netns fuse-overlayfs catatonit runc (and, for
# Docker, docker.io rootlesskit), installed here with apt-get when missing. It makes the user
# codex-podman (with subordinate ids), gives it a runtime directory /run/user/UID (no systemd or
# pam_systemd here), and copies each IMAGE from the root Docker engine into the user's storage
# (`docker save | podman load`, or `docker load`) unless it is already there.
#
# What it takes on this kind of machine (cgroup v1, no systemd, /dev/net/tun and /dev/fuse root-only):
# - Podman: cgroup_manager=cgroupfs and events_logger=file (no systemd, no journal); runtime=runc, since
#   crun refuses cgroup v1 "hybrid mode" even with no limits asked; the kernel's own overlay in the user
#   namespace (CODEX_PODMAN_STORAGE=vfs if it is not allowed). Limits are ignored there (rootless cgroup v1).
# - Docker: dockerd-rootless.sh with rootlesskit's host network (slirp4netns needs /dev/net/tun), no
#   port driver, no bridge and no iptables: containers get `none` networking only.
set -eu

USER_NAME=codex-podman
SUB_START=300000
SUB_COUNT=65536

die() {
  echo "rootless-podman: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || die "run it as root (it makes a user and starts a service as that user)"

as_user() {
  # A login-free shell as the user, in its own runtime directory (no systemd, no pam_systemd here).
  uid=$(id -u "$USER_NAME")
  setpriv --reuid="$uid" --regid="$(id -g "$USER_NAME")" --init-groups -- env -i HOME="/home/$USER_NAME" USER="$USER_NAME" \
    LOGNAME="$USER_NAME" PATH=/usr/local/bin:/usr/bin:/bin XDG_RUNTIME_DIR="/run/user/$uid" "$@"
}

install_packages() {
  missing=
  for cmd in podman:podman newuidmap:uidmap slirp4netns:slirp4netns fuse-overlayfs:fuse-overlayfs \
    catatonit:catatonit runc:runc $*; do
    command -v "${cmd%%:*}" >/dev/null 2>&1 || [ -x "/usr/libexec/podman/${cmd%%:*}" ] ||
      missing="$missing ${cmd#*:}"
  done
  [ -z "$missing" ] && return 0
  echo "rootless-podman: installing$missing" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >&2 ||
    die "could not install$missing (apt-get install -y$missing)"
}

make_user() {
  id -u "$USER_NAME" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$USER_NAME"
  for f in /etc/subuid /etc/subgid; do
    touch "$f"
    grep -q "^$USER_NAME:" "$f" || echo "$USER_NAME:$SUB_START:$SUB_COUNT" >>"$f"
  done
  uid=$(id -u "$USER_NAME")
  mkdir -p "/run/user/$uid"
  chown "$uid:$(id -g "$USER_NAME")" "/run/user/$uid"
  chmod 0700 "/run/user/$uid"
  conf="/home/$USER_NAME/.config/containers"
  mkdir -p "$conf"
  cat >"$conf/containers.conf" <<EOF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
EOF
  cat >"$conf/storage.conf" <<EOF
[storage]
driver = "${CODEX_PODMAN_STORAGE:-overlay}"
EOF
  chown -R "$uid:$(id -g "$USER_NAME")" "/home/$USER_NAME/.config"
}

socket_path() {
  echo "/run/user/$(id -u "$USER_NAME")/podman/podman.sock"
}

service_up() {
  sock=$(socket_path)
  [ -S "$sock" ] && as_user curl -fsS --unix-socket "$sock" http://d/_ping >/dev/null 2>&1
}

start_service() {
  service_up && return 0
  uid=$(id -u "$USER_NAME")
  mkdir -p "/run/user/$uid/podman"
  chown "$uid:$(id -g "$USER_NAME")" "/run/user/$uid/podman"
  log="/run/user/$uid/podman/service.log"
  as_user sh -c "nohup podman system service --time=0 unix://$(socket_path) >$log 2>&1 &
echo \$! >/run/user/$uid/podman/service.pid"
  i=0
  until service_up; do
    i=$((i + 1))
    [ "$i" -lt 100 ] || die "the Podman service did not answer on $(socket_path): $(tail -5 "$log")"
    sleep 0.2
  done
}

load_image() {
  as_user podman image exists "$1" && return 0
  echo "rootless-podman: loading $1 into $USER_NAME's storage" >&2
  docker save "$1" | as_user podman load -q >&2 || die "could not load $1 into $USER_NAME's Podman storage"
}

docker_socket() {
  echo "/run/user/$(id -u "$USER_NAME")/docker.sock"
}

docker_up() {
  as_user env DOCKER_HOST="unix://$(docker_socket)" docker version >/dev/null 2>&1
}

start_docker() {
  docker_up && return 0
  uid=$(id -u "$USER_NAME")
  contrib=/usr/share/docker.io/contrib
  [ -x "$contrib/dockerd-rootless.sh" ] || die "no $contrib/dockerd-rootless.sh (Debian package docker.io)"
  log="/run/user/$uid/dockerd.log"
  net=host
  as_user test -w /dev/net/tun && net=slirp4netns
  as_user env PATH="$contrib:/usr/sbin:/sbin:/usr/bin:/bin" DOCKERD_ROOTLESS_ROOTLESSKIT_NET="$net" \
    DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=none DOCKERD_ROOTLESS_ROOTLESSKIT_MTU=1500 sh -c \
    "nohup dockerd-rootless.sh --iptables=false --bridge=none --host unix://$(docker_socket) \
      --data-root /home/$USER_NAME/.local/share/docker >$log 2>&1 &
echo \$! >/run/user/$uid/dockerd.pid"
  i=0
  until docker_up; do
    i=$((i + 1))
    [ "$i" -lt 150 ] || die "rootless dockerd did not answer on $(docker_socket): $(grep -v '^+' "$log" | tail -5)"
    sleep 0.2
  done
}

load_docker_image() {
  sock="unix://$(docker_socket)"
  as_user env DOCKER_HOST="$sock" docker image inspect "$1" >/dev/null 2>&1 && return 0
  echo "rootless-podman: loading $1 into $USER_NAME's rootless Docker" >&2
  docker save "$1" | as_user env DOCKER_HOST="$sock" docker load -q >&2 ||
    die "could not load $1 into $USER_NAME's rootless Docker"
}

stop_pid() {
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || true
  i=0
  while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do
    i=$((i + 1))
    sleep 0.2
  done
  rm -f "$1"
}

case "${1:-}" in
start)
  shift
  install_packages
  make_user
  as_user podman info >/dev/null 2>&1 || die "podman does not run as $USER_NAME: $(as_user podman info 2>&1 | tail -3)"
  for image in "$@"; do load_image "$image"; done
  start_service
  socket_path
  ;;
start-docker)
  shift
  install_packages dockerd:docker.io rootlesskit:rootlesskit
  make_user
  for image in "$@"; do docker image inspect "$image" >/dev/null || die "no image $image in the root engine"; done
  start_docker
  for image in "$@"; do load_docker_image "$image"; done
  docker_socket
  ;;
stop)
  id -u "$USER_NAME" >/dev/null 2>&1 || exit 0
  stop_pid "/run/user/$(id -u "$USER_NAME")/podman/service.pid"
  # Podman's pause process holds the user namespace open; it goes too once no container is left.
  as_user podman ps -aq 2>/dev/null | grep -q . || stop_pid "/run/user/$(id -u "$USER_NAME")/libpod/tmp/pause.pid"
  ;;
stop-docker)
  id -u "$USER_NAME" >/dev/null 2>&1 || exit 0
  stop_pid "/run/user/$(id -u "$USER_NAME")/dockerd.pid"
  ;;
*)
  die "usage: $0 start IMAGE... | start-docker IMAGE... | stop | stop-docker"
  ;;
esac
