#!/usr/bin/env bash
# A "remote" Docker engine on this machine, for trying DOCKER_HOST without a second machine: a second dockerd in
# its own network namespace, reachable only at its own address over a veth pair. Its published ports bind in that
# namespace (so at 10.99.0.2, not at 127.0.0.1), as on another host. Needs root, iproute2 and dockerd.
#
#   test/reliability/remote-engine.sh up      # start it (idempotent) and load the images setup chose into it
#                                             # (REMOTE_LOAD_IMAGES=0: leave it empty)
#   DOCKER_HOST=tcp://10.99.0.2:2375 node bin/drill.js run scenarios/primary-crash.yaml
#   test/reliability/remote-engine.sh down    # stop it; remove the namespace, the veth, its data and state
#   test/reliability/remote-engine.sh status
#
# Unauthenticated TCP (2375) is fine on a private veth; a real remote engine should use TLS (2376) or ssh://.
set -euo pipefail

NS=drill-remote
HOST_IF=${NS}-h            # host end of the veth pair (interface names: at most 15 characters)
NS_IF=${NS}-n
HOST_IP=10.99.0.1
REMOTE_IP=10.99.0.2
PORT=2375
DATA_ROOT=/var/lib/docker-remote
EXEC_ROOT=/run/docker-remote
PIDFILE=/run/docker-remote.pid
SOCK=/run/docker-remote.sock
LOG=/var/log/docker-remote.log
SETUP_JSON=${FAILOVER_DRILL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/failover-drill}/setup.json
REMOTE="tcp://${REMOTE_IP}:${PORT}"

say() { echo "remote-engine: $*"; }
dockerd_pid() { [[ -s $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && cat "$PIDFILE"; }
remote_ready() { docker -H "$REMOTE" info >/dev/null 2>&1; }

up() {
  [[ $(id -u) == 0 ]] || { say "needs root"; exit 1; }
  local started=
  if ! ip netns list | grep -qw "$NS"; then ip netns add "$NS"; fi
  ip -n "$NS" link set lo up
  if ! ip link show "$HOST_IF" >/dev/null 2>&1; then
    ip link add "$HOST_IF" type veth peer name "$NS_IF" netns "$NS"
  fi
  ip addr replace "${HOST_IP}/24" dev "$HOST_IF"
  ip -n "$NS" addr replace "${REMOTE_IP}/24" dev "$NS_IF"
  ip link set "$HOST_IF" up
  ip -n "$NS" link set "$NS_IF" up

  if ! dockerd_pid >/dev/null; then
    mkdir -p "$DATA_ROOT" "$EXEC_ROOT" "$(dirname "$LOG")"
    # Its own docker0 and iptables rules live in the namespace; --cgroup-parent keeps its containers apart
    # from the local engine's in the cgroup tree. nsenter, not `ip netns exec`: the latter also remounts /sys,
    # which hides the cgroup mounts ("Devices cgroup isn't mounted").
    setsid nsenter --net="/run/netns/$NS" dockerd \
      -H "tcp://${REMOTE_IP}:${PORT}" -H "unix://${SOCK}" \
      --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" --pidfile "$PIDFILE" \
      --cgroup-parent docker-remote >>"$LOG" 2>&1 </dev/null &
    started=$!
  fi
  for _ in $(seq 1 120); do
    remote_ready && break
    if [[ -n ${started:-} ]] && ! kill -0 "$started" 2>/dev/null; then break; fi
    sleep 0.5
  done
  remote_ready || { say "dockerd did not answer at $REMOTE within 60 s; see $LOG (\`$0 down\` removes it all)"; exit 1; }

  # The images setup prepared on the local engine (no registry needed): toxiproxy and the services' base image.
  # REMOTE_LOAD_IMAGES=0 leaves the engine empty, for `DOCKER_HOST=... npm run setup` to prepare it instead.
  if [[ ${REMOTE_LOAD_IMAGES:-1} == 0 ]]; then
    :
  elif [[ -f $SETUP_JSON ]]; then
    local images=() image
    for key in toxiproxyImage baseImage; do
      image=$(node -p "require('$SETUP_JSON').$key")
      docker -H "$REMOTE" image inspect "$image" >/dev/null 2>&1 || images+=("$image")
    done
    if ((${#images[@]})); then
      say "loading ${images[*]} into $REMOTE"
      docker save "${images[@]}" | docker -H "$REMOTE" load -q
    fi
  else
    say "no $SETUP_JSON: run \`npm run setup\` on the local engine first, then \`$0 up\` again to load its images"
  fi
  say "up: DOCKER_HOST=$REMOTE (pid $(cat "$PIDFILE"), log $LOG)"
}

down() {
  local pid
  if pid=$(dockerd_pid); then
    # SIGTERM: dockerd stops its containers and its containerd, then exits.
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then say "dockerd $pid still running after 30 s: SIGKILL"; kill -KILL "$pid"; fi
  fi
  # Anything still running in the namespace was started by that engine (containerd, shims, containers).
  if ip netns list | grep -qw "$NS"; then
    for pid in $(ip netns pids "$NS"); do kill -KILL "$pid" 2>/dev/null || true; done
    sleep 0.5
  fi
  # Overlay mounts, network-namespace bind mounts, shm mounts of that engine, deepest first.
  awk -v a="$DATA_ROOT" -v b="$EXEC_ROOT" 'index($2, a) == 1 || index($2, b) == 1 { print $2 }' /proc/mounts \
    | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$DATA_ROOT" "$EXEC_ROOT" "$PIDFILE" "$SOCK" "$LOG"
  # The containers' cgroups (--cgroup-parent), now empty: deepest first.
  find /sys/fs/cgroup/ -maxdepth 3 -type d -path '*/docker-remote*' 2>/dev/null | sort -r | xargs -r rmdir 2>/dev/null || true
  ip link del "$HOST_IF" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  say "down: no namespace $NS, no veth $HOST_IF, no dockerd, no $DATA_ROOT, no $LOG"
}

status() {
  local ok=0
  ip netns list | grep -qw "$NS" && { say "namespace $NS present"; ok=1; }
  ip link show "$HOST_IF" >/dev/null 2>&1 && { say "veth $HOST_IF present"; ok=1; }
  dockerd_pid >/dev/null && { say "dockerd $(cat "$PIDFILE") running, $(remote_ready && echo answering || echo not answering) at $REMOTE"; ok=1; }
  [[ -d $DATA_ROOT ]] && { say "$DATA_ROOT present"; ok=1; }
  compgen -G "/sys/fs/cgroup/*/docker-remote" >/dev/null && { say "cgroups docker-remote present"; ok=1; }
  ((ok)) || say "nothing of the remote engine is left"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
