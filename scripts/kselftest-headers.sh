#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Extract the kernel's kselftest harness headers from Debian's linux-source
# tarball into $1 (default .output/kselftest). The newest installed source wins.
set -e
out=${1:-.output/kselftest}
if [ -f "$out/kselftest_harness.h" ] && [ -f "$out/kselftest.h" ]; then
	exit 0
fi
tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
if [ -z "$tarball" ]; then
	echo "racewatch: no /usr/src/linux-source-*.tar.xz (install linux-source)" >&2
	exit 1
fi
top=$(basename "$tarball" .tar.xz)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -xJf "$tarball" -C "$tmp" \
	"$top/tools/testing/selftests/kselftest_harness.h" \
	"$top/tools/testing/selftests/kselftest.h"
mkdir -p "$out"
cp "$tmp/$top/tools/testing/selftests/kselftest_harness.h" \
   "$tmp/$top/tools/testing/selftests/kselftest.h" "$out/"
