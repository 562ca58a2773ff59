#!/usr/bin/env bash
# Property-based API test: schemathesis generates requests from openapi/mockfiles.yaml and sends them to a
# freshly started mockfiles on 127.0.0.1; every answer must not be a 5xx and must match the document
# (status code, content type, required headers, body schema). Then every documented /v1 operation is called
# once without a key and must answer 401 with the error envelope.
#
#   reliability/schemathesis.sh                 # bounded run (ST_MAX_TIME seconds, default 60)
#   ST_MAX_TIME=300 ST_MAX_EXAMPLES=200 reliability/schemathesis.sh
#   ST_INCLUDE_UPLOADS=1 reliability/schemathesis.sh   # also /v1/uploads (once the server has it)
#   reliability/schemathesis.sh --seed 42       # extra arguments go to `schemathesis run`
#
# Environment:
#   MOCKFILES_BIN       server binary (default .build/release/mockfiles)
#   ST_SCHEMA           schema to load: a file (default openapi/mockfiles.yaml), a URL, or `served` for
#                       GET /openapi.yaml of the started server
#   ST_INCLUDE_UPLOADS  1: test /v1/uploads too; 0: leave it out; auto (default): include it when the started
#                       server routes POST /v1/uploads (a binary without the Uploads API answers 404 Invalid URL)
#   ST_MAX_TIME         time budget of the schemathesis run in seconds (default 60)
#   ST_MAX_EXAMPLES     test cases per operation and phase (default 30)
#   ST_WORKERS          concurrent workers (default 2)
#   ST_REPORT_DIR       where the JUnit report and the server log go (default: a temp dir, kept on failure)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

bin="${MOCKFILES_BIN:-$root/.build/release/mockfiles}"
case "$bin" in /*) ;; *) bin="$root/$bin" ;; esac
schema="${ST_SCHEMA:-$root/openapi/mockfiles.yaml}"
include_uploads="${ST_INCLUDE_UPLOADS:-auto}"
max_time="${ST_MAX_TIME:-60}"
max_examples="${ST_MAX_EXAMPLES:-30}"
workers="${ST_WORKERS:-2}"
st="$root/.venv/bin/schemathesis"
py="$root/.venv/bin/python"

if [ ! -x "$st" ]; then
  echo "schemathesis is not installed in .venv: run .venv/bin/pip install -r tests/acceptance/requirements.txt" >&2
  exit 2
fi
for _ in $(seq 1 180); do [ -x "$bin" ] && break; sleep 5; done   # the binary may be being rebuilt
if [ ! -x "$bin" ]; then
  echo "server binary $bin is missing; build it or set MOCKFILES_BIN" >&2
  exit 2
fi

work="$(mktemp -d -t mockfiles-schemathesis-XXXXXX)"
report_dir="${ST_REPORT_DIR:-$work/report}"
mkdir -p "$report_dir"
port="$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"

"$bin" serve --host 127.0.0.1 --port "$port" --data-dir "$work/data" >"$report_dir/server.log" 2>&1 &
server_pid=$!
cleanup() {
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

"$py" - "$url" "$server_pid" <<'EOF'
import os, sys, time, httpx2
url, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit("mockfiles exited before /health answered")
    try:
        if httpx2.get(url + "/health", timeout=2).status_code == 200:
            sys.exit(0)
    except httpx2.TransportError:
        pass
    time.sleep(0.1)
sys.exit("mockfiles did not answer /health within 60s")
EOF

if [ "$schema" = "served" ]; then schema="$url/openapi.yaml"; fi
if [ "$include_uploads" = "auto" ]; then
  include_uploads="$("$py" - "$url" <<'EOF'
import sys, httpx2
r = httpx2.post(sys.argv[1] + "/v1/uploads", json={}, headers={"Authorization": "Bearer sk-test"}, timeout=30)
print(0 if r.status_code == 404 and "Invalid URL" in r.text else 1)
EOF
)"
fi
filters=()
if [ "$include_uploads" != "1" ]; then
  filters+=(--exclude-path-regex '^/v1/uploads')
fi
# `ignored_auth` is left out on purpose: mockfiles accepts any key (it is a mock), so schemathesis'
# "invalid credentials" are valid here. The missing-key case is checked below instead.
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance

echo "schemathesis $("$st" --version | awk '{print $NF}') against $url (schema $schema; uploads $([ "$include_uploads" = 1 ] && echo included || echo excluded); budget ${max_time}s)"
set +e
"$st" run "$schema" \
  --url "$url" \
  --header "Authorization: Bearer sk-test" \
  --checks "$checks" \
  --max-examples "$max_examples" \
  --max-time "$max_time" \
  --workers "$workers" \
  --request-timeout 30 \
  --suppress-health-check all \
  --report junit --report-junit-path "$report_dir/junit.xml" \
  "${filters[@]}" "$@"
status=$?
set -e

# Without a key every documented /v1 operation answers 401 with the error envelope.
"$py" - "$schema" "$url" "$include_uploads" >"$report_dir/nokey.txt" <<'EOF' || true
import sys, httpx2, yaml
schema, url, uploads = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
doc = yaml.safe_load(httpx2.get(schema).text if schema.startswith("http") else open(schema))
for path, item in doc["paths"].items():
    if not path.startswith("/v1/") or (path.startswith("/v1/uploads") and not uploads):
        continue
    for method in ("get", "post", "delete", "head"):
        if method not in item:
            continue
        concrete = path.replace("{file_id}", "file-abc123").replace("{upload_id}", "upload_abc123")
        r = httpx2.request(method.upper(), url + concrete, timeout=30)
        ok = r.status_code == 401
        if ok and method != "head":
            body = r.json()
            ok = set(body) == {"error"} and {"message", "type", "param", "code"} <= set(body["error"])
        print(("PASS" if ok else "FAIL") + f" no key: {method.upper()} {path} -> {r.status_code} {r.text[:200]}")
EOF
cat "$report_dir/nokey.txt"

alive=1
kill -0 "$server_pid" 2>/dev/null || alive=0
cleanup
trap - EXIT

# One closing line for CI, counted from the JUnit report (one test case per API operation) and the no-key calls.
"$py" - "$report_dir/junit.xml" "$status" "$alive" "$report_dir/nokey.txt" <<'EOF'
import sys, xml.etree.ElementTree as ET
path, status, alive, nokey = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4]
passed = failed = 0
lines = open(nokey).read().splitlines()
passed += sum(1 for line in lines if line.startswith("PASS"))
failed += sum(1 for line in lines if line.startswith("FAIL"))
if not lines:
    print("  FAILED: the no-key check did not run")
    failed += 1
try:
    for case in ET.parse(path).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
            print(f"  FAILED: {case.get('name')}")
        elif case.find("skipped") is None:
            passed += 1
except (OSError, ET.ParseError) as e:
    print(f"no JUnit report ({e})")
if not alive:
    print("  FAILED: the server died during the run")
    failed += 1
if status != 0 and failed == 0:
    print(f"  FAILED: schemathesis exited with {status}")
    failed += 1
print(f"\nschemathesis: {'PASSED' if failed == 0 else 'FAILED'}")
print(f"{passed} passed, {failed} failed")
EOF
if [ "$status" -ne 0 ] || [ "$alive" -ne 1 ] || grep -q '^FAIL' "$report_dir/nokey.txt" || [ ! -s "$report_dir/nokey.txt" ]; then
  echo "report and server log kept in $report_dir" >&2
  exit 1
fi
rm -rf "$work"
