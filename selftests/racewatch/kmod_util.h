/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the kmod_* selftests: drive progs/kmod_target, talk to
 * /dev/racewatch, collect records. Header-only so each test stays one file.
 */
#ifndef KMOD_UTIL_H
#define KMOD_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/racewatch.h>

/**
 * struct kt - a running progs/kmod_target
 * @pid: its pid
 * @in: its stdin (commands)
 * @out: its stdout (replies)
 * @var: address of the watched word
 * @write: [start, end) of kt_write(); @read, @atomic, @narrow, @dispatch likewise
 * @helper: tid of its helper thread, 0 without one
 */
struct kt {
	pid_t pid;
	FILE *in;
	FILE *out;
	unsigned long var;
	unsigned long write[2], read[2], atomic[2], narrow[2], dispatch[2];
	pid_t helper;
};

/* Path of progs/NAME beside this test's executable. */
static inline int kt_prog_path(const char *name, char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return -errno;
	self[n] = '\0';
	if (snprintf(buf, len, "%s/progs/%s", dirname(self), name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* Parse the target's first line (printed at start and after each exec). */
static inline int kt_read_header(struct kt *t)
{
	char line[512];
	static const char fmt[] = "var %lx write %lx %lx read %lx %lx atomic %lx %lx "
				  "narrow %lx %lx dispatch %lx %lx helper %d";

	if (!fgets(line, sizeof(line), t->out))
		return -EIO;
	if (sscanf(line, fmt, &t->var, &t->write[0], &t->write[1],
		   &t->read[0], &t->read[1], &t->atomic[0], &t->atomic[1], &t->narrow[0],
		   &t->narrow[1], &t->dispatch[0], &t->dispatch[1], &t->helper) != 12)
		return -EPROTO;
	return 0;
}

/*
 * Start progs/@name with the argument @arg (NULL: none), its stdin and
 * stdout on pipes: *@in line-buffered for commands, *@out for replies.
 * 0 or -errno.
 */
static inline int kt_spawn(const char *name, const char *arg, pid_t *pid, FILE **in, FILE **out)
{
	char path[PATH_MAX];
	int pin[2], pout[2];

	*in = *out = NULL;
	*pid = 0;
	if (kt_prog_path(name, path, sizeof(path)) || access(path, X_OK))
		return -ENOENT;
	if (pipe(pin) || pipe(pout))
		return -errno;
	*pid = fork();
	if (*pid < 0)
		return -errno;
	if (*pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		close(pin[1]);
		close(pout[0]);
		execl(path, path, arg, NULL);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	*in = fdopen(pin[1], "w");
	*out = fdopen(pout[0], "r");
	if (!*in || !*out)
		return -EIO;
	setvbuf(*in, NULL, _IOLBF, 0);
	return 0;
}

/* Start progs/@name ("kmod_target" or "kmod_target-O2"); 0 or -errno. */
static inline int kt_start(struct kt *t, const char *name, bool helper)
{
	int err;

	memset(t, 0, sizeof(*t));
	err = kt_spawn(name, helper ? "helper" : NULL, &t->pid, &t->in, &t->out);
	return err ? err : kt_read_header(t);
}

/* Send one command; returns the tid that made the accesses, or -1. */
static inline pid_t kt_cmd(struct kt *t, char op, unsigned long n)
{
	char line[64];
	int tid;

	if (fprintf(t->in, "%c %lu\n", op, n) < 0 || fflush(t->in))
		return -1;
	if (!fgets(line, sizeof(line), t->out) || sscanf(line, "ok %d", &tid) != 1)
		return -1;
	return tid;
}

/* Ask the target to exit and reap it; returns its wait status. */
static inline int kt_stop(struct kt *t)
{
	int status = -1;

	if (t->pid <= 0)
		return -1;
	if (t->in)
		fclose(t->in);
	if (t->out)
		fclose(t->out);
	t->in = t->out = NULL;
	if (waitpid(t->pid, &status, 0) < 0)
		status = -1;
	t->pid = 0;
	return status;
}

/* Kill and reap (teardown path: must not block). */
static inline void kt_kill(struct kt *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
	}
	if (t->in)
		fclose(t->in);
	if (t->out)
		fclose(t->out);
	memset(t, 0, sizeof(*t));
}

static inline int rw_dev_open(void)
{
	return open(RACEWATCH_DEVICE, O_RDWR | O_NONBLOCK | O_CLOEXEC);
}

static inline struct racewatch_watch rw_req(pid_t pid, unsigned long addr, __u32 len, __u32 kind,
					    __u32 flags)
{
	struct racewatch_watch w;

	memset(&w, 0, sizeof(w));
	w.size = sizeof(w);
	w.pid = pid;
	w.addr = addr;
	w.len = len;
	w.kind = kind;
	w.flags = flags;
	return w;
}

/* WATCH; returns the new id (> 0) or -errno. */
static inline int rw_watch(int fd, pid_t pid, unsigned long addr, __u32 len, __u32 kind,
			   __u32 flags)
{
	struct racewatch_watch w = rw_req(pid, addr, len, kind, flags);

	if (ioctl(fd, RACEWATCH_IOC_WATCH, &w))
		return -errno;
	return (int)w.id;
}

static inline int rw_unwatch(int fd, __u32 id)
{
	struct racewatch_unwatch u;

	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.id = id;
	return ioctl(fd, RACEWATCH_IOC_UNWATCH, &u) ? -errno : 0;
}

static inline int rw_stats(int fd, struct racewatch_stats *st)
{
	memset(st, 0xcc, sizeof(*st));
	st->size = sizeof(*st);
	return ioctl(fd, RACEWATCH_IOC_GET_STATS, st) ? -errno : 0;
}

/* LIST into @wi (room @room); returns the session's watch count or -errno. */
static inline int rw_list(int fd, struct racewatch_watch_info *wi, __u32 room)
{
	struct racewatch_list l;

	memset(&l, 0, sizeof(l));
	if (room)
		memset(wi, 0xcc, room * sizeof(*wi));
	l.size = sizeof(l);
	l.count = room;
	l.watches = (__u64)(unsigned long)wi;
	if (ioctl(fd, RACEWATCH_IOC_LIST, &l))
		return -errno;
	return (int)l.count;
}

#define RW_MAX_RECS	8192

/**
 * struct rw_recs - records drained from a session
 * @n: access records in @r
 * @r: pointers into @buf
 * @narm: arming records (RACEWATCH_REC_ARM) in @arm
 * @arm: pointers into @buf
 * @buf: raw bytes as read()
 */
struct rw_recs {
	int n;
	struct racewatch_access *r[RW_MAX_RECS];
	int narm;
	struct racewatch_arm *arm[RW_MAX_RECS];
	__u64 buf[RW_MAX_RECS * 48];
};

/*
 * Read every queued record (the fd is non-blocking). Records are queued by
 * the trap itself, so once the target answered a command its accesses are
 * all here. Returns the count or -errno.
 */
static inline int rw_drain(int fd, struct rw_recs *rr)
{
	size_t used = 0, off;
	ssize_t n;

	rr->n = rr->narm = 0;
	for (;;) {
		if (sizeof(rr->buf) - used < 4096)
			return -ENOSPC;
		n = read(fd, (char *)rr->buf + used, 4096);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		for (off = used; off < used + (size_t)n;) {
			struct racewatch_access *a = (void *)((char *)rr->buf + off);

			if (a->type == RACEWATCH_REC_ARM) {
				if (a->size != sizeof(struct racewatch_arm) || rr->narm == RW_MAX_RECS)
					return -EPROTO;
				rr->arm[rr->narm++] = (struct racewatch_arm *)a;
			} else {
				if (a->type != RACEWATCH_REC_ACCESS || a->size < sizeof(*a) ||
				    rr->n == RW_MAX_RECS)
					return -EPROTO;
				rr->r[rr->n++] = a;
			}
			off += a->size;
		}
		used += n;
	}
	return rr->n;
}

/* Number of lines in the kernel log matching an oops/warning pattern. */
static inline int rw_dmesg_bad_lines(void)
{
	static const char *const bad[] = { "BUG", "WARNING", "Oops", "RIP:" };
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, *line, *save;
	int n = 0;
	size_t i;

	if (len <= 0)
		return -1;
	buf = calloc(1, len + 1);
	if (!buf)
		return -1;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	if (len < 0) {
		free(buf);
		return -1;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
			if (strstr(line, bad[i])) {
				n++;
				break;
			}
	free(buf);
	return n;
}

#endif /* KMOD_UTIL_H */
