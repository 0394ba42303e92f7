#!/usr/bin/env bash
# The sandbox against nginx over the same mutual TLS: starts `eps-tracker sandbox serve`,
# saves its answer to a basic search, starts nginx with a generated configuration serving
# that body with the same certificates (client certificate required, same CA), then runs
# oha against each in turn (alternating rounds, so both see the same machine) and prints
# requests per second, latency percentiles and the ratio.
#
# Needs: a built eps-tracker (release: `cargo build --release`), nginx (Debian:
# nginx-light), oha (`cargo install oha --locked`), curl.
#
# Usage: benches/loadtest.sh [BINARY]
#   DURATION=5s CONNECTIONS=16 ROUNDS=2 benches/loadtest.sh target/release/eps-tracker
#
# MODE=hostile runs no nginx and no oha: instead benches/hostile_clients.py holds SILENT
# (default 1100) TCP connections that never start TLS and SLOW (default 200) clients that
# send requests but do not read the answers, times a real client (curl) beside them and
# prints the sandbox's peak resident size (needs python3):
#   MODE=hostile SILENT=1100 SLOW=200 benches/loadtest.sh target/release/eps-tracker
set -euo pipefail

BIN=${1:-${CARGO_TARGET_DIR:-target}/release/eps-tracker}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-16}
ROUNDS=${ROUNDS:-2}
NHS=${NHS:-9990548609}
SANDBOX_PORT=${SANDBOX_PORT:-18443}
NGINX_PORT=${NGINX_PORT:-18444}
MODE=${MODE:-nginx}

tools=("$BIN" curl)
case "$MODE" in
    nginx) tools+=(nginx oha) ;;
    hostile) tools+=(python3) ;;
    *) echo "loadtest: MODE is nginx or hostile" >&2; exit 2 ;;
esac
for tool in "${tools[@]}"; do
    command -v "$tool" >/dev/null || { echo "loadtest: $tool not found" >&2; exit 2; }
done

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

"$BIN" --home "$work/home" sandbox serve --listen "127.0.0.1:$SANDBOX_PORT" \
    --pds-listen 127.0.0.1:0 --certs "$work/certs" >"$work/sandbox.out" 2>&1 &
sandbox_pid=$!
pids+=("$sandbox_pid")
for _ in $(seq 100); do
    grep -q "^listening" "$work/sandbox.out" 2>/dev/null && break
    sleep 0.1
done
grep -q "^listening" "$work/sandbox.out" || { cat "$work/sandbox.out" >&2; exit 1; }

certs="$work/certs"
if [ "$MODE" = hostile ]; then
    python3 "$(dirname "$0")/hostile_clients.py" --port "$SANDBOX_PORT" --certs "$certs" \
        --pid "$sandbox_pid" --silent "${SILENT:-1100}" --slow "${SLOW:-200}"
    exit 0
fi
path="/mm/prescriptions?nhsNumber=$NHS&format=trace-summary"
headers=(-H "Spine-From-Asid: 200000000001" -H "Spine-UserId: 555555555555"
    -H "Spine-RoleProfileId: 555555555556" -H "Accept: application/json")
curl -sf --cacert "$certs/ca.pem" --cert "$certs/client.pem" --key "$certs/client.key" \
    "${headers[@]}" "https://127.0.0.1:$SANDBOX_PORT$path" -o "$work/body.json"
mkdir -p "$work/www/mm"
cp "$work/body.json" "$work/www/mm/prescriptions"
# nginx's workers may run as another user (www-data when started as root): let them read
# the body (the certificate folder stays private; the master reads the keys).
chmod 755 "$work"
chmod -R a+rX "$work/www"

cat >"$work/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
daemon off;
events { worker_connections 4096; }
http {
    access_log off;
    default_type application/json;
    keepalive_requests 1000000;
    client_body_temp_path $work/tmp;
    proxy_temp_path $work/tmp;
    fastcgi_temp_path $work/tmp;
    uwsgi_temp_path $work/tmp;
    scgi_temp_path $work/tmp;
    server {
        listen 127.0.0.1:$NGINX_PORT ssl;
        ssl_certificate $certs/server.pem;
        ssl_certificate_key $certs/server.key;
        ssl_client_certificate $certs/ca.pem;
        ssl_verify_client on;
        ssl_protocols TLSv1.2 TLSv1.3;
        root $work/www;
        location = /mm/prescriptions { try_files /mm/prescriptions =404; }
    }
}
EOF
mkdir -p "$work/tmp"
nginx -c "$work/nginx.conf" -e "$work/nginx-error.log" &
pids+=($!)
for _ in $(seq 50); do
    curl -sf --cacert "$certs/ca.pem" --cert "$certs/client.pem" --key "$certs/client.key" \
        "https://127.0.0.1:$NGINX_PORT$path" -o /dev/null && break
    sleep 0.1
done
curl -sf --cacert "$certs/ca.pem" --cert "$certs/client.pem" --key "$certs/client.key" \
    "https://127.0.0.1:$NGINX_PORT$path" -o "$work/nginx-body.json" ||
    { echo "loadtest: nginx did not answer over mutual TLS" >&2; cat "$work/nginx-error.log" >&2; exit 1; }
cmp -s "$work/body.json" "$work/nginx-body.json" ||
    { echo "loadtest: nginx serves a different body" >&2; exit 1; }

# What each side negotiates with curl (oha offers the same suites): the comparison is only
# fair if both use the same TLS version and cipher.
tls_of() {
    curl -sv --cacert "$certs/ca.pem" --cert "$certs/client.pem" --key "$certs/client.key" \
        "${headers[@]}" "https://127.0.0.1:$1$path" -o /dev/null 2>&1 |
        sed -n 's/.*SSL connection using \(.*\)/\1/p' | head -1
}
echo "TLS with curl: sandbox $(tls_of "$SANDBOX_PORT"); nginx $(tls_of "$NGINX_PORT")"

# One oha run; prints "REQS P50 P90 P99 SUCCESS" (milliseconds for the percentiles; oha
# writes them in secs or ms depending on its version).
run_oha() {
    oha -z "$DURATION" -c "$CONNECTIONS" --no-tui \
        --cacert "$certs/ca.pem" --cert "$certs/client.pem" --key "$certs/client.key" \
        "${headers[@]}" "$1" >"$work/oha.txt"
    awk '
        function ms(value, unit) { return unit ~ /^sec/ ? value * 1000 : value }
        /Success rate:/ { success = $3 }
        /Requests\/sec:/ { reqs = $2 }
        /^ *50(\.00)?% in/ { p50 = ms($3, $4) }
        /^ *90(\.00)?% in/ { p90 = ms($3, $4) }
        /^ *99(\.00)?% in/ { p99 = ms($3, $4) }
        END { print reqs, p50, p90, p99, success }
    ' "$work/oha.txt"
}

echo "nginx: $(nginx -v 2>&1 | sed 's/.*: //'), worker_processes auto ($(nproc) cores here); sandbox: one tokio worker per core"
echo "body: $(wc -c <"$work/body.json") bytes (basic search of $NHS); $CONNECTIONS keep-alive connections, $DURATION per run, $ROUNDS alternating rounds"
printf '%-8s %-6s %12s %10s %10s %10s %8s\n' server round "requests/s" "p50 ms" "p90 ms" "p99 ms" success
best_sandbox=0
best_nginx=0
for round in $(seq "$ROUNDS"); do
    for server in sandbox nginx; do
        port=$SANDBOX_PORT
        [ "$server" = nginx ] && port=$NGINX_PORT
        read -r reqs p50 p90 p99 success < <(run_oha "https://127.0.0.1:$port$path")
        printf '%-8s %-6s %12.0f %10.2f %10.2f %10.2f %8s\n' "$server" "$round" "$reqs" \
            "$p50" "$p90" "$p99" "$success"
        if [ "$server" = sandbox ]; then
            best_sandbox=$(echo "if ($reqs > $best_sandbox) $reqs else $best_sandbox" | bc -l)
        else
            best_nginx=$(echo "if ($reqs > $best_nginx) $reqs else $best_nginx" | bc -l)
        fi
    done
done
printf 'best requests/s: sandbox %.0f, nginx %.0f; ratio sandbox/nginx %.2f\n' \
    "$best_sandbox" "$best_nginx" "$(echo "$best_sandbox / $best_nginx" | bc -l)"
