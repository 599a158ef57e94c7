#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: host tests natively, then the VM tests, then one summary line
# "N passed, N failed, N skipped" over both; exits non-zero if anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/.output
pass=0 fail=0 skip=0

add_totals() {
	local line
	line=$(grep '^racewatch-totals: ' "$1" | tail -n 1)
	if [ -z "$line" ]; then
		echo "racewatch: $2 produced no totals: counted as one failure" >&2
		fail=$((fail + 1))
		return
	fi
	set -- $line
	pass=$((pass + $2)); fail=$((fail + $3)); skip=$((skip + $4))
}

# tracefs for uprobes and tracepoints on the host kernel
if [ ! -d /sys/kernel/tracing/events ] && [ "$(id -u)" = 0 ]; then
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== host tests ($(uname -r))"
"$top/scripts/run-tests.sh" host "$out/selftests" | tee "$log"
add_totals "$log" "host tests"

echo "== VM tests"
start=$(date +%s)
"$top/scripts/vmtest.sh" tests | tee "$log"
echo "# racewatch: VM part took $(( $(date +%s) - start )) s"
add_totals "$log" "VM tests"

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
