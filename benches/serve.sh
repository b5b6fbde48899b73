#!/usr/bin/env bash
# Serving benchmark: bantin serving one cached 50-item output vs nginx serving the exact same
# bytes (and the same .gz) as a static file with gzip_static, both on loopback, measured with
# wrk in one run (same threads, connections and duration; Accept-Encoding: gzip). Also a
# conditional-GET run (If-None-Match → 304) against both.
#
#   benches/serve.sh [--write]        # needs: apt-get install -y nginx wrk
#
# Env: DUR (s per wrk run, ≤ 15; default 10), CONNS (64), THREADS (2), ROUNDS (2: the runs
# alternate bantin/nginx and the best of each is kept), BANTIN_PORT (18081), NGINX_PORT (18082).
# --write replaces the "## Serving vs nginx" section of BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DUR=${DUR:-10}; CONNS=${CONNS:-64}; THREADS=${THREADS:-2}; ROUNDS=${ROUNDS:-2}
BANTIN_PORT=${BANTIN_PORT:-18081}; NGINX_PORT=${NGINX_PORT:-18082}
WRITE=0; [ "${1:-}" = "--write" ] && WRITE=1
[ "$DUR" -le 15 ] || { echo "DUR must be ≤ 15 s" >&2; exit 2; }
for tool in wrk nginx curl python3; do
    command -v "$tool" >/dev/null || { echo "serve.sh needs $tool (apt-get install -y nginx wrk curl)" >&2; exit 2; }
done

target=${CARGO_TARGET_DIR:-target}
echo "== building (release)" >&2
cargo build --release --quiet --bin bantin --example loadgen
BIN=$target/release/bantin

work=$(mktemp -d /tmp/bantin-serve.XXXXXX)
bantin_pid=""
cleanup() {
    [ -n "$bantin_pid" ] && kill "$bantin_pid" 2>/dev/null && wait "$bantin_pid" 2>/dev/null
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
    sleep 0.3
    rm -rf "$work"
}
trap cleanup EXIT

echo "== data set: 30 feeds × 100 items, polled once" >&2
"$target/release/examples/loadgen" --emit "$work" --feeds 30 --listen "127.0.0.1:$BANTIN_PORT" >/dev/null
"$BIN" --config "$work/feeds.toml" poll >/dev/null
"$BIN" --config "$work/serve.toml" --log-format json run 2>"$work/bantin.log" &
bantin_pid=$!
base="http://127.0.0.1:$BANTIN_PORT"
for _ in $(seq 100); do
    curl -fs "$base/readyz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fs "$base/readyz" >/dev/null || { echo "bantin did not become ready" >&2; cat "$work/bantin.log" >&2; exit 1; }

path=/feeds/vi.rss
root="$work/www"
mkdir -p "$root/feeds"
curl -fs "$base$path" -o "$root$path"
curl -fs -H 'Accept-Encoding: gzip' "$base$path" -o "$root$path.gz"
cmp <(gunzip -c "$root$path.gz") "$root$path" || { echo "gzip body differs from identity body" >&2; exit 1; }
items=$(grep -c '<item>' "$root$path")
etag=$(curl -fsI -H 'Accept-Encoding: gzip' "$base$path" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
chmod -R a+rX "$work"

cat >"$work/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    open_file_cache max=100;
    open_file_cache_valid 60s;
    types { application/rss+xml rss; }
    default_type application/octet-stream;
    gzip_static on;
    gzip_vary on;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $root;
        add_header Cache-Control "public, max-age=300";
        add_header X-Content-Type-Options nosniff;
    }
}
EOF
nginx -c "$work/nginx.conf" -p "$work" -e "$work/nginx-error.log"
ngx="http://127.0.0.1:$NGINX_PORT"
for _ in $(seq 50); do curl -fs "$ngx$path" -o /dev/null && break; sleep 0.1; done
cmp <(curl -fs -H 'Accept-Encoding: gzip' "$ngx$path") "$root$path.gz" || { echo "nginx serves other bytes" >&2; exit 1; }
ngx_etag=$(curl -fsI -H 'Accept-Encoding: gzip' "$ngx$path" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')

# wrk URL [HEADER…] → requests/s
run_wrk() {
    local url=$1; shift
    local args=()
    for h in "$@"; do args+=(-H "$h"); done
    wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" --latency "${args[@]}" "$url" >"$work/wrk.out" 2>&1
    local rps lat non2xx
    rps=$(awk '/^Requests\/sec:/{print $2}' "$work/wrk.out")
    lat=$(awk '$1=="99%"{print $2}' "$work/wrk.out")
    non2xx=$(awk '/Non-2xx or 3xx responses:/{print $5}' "$work/wrk.out")
    echo "$rps ${lat:-?} ${non2xx:-0}"
}
best() { # keeps the run with the highest requests/s
    local cur=$1 new=$2
    if [ -z "$cur" ] || awk -v a="${new%% *}" -v b="${cur%% *}" 'BEGIN{exit !(a>b)}'; then echo "$new"; else echo "$cur"; fi
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
b200=""; n200=""; b304=""; n304=""
for round in $(seq "$ROUNDS"); do
    echo "== round $round: 200 gzip (bantin, nginx), 304 (bantin, nginx)" >&2
    b200=$(best "$b200" "$(run_wrk "$base$path" 'Accept-Encoding: gzip')")
    n200=$(best "$n200" "$(run_wrk "$ngx$path" 'Accept-Encoding: gzip')")
    b304=$(best "$b304" "$(run_wrk "$base$path" 'Accept-Encoding: gzip' "If-None-Match: $etag")")
    n304=$(best "$n304" "$(run_wrk "$ngx$path" 'Accept-Encoding: gzip' "If-None-Match: $ngx_etag")")
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

ratio() { awk -v a="${1%% *}" -v b="${2%% *}" 'BEGIN{printf "%.2f", a/b}'; }
row() { # name result
    set -- "$1" $2
    printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4"
}
gz_size=$(stat -c %s "$root$path.gz"); size=$(stat -c %s "$root$path")
report=$(cat <<EOF
- machine: $(nproc) cores, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo); load average before/after: $load_before / $load_after
- date: $(date -u '+%Y-%m-%d %H:%M UTC'); command: \`benches/serve.sh\` (wrk -t$THREADS -c$CONNS -d${DUR}s, best of $ROUNDS alternating rounds; wrk, bantin and nginx share the 2 cores)
- document: \`$path\`, $items items, $size B ($gz_size B gzip), the bytes bantin had cached, copied to nginx's root with its .gz ($(nginx -v 2>&1 | sed 's/.*\///'), gzip_static on, sendfile, 2 workers); bantin: \`bantin run\` on 30 polled feeds with polling disabled

| request | requests/s | p99 latency | non-2xx/3xx |
|---|---:|---:|---:|
$(row "bantin, 200, Accept-Encoding: gzip" "$b200")
$(row "nginx, 200, same .gz (gzip_static)" "$n200")
$(row "bantin, 304 (If-None-Match)" "$b304")
$(row "nginx, 304 (If-None-Match)" "$n304")

bantin ÷ nginx: **$(ratio "$b200" "$n200")×** for the 200 (target ≥ 0.9), $(ratio "$b304" "$n304")× for the 304.
EOF
)
echo "$report"

if [ "$WRITE" = 1 ]; then
    REPORT="$report" python3 - <<'EOF'
import os, re
path = "BENCHMARKS.md"
text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
block = "<!-- serve:begin -->\n" + os.environ["REPORT"].strip() + "\n<!-- serve:end -->"
if "<!-- serve:begin -->" in text and "<!-- serve:end -->" in text:
    text = re.sub(r"<!-- serve:begin -->.*?<!-- serve:end -->", lambda m: block, text, flags=re.S)
elif "## Serving vs nginx" in text:
    text = text.replace("## Serving vs nginx\n", "## Serving vs nginx\n\n" + block + "\n", 1)
else:
    text = text.rstrip() + "\n\n## Serving vs nginx\n\n" + block + "\n"
open(path, "w").write(text)
print("wrote BENCHMARKS.md", flush=True)
EOF
fi
