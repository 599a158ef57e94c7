#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run racewatch's kselftest programs and total their results.
#
#   run-tests.sh host|vm DIR      run the tests meant for that place from DIR
#
# Which tests run where follows the file name: engine_* and host_* on the host,
# sync_* on both, kmod_* and e2e_* in the VM only. RACEWATCH_TESTS=PATTERN (a
# shell glob on the test name) narrows the set. Each program's TAP goes to
# stdout; the last line is "racewatch-totals: PASS FAIL SKIP" for check.sh.
set -u
where=$1
dir=$2
filter=${RACEWATCH_TESTS:-*}
pass=0 fail=0 skip=0

case $where in
host) prefixes="engine_ host_ sync_" ;;
vm) prefixes="sync_ kmod_ e2e_" ;;
*) echo "usage: run-tests.sh host|vm DIR" >&2; exit 2 ;;
esac

cd "$dir" || exit 2
for t in *_test; do
	[ -x "$t" ] || continue
	want=no
	for p in $prefixes; do
		case $t in "$p"*) want=yes ;; esac
	done
	[ $want = yes ] || continue
	# shellcheck disable=SC2254
	case $t in $filter) ;; *) continue ;; esac

	echo "# racewatch: running $t ($where)"
	out=$(mktemp)
	timeout 600 "./$t" > "$out" 2>&1
	rc=$?
	cat "$out"
	totals=$(grep '^# Totals: ' "$out" | tail -n 1)
	rm -f "$out"
	if [ -n "$totals" ]; then
		p=$(echo "$totals" | sed -n 's/.*Totals: pass:\([0-9]*\).*/\1/p')
		f=$(echo "$totals" | sed -n 's/.* fail:\([0-9]*\).*/\1/p')
		s=$(echo "$totals" | sed -n 's/.*skip:\([0-9]*\).*/\1/p')
		e=$(echo "$totals" | sed -n 's/.*error:\([0-9]*\).*/\1/p')
		pass=$((pass + p)); fail=$((fail + f + ${e:-0})); skip=$((skip + s))
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && [ "${e:-0}" -eq 0 ]; then
			echo "# racewatch: $t exited $rc with no failed test: counted as a failure"
			fail=$((fail + 1))
		fi
	else
		echo "not ok - $t exited $rc without a TAP total (crash or timeout)"
		fail=$((fail + 1))
	fi
done
echo "racewatch-totals: $pass $fail $skip"
