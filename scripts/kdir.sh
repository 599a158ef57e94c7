#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the kernel build directory to build racewatch.ko against: the running
# kernel's when it exists, else the newest Debian linux-headers-*-amd64.
set -e
if [ -d "/lib/modules/$(uname -r)/build" ]; then
	echo "/lib/modules/$(uname -r)/build"
	exit 0
fi
best=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
if [ -z "$best" ]; then
	echo "racewatch: no kernel headers found (install linux-headers-amd64)" >&2
	exit 1
fi
echo "$best"
