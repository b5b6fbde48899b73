#!/usr/bin/env bash
# Builds and runs every fuzz target for SECONDS each (default 60), then prints executions per
# target. Crashes and timeouts are written to fuzz/artifacts/TARGET/ and make the script exit 1.
#
#   fuzz/run.sh            # 60 s per target
#   fuzz/run.sh 600        # longer
#   TARGETS="normalize" fuzz/run.sh 30
#
# Only the stable toolchain is needed: cargo-fuzz builds with RUSTC_BOOTSTRAP=1 and without a
# sanitizer (-s none; safe Rust needs none), which is what makes libFuzzer work on stable.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
secs="${1:-60}"
targets=(${TARGETS:-normalize render_roundtrip config})
export RUSTC_BOOTSTRAP=1

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

echo "== build (cargo fuzz build -s none -O)"
cargo fuzz build -s none -O

# Seed corpora (kept out of git: fuzz/corpus/ is ignored). normalize's first byte picks the
# Content-Type, so seeds get a leading 0 (no header).
seed_normalize() {
    local dir=corpus/normalize n=0
    mkdir -p "$dir"
    [ -n "$(ls -A "$dir" 2>/dev/null)" ] && return
    local files=(../tests/hazards/*.xml ../tests/hazards/*.json)
    if [ -d ../../shared/corpus ]; then
        mapfile -t more < <(find ../../shared/corpus -type f -size -32k \
            \( -name '*.xml' -o -name '*.rss' -o -name '*.atom' -o -name '*.rdf' -o -name '*.json' \) \
            | sort | awk 'NR % 8 == 0')
        files+=("${more[@]}")
    fi
    for f in "${files[@]}"; do
        [ -f "$f" ] || continue
        n=$((n + 1))
        { printf '\0'; cat "$f"; } > "$dir/seed-$n"
    done
}
seed_config() {
    mkdir -p corpus/config
    [ -n "$(ls -A corpus/config 2>/dev/null)" ] && return
    cp ../feeds.toml corpus/config/shipped.toml
    printf '[poll]\ninterval = "15m"\nallow_private = ["127.0.0.1"]\n[[feed]]\nname = "a"\nurl = "https://x.test/rss"\nlang = "vi"\nschedule = "0 */5 * * *"\n' > corpus/config/small.toml
}
seed_normalize
seed_config
mkdir -p corpus/render_roundtrip

summary=()
failed=0
bin_dir="${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-gnu/release"
for t in "${targets[@]}"; do
    echo "== fuzz $t for ${secs}s"
    dict=()
    case "$t" in
        normalize | render_roundtrip) dict=(-dict=dict/feed.dict) ;;
        config) dict=(-dict=dict/toml.dict) ;;
    esac
    mkdir -p "artifacts/$t"
    log="artifacts/$t/last-run.log"
    stamp="artifacts/$t/.started"
    touch "$stamp"
    # Fork mode keeps fuzzing after a crash, so one run reports every distinct failure.
    set +e
    cargo fuzz run -s none -O "$t" "corpus/$t" -- \
        -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        "${dict[@]}" >"$log" 2>&1
    set -e
    last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -n 1)
    execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")
    cov=$(sed -E 's/.* cov: ([0-9]+) .*/\1/' <<<"$last")
    elapsed=$(sed -E 's/.* time: ([0-9]+)s.*/\1/' <<<"$last")
    rate='?'
    [ -n "$execs" ] && [ "${elapsed:-0}" -gt 0 ] && rate=$((execs / elapsed))
    mapfile -t found < <(find "artifacts/$t" -newer "$stamp" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \))
    status=ok
    if [ "${#found[@]}" -gt 0 ]; then
        failed=1
        status="${#found[@]} failing input(s) in fuzz/artifacts/$t/:"
        # Group them by where they panic.
        for f in "${found[@]}"; do
            where=$(timeout 20 "$bin_dir/$t" "$f" 2>&1 | grep -m1 -A1 'panicked at' | tr "\n" " " | cut -c1-200 || true)
            echo "    $(basename "$f"): ${where:-$(basename "$f" | cut -d- -f1)}"
        done | sort -t: -k2 | tee "artifacts/$t/triage.txt"
    fi
    summary+=("$(printf '%-17s %10s execs  %6s/s  cov %6s  %s' "$t" "${execs:-?}" "$rate" "${cov:-?}" "$status")")
done

echo
echo "== summary (${secs}s per target, $(nproc) cores, $(date -u +%Y-%m-%d))"
printf '%s\n' "${summary[@]}"
exit "$failed"
