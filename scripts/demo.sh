#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make demo: show racewatch catching the racy counter, then staying quiet on
# the mutex fix. Runs natively when this kernel can load racewatch.ko, else in
# the QEMU VM (scripts/vmtest.sh demo), which runs this script with --in-vm.
set -u

if [ "${1:-}" != --in-vm ]; then
	top=$(cd "$(dirname "$0")/.." && pwd)
	native=no
	if [ -c /dev/racewatch ]; then
		native=yes
	elif [ -e /proc/modules ] && [ "$(id -u)" = 0 ] && \
	     insmod "$top/.output/racewatch.ko" 2>/dev/null; then
		native=yes
	fi
	if [ $native = yes ]; then
		cd "$top/.output" && exec sh "$top/scripts/demo.sh" --in-vm
	fi
	echo "racewatch: this kernel cannot load racewatch.ko; running the demo in a QEMU VM" \
		"(Debian's kernel, software emulation)"
	exec "$top/scripts/vmtest.sh" demo
fi

# Here the module is loaded and the cwd holds racewatch and selftests/progs/.
progs=selftests/progs
run() {
	echo
	echo "\$ racewatch $*"
	./racewatch "$@"
	echo "(exit status $?)"
}

echo "racewatch demo: the seeds' racy counter, two threads doing counter++ twice each."
run run -w counter -- $progs/racy_counter
echo
echo "The same counter protected by a mutex: no report."
run run -w counter -- $progs/counter_mutex
