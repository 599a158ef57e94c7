/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the end-to-end tests (e2e_*_test.c): where the test binaries
 * are, running a command line and capturing what it prints, and counting.
 */
#ifndef __E2E_UTIL_H
#define __E2E_UTIL_H

#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The directory of this test program: racewatch is in ../, targets in progs/. */
static inline const char *e2e_bindir(void)
{
	static char bindir[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n;

	if (bindir[0])
		return bindir;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return ".";
	exe[n] = '\0';
	snprintf(bindir, sizeof(bindir), "%s", dirname(exe));
	return bindir;
}

/* Run a shell command line, stdout and stderr into @out; its exit status or -1. */
static inline int e2e_sh_capture(char *out, size_t size, const char *fmt, ...)
{
	char cmd[4096];
	size_t len = 0, n;
	va_list ap;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 8, fmt, ap);
	va_end(ap);
	strcat(cmd, " 2>&1");
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (len < size - 1 && (n = fread(out + len, 1, size - 1 - len, f)) > 0)
		len += n;
	out[len] = '\0';
	st = pclose(f);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* How many times @needle occurs in @hay. */
static inline int e2e_count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

#endif /* __E2E_UTIL_H */
