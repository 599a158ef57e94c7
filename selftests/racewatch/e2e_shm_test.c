// SPDX-License-Identifier: GPL-2.0
/*
 * End to end, in the VM: races between processes over shared memory.
 * `racewatch run --shm NAME+OFF:LEN -- progs/shm_race ...` (the segment is
 * created after the run starts, by PROG, and shared by its two children) and
 * `racewatch watch --shm NAME | --shmid ID` (processes running already, and
 * one that maps the segment after the watch began). Unsynchronized accesses
 * must give a report naming both processes and exit 66; a process-shared
 * mutex or semaphore in the segment must give none.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "e2e_util.h"

#define OUT_MAX		(256 * 1024)
#define FIELD		"128"	/* progs/shm_race's counter */

/* Start argv[0] with stdout and stderr into @out_path (or a pipe into *rd). */
static pid_t start(char *const argv[], const char *out_path, FILE **rd)
{
	int p[2] = { -1, -1 }, fd;
	pid_t pid;

	if (rd && pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		if (rd) {
			dup2(p[1], 1);
			close(p[0]);
		} else {
			fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			if (fd < 0)
				_exit(127);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (rd) {
		close(p[1]);
		*rd = fdopen(p[0], "r");
	}
	return pid;
}

static int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	buf[0] = '\0';
	if (!f)
		return -1;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
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

/* Reports whose text (up to the closing line) does not mention @who. */
static int reports_without(const char *out, const char *who)
{
	const char *p = out, *end;
	int n = 0;

	while ((p = strstr(p, "WARNING: DATA RACE"))) {
		end = strstr(p, "\n==================");
		if (!end)
			end = p + strlen(p);
		if (!memmem(p, end - p, who, strlen(who)))
			n++;
		p = end;
	}
	return n;
}

FIXTURE(shm) {
	char *out;
	char racewatch[PATH_MAX];
	char prog[PATH_MAX];
	char name[64];
	char log[96];
};

#define NEED_DEVICE() do { if (!self->out) SKIP(return, "no /dev/racewatch"); } while (0)

FIXTURE_SETUP(shm)
{
	self->out = NULL;
	if (access("/dev/racewatch", R_OK | W_OK))
		SKIP(return, "/dev/racewatch is not there (racewatch.ko not loaded)");
	self->out = malloc(OUT_MAX);
	ASSERT_NE(NULL, self->out);
	snprintf(self->racewatch, sizeof(self->racewatch), "%s/../racewatch", e2e_bindir());
	snprintf(self->prog, sizeof(self->prog), "%s/progs/shm_race", e2e_bindir());
	snprintf(self->name, sizeof(self->name), "/rw_e2e_shm_%d", getpid());
	snprintf(self->log, sizeof(self->log), "/tmp/rw_e2e_shm_%d.log", getpid());
	ASSERT_EQ(0, access(self->racewatch, X_OK));
	ASSERT_EQ(0, access(self->prog, X_OK));
}

FIXTURE_TEARDOWN(shm)
{
	if (self->out) {
		shm_unlink(self->name);
		unlink(self->log);
	}
	free(self->out);
}

/* racewatch run --shm NAME+128:8 -- shm_race posix MODE NAME 30; its exit status. */
static int run_shm(FIXTURE_DATA(shm) *self, const char *mode)
{
	char spec[96];
	char *argv[] = { self->racewatch, "run", "--shm", spec, "--", self->prog, "posix",
			 (char *)mode, self->name, "30", NULL };
	pid_t pid;
	int st;

	snprintf(spec, sizeof(spec), "%s+" FIELD ":8", self->name);
	pid = start(argv, self->log, NULL);
	if (pid < 0)
		return -1;
	st = wait_status(pid);
	slurp(self->log, self->out, OUT_MAX);
	return st;
}

TEST_F(shm, run_unsynchronized_processes_race_and_both_are_named)
{
	NEED_DEVICE();
	int st = run_shm(self, "racy");

	TH_LOG("%s", self->out);
	EXPECT_EQ(66, st);
	EXPECT_NE(NULL, strstr(self->out, "WARNING: DATA RACE"));
	EXPECT_NE(NULL, strstr(self->out, "(shm_writer)"));
	EXPECT_NE(NULL, strstr(self->out, "(shm_reader)"));
	EXPECT_NE(NULL, strstr(self->out, "(shm:/rw_e2e_shm_"));
	/* each report names the worker of progs/shm_race.c on both sides */
	EXPECT_LE(2, e2e_count_of(self->out, " worker shm_race.c:"));
}

TEST_F(shm, run_process_shared_mutex_gives_no_report)
{
	NEED_DEVICE();
	int st = run_shm(self, "mutex");

	TH_LOG("%s", self->out);
	EXPECT_EQ(0, st);
	EXPECT_EQ(NULL, strstr(self->out, "WARNING: DATA RACE"));
	/* the field was watched: accesses of both children were seen */
	EXPECT_NE(NULL, strstr(self->out, "racewatch: 0 data races reported"));
	EXPECT_EQ(NULL, strstr(self->out, " 0 access records"));
}

TEST_F(shm, run_process_shared_semaphore_gives_no_report)
{
	NEED_DEVICE();
	int st = run_shm(self, "sem");

	TH_LOG("%s", self->out);
	EXPECT_EQ(0, st);
	EXPECT_EQ(NULL, strstr(self->out, "WARNING: DATA RACE"));
	EXPECT_EQ(NULL, strstr(self->out, " 0 access records"));
}

/*
 * Start shm_race KIND MODE NAME 30 wait (children parked), then racewatch
 * watch on its segment; once racewatch says the three processes are armed,
 * let the children go. Returns the shm_race pid (reaped by the caller), or
 * -1; *rw gets racewatch's pid.
 */
static pid_t watch_start_how(struct __test_metadata *_metadata, FIXTURE_DATA(shm) *self,
			     const char *kind, const char *mode, const char *how,
			     const char *armed, pid_t *rw)
{
	char *pargv[] = { self->prog, (char *)kind, (char *)mode, self->name, "30", (char *)how,
			  NULL };
	char line[128], id[32];
	char *wargv[16];
	int shmid = -1, n = 0;
	pid_t pid, ppid;
	FILE *rd;

	pid = start(pargv, NULL, &rd);
	if (pid < 0 || !rd || !fgets(line, sizeof(line), rd) ||
	    sscanf(line, "ready %d %d", &ppid, &shmid) != 2) {
		TH_LOG("shm_race did not start");
		return -1;
	}
	fclose(rd);
	wargv[n++] = self->racewatch;
	wargv[n++] = "watch";
	if (!strcmp(kind, "sysv")) {
		snprintf(id, sizeof(id), "%d", shmid);
		wargv[n++] = "--shmid";
		wargv[n++] = id;
	} else {
		wargv[n++] = "--shm";
		wargv[n++] = self->name;
	}
	wargv[n++] = "--offset";
	wargv[n++] = FIELD;
	wargv[n++] = "--len";
	wargv[n++] = "8";
	wargv[n++] = "-v";
	wargv[n++] = "-d";
	wargv[n++] = "60";
	wargv[n] = NULL;
	*rw = start(wargv, self->log, NULL);
	if (*rw < 0 || !wait_for(self->log, self->out, OUT_MAX, armed, 30)) {
		TH_LOG("racewatch watch did not say '%s':\n%s", armed, self->out);
		kill(pid, SIGKILL);
		wait_status(pid);
		return -1;
	}
	kill(pid, SIGUSR1);
	return pid;
}

static pid_t watch_start(struct __test_metadata *_metadata, FIXTURE_DATA(shm) *self,
			 const char *kind, const char *mode, pid_t *rw)
{
	return watch_start_how(_metadata, self, kind, mode, "wait", "armed in 3 process(es)", rw);
}

/* Stop racewatch watch (Ctrl-C) a moment after the last access; its exit status. */
static int watch_stop(FIXTURE_DATA(shm) *self, pid_t rw)
{
	struct timespec ts = { 0, 500 * 1000 * 1000 };
	int st;

	nanosleep(&ts, NULL);
	kill(rw, SIGINT);
	st = wait_status(rw);
	slurp(self->log, self->out, OUT_MAX);
	return st;
}

static void watch_case(struct __test_metadata *_metadata, FIXTURE_DATA(shm) *self,
		       const char *kind, const char *mode, bool racy)
{
	pid_t pid, rw = -1;
	int st;

	pid = watch_start(_metadata, self, kind, mode, &rw);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, wait_status(pid));
	st = watch_stop(self, rw);
	TH_LOG("%s", self->out);
	if (racy) {
		EXPECT_EQ(66, st);
		EXPECT_NE(NULL, strstr(self->out, "(shm_writer)"));
		EXPECT_NE(NULL, strstr(self->out, "(shm_reader)"));
	} else {
		EXPECT_EQ(0, st);
		EXPECT_EQ(NULL, strstr(self->out, "WARNING: DATA RACE"));
		EXPECT_NE(NULL, strstr(self->out, "racewatch: 0 data races reported"));
	}
	EXPECT_EQ(NULL, strstr(self->out, " 0 access records"));
}

TEST_F(shm, watch_posix_racy_processes)
{
	NEED_DEVICE();
	watch_case(_metadata, self, "posix", "racy", true);
}

TEST_F(shm, watch_sysv_racy_processes)
{
	NEED_DEVICE();
	watch_case(_metadata, self, "sysv", "racy", true);
}

TEST_F(shm, watch_sysv_process_shared_mutex_gives_no_report)
{
	NEED_DEVICE();
	watch_case(_metadata, self, "sysv", "mutex", false);
}

TEST_F(shm, watch_catches_a_process_that_maps_the_segment_later)
{
	char *jargv[] = { self->prog, "join", self->name, "20", NULL };
	pid_t pid, rw = -1, late;
	int st;

	NEED_DEVICE();
	/* the two first processes are ordered by their mutex: no race among them */
	pid = watch_start(_metadata, self, "posix", "mutex", &rw);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, wait_status(pid));
	late = start(jargv, "/dev/null", NULL);
	ASSERT_LT(0, late);
	EXPECT_EQ(0, wait_status(late));
	st = watch_stop(self, rw);
	TH_LOG("%s", self->out);
	EXPECT_EQ(66, st);
	EXPECT_NE(NULL, strstr(self->out, "(shm_late)"));
	EXPECT_EQ(0, reports_without(self->out, "(shm_late)"));
}

/* Children forked after the watch began are armed at fork and their locks traced. */
TEST_F(shm, watch_follows_children_forked_later)
{
	pid_t pid, rw = -1;
	int st;

	NEED_DEVICE();
	pid = watch_start_how(_metadata, self, "posix", "mutex", "waitfork",
			      "armed in 1 process(es)", &rw);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, wait_status(pid));
	st = watch_stop(self, rw);
	TH_LOG("%s", self->out);
	EXPECT_EQ(0, st);
	EXPECT_EQ(NULL, strstr(self->out, "WARNING: DATA RACE"));
	/* both children's 30 increments or reads were seen (each at least one record) */
	EXPECT_EQ(NULL, strstr(self->out, " 0 access records"));
	EXPECT_NE(NULL, strstr(self->out, "racewatch: 0 data races reported"));
}

TEST_HARNESS_MAIN
