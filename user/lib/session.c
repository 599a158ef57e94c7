// SPDX-License-Identifier: GPL-2.0
/*
 * session: read both sources as records arrive, keep the engine's view of the
 * processes current (maps snapshots for symbolization as soon as a process is
 * seen), and print either reports or raw access records.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "kdev.h"
#include "session.h"
#include "sync_source.h"

struct rw_session {
	struct rw_session_opts o;
	struct kdev *dev;
	struct sync_source *sync;
	struct rw_engine *eng;
	int epfd;
	__u64 records;
	__u64 syncs;
	pid_t *seen;		/* processes whose maps the engine has */
	int nr_seen, cap_seen;
	int err;		/* first error inside a callback */
};

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Give the engine pid's maps the first time pid shows up (or again if forced). */
static void session_see_pid(struct rw_session *s, pid_t pid, bool again)
{
	int i;

	for (i = 0; i < s->nr_seen; i++)
		if (s->seen[i] == pid)
			break;
	if (i < s->nr_seen && !again)
		return;
	if (i == s->nr_seen) {
		if (s->nr_seen == s->cap_seen) {
			int cap = s->cap_seen ? 2 * s->cap_seen : 16;
			pid_t *p = realloc(s->seen, cap * sizeof(*p));

			if (!p)
				return;
			s->seen = p;
			s->cap_seen = cap;
		}
		s->seen[s->nr_seen++] = pid;
	}
	/* A process that is already gone keeps whatever snapshot it had. */
	rw_engine__snapshot_pid(s->eng, pid);
}

static void print_raw(FILE *out, const struct racewatch_access *r)
{
	char comm[sizeof(r->comm) + 1] = {};
	__u32 i;

	memcpy(comm, r->comm, sizeof(r->comm));
	fprintf(out,
		"time_ns=%" PRIu64 " seq=%" PRIu64 " watch=%u pid=%u tid=%u comm=%s cpu=%u "
		"access=%s addr=0x%" PRIx64 " len=%u value=",
		(uint64_t)r->time_ns, (uint64_t)r->seq, r->watch_id, r->pid, r->tid, comm, r->cpu,
		r->access == RACEWATCH_ACCESS_WRITE ? "write" : "read", (uint64_t)r->addr, r->len);
	if (r->flags & RACEWATCH_ACCESS_F_VALUE_OK)
		fprintf(out, "0x%" PRIx64, (uint64_t)r->value);
	else
		fputs("?", out);
	fprintf(out, " ip=0x%" PRIx64 " sp=0x%" PRIx64 " stack=", (uint64_t)r->regs.ip,
		(uint64_t)r->regs.sp);
	for (i = 0; i < r->nr_stack; i++)
		fprintf(out, "%s0x%" PRIx64, i ? "," : "", (uint64_t)r->stack[i]);
	fputc('\n', out);
	fflush(out);
}

static int on_access(void *ctx, const struct racewatch_access *rec)
{
	struct rw_session *s = ctx;
	int err;

	s->records++;
	if (s->o.raw) {
		print_raw(s->o.out, rec);
		return 0;
	}
	session_see_pid(s, rec->pid, false);
	err = rw_engine__push(s->eng, rec, rec->size);
	if (err && !s->err)
		s->err = err;
	return 0;
}

static int on_sync(void *ctx, const struct rw_sync_event *ev)
{
	struct rw_session *s = ctx;
	int err;

	s->syncs++;
	if (ev->op == RW_OP_FORK)
		session_see_pid(s, ev->arg, false);
	else if (ev->op == RW_OP_EXEC)
		session_see_pid(s, ev->pid, true);
	err = rw_engine__push(s->eng, ev, sizeof(*ev));
	if (err && !s->err)
		s->err = err;
	return 0;
}

static int session_epoll_add(struct rw_session *s, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	return 0;
}

static int session_open_sources(struct rw_session *s)
{
	struct kdev_opts kopts = {
		.sz = sizeof(kopts), .on_record = on_access, .ctx = s,
	};
	int err;

	err = kdev__open(&kopts, &s->dev);
	if (err) {
		fprintf(stderr, "racewatch: cannot open %s: %s%s\n", RACEWATCH_DEVICE,
			strerror(-err), err == -ENOENT ? " (is racewatch.ko loaded?)" : "");
		return err;
	}
	err = session_epoll_add(s, kdev__fd(s->dev));
	if (err || s->o.raw)
		return err;

	struct sync_source_opts sopts = {
		.sz = sizeof(sopts),
		.follow_children = s->o.follow_children,
		.verbose = s->o.verbose,
		.on_event = on_sync,
		.ctx = s,
	};
	s->sync = sync_source__new(&sopts);
	if (!s->sync) {
		err = -errno;
		fprintf(stderr, "racewatch: cannot load the sync tracer: %s\n", strerror(-err));
		return err;
	}
	return session_epoll_add(s, sync_source__fd(s->sync));
}

int rw_session__new(const struct rw_session_opts *opts, struct rw_session **out)
{
	struct rw_session *s;
	int err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (opts)
		memcpy(&s->o, opts, opts->sz < sizeof(s->o) ? opts->sz : sizeof(s->o));
	if (!s->o.out)
		s->o.out = stdout;
	if (!s->o.kind)
		s->o.kind = RACEWATCH_KIND_RW;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		err = -errno;
		free(s);
		return err;
	}
	if (!s->o.raw) {
		struct rw_engine_opts eo = {
			.sz = sizeof(eo),
			.out = s->o.out,
			.format = s->o.format,
			.reorder_ns = s->o.reorder_ns,
			.record_path = s->o.record_path,
			.drain_only = true,	/* two rings, read one after the other */
		};

		s->eng = rw_engine__new(&eo);
		if (!s->eng) {
			err = errno ? -errno : -ENOMEM;
			fprintf(stderr, "racewatch: cannot start the engine: %s\n", strerror(-err));
			goto err_free;
		}
	}
	err = session_open_sources(s);
	if (err)
		goto err_free;
	*out = s;
	return 0;

err_free:
	rw_session__free(s);
	return err;
}

int rw_session__add_pid(struct rw_session *s, pid_t pid)
{
	int err;

	if (s->o.raw)
		return 0;
	session_see_pid(s, pid, false);
	err = sync_source__add_pid(s->sync, pid);
	if (err == -EEXIST)
		return 0;
	if (err)
		fprintf(stderr, "racewatch: cannot trace the synchronization of process %d: %s\n",
			pid, sync_source__errmsg(s->sync));
	return err;
}

static int parse_addr(const char *spec, __u64 *addr, __u32 *len)
{
	char *end;

	errno = 0;
	*addr = strtoull(spec, &end, 16);
	if (errno || end == spec + 2)
		return -EINVAL;
	*len = 8;
	if (*end == ':') {
		const char *l = end + 1;

		*len = strtoul(l, &end, 0);
		if (end == l)
			return -EINVAL;
	}
	return *end ? -EINVAL : 0;
}

int rw_session__watch(struct rw_session *s, pid_t pid, const char *spec)
{
	struct racewatch_watch w;
	char *name = NULL;
	__u64 addr;
	__u32 len;
	int err;

	if (!strncmp(spec, "0x", 2)) {
		err = parse_addr(spec, &addr, &len);
		if (err) {
			fprintf(stderr, "racewatch: '%s': expected 0xADDR[:LEN]\n", spec);
			return err;
		}
	} else {
		err = rw_elfsym__resolve(pid, spec, &addr, &len, &name);
		if (err)
			return err; /* the resolver said why */
	}
	err = kdev__watch(s->dev, pid, addr, len, s->o.kind, 0, &w);
	if (err) {
		fprintf(stderr, "racewatch: watch %s (0x%llx, %u bytes) in process %d: %s\n", spec,
			(unsigned long long)addr, len, pid, kdev__watch_strerror(err));
		goto out;
	}
	if (s->eng) {
		struct rw_watch_desc d = {
			.sz = sizeof(d), .id = w.id, .pid = pid, .addr = addr, .len = len,
			.name = name ? name : spec,
		};

		err = rw_engine__add_watch(s->eng, &d);
		if (err) {
			fprintf(stderr, "racewatch: watch %s: %s\n", spec, strerror(-err));
			goto out;
		}
	}
	if (s->o.verbose)
		fprintf(stderr, "racewatch: watch %u: %s at 0x%llx (%u bytes) in process %d, %u thread(s)\n",
			w.id, name ? name : spec, (unsigned long long)addr, len, pid, w.threads);
out:
	free(name);
	return err;
}

static int session_consume(struct rw_session *s)
{
	int err;

	err = kdev__consume(s->dev);
	if (err < 0) {
		fprintf(stderr, "racewatch: reading access records: %s\n", strerror(-err));
		return err;
	}
	if (s->sync) {
		err = sync_source__consume(s->sync);
		if (err < 0) {
			fprintf(stderr, "racewatch: reading sync events: %s\n", strerror(-err));
			return err;
		}
	}
	if (s->err) {
		fprintf(stderr, "racewatch: engine: %s\n", strerror(-s->err));
		return s->err;
	}
	return 0;
}

int rw_session__poll(struct rw_session *s, int timeout_ms)
{
	struct epoll_event evs[4];
	__u64 t0;
	int err;

	if (epoll_wait(s->epfd, evs, 4, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	/*
	 * Every record stamped before t0 is in one of the rings by now, so once
	 * both are read the engine may go up to t0 (less its window, which
	 * covers records stamped but not yet committed). Taking the time after
	 * reading instead would let a slow read of one ring (symbolization
	 * snapshots happen there) pass records still waiting in the other.
	 */
	t0 = now_ns();
	err = session_consume(s);
	if (err)
		return err;
	if (s->eng)
		return rw_engine__drain(s->eng, t0);
	return 0;
}

void rw_session__stats(struct rw_session *s, struct rw_session_stats *st)
{
	struct racewatch_stats ks;

	memset(st, 0, sizeof(*st));
	st->records = s->records;
	st->syncs = s->syncs;
	if (s->dev && !kdev__stats(s->dev, &ks))
		st->kdev_dropped = ks.dropped;
	if (s->sync)
		st->sync_dropped = sync_source__drops(s->sync);
	if (s->eng)
		st->races = rw_engine__races(s->eng);
}

int rw_session__finish(struct rw_session *s)
{
	struct rw_session_stats st;
	int err;

	err = session_consume(s);
	if (s->eng) {
		int ferr = rw_engine__finish(s->eng);

		if (!err)
			err = ferr;
	}
	rw_session__stats(s, &st);
	fprintf(stderr, "racewatch: %llu access records, %llu sync events",
		(unsigned long long)st.records, (unsigned long long)st.syncs);
	if (st.kdev_dropped || st.sync_dropped)
		fprintf(stderr, "; LOST %llu access records and %llu sync events (rings full)",
			(unsigned long long)st.kdev_dropped, (unsigned long long)st.sync_dropped);
	fputc('\n', stderr);
	return err;
}

void rw_session__free(struct rw_session *s)
{
	if (!s)
		return;
	sync_source__free(s->sync);
	kdev__free(s->dev);
	rw_engine__free(s->eng);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->seen);
	free(s);
}
