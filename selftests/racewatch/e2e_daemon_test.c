// SPDX-License-Identifier: GPL-2.0
/*
 * End to end, in the VM: racewatchd and the commands that talk to it.
 * racewatchd runs in the background on a socket of the test's own; `racewatch
 * watch --shm` hands a watch to it; two processes of progs/shm_race race on
 * the segment; `racewatch reports --format json` (and a `reports --follow`
 * started before) shows the race naming both processes; list, stats and
 * GET /metrics show the watch, its coverage and the race; `unwatch ID` takes
 * it away and frees the debug registers while the processes still map the
 * segment; a second daemon on the socket is refused; SIGKILL of the daemon
 * frees every slot and leaves a stale socket a new daemon replaces; the
 * config file; no daemon means a one-line error and exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "e2e_util.h"
#include "ctl.h"
#include "engine.h"
#include "shmtarget.h"

#define OUT_MAX		(256 * 1024)
#define FIELD		128	/* progs/shm_race's counter */

FIXTURE(daemon) {
	char *out;
	char racewatch[PATH_MAX];
	char racewatchd[PATH_MAX];
	char prog[PATH_MAX];
	char name[64];
	char sock[96];
	char log[96];
	char json[96];
	char conf[96];
	char metrics[32];
	int port;
	pid_t d;		/* racewatchd, or 0 */
	pid_t p;		/* shm_race, or 0 */
};

#define NEED_DEVICE() do { if (!self->out) SKIP(return, "no /dev/racewatch"); } while (0)

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
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

/* The VM starts with lo down: bring it up (the kernel gives it 127.0.0.1). */
static void loopback_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (fd >= 0 && !ioctl(fd, SIOCGIFFLAGS, &ifr) && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	if (fd >= 0)
		close(fd);
}

FIXTURE_SETUP(daemon)
{
	self->out = NULL;
	self->d = self->p = 0;
	if (access("/dev/racewatch", R_OK | W_OK))
		SKIP(return, "/dev/racewatch is not there (racewatch.ko not loaded)");
	self->out = malloc(OUT_MAX);
	ASSERT_NE(NULL, self->out);
	snprintf(self->racewatch, sizeof(self->racewatch), "%s/../racewatch", e2e_bindir());
	snprintf(self->racewatchd, sizeof(self->racewatchd), "%s/../racewatchd", e2e_bindir());
	snprintf(self->prog, sizeof(self->prog), "%s/progs/shm_race", e2e_bindir());
	snprintf(self->name, sizeof(self->name), "/rw_e2e_daemon_%d", getpid());
	snprintf(self->sock, sizeof(self->sock), "/tmp/rw_e2e_daemon_%d/d.sock", getpid());
	snprintf(self->log, sizeof(self->log), "/tmp/rw_e2e_daemon_%d.log", getpid());
	snprintf(self->json, sizeof(self->json), "/tmp/rw_e2e_daemon_%d.json", getpid());
	snprintf(self->conf, sizeof(self->conf), "/tmp/rw_e2e_daemon_%d.conf", getpid());
	self->port = 20000 + getpid() % 20000;
	snprintf(self->metrics, sizeof(self->metrics), "127.0.0.1:%d", self->port);
	ASSERT_EQ(0, access(self->racewatch, X_OK));
	ASSERT_EQ(0, access(self->racewatchd, X_OK));
	ASSERT_EQ(0, access(self->prog, X_OK));
	loopback_up();
}

FIXTURE_TEARDOWN(daemon)
{
	char dir[128];

	if (self->p > 0) {
		kill(self->p, SIGKILL);
		wait_status(self->p);
	}
	if (self->d > 0) {
		kill(self->d, SIGKILL);
		wait_status(self->d);
	}
	if (self->out) {
		shm_unlink(self->name);
		unlink(self->sock);
		unlink(self->log);
		unlink(self->json);
		unlink(self->conf);
		snprintf(dir, sizeof(dir), "/tmp/rw_e2e_daemon_%d", getpid());
		rmdir(dir);
	}
	free(self->out);
}

/* Start racewatchd with @extra (NULL-terminated) after the usual options; output into log. */
static pid_t daemon_spawn(FIXTURE_DATA(daemon) *self, char *const extra[])
{
	char *argv[16];
	int n = 0, fd;
	pid_t pid;

	argv[n++] = self->racewatchd;
	argv[n++] = "--socket";
	argv[n++] = self->sock;
	argv[n++] = "--metrics";
	argv[n++] = self->metrics;
	argv[n++] = "--json";
	argv[n++] = self->json;
	while (extra && *extra && n < 15)
		argv[n++] = *extra++;
	argv[n] = NULL;
	pid = fork();
	if (pid)
		return pid;
	fd = open(self->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd < 0)
		_exit(127);
	dup2(fd, 1);
	dup2(fd, 2);
	execv(argv[0], argv);
	_exit(127);
}

/* Ask the daemon "ping" until it answers (it is serving); false if it died or never did. */
static bool daemon_ready(FIXTURE_DATA(daemon) *self)
{
	char *ping[] = { "ping", NULL };
	char msg[256];
	FILE *null = fopen("/dev/null", "w");
	int i, fd, r = -1;

	for (i = 0; i < 600 && r; i++) {
		if (waitpid(self->d, NULL, WNOHANG) == self->d) {
			self->d = 0;
			break;
		}
		fd = rw_ctl__connect(self->sock);
		if (fd >= 0) {
			r = rw_ctl__call(fd, 1, ping, null, null, msg, sizeof(msg));
			close(fd);
		}
		if (r)
			msleep(50);
	}
	fclose(null);
	return r == 0;
}

static void daemon_start_with(struct __test_metadata *_metadata, FIXTURE_DATA(daemon) *self,
			      char *const extra[])
{
	self->d = daemon_spawn(self, extra);
	ASSERT_LT(0, self->d);
	if (!daemon_ready(self)) {
		slurp(self->log, self->out, OUT_MAX);
		TH_LOG("racewatchd did not come up:\n%s", self->out);
		ASSERT_TRUE(false);
	}
}

#define daemon_start(_metadata, self) daemon_start_with(_metadata, self, NULL)

/* `racewatch ARGS --socket SOCK`, output into self->out; its exit status. */
#define RW(self, fmt, ...)								\
	e2e_sh_capture((self)->out, OUT_MAX, "%s " fmt " --socket %s", (self)->racewatch,	\
		       ##__VA_ARGS__, (self)->sock)

/*
 * Start shm_race posix MODE NAME ITER wait: the segment exists and the
 * children are forked, parked until SIGUSR1.
 */
static void race_start(struct __test_metadata *_metadata, FIXTURE_DATA(daemon) *self,
		       const char *mode)
{
	char *argv[] = { self->prog, "posix", (char *)mode, self->name, "30", "wait", NULL };
	char line[128];
	int p[2], ppid, shmid;
	FILE *rd;

	ASSERT_EQ(0, pipe(p));
	self->p = fork();
	ASSERT_LE(0, self->p);
	if (!self->p) {
		dup2(p[1], 1);
		close(p[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	rd = fdopen(p[0], "r");
	ASSERT_NE(NULL, rd);
	ASSERT_NE(NULL, fgets(line, sizeof(line), rd));
	fclose(rd);
	ASSERT_EQ(2, sscanf(line, "ready %d %d", &ppid, &shmid));
}

/* Let the children go; wait for shm_race to end. */
static void race_finish(struct __test_metadata *_metadata, FIXTURE_DATA(daemon) *self)
{
	ASSERT_EQ(0, kill(self->p, SIGUSR1));
	EXPECT_EQ(0, wait_status(self->p));
	self->p = 0;
}

/* racewatch watch --shm NAME --offset 128 --len 8 through the daemon; the watch id. */
static int watch_shm(struct __test_metadata *_metadata, FIXTURE_DATA(daemon) *self)
{
	char want[128];
	unsigned int id = 0;
	const char *p;

	EXPECT_EQ(0, RW(self, "watch --shm %s --offset %d --len 8", self->name, FIELD));
	TH_LOG("%s", self->out);
	snprintf(want, sizeof(want), ": shm:%s+%d:8\n", self->name, FIELD);
	p = strstr(self->out, "watch ");
	if (!p || sscanf(p, "watch %u:", &id) != 1 || !strstr(self->out, want))
		return -1;
	return id;
}

/* GET /metrics over TCP; the body into self->out (the status line checked). */
static int http_get_metrics(FIXTURE_DATA(daemon) *self)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(self->port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n";
	size_t len = 0;
	ssize_t n;
	char *body;
	int fd;

	self->out[0] = '\0';
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    write(fd, req, sizeof(req) - 1) != sizeof(req) - 1) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while (len < OUT_MAX - 1 && (n = read(fd, self->out + len, OUT_MAX - 1 - len)) > 0)
		len += n;
	close(fd);
	self->out[len] = '\0';
	if (strncmp(self->out, "HTTP/1.1 200 OK\r\n", 17) ||
	    !strstr(self->out, "Content-Type: text/plain; version=0.0.4"))
		return -EPROTO;
	body = strstr(self->out, "\r\n\r\n");
	if (!body)
		return -EPROTO;
	memmove(self->out, body + 4, strlen(body + 4) + 1);
	return 0;
}

/* Value of the metric line starting with @prefix (name and labels), or -1. */
static double metric(const char *text, const char *prefix)
{
	const char *p = text;
	size_t n = strlen(prefix);

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, prefix, n) && p[n] == ' ')
			return atof(p + n + 1);
	return -1;
}

/*
 * A new session (this test's own) arms two read-and-write file watches on
 * the field: four debug registers in each of the three processes. Returns
 * the processes the second could not arm (0: every slot was free).
 */
static int slots_taken(struct __test_metadata *_metadata, FIXTURE_DATA(daemon) *self)
{
	struct racewatch_watch_file w1, w2;
	struct racewatch_file_stat fs = { .size = sizeof(fs) };
	struct rw_shm_target t;
	int fd, ret;

	fd = open("/dev/racewatch", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = rw_shm__resolve(self->name, FIELD, 8, false, &t);
	if (!ret)
		ret = rw_shm__watch(fd, &t, RACEWATCH_KIND_RW, 0, &w1);
	if (!ret)
		ret = rw_shm__watch(fd, &t, RACEWATCH_KIND_RW, 0, &w2);
	if (!ret) {
		fs.id = w2.id;
		ret = ioctl(fd, RACEWATCH_IOC_FILE_STAT, &fs) ? -errno : (int)fs.failed;
		TH_LOG("test session: first watch armed %u processes, second %u (failed %llu)",
		       w1.processes, w2.processes, (unsigned long long)fs.failed);
		if (!ret && w2.processes != 3)
			ret = 3 - w2.processes;
	}
	close(fd);
	return ret;
}

TEST_F_TIMEOUT(daemon, handed_watch_reports_the_race_lists_counts_and_unwatches, 180)
{
	char *fargv[] = { self->racewatch, "reports", "--follow", "--format", "json", "--socket",
			  self->sock, NULL };
	char line[8192], want[160], *jbuf;
	double races;
	FILE *follow;
	int id, i, got = 0, fp[2];
	bool found = false;
	pid_t fpid;

	NEED_DEVICE();
	daemon_start(_metadata, self);
	race_start(_metadata, self, "racy");
	id = watch_shm(_metadata, self);
	ASSERT_LT(0, id);

	/* list: the watch, of kind watch, armed in the three processes */
	ASSERT_EQ(0, RW(self, "list"));
	TH_LOG("%s", self->out);
	snprintf(want, sizeof(want), "\n%-5d watch          3 ", id);
	EXPECT_NE(NULL, strstr(self->out, want));

	/* a follower started now gets the report as it is found */
	ASSERT_EQ(0, pipe(fp));
	fpid = fork();
	ASSERT_LE(0, fpid);
	if (!fpid) {
		dup2(fp[1], 1);
		close(fp[0]);
		execv(fargv[0], fargv);
		_exit(127);
	}
	close(fp[1]);
	follow = fdopen(fp[0], "r");
	ASSERT_NE(NULL, follow);

	race_finish(_metadata, self);
	for (i = 0; i < 200 && !found; i++) {
		ASSERT_EQ(0, RW(self, "reports --format json"));
		found = strstr(self->out, "\"type\":\"race\"") != NULL;
		if (!found)
			msleep(100);
	}
	TH_LOG("%s", self->out);
	ASSERT_TRUE(found);
	/* one JSON line per report, each naming both processes */
	EXPECT_EQ(0, strncmp(self->out, "{\"type\":\"race\",\"id\":1,", 22));
	EXPECT_NE(NULL, strstr(self->out, "\"comm\":\"shm_writer\""));
	EXPECT_NE(NULL, strstr(self->out, "\"comm\":\"shm_reader\""));
	snprintf(want, sizeof(want), "\"name\":\"shm:%s+%d\"", self->name, FIELD);
	EXPECT_NE(NULL, strstr(self->out, want));
	EXPECT_EQ(e2e_count_of(self->out, "\n"), e2e_count_of(self->out, "{\"type\":\"race\""));

	/* the follower printed it too */
	if (fgets(line, sizeof(line), follow)) {
		got = !strncmp(line, "{\"type\":\"race\",\"id\":1,", 22) &&
		      strstr(line, "shm_writer") && strstr(line, "shm_reader");
	}
	EXPECT_TRUE(got);
	/* it streams until Ctrl-C */
	EXPECT_EQ(0, waitpid(fpid, NULL, WNOHANG));
	kill(fpid, SIGINT);
	EXPECT_EQ(128 + SIGINT, wait_status(fpid));
	fclose(follow);

	/* text reports are the Go-shaped ones */
	ASSERT_EQ(0, RW(self, "reports"));
	EXPECT_NE(NULL, strstr(self->out, "WARNING: DATA RACE"));
	EXPECT_NE(NULL, strstr(self->out, "(shm_writer)"));
	EXPECT_NE(NULL, strstr(self->out, "(shm_reader)"));

	/* --json FILE has the same line */
	jbuf = malloc(OUT_MAX);
	ASSERT_NE(NULL, jbuf);
	slurp(self->json, jbuf, OUT_MAX);
	EXPECT_EQ(0, strncmp(jbuf, "{\"type\":\"race\",\"id\":1,", 22));
	EXPECT_NE(NULL, strstr(jbuf, "\"comm\":\"shm_reader\""));
	free(jbuf);

	/* metrics: the race, the watch, its coverage and hits */
	ASSERT_EQ(0, http_get_metrics(self));
	TH_LOG("%s", self->out);
	races = metric(self->out, "racewatch_races_total");
	EXPECT_LE(1, races);
	EXPECT_EQ(1, metric(self->out, "racewatch_watches"));
	EXPECT_LE(30, metric(self->out, "racewatch_access_records_total"));
	EXPECT_NE(NULL, strstr(self->out, "# TYPE racewatch_location_coverage_ratio gauge\n"));
	snprintf(want, sizeof(want), "racewatch_location_coverage_ratio{watch=\"%d\","
		 "location=\"shm:%s+%d\"}", id, self->name, FIELD);
	EXPECT_EQ(1, metric(self->out, want));
	snprintf(want, sizeof(want), "racewatch_location_hits_total{watch=\"%d\","
		 "location=\"shm:%s+%d\"}", id, self->name, FIELD);
	EXPECT_LE(30, metric(self->out, want));
	EXPECT_EQ(0, metric(self->out, "racewatch_dropped_total{source=\"access\"}"));

	/* stats says the same */
	ASSERT_EQ(0, RW(self, "stats --format json"));
	TH_LOG("%s", self->out);
	snprintf(want, sizeof(want), "\"races\":%.0f,", races);
	EXPECT_NE(NULL, strstr(self->out, want));
	EXPECT_NE(NULL, strstr(self->out, "\"watches\":1,"));

	/* unwatch: gone from list and metrics; twice is an error */
	ASSERT_EQ(0, RW(self, "unwatch %d", id));
	ASSERT_EQ(0, RW(self, "list"));
	EXPECT_STREQ("", self->out);
	EXPECT_EQ(1, RW(self, "unwatch %d", id));
	snprintf(want, sizeof(want), "racewatch: racewatchd: no watch %d", id);
	EXPECT_NE(NULL, strstr(self->out, want));
	ASSERT_EQ(0, http_get_metrics(self));
	EXPECT_EQ(0, metric(self->out, "racewatch_watches"));
	EXPECT_EQ(races, metric(self->out, "racewatch_races_total"));	/* reports kept */
	ASSERT_EQ(0, RW(self, "reports --format json"));
	EXPECT_NE(NULL, strstr(self->out, "\"type\":\"race\""));

	/* SIGTERM: a clean end with the summary */
	ASSERT_EQ(0, kill(self->d, SIGTERM));
	EXPECT_EQ(0, wait_status(self->d));
	self->d = 0;
	slurp(self->log, self->out, OUT_MAX);
	TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "racewatchd: stopping: disarming 0 watches"));
	EXPECT_NE(NULL, strstr(self->out, " access records, "));
	EXPECT_NE(NULL, strstr(self->out, "data race"));
	EXPECT_NE(0, access(self->sock, F_OK));		/* its socket is gone with it */
}

TEST_F_TIMEOUT(daemon, unwatch_disarms_the_processes_that_still_map_the_segment, 180)
{
	int id;

	NEED_DEVICE();
	daemon_start(_metadata, self);
	race_start(_metadata, self, "racy");
	id = watch_shm(_metadata, self);
	ASSERT_LT(0, id);
	ASSERT_EQ(0, RW(self, "stats --format json"));
	TH_LOG("%s", self->out);
	EXPECT_EQ(NULL, strstr(self->out, "\"armed_threads\":0,"));
	/* the daemon's watch holds two of the four slots: a second RW watch does not fit */
	EXPECT_EQ(3, slots_taken(_metadata, self));

	ASSERT_EQ(0, RW(self, "unwatch %d", id));
	ASSERT_EQ(0, RW(self, "stats --format json"));
	TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "\"armed_threads\":0,"));
	EXPECT_NE(NULL, strstr(self->out, "\"watches\":0,"));
	ASSERT_EQ(0, RW(self, "list"));
	EXPECT_STREQ("", self->out);
	/* every slot of the three processes is free again */
	EXPECT_EQ(0, slots_taken(_metadata, self));

	/* the processes race now and nobody watches: no record, no report */
	race_finish(_metadata, self);
	msleep(300);
	ASSERT_EQ(0, RW(self, "stats --format json"));
	EXPECT_NE(NULL, strstr(self->out, "\"records\":0,"));
	EXPECT_NE(NULL, strstr(self->out, "\"races\":0,"));
}

TEST_F_TIMEOUT(daemon, a_second_daemon_is_refused_and_sigkill_frees_every_slot, 180)
{
	char want[160];
	pid_t second;
	int id, st;

	NEED_DEVICE();
	daemon_start(_metadata, self);
	second = daemon_spawn(self, NULL);
	ASSERT_LT(0, second);
	st = wait_status(second);
	slurp(self->log, self->out, OUT_MAX);
	TH_LOG("%s", self->out);
	EXPECT_EQ(1, st);
	snprintf(want, sizeof(want), "racewatchd: another racewatchd (pid %d) is running on %s",
		 self->d, self->sock);
	EXPECT_NE(NULL, strstr(self->out, want));
	/* and the first one still serves */
	EXPECT_EQ(0, RW(self, "list"));

	race_start(_metadata, self, "racy");
	id = watch_shm(_metadata, self);
	ASSERT_LT(0, id);
	EXPECT_EQ(3, slots_taken(_metadata, self));
	ASSERT_EQ(0, kill(self->d, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, wait_status(self->d));
	self->d = 0;
	/* the kernel closed its file: every slot of every process is free */
	EXPECT_EQ(0, slots_taken(_metadata, self));
	race_finish(_metadata, self);

	/* its socket file is left behind; nobody answers on it */
	EXPECT_EQ(0, access(self->sock, F_OK));
	EXPECT_EQ(1, RW(self, "list"));
	/* a new daemon takes the stale socket's place */
	daemon_start(_metadata, self);
	slurp(self->log, self->out, OUT_MAX);
	snprintf(want, sizeof(want), "racewatchd: removed the stale socket %s", self->sock);
	EXPECT_NE(NULL, strstr(self->out, want));
	EXPECT_EQ(0, RW(self, "list"));
}

TEST_F_TIMEOUT(daemon, config_file_watches_are_set_up_and_errors_name_the_line, 120)
{
	char *conf_arg[] = { "--config", self->conf, NULL };
	char want[160];
	FILE *f;

	NEED_DEVICE();
	f = fopen(self->conf, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "# the counter of the test segment\n\n"
		   "watch --shm %s --offset %d --len 8   # by name: it may not exist yet\n",
		self->name, FIELD);
	fclose(f);
	self->d = daemon_spawn(self, conf_arg);
	ASSERT_LT(0, self->d);
	ASSERT_TRUE(daemon_ready(self));
	ASSERT_EQ(0, RW(self, "list"));
	TH_LOG("%s", self->out);
	snprintf(want, sizeof(want), "\n1     watch  ");
	EXPECT_NE(NULL, strstr(self->out, want));
	snprintf(want, sizeof(want), "shm:%s+%d:8\n", self->name, FIELD);
	EXPECT_NE(NULL, strstr(self->out, want));
	kill(self->d, SIGTERM);
	EXPECT_EQ(0, wait_status(self->d));
	self->d = 0;

	f = fopen(self->conf, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "watch --shm %s --offset %d --len 8\n"
		   "watch --shm %s --offset 3 --len 8\n"
		   "attach -w counter\n", self->name, FIELD, self->name);
	fclose(f);
	unlink(self->log);
	self->d = daemon_spawn(self, conf_arg);
	ASSERT_LT(0, self->d);
	EXPECT_EQ(1, wait_status(self->d));
	self->d = 0;
	slurp(self->log, self->out, OUT_MAX);
	TH_LOG("%s", self->out);
	snprintf(want, sizeof(want), "%s:2: racewatch watch: --offset 3 is not aligned to --len 8",
		 self->conf);
	EXPECT_NE(NULL, strstr(self->out, want));
	snprintf(want, sizeof(want), "%s:3: racewatch attach: -p PID is required", self->conf);
	EXPECT_NE(NULL, strstr(self->out, want));
	snprintf(want, sizeof(want), "%s:1:", self->conf);
	EXPECT_EQ(NULL, strstr(self->out, want));
	EXPECT_NE(0, access(self->sock, F_OK));
}

/* Two read-and-write watches (four slots) on every thread of @pid at @addr: 0 if both fit. */
static int pid_slots_free(pid_t pid, __u64 addr)
{
	struct racewatch_watch w;
	int fd, i, ret = 0;

	fd = open("/dev/racewatch", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (i = 0; i < 2 && !ret; i++) {
		memset(&w, 0, sizeof(w));
		w.size = sizeof(w);
		w.pid = pid;
		w.kind = RACEWATCH_KIND_RW;
		w.addr = addr;
		w.len = 8;
		if (ioctl(fd, RACEWATCH_IOC_WATCH, &w))
			ret = -errno;
	}
	close(fd);
	return ret;
}

TEST_F_TIMEOUT(daemon, handed_attach_rotates_its_locations_and_unwatch_frees_them, 180)
{
	char prog[PATH_MAX + 32], want[160], *name = NULL, *argv[] = { prog, "30", NULL };
	char *keep[] = { "--keep", "1", NULL };
	double cov, sum = 0, rounds, races;
	__u64 addr;
	__u32 len;
	int id, i, found = 0;

	NEED_DEVICE();
	snprintf(prog, sizeof(prog), "%s/progs/rotate_counters", e2e_bindir());
	/* it keeps one report: the others are evicted, and counted */
	daemon_start_with(_metadata, self, keep);
	self->p = fork();
	ASSERT_LE(0, self->p);
	if (!self->p) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	/* once it has exec'd, its symbols are there */
	for (i = 0; i < 100; i++) {
		char comm[64] = "", path[64];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/comm", self->p);
		f = fopen(path, "r");
		if (f) {
			if (!fgets(comm, sizeof(comm), f))
				comm[0] = '\0';
			fclose(f);
		}
		if (!strcmp(comm, "rotate_counters\n"))
			break;
		msleep(50);
	}
	ASSERT_EQ(0, rw_elfsym__resolve(self->p, "counter0", &addr, &len, &name));
	free(name);

	/* three RW locations need six debug registers: the daemon rotates them */
	ASSERT_EQ(0, RW(self, "attach -p %d -w counter0 -w counter1 -w counter2", self->p));
	TH_LOG("%s", self->out);
	/* the daemon's diagnostics come first (on stderr): the rotation starts */
	EXPECT_NE(NULL, strstr(self->out, "rotating the armed set every 50 ms"));
	ASSERT_NE(NULL, strstr(self->out, "\nwatch "));
	ASSERT_EQ(1, sscanf(strstr(self->out, "\nwatch ") + 1, "watch %d:", &id));
	snprintf(want, sizeof(want), "watch %d: process %d: counter0, counter1, counter2\n", id,
		 self->p);
	EXPECT_NE(NULL, strstr(self->out, want));
	for (i = 0; i < 100 && !found; i++) {
		msleep(100);
		ASSERT_EQ(0, RW(self, "reports --format json"));
		found = e2e_count_of(self->out, "{\"type\":\"race\"");
	}
	EXPECT_EQ(1, found);
	msleep(1500);
	ASSERT_EQ(0, RW(self, "list --format json"));
	TH_LOG("%s", self->out);
	snprintf(want, sizeof(want), "{\"type\":\"watch\",\"id\":%d,\"kind\":\"attach\","
		 "\"target\":\"process %d: counter0, counter1, counter2\",\"processes\":1,", id,
		 self->p);
	EXPECT_NE(NULL, strstr(self->out, want));
	EXPECT_NE(NULL, strstr(self->out, "{\"name\":\"counter2\",\"processes\":"));
	ASSERT_EQ(0, http_get_metrics(self));
	/* races on at least two counters while they took turns; one kept, the rest evicted */
	races = metric(self->out, "racewatch_races_total");
	EXPECT_LE(2, races);
	EXPECT_EQ(1, metric(self->out, "racewatch_reports_kept"));
	EXPECT_EQ(races - 1, metric(self->out, "racewatch_reports_evicted_total"));
	ASSERT_EQ(0, RW(self, "reports"));
	EXPECT_NE(NULL, strstr(self->out, "older report(s) were evicted (racewatchd keeps the "
					  "newest 1)"));
	EXPECT_EQ(1, e2e_count_of(self->out, "WARNING: DATA RACE"));
	ASSERT_EQ(0, http_get_metrics(self));
	rounds = metric(self->out, "racewatch_rotations_total");
	EXPECT_LE(10, rounds);
	for (i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "racewatch_location_coverage_ratio{watch=\"%d\","
			 "location=\"counter%d\"}", id, i);
		cov = metric(self->out, want);
		TH_LOG("counter%d coverage %.3f", i, cov);
		/* 4 slots / (2 per location x 3 locations): each about two thirds */
		EXPECT_LT(0.2, cov);
		EXPECT_GT(0.95, cov);
		sum += cov;
		snprintf(want, sizeof(want), "racewatch_location_hits_total{watch=\"%d\","
			 "location=\"counter%d\"}", id, i);
		EXPECT_LT(0, metric(self->out, want));
	}
	EXPECT_LT(1.2, sum);
	EXPECT_GT(2.05, sum);

	ASSERT_EQ(0, RW(self, "unwatch %d", id));
	ASSERT_EQ(0, RW(self, "list"));
	EXPECT_STREQ("", self->out);
	/* every slot of every thread is free, and the rounds stopped */
	EXPECT_EQ(0, pid_slots_free(self->p, addr));
	ASSERT_EQ(0, http_get_metrics(self));
	rounds = metric(self->out, "racewatch_rotations_total");
	msleep(300);
	ASSERT_EQ(0, http_get_metrics(self));
	EXPECT_EQ(rounds, metric(self->out, "racewatch_rotations_total"));
	EXPECT_EQ(0, metric(self->out, "racewatch_armed_watchpoints"));
}

/* An option another command grew (watch --exe) works through the daemon unchanged. */
TEST_F_TIMEOUT(daemon, watch_exe_goes_through_the_daemon_too, 120)
{
	char prog[PATH_MAX + 32], want[PATH_MAX + 96], *argv[] = { prog, "racy", "2", NULL };
	int id = 0, i, found = 0;

	NEED_DEVICE();
	snprintf(prog, sizeof(prog), "%s/progs/service_counter", e2e_bindir());
	ASSERT_EQ(0, access(prog, X_OK));
	daemon_start(_metadata, self);
	ASSERT_EQ(0, RW(self, "watch --exe %s -w counter", prog));
	TH_LOG("%s", self->out);
	ASSERT_NE(NULL, strstr(self->out, "watch "));
	ASSERT_EQ(1, sscanf(strstr(self->out, "watch "), "watch %d:", &id));
	snprintf(want, sizeof(want), "watch %d: exe:%s: counter\n", id, prog);
	EXPECT_NE(NULL, strstr(self->out, want));

	/* a service started after the watch races on its global */
	self->p = fork();
	ASSERT_LE(0, self->p);
	if (!self->p) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	EXPECT_EQ(0, wait_status(self->p));
	self->p = 0;
	for (i = 0; i < 100 && !found; i++) {
		ASSERT_EQ(0, RW(self, "reports"));
		found = e2e_count_of(self->out, "WARNING: DATA RACE");
		if (!found)
			msleep(100);
	}
	TH_LOG("%s", self->out);
	EXPECT_LE(1, found);
	EXPECT_NE(NULL, strstr(self->out, "(service_counte"));
	EXPECT_LE(1, e2e_count_of(self->out, " worker service_counter.c:"));

	ASSERT_EQ(0, RW(self, "list"));
	snprintf(want, sizeof(want), "exe:%s: counter\n", prog);
	EXPECT_NE(NULL, strstr(self->out, want));
	ASSERT_EQ(0, RW(self, "unwatch %d", id));
	ASSERT_EQ(0, RW(self, "list"));
	EXPECT_STREQ("", self->out);
}

/* Run `racewatch list` as @uid:@gid (no supplementary groups); its status, output in out. */
static int list_as(FIXTURE_DATA(daemon) *self, uid_t uid, gid_t gid)
{
	int p[2], st;
	ssize_t n, len = 0;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (!pid) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		if (setgroups(0, NULL) || setgid(gid) || setuid(uid))
			_exit(126);
		execl(self->racewatch, self->racewatch, "list", "--socket", self->sock, NULL);
		_exit(127);
	}
	close(p[1]);
	while (len < OUT_MAX - 1 && (n = read(p[0], self->out + len, OUT_MAX - 1 - len)) > 0)
		len += n;
	self->out[len > 0 ? len : 0] = '\0';
	close(p[0]);
	st = wait_status(pid);
	return st;
}

TEST_F(daemon, the_socket_takes_root_and_the_group_only)
{
	char *group[] = { "--group", "nogroup", NULL };
	char dir[128];
	struct stat sb;

	NEED_DEVICE();
	daemon_start_with(_metadata, self, group);
	snprintf(dir, sizeof(dir), "/tmp/rw_e2e_daemon_%d", getpid());
	ASSERT_EQ(0, stat(dir, &sb));
	EXPECT_EQ(040750, sb.st_mode);
	EXPECT_EQ(65534, sb.st_gid);
	ASSERT_EQ(0, stat(self->sock, &sb));
	EXPECT_EQ(0140660, sb.st_mode);
	EXPECT_EQ(65534, sb.st_gid);

	/* a member of the group may */
	EXPECT_EQ(0, list_as(self, 65534, 65534));
	TH_LOG("nobody:nogroup: %s", self->out);
	/* anyone else who reaches the socket is turned away by its credentials */
	ASSERT_EQ(0, chmod(dir, 0755));
	ASSERT_EQ(0, chmod(self->sock, 0666));
	EXPECT_EQ(1, list_as(self, 4242, 4242));
	TH_LOG("4242:4242: %s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "racewatch: racewatchd: permission denied: racewatchd "
					  "takes requests from root and group nogroup only\n"));
	/* and root still may */
	EXPECT_EQ(0, RW(self, "list"));
}

TEST_F(daemon, commands_without_a_daemon_say_so_and_exit_1)
{
	static const char *const cmds[] = { "list", "stats", "reports", "unwatch 1",
					    "stats --format json" };
	char want[160];
	unsigned int i;

	NEED_DEVICE();
	snprintf(want, sizeof(want), "racewatch: no racewatchd is running (nothing answers on "
		 "%s)\n", self->sock);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		EXPECT_EQ(1, RW(self, "%s", cmds[i]));
		EXPECT_STREQ(want, self->out);
	}
}

TEST_HARNESS_MAIN
