# Shared by the scripts in this folder: build and install the extension, and run a throwaway PostgreSQL 15
# server as the postgres OS user when we are root (initdb refuses to run as root).

PG_BIN=/usr/lib/postgresql/15/bin
PGXS_DIR=$(dirname "$(dirname "$(pg_config --pgxs)")")   # .../lib/pgxs/src

# Runs a command as the server's OS user.
as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

build_and_install() {
  local repo=$1
  make -C "$repo" -s -j"$(nproc)"
  if [ "$(id -u)" -eq 0 ]; then make -C "$repo" -s install; else sudo make -C "$repo" -s install; fi
}

# start_server DATA_DIR SOCKET_DIR PORT: initdb (once) and start a server listening only on a socket.
start_server() {
  local data=$1 sock=$2 port=$3
  mkdir -p "$sock"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$(dirname "$data")" "$sock"
  if [ ! -f "$data/PG_VERSION" ]; then
    as_server_user "$PG_BIN/initdb" -D "$data" -A trust -U postgres --no-sync >/dev/null
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = ''
port = $port
unix_socket_directories = '$sock'
fsync = off
shared_buffers = 256MB
max_wal_senders = 0
wal_level = minimal
CONF
  fi
  as_server_user "$PG_BIN/pg_ctl" -D "$data" -l "$data/server.log" -w start >/dev/null
}

stop_server() {
  local data=$1
  [ -f "$data/postmaster.pid" ] && as_server_user "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null || true
}
