#!/usr/bin/env bash
# make run: start sandgate with the example config, create a demo sandbox
# and print how to point a sandbox at the gateway. Ctrl-C stops it.
set -euo pipefail
BIN=${1:-bin/sandgate}
HERE=$(cd "$(dirname "$0")" && pwd)
CONFIG="$HERE/sandgate.yaml"
RUN="$HERE/.run"
ADMIN=http://127.0.0.1:9180
mkdir -p "$RUN"

"$BIN" check -config "$CONFIG"
"$BIN" serve -config "$CONFIG" 2>"$RUN/gateway.log" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null || true' INT TERM EXIT
for _ in $(seq 1 50); do
  curl -fsS "$ADMIN/healthz" >/dev/null 2>&1 && break
  kill -0 $PID 2>/dev/null || { echo "sandgate failed to start:"; cat "$RUN/gateway.log"; exit 1; }
  sleep 0.1
done
TOKEN=$(cat "$HERE/admin.token")
curl -fsS -X DELETE -H "Authorization: Bearer $TOKEN" "$ADMIN/v1/sandboxes/demo" >/dev/null 2>&1 || true
curl -fsS -H "Authorization: Bearer $TOKEN" -d '{"id":"demo","class":"default"}' "$ADMIN/v1/sandboxes" >"$RUN/demo.json"
SB_TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$RUN/demo.json")
curl -fsS -H "Authorization: Bearer $TOKEN" "$ADMIN/v1/sandboxes/demo/ca.pem" >"$RUN/ca.pem"

cat <<MSG

sandgate is running (pid $PID); its log is $RUN/gateway.log, audit lines below.

  admin API:    $ADMIN   (token: $TOKEN, also in examples/admin.token)
  proxy:        http://127.0.0.1:3128

A sandbox "demo" was created for you (class default: github.com, *.github.com and
registry.npmjs.org allowed; api.github.com gets a GitHub token injected).
Point a sandbox at the gateway:

  export HTTPS_PROXY=http://demo:$SB_TOKEN@127.0.0.1:3128 HTTP_PROXY=\$HTTPS_PROXY
  export SSL_CERT_FILE=$RUN/ca.pem

Try it:

  curl -sS -x http://127.0.0.1:3128 --proxy-user demo:$SB_TOKEN --cacert $RUN/ca.pem https://example.com/
      -> 403 {"error":"egress denied","reason":"not_in_allowed_hosts",...}
  curl -sS -x http://127.0.0.1:3128 --proxy-user demo:$SB_TOKEN --cacert $RUN/ca.pem https://api.github.com/zen
      -> forwarded with Authorization: Bearer <token from examples/secrets.dev.json>
         (502 upstream_error on a machine without internet access)

Create another sandbox:

  curl -sS -H "Authorization: Bearer $TOKEN" -d '{"class":"open"}' $ADMIN/v1/sandboxes

Press Ctrl-C to stop.
MSG
wait $PID
