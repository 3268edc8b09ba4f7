#!/usr/bin/env bash
# Serve Human Touch for a real study: N participant replicas + one staff replica on PostgreSQL,
# behind nginx (sticky sessions, websocket, limits). Ctrl-C stops everything.
#
#   HUMAN_TOUCH_DATABASE_URL=postgresql://user:pw@host/db deploy/serve.sh --replicas 2
#   (or: make serve REPLICAS=2)
#
# Options (each also readable from the environment variable in brackets):
#   --replicas N           participant replicas on ports BASE_PORT.. (REPLICAS, default 2)
#   --data-per-replica     each participant replica gets its own, initially empty data folder
#                          $HUMAN_TOUCH_DATA/replica-PORT (DATA_PER_REPLICA=1, the default): clip bytes,
#                          the staff credential and the study come from the database, so replicas
#                          may as well run on different machines. The staff replica keeps
#                          $HUMAN_TOUCH_DATA (it holds the uploaded originals for re-processing).
#   --shared-data          all replicas use $HUMAN_TOUCH_DATA (DATA_PER_REPLICA=0)
#   --no-staff             no staff replica and no staff site (STAFF=0)
#   --no-prepare           skip `prepare` (migrate, staff password, demo clips) (PREPARE=0)
#   --expose-upstream      send the replica's address as X-Human-Touch-Replica (EXPOSE_UPSTREAM=1)
# A replica that dies is restarted (back-off 1 s doubling to 60 s, each restart logged here).
# Environment: LISTEN (participant site, default 8080), STAFF_LISTEN (127.0.0.1:8090),
#   BASE_PORT (8601), STAFF_PORT (8600), RUN_DIR (./run: pids, logs, rendered nginx config),
#   PYTHON (.venv/bin/python), NGINX (nginx), PARTICIPANT_MAX_UPLOAD_MB (1),
#   STAFF_MAX_UPLOAD_MB (200), STAFF_ALLOW (space-separated CIDRs allowed on the staff site).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

REPLICAS="${REPLICAS:-2}"
DATA_PER_REPLICA="${DATA_PER_REPLICA:-1}"
STAFF="${STAFF:-1}"
PREPARE="${PREPARE:-1}"
EXPOSE_UPSTREAM="${EXPOSE_UPSTREAM:-0}"
while [ $# -gt 0 ]; do
  case "$1" in
    --replicas) REPLICAS="$2"; shift 2 ;;
    --replicas=*) REPLICAS="${1#*=}"; shift ;;
    --data-per-replica) DATA_PER_REPLICA=1; shift ;;
    --shared-data) DATA_PER_REPLICA=0; shift ;;
    --no-staff) STAFF=0; shift ;;
    --no-prepare) PREPARE=0; shift ;;
    --expose-upstream) EXPOSE_UPSTREAM=1; shift ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "serve.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

LISTEN="${LISTEN:-8080}"
STAFF_LISTEN="${STAFF_LISTEN:-127.0.0.1:8090}"
BASE_PORT="${BASE_PORT:-8601}"
STAFF_PORT="${STAFF_PORT:-8600}"
RUN_DIR="$(mkdir -p "${RUN_DIR:-$ROOT/run}" && cd "${RUN_DIR:-$ROOT/run}" && pwd)"
PARTICIPANT_MAX_UPLOAD_MB="${PARTICIPANT_MAX_UPLOAD_MB:-1}"
STAFF_MAX_UPLOAD_MB="${STAFF_MAX_UPLOAD_MB:-200}"
NGINX="${NGINX:-nginx}"
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi
export HUMAN_TOUCH_DATA="${HUMAN_TOUCH_DATA:-$ROOT/data}"
# The replicas share PostgreSQL's max_connections: each sizes its pool for this many (core/db.py).
export HUMAN_TOUCH_PROCESSES="${HUMAN_TOUCH_PROCESSES:-$((REPLICAS + STAFF))}"
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$ROOT/.numba-cache}"

die() { echo "serve.sh: $*" >&2; exit 1; }
[[ "$REPLICAS" =~ ^[1-9][0-9]*$ ]] || die "--replicas needs a positive number, got '$REPLICAS'"
[ -n "${HUMAN_TOUCH_DATABASE_URL:-}" ] || die "set HUMAN_TOUCH_DATABASE_URL (PostgreSQL) first"
case "$HUMAN_TOUCH_DATABASE_URL" in
  postgres*) ;;
  *) die "replicas need PostgreSQL; HUMAN_TOUCH_DATABASE_URL is '$HUMAN_TOUCH_DATABASE_URL'" ;;
esac
NGINX_BIN="$(command -v "$NGINX" || { [ -x "/usr/sbin/$NGINX" ] && echo "/usr/sbin/$NGINX"; } || true)"
[ -n "$NGINX_BIN" ] || die "nginx not found: apt-get install nginx (or bash scripts/system_deps.sh)"

# Production flags: no file watcher (it cost ~40 % of a core), no rerun on save, no browser.
STREAMLIT_FLAGS=(--server.address 127.0.0.1 --server.headless true --server.fileWatcherType none
                 --server.runOnSave false --browser.gatherUsageStats false)

declare -A replica_pid replica_args replica_started replica_delay  # by port: the current process, ...
nginx_pid=""
stopping=0
stop_all() {
  [ "$stopping" = 1 ] && return
  stopping=1
  echo "serve.sh: stopping nginx and replicas ..." >&2
  # nginx first, so no browser is sent to a stopping replica
  local pids=($nginx_pid "${replica_pid[@]}")
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -f "$RUN_DIR"/replica-*.pid "$RUN_DIR"/serve.pid
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

healthy() {  # healthy PORT: Streamlit answers /_stcore/health with 200 (no curl needed)
  local status
  { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  printf 'GET /_stcore/health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  read -r -t 5 _ status _ <&3 || status=""
  exec 3<&- 3>&-
  [ "$status" = 200 ]
}

start_replica() {  # start_replica PORT MAX_UPLOAD_MB DATA_DIR
  local port="$1" log="$RUN_DIR/replica-$1.log"
  HUMAN_TOUCH_DATA="$3" "$PYTHON" -m streamlit run "$ROOT/app.py" --server.port "$port" \
    --server.maxUploadSize "$2" "${STREAMLIT_FLAGS[@]}" >>"$log" 2>&1 &
  replica_pid[$port]=$!
  replica_args[$port]="$2 $3"
  replica_started[$port]=$SECONDS
  echo "$!" >"$RUN_DIR/replica-$port.pid"
  echo "serve.sh: replica on 127.0.0.1:$port (pid $!, data $3, log $log)" >&2
}

wait_healthy() {  # wait_healthy PORT...
  local port
  for port in "$@"; do
    for _ in $(seq 1 600); do
      healthy "$port" && continue 2
      kill -0 "$(cat "$RUN_DIR/replica-$port.pid")" 2>/dev/null || die "replica $port exited; see $RUN_DIR/replica-$port.log"
      sleep 0.25
    done
    die "replica $port did not become healthy in 150 s; see $RUN_DIR/replica-$port.log"
  done
}

data_for() {  # data_for PORT: the data folder of that replica
  if [ "$DATA_PER_REPLICA" = 1 ]; then echo "$HUMAN_TOUCH_DATA/replica-$1"; else echo "$HUMAN_TOUCH_DATA"; fi
}

echo "$$" >"$RUN_DIR/serve.pid"
cd "$ROOT"
if [ "$PREPARE" = 1 ]; then
  # Once, before any replica: migrations, the staff password (printed once) and the demo clips.
  # The banner names the staff site (through nginx), not a replica's own port.
  HUMAN_TOUCH_STAFF_URL="${HUMAN_TOUCH_STAFF_URL:-http://$STAFF_LISTEN/staff}" "$PYTHON" -m human_touch.cli prepare
fi

ports=()
render_args=()
for i in $(seq 0 $((REPLICAS - 1))); do
  port=$((BASE_PORT + i))
  ports+=("$port")
  render_args+=(--replica "127.0.0.1:$port")
  start_replica "$port" "$PARTICIPANT_MAX_UPLOAD_MB" "$(data_for "$port")"
done
if [ "$STAFF" = 1 ]; then
  ports+=("$STAFF_PORT")
  render_args+=(--staff-replica "127.0.0.1:$STAFF_PORT" --staff-listen "$STAFF_LISTEN"
                --staff-max-upload-mb "$STAFF_MAX_UPLOAD_MB")
  for network in ${STAFF_ALLOW:-}; do render_args+=(--staff-allow "$network"); done
  start_replica "$STAFF_PORT" "$STAFF_MAX_UPLOAD_MB" "$HUMAN_TOUCH_DATA"  # originals live here
fi
[ "$EXPOSE_UPSTREAM" = 1 ] && render_args+=(--expose-upstream)

"$PYTHON" "$ROOT/deploy/render_nginx.py" --out "$RUN_DIR" --standalone "$RUN_DIR" \
  --listen "$LISTEN" "${render_args[@]}" >/dev/null
mkdir -p "$RUN_DIR/nginx-tmp"
[ "$(id -u)" = 0 ] && chown www-data "$RUN_DIR/nginx-tmp"
"$NGINX_BIN" -t -q -p "$RUN_DIR" -e "$RUN_DIR/nginx-error.log" -c "$RUN_DIR/nginx.conf"

wait_healthy "${ports[@]}"
"$NGINX_BIN" -p "$RUN_DIR" -e "$RUN_DIR/nginx-error.log" -c "$RUN_DIR/nginx.conf" &
nginx_pid=$!
case "$LISTEN" in *:*) site="$LISTEN" ;; *) site="localhost:$LISTEN" ;; esac
# "ready" means nginx answers and has written its pid file (it does both a moment after it starts).
for _ in $(seq 1 600); do
  [ -s "$RUN_DIR/nginx.pid" ] && "$PYTHON" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
    "http://$site/_stcore/health" 2>/dev/null && break
  kill -0 "$nginx_pid" 2>/dev/null || die "nginx exited; see $RUN_DIR/nginx-error.log"
  sleep 0.25
done
[ -s "$RUN_DIR/nginx.pid" ] || die "nginx did not start in 150 s; see $RUN_DIR/nginx-error.log"
echo "serve.sh: participants: http://$site/   (nginx pid $nginx_pid, logs in $RUN_DIR)" >&2
[ "$STAFF" = 1 ] && echo "serve.sh: staff (uploads): http://$STAFF_LISTEN/staff" >&2
echo "serve.sh: ready" >&2

# Serve until nginx exits or Ctrl-C, restarting any replica that dies (a crash, the OOM killer,
# SIGKILL). Meanwhile nginx sends its browsers to the live replicas; once it is back, nginx uses it
# again. Back-off: 1 s before the first restart, doubling up to 60 s while it keeps dying within a
# minute of starting, back to 1 s after a run that lasted a minute.
MIN_UPTIME_S=60
MAX_DELAY_S=60
announce_when_back() {  # announce_when_back PORT PID T0: one log line once the new replica is healthy
  local port="$1" pid="$2" t0="$3"
  while kill -0 "$pid" 2>/dev/null; do
    if healthy "$port"; then
      echo "serve.sh: replica $port is back (pid $pid, healthy $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}') s after it died)" >&2
      return
    fi
    sleep 0.2
  done
}
restart_replica() {  # restart_replica PORT EXIT_STATUS DIED_AT
  local port="$1" status="$2" died_at="$3" delay how
  if [ $((SECONDS - replica_started[$port])) -ge "$MIN_UPTIME_S" ]; then replica_delay[$port]=1; fi
  delay="${replica_delay[$port]:-1}"
  if [ "$status" -gt 128 ]; then how="killed by signal $((status - 128))"; else how="exited with status $status"; fi
  echo "serve.sh: replica $port (pid ${replica_pid[$port]}) $how; restarting in $delay s (log $RUN_DIR/replica-$port.log)" >&2
  sleep "$delay" & wait $!  # in the background, so Ctrl-C is handled at once
  replica_delay[$port]=$((delay * 2 > MAX_DELAY_S ? MAX_DELAY_S : delay * 2))
  # shellcheck disable=SC2086  # the two stored arguments: MAX_UPLOAD_MB DATA_DIR
  start_replica "$port" ${replica_args[$port]}
  announce_when_back "$port" "${replica_pid[$port]}" "$died_at" &
}

while true; do
  status=0
  wait -n -p dead_pid || status=$?
  died_at=$EPOCHREALTIME
  [ -z "${dead_pid:-}" ] && continue  # a signal interrupted the wait
  [ "$dead_pid" = "$nginx_pid" ] && die "nginx exited (status $status); see $RUN_DIR/nginx-error.log"
  for port in "${!replica_pid[@]}"; do
    if [ "${replica_pid[$port]}" = "$dead_pid" ]; then restart_replica "$port" "$status" "$died_at"; fi
  done
  unset dead_pid
done
