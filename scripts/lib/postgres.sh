# shellcheck shell=bash
# A throwaway PostgreSQL server for the tests: Debian's `postgresql` package, a new cluster in a
# temp directory, a free loopback port, password (SCRAM) authentication so that wrong credentials
# are really refused. Nothing of the machine's own PostgreSQL setup is used or changed.
#
#   start_test_postgres DIR   starts it; exports MOCKFILES_TEST_DATABASE_URL (and _ADMIN_URL)
#   stop_test_postgres DIR    stops it (also safe when it never started)

# The newest installed server's binaries, e.g. /usr/lib/postgresql/15/bin.
postgres_bin_dir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

# Installs Debian's server when missing, without letting the package start a cluster of its own.
ensure_postgres_server() {
  postgres_bin_dir >/dev/null && return 0
  local sudo=() policy=/usr/sbin/policy-rc.d made_policy=0
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "installing PostgreSQL (Debian's postgresql package) for the scale-out tests"
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod +x "$policy"
    made_policy=1
  fi
  local status=0
  { "${sudo[@]}" apt-get update && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends postgresql; } || status=$?
  [ "$made_policy" -eq 1 ] && "${sudo[@]}" rm -f "$policy"
  return "$status"
}

# Runs a PostgreSQL program as the `postgres` user when we are root (initdb refuses root).
as_postgres_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start_test_postgres() {
  local dir="$1" bin port password
  bin="$(postgres_bin_dir)" || { echo "error: no PostgreSQL server binaries under /usr/lib/postgresql" >&2; return 1; }
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  password="mockfiles-$RANDOM$RANDOM"
  printf '%s\n' "$password" >"$dir/pwfile"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir/pwfile"
  as_postgres_owner "$bin/initdb" -D "$dir/data" -U mockfiles --pwfile="$dir/pwfile" \
    --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; return 1; }
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  as_postgres_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=600" start >/dev/null ||
    { cat "$dir/server.log" >&2; return 1; }
  export MOCKFILES_TEST_DATABASE_URL="postgres://mockfiles:$password@127.0.0.1:$port/postgres?sslmode=disable"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir/data)"
}

stop_test_postgres() {
  local dir="$1" bin
  bin="$(postgres_bin_dir)" || return 0
  [ -f "$dir/data/postmaster.pid" ] || return 0
  as_postgres_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}
