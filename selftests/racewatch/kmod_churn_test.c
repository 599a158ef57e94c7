// SPDX-License-Identifier: GPL-2.0
/*
 * Churn, in the VM: thousands of watched threads and fork children that
 * come and go; racewatch (the CLI) killed with SIGKILL in the middle of its
 * stream; the module unloaded while processes fork, and loaded again.
 * Afterwards nothing may be left armed: a new session gets all four debug
 * registers of the target, and the kernel log has no BUG/WARNING/Oops.
 * The rmmod test reloads the module from $RACEWATCH_KO (default parameters).
 */
#include <libgen.h>
#include <poll.h>
#include <sys/syscall.h>
#include <time.h>

#include "kselftest_harness.h"
#include "kmod_util.h"

#define CHURN_THREADS	2000
#define CHURN_FORKS	1000

/**
 * struct churn - a running progs/abuse_churn
 * @pid: its pid
 * @in: its stdin
 * @out: its stdout
 * @var: first watched word
 * @var2: second watched word
 */
struct churn {
	pid_t pid;
	FILE *in, *out;
	unsigned long var, var2;
};

static int churn_start(struct churn *c)
{
	char path[PATH_MAX], line[128];
	int in[2], out[2];

	if (kt_prog_path("abuse_churn", path, sizeof(path)) || access(path, X_OK))
		return -ENOENT;
	if (pipe(in) || pipe(out))
		return -errno;
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(path, path, NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->in = fdopen(in[1], "w");
	c->out = fdopen(out[0], "r");
	if (!c->in || !c->out)
		return -EIO;
	setvbuf(c->in, NULL, _IOLBF, 0);
	if (!fgets(line, sizeof(line), c->out) ||
	    sscanf(line, "var %lx var2 %lx", &c->var, &c->var2) != 2)
		return -EPROTO;
	return 0;
}

/* Send a command; returns the number after "ok" (0 for a bare "ok") or -1. */
static long churn_cmd(struct churn *c, const char *cmd)
{
	char line[64];
	long n = 0;

	if (fprintf(c->in, "%s\n", cmd) < 0 || fflush(c->in))
		return -1;
	if (!fgets(line, sizeof(line), c->out) || strncmp(line, "ok", 2))
		return -1;
	sscanf(line, "ok %ld", &n);
	return n;
}

static void churn_kill(struct churn *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	if (c->in)
		fclose(c->in);
	if (c->out)
		fclose(c->out);
	memset(c, 0, sizeof(*c));
}

static int module_loaded(void)
{
	return access("/sys/module/racewatch", F_OK) == 0;
}

/* Load $RACEWATCH_KO with its default parameters and wait for the device; 0 or -errno. */
static int module_load(void)
{
	const char *ko = getenv("RACEWATCH_KO");
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int fd, ret, i;

	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	for (i = 0; !ret && i < 300 && access(RACEWATCH_DEVICE, F_OK); i++)
		nanosleep(&ts, NULL);
	return ret;
}

/* A new session can take all four debug registers of every thread of @pid. */
static int all_slots_free(pid_t pid, unsigned long var)
{
	int fd = rw_dev_open(), i, id, ret = 0;

	if (fd < 0)
		return -errno;
	for (i = 0; i < 4 && !ret; i++) {
		id = rw_watch(fd, pid, var, 8, RACEWATCH_KIND_WRITE, 0);
		if (id < 0)
			ret = id;
	}
	close(fd);
	return ret;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

FIXTURE(churn) {
	int fd;
	struct churn c;
	int bad_before;
};

FIXTURE_SETUP(churn)
{
	memset(&self->c, 0, sizeof(self->c));
	self->bad_before = rw_dmesg_bad_lines();
	self->fd = rw_dev_open();
	if (self->fd < 0)
		SKIP(return, "%s: %s (module not loaded?)", RACEWATCH_DEVICE, strerror(errno));
	ASSERT_EQ(0, churn_start(&self->c));
}

FIXTURE_TEARDOWN(churn)
{
	churn_kill(&self->c);
	if (self->fd >= 0)
		close(self->fd);
	/* Never leave the VM without the module, whatever failed above. */
	if (!module_loaded())
		module_load();
	EXPECT_EQ(self->bad_before, rw_dmesg_bad_lines());
}

/* The 6.1 harness runs the body even after a SKIP in the setup. */
#define NEED_DEVICE() do { if (self->fd < 0) SKIP(return, "no %s", RACEWATCH_DEVICE); } while (0)

TEST_F_TIMEOUT(churn, thousands_of_threads_and_forks_leave_nothing_armed, 300)
{
	static struct rw_recs recs;
	static pid_t tids[CHURN_THREADS], seen[CHURN_THREADS];
	struct racewatch_watch_info wi;
	struct racewatch_stats st;
	char line[32];
	int id, i, n;

	NEED_DEVICE();
	id = rw_watch(self->fd, self->c.pid, self->c.var, 8, RACEWATCH_KIND_RW, 0);
	ASSERT_LT(0, id);

	/* Every short-lived thread is armed before it runs: one write record each, its own tid. */
	ASSERT_EQ(CHURN_THREADS, churn_cmd(&self->c, "t " "2000"));
	for (i = 0; i < CHURN_THREADS; i++) {
		ASSERT_NE(NULL, fgets(line, sizeof(line), self->c.out));
		tids[i] = atoi(line);
	}
	n = rw_drain(self->fd, &recs);
	ASSERT_EQ(CHURN_THREADS, n);
	for (i = 0; i < n; i++) {
		ASSERT_EQ((__u32)id, recs.r[i]->watch_id);
		ASSERT_EQ((__u32)self->c.pid, recs.r[i]->pid);
		ASSERT_EQ(RACEWATCH_ACCESS_WRITE, recs.r[i]->access);
		seen[i] = recs.r[i]->tid;
	}
	qsort(tids, CHURN_THREADS, sizeof(*tids), cmp_pid);
	qsort(seen, CHURN_THREADS, sizeof(*seen), cmp_pid);
	EXPECT_EQ(0, memcmp(tids, seen, sizeof(tids)));

	/* Fork children are not armed: their stores leave no record. */
	ASSERT_EQ(CHURN_FORKS, churn_cmd(&self->c, "f " "1000"));
	EXPECT_EQ(0, rw_drain(self->fd, &recs));

	/* What is left armed is the one live thread; the exited ones hold nothing. */
	ASSERT_EQ(1, rw_list(self->fd, &wi, 1));
	EXPECT_EQ(1, wi.threads);
	EXPECT_EQ(CHURN_THREADS, wi.hits);
	ASSERT_EQ(0, rw_stats(self->fd, &st));
	EXPECT_EQ(1, st.armed_threads);
	EXPECT_EQ(0, st.dropped);

	/* After close, a new session gets all four slots. */
	ASSERT_EQ(0, close(self->fd));
	self->fd = rw_dev_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, rw_stats(self->fd, &st));
	EXPECT_EQ(0, st.watches);
	EXPECT_EQ(0, all_slots_free(self->c.pid, self->c.var));
}

/* Path of the racewatch CLI: ../racewatch beside the selftests directory. */
static int racewatch_path(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return -errno;
	self[n] = '\0';
	if (snprintf(buf, len, "%s/../racewatch", dirname(self)) >= (int)len)
		return -ENAMETOOLONG;
	return access(buf, X_OK) ? -errno : 0;
}

/*
 * Start racewatch attach on the target's two words (RW: all four debug
 * registers), wait for @want lines of its output, then SIGKILL it.
 */
static void kill_racewatch_mid_stream(struct __test_metadata *_metadata, struct churn *c,
				      bool raw, int want)
{
	char rw[PATH_MAX], a[32], b[32], line[1024];
	int out[2], status, lines = 0;
	struct timespec ts;
	double end;
	pid_t pid;
	FILE *f;

	ASSERT_EQ(0, racewatch_path(rw, sizeof(rw)));
	snprintf(a, sizeof(a), "0x%lx:8", c->var);
	snprintf(b, sizeof(b), "0x%lx:8", c->var2);
	ASSERT_EQ(0, pipe(out));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char p[16];

		snprintf(p, sizeof(p), "%d", c->pid);
		dup2(out[1], 1);
		dup2(out[1], 2);
		close(out[0]);
		if (raw)
			execl(rw, rw, "attach", "-p", p, "-w", a, "-w", b, "--raw", NULL);
		else
			execl(rw, rw, "attach", "-p", p, "-w", a, "-w", b, NULL);
		_exit(127);
	}
	close(out[1]);
	f = fdopen(out[0], "r");
	ASSERT_NE(NULL, f);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = ts.tv_sec + 60;
	while (lines < want && fgets(line, sizeof(line), f)) {
		if (raw ? !strncmp(line, "time_ns=", 8) : !!strstr(line, "WARNING: DATA RACE"))
			lines++;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ts.tv_sec > end)
			break;
	}
	EXPECT_EQ(want, lines);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	fclose(f);
}

TEST_F_TIMEOUT(churn, racewatch_killed_mid_stream_frees_every_slot, 180)
{
	NEED_DEVICE();
	ASSERT_EQ(0, churn_cmd(&self->c, "s 2"));

	/* Raw records flowing, then the detector (with the BPF tracer) reporting. */
	kill_racewatch_mid_stream(_metadata, &self->c, true, 200);
	EXPECT_EQ(0, all_slots_free(self->c.pid, self->c.var));
	kill_racewatch_mid_stream(_metadata, &self->c, false, 1);
	EXPECT_EQ(0, all_slots_free(self->c.pid, self->c.var));

	/* The target survived both and still runs its storers. */
	EXPECT_EQ(0, kill(self->c.pid, 0));
	EXPECT_EQ(0, waitpid(self->c.pid, NULL, WNOHANG));
}

TEST_F_TIMEOUT(churn, rmmod_while_processes_fork, 180)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	int i;

	NEED_DEVICE();
	if (!getenv("RACEWATCH_KO"))
		SKIP(return, "RACEWATCH_KO is not set: cannot reload the module");
	ASSERT_EQ(0, churn_cmd(&self->c, "F"));
	ASSERT_EQ(0, churn_cmd(&self->c, "s 1"));
	for (i = 0; i < 3; i++) {
		/* Armed in the forking process, then closed and unloaded under the forks. */
		ASSERT_LT(0, rw_watch(self->fd, self->c.pid, self->c.var, 8, RACEWATCH_KIND_RW, 0));
		nanosleep(&ts, NULL);
		ASSERT_EQ(0, close(self->fd));
		self->fd = -1;
		ASSERT_EQ(0, syscall(SYS_delete_module, "racewatch", O_NONBLOCK));
		EXPECT_FALSE(module_loaded());
		nanosleep(&ts, NULL);
		EXPECT_EQ(0, kill(self->c.pid, 0));
		ASSERT_EQ(0, module_load());
		self->fd = rw_dev_open();
		ASSERT_LE(0, self->fd);
	}
	EXPECT_EQ(0, all_slots_free(self->c.pid, self->c.var));
	EXPECT_EQ(0, waitpid(self->c.pid, NULL, WNOHANG));
}

TEST_HARNESS_MAIN
