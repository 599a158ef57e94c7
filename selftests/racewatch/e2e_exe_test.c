// SPDX-License-Identifier: GPL-2.0
/*
 * End to end, in the VM: `racewatch watch --exe PROG -w counter` watches the
 * global of every process running PROG (progs/service_counter, PIE -O0 and
 * non-PIE -O2): a racy one started after the watch is reported, naming its
 * process; one started before it too; the mutex-protected one is not, although
 * its accesses were checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "e2e_util.h"

#define OUT_MAX		(256 * 1024)
#define SERVICE_SECS	"3"

/* Start argv with stdout and stderr into @path. */
static pid_t start(char *const argv[], const char *path)
{
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		_exit(127);
	dup2(fd, 1);
	dup2(fd, 2);
	execv(argv[0], argv);
	_exit(127);
}

static int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/* Wait up to @secs for @needle in the file; true if it came. */
static bool wait_for(const char *path, char *buf, size_t size, const char *needle, int secs)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int i;

	for (i = 0; i < secs * 20; i++) {
		slurp(path, buf, size);
		if (strstr(buf, needle))
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

/* The N of "racewatch: N <what>" in @out, or -1. */
static long long number_before(const char *out, const char *what)
{
	const char *p = strstr(out, what);
	long long v;

	if (!p)
		return -1;
	while (p > out && p[-1] != ' ' && p[-1] != '\n')
		p--;
	for (p--; p > out && p[-1] != ' ' && p[-1] != '\n'; p--)
		;
	return sscanf(p, "%lld", &v) == 1 ? v : -1;
}

FIXTURE(exe) {
	char *out;
	char racewatch[PATH_MAX];
	char prog[PATH_MAX];
	char log[96];
	char svc_log[96];
	pid_t rw, svc;
};

FIXTURE_VARIANT(exe) {
	const char *prog;
};

FIXTURE_VARIANT_ADD(exe, pie_O0) {
	.prog = "service_counter",
};

FIXTURE_VARIANT_ADD(exe, nopie_O2) {
	.prog = "service_counter-O2",
};

#define NEED_DEVICE() do { if (!self->out) SKIP(return, "no /dev/racewatch"); } while (0)

FIXTURE_SETUP(exe)
{
	self->out = NULL;
	self->rw = self->svc = -1;
	if (access("/dev/racewatch", R_OK | W_OK))
		SKIP(return, "/dev/racewatch is not there (racewatch.ko not loaded)");
	self->out = malloc(OUT_MAX);
	ASSERT_NE(NULL, self->out);
	snprintf(self->racewatch, sizeof(self->racewatch), "%s/../racewatch", e2e_bindir());
	snprintf(self->prog, sizeof(self->prog), "%s/progs/%s", e2e_bindir(), variant->prog);
	snprintf(self->log, sizeof(self->log), "/tmp/rw_e2e_exe_%d.log", getpid());
	snprintf(self->svc_log, sizeof(self->svc_log), "/tmp/rw_e2e_exe_svc_%d.log", getpid());
	ASSERT_EQ(0, access(self->racewatch, X_OK));
	ASSERT_EQ(0, access(self->prog, X_OK));
}

FIXTURE_TEARDOWN(exe)
{
	if (self->svc > 0) {
		kill(self->svc, SIGKILL);
		waitpid(self->svc, NULL, 0);
	}
	if (self->rw > 0) {
		kill(self->rw, SIGKILL);
		waitpid(self->rw, NULL, 0);
	}
	if (self->out) {
		unlink(self->log);
		unlink(self->svc_log);
	}
	free(self->out);
}

/* racewatch watch --exe PROG -w counter -v, in the background; true once armed. */
static bool watch_start(FIXTURE_DATA(exe) *self)
{
	char *argv[] = { self->racewatch, "watch", "--exe", self->prog, "-w", "counter", "-v",
			 NULL };

	self->rw = start(argv, self->log);
	return self->rw > 0 && wait_for(self->log, self->out, OUT_MAX, "armed in", 60);
}

static bool service_start(FIXTURE_DATA(exe) *self, const char *mode)
{
	char *argv[] = { self->prog, (char *)mode, SERVICE_SECS, NULL };

	self->svc = start(argv, self->svc_log);
	return self->svc > 0;
}

/* Wait for the service to end, then stop racewatch with Ctrl-C; its exit status. */
static int finish(FIXTURE_DATA(exe) *self)
{
	int svc_status = wait_status(self->svc), st;

	self->svc = -1;
	if (svc_status)
		return -2;
	/* the last records are read within a poll period; SIGINT drains the rest */
	usleep(300 * 1000);
	kill(self->rw, SIGINT);
	st = wait_status(self->rw);
	self->rw = -1;
	slurp(self->log, self->out, OUT_MAX);
	return st;
}

TEST_F(exe, racy_service_started_after_the_watch_is_reported)
{
	char pidtag[64];
	int st;

	NEED_DEVICE();
	ASSERT_TRUE(watch_start(self));
	ASSERT_TRUE(service_start(self, "racy"));
	snprintf(pidtag, sizeof(pidtag), "in process %d (%.15s)", self->svc, variant->prog);
	st = finish(self);
	TH_LOG("%s", self->out);
	EXPECT_EQ(66, st);
	EXPECT_NE(NULL, strstr(self->out, "WARNING: DATA RACE"));
	EXPECT_NE(NULL, strstr(self->out, "(counter, 8 bytes)"));
	EXPECT_NE(NULL, strstr(self->out, pidtag));
	EXPECT_LE(1, e2e_count_of(self->out, " worker service_counter.c:"));
}

TEST_F(exe, racy_service_started_before_the_watch_is_reported)
{
	char pidtag[64];
	int st;

	NEED_DEVICE();
	ASSERT_TRUE(service_start(self, "racy"));
	ASSERT_TRUE(wait_for(self->svc_log, self->out, OUT_MAX, "started", 10));
	ASSERT_TRUE(watch_start(self));
	EXPECT_NE(NULL, strstr(self->out, "armed in 1 process(es)"));
	snprintf(pidtag, sizeof(pidtag), "in process %d (%.15s)", self->svc, variant->prog);
	st = finish(self);
	TH_LOG("%s", self->out);
	EXPECT_EQ(66, st);
	EXPECT_NE(NULL, strstr(self->out, pidtag));
	/* traced before it was armed: nothing had to be left unchecked */
	EXPECT_EQ(NULL, strstr(self->out, "not checked"));
}

TEST_F(exe, mutex_service_started_after_the_watch_is_silent)
{
	long long records, unchecked;
	int st;

	NEED_DEVICE();
	ASSERT_TRUE(watch_start(self));
	ASSERT_TRUE(service_start(self, "mutex"));
	st = finish(self);
	TH_LOG("%s", self->out);
	EXPECT_EQ(0, st);
	EXPECT_EQ(NULL, strstr(self->out, "WARNING: DATA RACE"));
	EXPECT_NE(NULL, strstr(self->out, "racewatch: 0 data races reported"));
	/* silent because the accesses were checked, not because none were */
	records = number_before(self->out, "access records,");
	unchecked = strstr(self->out, "not checked") ?
		    number_before(self->out, "access records not checked") : 0;
	EXPECT_LE(0, unchecked);
	EXPECT_LE(200, records - unchecked);
}

TEST_HARNESS_MAIN
