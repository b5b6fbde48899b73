#!/usr/bin/env bash
# CI check for systemd/bantin.service:
#   1. `systemd-analyze security --offline=true` exposure score must be <= 2.0
#   2. `systemd-analyze verify` must pass (run on a temporary copy whose
#      ExecStart points to a stub, so /usr/local/bin/bantin need not exist
#      and the unit in the repo is never modified).
# Run from the repository root (the script also cd's there itself).
set -euo pipefail

MAX_SCORE=2.0
UNIT_REL=systemd/bantin.service

cd "$(dirname "${BASH_SOURCE[0]}")/.."
UNIT="$PWD/$UNIT_REL"
[[ -f "$UNIT" ]] || { echo "error: $UNIT_REL not found" >&2; exit 1; }

# --- make sure the tools are there ------------------------------------------
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 && SUDO=(sudo)
fi

apt_install() {
    local apt=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get
               -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
    if ! "${apt[@]}" install -y --no-install-recommends "$@"; then
        # Package lists may be missing (fresh container): refresh once, retry.
        "${apt[@]}" update
        "${apt[@]}" install -y --no-install-recommends "$@"
    fi
}

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "systemd-analyze not found, installing systemd ..."
    apt_install systemd
fi
# ExecReload=/bin/kill is checked by `verify` and needed at runtime.
if [[ ! -x /bin/kill ]]; then
    echo "/bin/kill not found, installing procps ..."
    apt_install procps
fi

systemd-analyze --version | head -n1

# --- 1. security exposure score ---------------------------------------------
status=0
set +e
security_out=$(systemd-analyze security --offline=true "$UNIT_REL" 2>&1)
security_rc=$?
set -e
printf '%s\n' "$security_out" | grep -E '^✗' || true

score=$(printf '%s\n' "$security_out" \
    | awk '/Overall exposure level/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+(\.[0-9]+)?$/) { print $i; exit } }')
if [[ -z "$score" ]]; then
    printf '%s\n' "$security_out" >&2
    echo "FAIL: could not read the overall exposure level (rc=$security_rc)" >&2
    exit 1
fi
echo "Overall exposure level for bantin.service: $score (max $MAX_SCORE)"

# --threshold=N (N = 10 x score) exists since systemd 250; use it when
# available, and always compare the parsed score as well.
if systemd-analyze security --help 2>&1 | grep -q -- '--threshold'; then
    threshold=$(awk -v m="$MAX_SCORE" 'BEGIN { printf "%d", m * 10 + 0.5 }')
    if ! systemd-analyze security --offline=true --threshold="$threshold" \
            "$UNIT_REL" >/dev/null 2>&1; then
        echo "FAIL: systemd-analyze security --threshold=$threshold failed" >&2
        status=1
    fi
fi
if ! awk -v s="$score" -v m="$MAX_SCORE" 'BEGIN { exit !(s + 0 <= m + 0) }'; then
    echo "FAIL: exposure level $score > $MAX_SCORE" >&2
    status=1
fi

# --- 2. verify, with a stub binary ------------------------------------------
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf '#!/bin/sh\nexit 0\n' > "$tmp/bantin"
chmod 0755 "$tmp/bantin"
# Same file name, so verify sees bantin.service.
sed "s|^ExecStart=/usr/local/bin/bantin\\([[:space:]]\\)|ExecStart=$tmp/bantin\\1|" \
    "$UNIT" > "$tmp/bantin.service"
if ! grep -q "^ExecStart=$tmp/bantin " "$tmp/bantin.service"; then
    echo "FAIL: ExecStart=/usr/local/bin/bantin ... not found in $UNIT_REL" >&2
    exit 1
fi

set +e
verify_out=$(systemd-analyze verify "$tmp/bantin.service" 2>&1)
verify_rc=$?
set -e
# verify prints nothing for a clean unit; any output is a warning/error.
if [[ $verify_rc -ne 0 || -n "$verify_out" ]]; then
    printf '%s\n' "$verify_out" >&2
    echo "FAIL: systemd-analyze verify (rc=$verify_rc)" >&2
    status=1
else
    echo "systemd-analyze verify: OK"
fi

if [[ $status -eq 0 ]]; then
    echo "systemd check passed (exposure $score)"
fi
exit "$status"
