#!/usr/bin/env bash
# ci-image.sh: builds and runs truwatch's images (deploy/*.Dockerfile) and compose files with podman 4.3 on
# Debian 12, with no container registry. The base images are made locally: debian:bookworm-slim by
# debootstrap --variant=minbase, and node:20-bookworm-slim from it plus this machine's own node, npm, corepack.
# Idempotent and non-interactive (root, CI=true, no stdin). Everything podman stores lives under $DIR.
#
#   ci-image.sh setup                      packages, podman config, base images (skipped when already there)
#   ci-image.sh build  CONTEXT TAG [ARGS]  podman build --network host --pull=never --format docker ...
#   ci-image.sh run    NAME TAG PORT       run --network host, wait until healthy, curl http://127.0.0.1:PORT/
#   ci-image.sh service-up | service-down  Docker-compatible API on $DIR/podman.sock (for sidecars / docker-compose)
#   ci-image.sh compose ARGS...            docker-compose v1 (Debian) against that socket; every service must use network_mode: host
#   ci-image.sh down                       remove all containers in $DIR's storage, stop the API service and the health ticker
#   ci-image.sh purge                      down, then delete all images and storage (keeps $DIR/cache)
set -euo pipefail

DIR=${TRUWATCH_IMAGES_DIR:-/var/tmp/truwatch-images}
DEBIAN_IMAGE=localhost/debian:bookworm-minbase
DEBIAN_SLIM=docker.io/library/debian:bookworm-slim
NODE_IMAGE=localhost/node:20-bookworm-slim
SOCK=$DIR/podman.sock
export CONTAINERS_CONF=$DIR/conf/containers.conf CONTAINERS_STORAGE_CONF=$DIR/conf/storage.conf
log() { printf '[ci-image %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# The host firewall and ip_forward must not change: podman build's default network (and any compose network)
# is a netavark bridge, which adds iptables-nft tables and sets net.ipv4.ip_forward=1.
fw_state() { { nft -s list ruleset 2>/dev/null || true; sysctl -n net.ipv4.ip_forward 2>/dev/null || true; } | sha256sum; }
FW0=$(fw_state)
fw_check() { [ "$(fw_state)" = "$FW0" ] || { log "ERROR: host firewall/ip_forward changed (a bridge network was used)"; exit 3; }; }

packages() {   # packages [EXTRA...]: podman runc debootstrap curl with their Recommends; EXTRA without theirs
  local base=() extra=() p
  for p in podman runc debootstrap curl; do dpkg -s "$p" >/dev/null 2>&1 || base+=("$p"); done
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || extra+=("$p"); done
  ((${#base[@]} + ${#extra[@]})) || return 0
  log "apt-get install ${base[*]} ${extra[*]}"
  apt-get update -qq -o DPkg::Lock::Timeout=600
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600)
  ((${#base[@]} == 0)) || "${apt[@]}" "${base[@]}" >/dev/null
  # docker-compose's Recommends pull in docker.io + containerd (dockerd, a docker group): leave them out
  ((${#extra[@]} == 0)) || "${apt[@]}" --no-install-recommends "${extra[@]}" >/dev/null
}

config() {
  mkdir -p "$DIR/conf" "$DIR/run" "$DIR/networks" "$DIR/cache"
  cat > "$DIR/conf/storage.conf.tmp" <<EOF
[storage]
driver = "overlay"
graphroot = "$DIR/storage"
runroot = "$DIR/run/storage"
EOF
  cat > "$DIR/conf/containers.conf.tmp" <<EOF
[containers]
# no CAP_SYS_RESOURCE here; podman's root defaults (1048576) fail with "setrlimit ...: Operation not permitted"
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
# podman run/create (CLI and API): loopback only unless --network host is given. NOT honoured by podman build.
netns = "none"

[engine]
runtime = "runc"          # crun 1.8 rejects this machine's hybrid cgroups
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$DIR/run/events.log"
tmp_dir = "$DIR/run/libpod"
static_dir = "$DIR/storage/libpod"
volume_path = "$DIR/storage/volumes"

[network]
network_config_dir = "$DIR/networks"
EOF
  mv "$DIR/conf/storage.conf.tmp" "$DIR/conf/storage.conf"
  mv "$DIR/conf/containers.conf.tmp" "$DIR/conf/containers.conf"
}

debian_image() {   # Debian bookworm minbase, slimmed like the official -slim images, imported as $DEBIAN_IMAGE
  if podman image exists "$DEBIAN_IMAGE"; then podman tag "$DEBIAN_IMAGE" "$DEBIAN_SLIM"; return 0; fi
  local mirror r=$DIR/rootfs
  mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
  rm -rf "$r"
  log "debootstrap --variant=minbase bookworm (about 25 s)"
  debootstrap --variant=minbase bookworm "$r" "$mirror" > "$DIR/cache/debootstrap.log" 2>&1 ||
    { tail -20 "$DIR/cache/debootstrap.log" >&2; exit 1; }
  chroot "$r" sh -c 'apt-get clean; rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt/* /var/log/*.log'
  rm -f "$r/etc/apt/sources.list"
  cp /etc/apt/sources.list.d/debian.sources "$r/etc/apt/sources.list.d/" 2>/dev/null || true   # same mirrors as the host
  cat > "$r/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
  find "$r/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$r"/usr/share/{man,groff,info,lintian,locale}/*
  : > "$r/etc/resolv.conf"; echo localhost > "$r/etc/hostname"   # debootstrap copied the host's; podman mounts its own
  chroot "$r" sh -c 'getent group node >/dev/null || groupadd --gid 1000 node; getent passwd node >/dev/null ||
    useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
  log "podman import $DEBIAN_IMAGE"
  tar --numeric-owner -C "$r" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -c . |
    podman import -q --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' - "$DEBIAN_IMAGE" >/dev/null
  podman tag "$DEBIAN_IMAGE" "$DEBIAN_SLIM"   # FROM debian:bookworm-slim (the socket proxy, nats-server for CI)
  rm -rf "$r"
}

node_image() {     # $NODE_IMAGE = $DEBIAN_IMAGE + the host's node/npm/corepack, laid out like the official image
  local node_bin moddir want ctx=$DIR/cache/node-ctx
  node_bin=$(readlink -f "$(command -v node)")
  moddir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/../.." && pwd)   # .../lib/node_modules
  want="$(node -p process.version)-$(sha256sum "$node_bin" | cut -c1-16)"
  if podman image exists "$NODE_IMAGE" &&
     [ "$(podman image inspect -f '{{index .Config.Labels "ci.node"}}' "$NODE_IMAGE")" = "$want" ]; then
    podman tag "$NODE_IMAGE" docker.io/library/node:20-bookworm-slim   # cheap, keeps the fully qualified name too
    return 0
  fi
  rm -rf "$ctx"; mkdir -p "$ctx"
  cp "$node_bin" "$ctx/node"
  cp -a "$moddir/npm" "$ctx/npm"; cp -a "$moddir/corepack" "$ctx/corepack" 2>/dev/null || mkdir -p "$ctx/corepack"
  # the npm registry is reached through a TLS-intercepting proxy whose CA is only in the host's bundle
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
  cat > "$ctx/Containerfile" <<EOF
FROM $DEBIAN_IMAGE
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY corepack /usr/local/lib/node_modules/corepack
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && if [ -f /usr/local/lib/node_modules/corepack/dist/corepack.js ]; then ln -s ../lib/node_modules/corepack/dist/corepack.js /usr/local/bin/corepack; fi \\
 && node --version && npm --version
ENV NODE_VERSION=$(node -p 'process.version.slice(1)') NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
LABEL ci.node=$want
CMD ["node"]
EOF
  log "podman build $NODE_IMAGE (node $want)"
  podman build -q --pull=never --network none --format docker -t "$NODE_IMAGE" "$ctx" >/dev/null
  podman tag "$NODE_IMAGE" docker.io/library/node:20-bookworm-slim
  rm -rf "$ctx"
  podman image prune -f >/dev/null
}

setup() {
  packages "$@"
  config
  debian_image
  node_image
  fw_check
}

build() {   # build CONTEXT TAG [extra podman build args]; FROM node:20-bookworm-slim resolves to $NODE_IMAGE
  local ctx=$1 tag=$2; shift 2
  # --network host: RUN npm ci reaches the npm registry, and no bridge is set up (podman build ignores netns=none)
  # --format docker: otherwise HEALTHCHECK is dropped ("not supported for OCI image format")
  podman build --pull=never --network host --format docker -t "$tag" "$@" "$ctx"
  fw_check
}

wait_healthy() {   # podman 4.3 runs HEALTHCHECKs from systemd timers only; there is no systemd here, so run them by hand
  local name=$1 tries=${2:-30}
  [ "$(podman inspect -f '{{if .Config.Healthcheck}}y{{end}}' "$name")" = y ] || return 0
  for _ in $(seq "$tries"); do
    podman healthcheck run "$name" >/dev/null 2>&1 && return 0
    [ "$(podman inspect -f '{{.State.Status}}' "$name")" = running ] || break
    sleep 1
  done
  log "ERROR: $name not healthy"; podman logs --tail 30 "$name" >&2; return 1
}

run() {     # run NAME TAG PORT
  local name=$1 tag=$2 port=$3
  podman rm -f -i -t 3 "$name" >/dev/null 2>&1 || true
  # stderr filter: "unable to get systemd connection to add healthchecks" is expected noise (exit code stays 0)
  podman run -d --pull=never --name "$name" --network host -e PORT="$port" "$tag" \
    2> >(grep -v 'systemd connection' >&2) >/dev/null
  wait_healthy "$name"
  curl -fsS --retry 10 --retry-connrefused --retry-delay 1 -m 5 "http://127.0.0.1:$port/"
  fw_check
}

stop_pidfile() {   # stop a process we started, by its recorded PID, only if it is still that command
  local f=$1 comm=$2 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null && [ "$(ps -o comm= -p "$pid")" = "$comm" ]; then
    kill "$pid"; for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$f"
}
ping_ok() { curl -sf -m 2 --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1; }

service_up() {   # API socket + a loop that runs healthchecks (needed for depends_on: condition: service_healthy)
  ping_ok || {
    stop_pidfile "$DIR/service.pid" podman; rm -f "$SOCK"
    nohup podman system service --time=0 "unix://$SOCK" >>"$DIR/run/service.log" 2>&1 </dev/null &
    echo $! > "$DIR/service.pid"
    for _ in $(seq 100); do ping_ok && break; sleep 0.05; done
    ping_ok || { log "API service did not start"; tail -5 "$DIR/run/service.log" >&2; exit 1; }
    # root:root 0600 by default; API_SOCK_GID=1000 lets USER node (gid 1000) in a container use it too.
    # Opt-in: whoever has that gid on the host becomes root-equivalent through the socket.
    [ -z "${API_SOCK_GID:-}" ] || { chgrp "$API_SOCK_GID" "$SOCK"; chmod 660 "$SOCK"; }
  }
  if ! { [ -f "$DIR/ticker.pid" ] && kill -0 "$(cat "$DIR/ticker.pid")" 2>/dev/null; }; then
    nohup bash -c 'trap "exit 0" TERM; while :; do
        for id in $(podman ps -q --filter status=running); do
          [ "$(podman inspect -f "{{if .Config.Healthcheck}}y{{end}}" "$id" 2>/dev/null)" = y ] &&
            podman healthcheck run "$id" >/dev/null 2>&1; done
        sleep 2 & wait $!; done' >>"$DIR/run/ticker.log" 2>&1 </dev/null &
    echo $! > "$DIR/ticker.pid"
  fi
}
service_down() { stop_pidfile "$DIR/ticker.pid" bash; stop_pidfile "$DIR/service.pid" podman; rm -f "$SOCK"; }

compose() {   # docker-compose v1.29 (Debian) talking to podman's Docker-compatible API
  packages docker-compose
  service_up
  export DOCKER_HOST=unix://$SOCK
  # refuse files where a service would get a bridge network (host firewall changes)
  # (docker-compose itself reads COMPOSE_FILE / COMPOSE_PROJECT_NAME from the environment)
  docker-compose config | /usr/bin/python3 -c '
import sys, yaml
bad = [n for n, s in (yaml.safe_load(sys.stdin).get("services") or {}).items()
       if s.get("network_mode") not in ("host", "none")
       or ("build" in s and isinstance(s["build"], dict) and s["build"].get("network") not in ("host", "none"))]
sys.exit("services without network_mode host (or build.network host): %s" % ", ".join(bad) if bad else 0)'
  docker-compose "$@"
  fw_check
}

down() {
  [ -f "$CONTAINERS_CONF" ] && command -v podman >/dev/null || return 0
  local c
  for c in $(podman ps -aq); do podman rm -f -i -t 3 "$c" >/dev/null 2>&1 || true; done   # one id per call (podman 4.3)
  service_down
}

purge() {
  down
  [ -f "$CONTAINERS_CONF" ] && podman system reset -f >/dev/null 2>&1 || true
  rm -rf "$DIR/storage" "$DIR/run" "$DIR/networks" "$DIR/rootfs" "$DIR/example"
}

cmd=${1:-}; shift || true
case "$cmd" in
  setup) setup "$@" ;;
  build) config; build "$@" ;;
  run) config; run "$@" ;;
  service-up) config; service_up ;;
  service-down) service_down ;;
  compose) config; compose "$@" ;;
  down) down ;;
  purge) purge ;;
  *) echo "usage: $0 setup|build CONTEXT TAG|run NAME TAG PORT|service-up|service-down|compose ARGS|down|purge" >&2; exit 2 ;;
esac
