#!/usr/bin/env bash
# Property-based API test: schemathesis generates requests from the server's OpenAPI document
# (Sources/MockFiles/Resources/openapi.yaml, or the copy the server serves at GET /openapi.yaml) and sends them
# to a freshly started mockfiles on 127.0.0.1; every answer must not be a 5xx and must match the document
# (status code, content type, required headers, body schema). The admin API (/admin/…) is left out: reset,
# faults and clock moves would disrupt the run. Then every documented /v1 operation is called once without a
# key and must answer 401 with the error envelope.
#
#   reliability/schemathesis.sh                 # bounded run (ST_MAX_TIME seconds, default 60)
#   ST_MAX_TIME=300 ST_MAX_EXAMPLES=200 reliability/schemathesis.sh
#   ST_INCLUDE_UPLOADS=1 reliability/schemathesis.sh   # also /v1/uploads (once the server has it)
#   reliability/schemathesis.sh --seed 42       # extra arguments go to `schemathesis run`
#
# Environment:
#   MOCKFILES_BIN       server binary (default .build/release/mockfiles)
#   ST_SCHEMA           schema to load: auto (default): the started server's GET /openapi.yaml when it answers
#                       200 there, else the file Sources/MockFiles/Resources/openapi.yaml; `served`: always the
#                       server's (fails on a binary that does not serve it); `file`: always the file; or a path
#                       or URL of your own
#   ST_INCLUDE_ADMIN    1: fuzz /admin/… too (it resets the store, injects faults and moves the clock under the
#                       other operations' feet: expect noise); 0 (default): leave it out
#   ST_EXCLUDE_PATHS    more paths to leave out: a regex matched at the start of the path, e.g. '/v1/files/\{'
#                       (the script already passes schemathesis' single --exclude-path-regex, so a second one
#                       among the extra arguments would replace it)
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
schema_file="$root/Sources/MockFiles/Resources/openapi.yaml"
schema="${ST_SCHEMA:-auto}"
include_admin="${ST_INCLUDE_ADMIN:-0}"
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
    # Graceful shutdown waits for requests in flight; an injected delay_ms (fuzzed admin API) can hold one
    # for up to 10 minutes, so give up after 60 s.
    for _ in $(seq 1 600); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
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

# Does this binary serve its document? (builds before it answer 404 Invalid URL)
serves_doc="$("$py" - "$url" <<'EOF'
import sys, httpx2
r = httpx2.get(sys.argv[1] + "/openapi.yaml", timeout=30)
print(1 if r.status_code == 200 else 0)
EOF
)"
case "$schema" in
  auto) if [ "$serves_doc" = 1 ]; then schema="$url/openapi.yaml"; else schema="$schema_file"; fi ;;
  served) schema="$url/openapi.yaml" ;;
  file) schema="$schema_file" ;;
esac
if [ "$serves_doc" = 1 ] && [ "$schema" = "$url/openapi.yaml" ]; then
  # A served document unlike the file means the binary was built before the document's last edit.
  "$py" - "$url/openapi.yaml" "$schema_file" <<'EOF' || true
import sys, httpx2, yaml
served, path = sys.argv[1], sys.argv[2]
if yaml.safe_load(httpx2.get(served, timeout=30).text) != yaml.safe_load(open(path)):
    print(f"note: the served document differs from {path} (the binary predates its last edit); testing the served one")
EOF
fi
if [ "$include_uploads" = "auto" ]; then
  include_uploads="$("$py" - "$url" <<'EOF'
import sys, httpx2
r = httpx2.post(sys.argv[1] + "/v1/uploads", json={}, headers={"Authorization": "Bearer sk-test"}, timeout=30)
print(0 if r.status_code == 404 and "Invalid URL" in r.text else 1)
EOF
)"
fi
# Paths to leave out, as one alternation (schemathesis takes a single --exclude-path-regex). Only those the
# document has go in: schemathesis warns about a filter that matches nothing (e.g. /admin in a served
# document from a build before the admin API was documented).
excluded=()
if [ "$include_admin" != "1" ]; then excluded+=('/admin'); fi
if [ "$include_uploads" != "1" ]; then excluded+=('/v1/uploads'); fi
if [ "$serves_doc" != "1" ]; then excluded+=('/openapi\.yaml$'); fi   # documented, but this binary does not serve it
if [ -n "${ST_EXCLUDE_PATHS:-}" ]; then excluded+=("$ST_EXCLUDE_PATHS"); fi
exclude_regex="$("$py" - "$schema" "${excluded[@]}" <<'EOF'
import re, sys, httpx2, yaml
schema, candidates = sys.argv[1], sys.argv[2:]
doc = yaml.safe_load(httpx2.get(schema, timeout=30).text if schema.startswith("http") else open(schema))
present = [c for c in candidates if any(re.search("^" + c, path) for path in doc.get("paths", {}))]
print("^(" + "|".join(present) + ")" if present else "")
EOF
)"
filters=()
if [ -n "$exclude_regex" ]; then filters+=(--exclude-path-regex "$exclude_regex"); fi
# `ignored_auth` is left out on purpose: mockfiles accepts any key (it is a mock), so schemathesis'
# "invalid credentials" are valid here. The missing-key case is checked below instead.
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance

echo "schemathesis $("$st" --version | awk '{print $NF}') against $url (schema ${schema#"$root/"}; uploads $([ "$include_uploads" = 1 ] && echo included || echo excluded); admin $([ "$include_admin" = 1 ] && echo included || echo excluded); left out: ${exclude_regex:-nothing}; budget ${max_time}s)"
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

# Without a key every documented /v1 operation answers 401 with the error envelope (only /v1: /health and
# /openapi.yaml need no key, and /admin/… takes the admin token, if any).
if [ "$include_admin" = "1" ]; then   # the fuzzed admin API may have left fault rules behind
  "$py" -c 'import sys, httpx2; httpx2.delete(sys.argv[1] + "/admin/faults", timeout=30)' "$url" || true
fi
"$py" - "$schema" "$url" "$include_uploads" >"$report_dir/nokey.txt" <<'EOF' || true
import sys, httpx2, yaml
schema, url, uploads = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
doc = yaml.safe_load(httpx2.get(schema, timeout=30).text if schema.startswith("http") else open(schema))
for path, item in doc["paths"].items():
    if not path.startswith("/v1/") or (path.startswith("/v1/uploads") and not uploads):
        continue
    for method in ("get", "post", "delete", "head"):
        if method not in item:
            continue
        concrete = path.replace("{file_id}", "file-abc123").replace("{upload_id}", "upload_abc123").replace("{batch_id}", "batch_abc123")
        r = httpx2.request(method.upper(), url + concrete, timeout=30)
        ok = r.status_code == 401
        if ok and method != "head":
            body = r.json()
            # The service's envelope since 2026-05: error, then detail repeating message and code.
            ok = list(body) == ["error", "detail"] and list(body["error"]) == ["message", "type", "param", "code"]
            ok = ok and body["detail"] == {"message": body["error"]["message"], "code": body["error"]["code"]}
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
