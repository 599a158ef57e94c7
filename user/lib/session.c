// SPDX-License-Identifier: GPL-2.0
/*
 * session: read both sources as records arrive, keep the engine's view of the
 * processes current (maps snapshots for symbolization as soon as a process is
 * seen), and print either reports or raw access records.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kdev.h"
#include "rotation.h"
#include "session.h"
#include "shmtarget.h"
#include "summary.h"
#include "symres.h"
#include "sync_source.h"

/* How long a replaced watch id stays known to the engine after its last record could come. */
#define RETIRE_MARGIN_NS	(1000ull * 1000 * 1000)
#define DEFAULT_WINDOW_NS	(20ull * 1000 * 1000)

/**
 * struct rw_sloc - one location the session was asked to watch
 * @pid: a location of one process: that process; a shared-file field: the
 *	scope of its file watch (0: every process)
 * @addr: address in @pid (0 for a shared-file field)
 * @len: length
 * @name: what the user called it
 * @shm: a shared-file field (RACEWATCH_IOC_WATCH_FILE, armed in every
 *	process that maps it), else NULL; a field matched by name is matched
 *	by the inode it was bound to from the first arming that bound it on
 * @key: the engine's location key (RW_KEY_NONE: private, by pid and address)
 * @id: kernel watch id while armed, else 0
 * @eng_id: the newest watch id the engine knows for it (0: none yet); kept
 *	while the location rests, so the engine keeps its state
 * @pick: in the armed set the current rotation round chose
 * @gone: not armed again (its process is gone, or arming failed for good)
 * @gone_err: why (-ESRCH: the process is gone)
 * @gone_ns: when
 * @since_ns: when it was asked for; coverage is a share of the time since
 * @armed_since: when it was armed last
 * @armed_ns: time armed before @armed_since
 * @arms: times armed
 * @watch: the watch group it belongs to (rw_session__begin_watch())
 * @hits: access records read (the session caller's thread only)
 * @removed: taken away by rw_session__unwatch()
 * @missed: turns it was chosen for and could not be armed (no free debug
 *	register in a thread of its process: a debugger holds them)
 * @procs_armed: shared-file field: process armings of its watches undone so far
 * @procs_failed: shared-file field: processes of its watches undone so far
 *	that mapped it and could not be armed (no free debug register)
 * @procs_skipped: shared-file field: the same, for lack of ptrace rights
 * @file_hits: shared-file field: records its watches undone so far produced
 *	(dropped ones included)
 */
struct rw_sloc {
	pid_t pid;
	__u64 addr;
	__u32 len;
	char name[RW_WATCH_NAME_LEN];
	struct rw_shm_target *shm;
	struct rw_key key;
	__u32 id;
	__u32 eng_id;
	bool pick;
	bool gone;
	int gone_err;
	__u64 gone_ns;
	__u64 since_ns;
	__u64 armed_since;
	__u64 armed_ns;
	__u32 arms;
	__u32 watch;
	__u64 hits;
	bool removed;
	__u64 missed;
	__u64 procs_armed;
	__u64 procs_failed;
	__u64 procs_skipped;
	__u64 file_hits;
};

/**
 * struct rw_sfile - a shared-memory watch
 * @id: the module's watch id
 * @watch: the watch group it belongs to
 * @name: its location's name
 * @removed: taken away by rw_session__unwatch()
 * @exe: an executable watch (rw_session__watch_exe())
 */
struct rw_sfile {
	__u32 id;
	__u32 watch;
	char name[RW_WATCH_NAME_LEN];
	bool removed;
	bool exe;
};

/**
 * struct rw_idloc - which location a kernel watch id counts hits for
 * @id: watch id
 * @loc: index in the session's locations
 */
struct rw_idloc {
	__u32 id;
	int loc;
};

/**
 * struct rw_retired - a replaced watch id the engine forgets at @after_ns
 * @id: watch id
 * @after_ns: drain time after which no record of it can be pending
 */
struct rw_retired {
	__u32 id;
	__u64 after_ns;
};

/**
 * struct rw_pending - a watch made by the rotation thread, for the engine
 * @d: its description (@d.name points at @name)
 * @name: copy of the location's name
 * @retire: the location's previous watch id, forgotten later (0: none)
 * @loc: index of the location
 */
struct rw_pending {
	struct rw_watch_desc d;
	char name[RW_WATCH_NAME_LEN];
	__u32 retire;
	int loc;
};

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
	struct rw_sloc *locs;	/* every location asked for, armed or resting */
	int nr_locs, cap_locs;
	bool rotating;		/* the locations do not all fit: rotate them */
	int places;		/* locations a thread can hold at once */
	int cursor;		/* first location of the next rotation group */
	__u64 period_ns;
	__u64 next_rotate_ns;
	__u64 start_ns;		/* first arming; coverage is a share of the time since */
	__u64 end_ns;		/* rw_session__finish() began: coverage stops there */
	__u64 rotations;
	__u64 switch_ns;	/* time spent inside rotation rounds (UNWATCH + WATCH) */
	__u64 starved;		/* rounds in which nothing could be armed */
	struct rw_retired *retired;
	int nr_retired, cap_retired;
	/*
	 * Rotation runs in its own thread, on time whatever the engine is busy
	 * with. @lock covers @locs, the rotation state above, @retired and
	 * @pending; the engine is only touched by the session's caller, which
	 * takes new watch ids from @pending before it can see their records.
	 */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t rotator;
	bool rotator_on;
	bool stop;
	int in_round;		/* a round is under way (atomic) */
	int nr_pending_now;	/* nr_pending, read without the lock (atomic) */
	struct rw_pending *pending;
	int nr_pending, cap_pending;
	int nr_shm;		/* shared-memory fields among @locs: any process may show up */
	struct rw_sfile *files;	/* executable watches (not rotated) */
	int nr_files, cap_files;
	__u32 cur_watch;	/* group of the watches made now (rw_session__begin_watch()) */
	__u32 last_watch;
	/* kernel watch id -> location, for hit counts (the caller's thread only) */
	struct rw_idloc *idlocs;
	int nr_idlocs, cap_idlocs;
	__u64 sync_by_op[RW_OP_MAX + 1];
	/*
	 * Processes a file or executable watch armed before their
	 * synchronization was traced; for those an executable watch armed
	 * (@hold_back), accesses before @since_ns are not checked (see
	 * session_file_pid()), and counted in @untraced.
	 */
	struct rw_late {
		pid_t pid;
		__u64 since_ns;		/* tracing in place since; ~0: not traced */
		__u64 first_ns;		/* first attempt */
		__u64 last_ns;		/* latest attempt */
		bool pending;		/* not traceable yet: try again */
		bool hold_back;		/* do not check accesses before @since_ns */
	} *late;
	int nr_late, cap_late;
	__u64 untraced;
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

static int grow(void **arr, int *cap, int nr, size_t elem);

/* How often, and how long, to try again to trace a process not traceable yet. */
#define LATE_RETRY_NS		(5ull * 1000 * 1000)
#define LATE_GIVE_UP_NS		(5ull * 1000 * 1000 * 1000)

/*
 * Attach the sync tracer to a late process. One that execs a dynamic
 * program is armed before the dynamic loader has mapped libc: nothing can
 * be probed yet (-ENOENT), so it is tried again (at its records and at
 * every poll) until it can, for a while.
 */
static void session_trace_late(struct rw_session *s, struct rw_late *l)
{
	__u64 now = now_ns();
	int err;

	l->last_ns = now;
	err = sync_source__add_pid(s->sync, l->pid);
	if (!err || err == -EEXIST) {
		l->since_ns = now_ns();
		l->pending = false;
		return;
	}
	if (err == -ENOENT && now - l->first_ns < LATE_GIVE_UP_NS)
		return;
	l->pending = false;
	if (err != -ESRCH)
		fprintf(stderr, "racewatch: cannot trace the synchronization of process %d: %s; "
			"its accesses are not checked\n", l->pid, sync_source__errmsg(s->sync));
}

static struct rw_late *session_late(struct rw_session *s, pid_t pid)
{
	int i;

	for (i = s->nr_late - 1; i >= 0; i--)
		if (s->late[i].pid == pid)
			return &s->late[i];
	return NULL;
}

/*
 * A process armed by a file or executable watch that the sync tracer does
 * not follow yet (it mapped the segment or started the executable after the
 * watch was made, or outside the traced tree): trace it from now on, as soon
 * as its arming record (or, without one, its first access) is read. Its
 * synchronization before the probes are in place is not seen.
 *
 * A process that just exec'd the executable of an executable watch
 * (@hold_back) spends that time starting up: creating its threads, taking
 * its first locks. Its accesses stamped before its probes were in place are
 * not checked: a happens-before path between two later accesses only goes
 * through events after the earlier of them, all traced, so the rest are
 * checked without invented races. A process that maps a shared segment
 * later is usually past its start-up and often short-lived (it maps, races,
 * leaves): its early accesses are checked, at the risk of a lock taken
 * before its probes were in place being missed.
 */
static void session_file_pid(struct rw_session *s, pid_t pid, bool hold_back)
{
	struct rw_late *l = session_late(s, pid);
	int i;

	if (l) {
		if (l->pending && now_ns() - l->last_ns >= LATE_RETRY_NS)
			session_trace_late(s, l);
		return;
	}
	for (i = 0; i < s->nr_seen; i++)
		if (s->seen[i] == pid)
			return;		/* traced from its fork, or tried already */
	/* Its maps first: a short-lived process may be gone once the probes are attached. */
	session_see_pid(s, pid, false);
	if (!s->sync || sync_source__watching(s->sync, pid))
		return;
	if (grow((void **)&s->late, &s->cap_late, s->nr_late, sizeof(*s->late)))
		return;
	l = &s->late[s->nr_late++];
	*l = (struct rw_late){ .pid = pid, .since_ns = ~0ull, .first_ns = now_ns(), .pending = true,
			       .hold_back = hold_back };
	session_trace_late(s, l);
}

/* Try again the late processes not traceable so far. */
static void session_retry_late(struct rw_session *s)
{
	__u64 now = now_ns();
	int i;

	for (i = 0; i < s->nr_late; i++)
		if (s->late[i].pending && now - s->late[i].last_ns >= LATE_RETRY_NS)
			session_trace_late(s, &s->late[i]);
}

/* Was @rec made before its process's synchronization was traced? */
static bool session_untraced(struct rw_session *s, const struct racewatch_access *rec)
{
	struct rw_late *l = session_late(s, rec->pid);

	return l && l->hold_back && rec->time_ns < l->since_ns;
}

static void session_sync_ids(struct rw_session *s);

static void session_count_hit(struct rw_session *s, __u32 id)
{
	int i;

	for (i = 0; i < s->nr_idlocs; i++)
		if (s->idlocs[i].id == id) {
			s->locs[s->idlocs[i].loc].hits++;
			return;
		}
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
	if (s->nr_files || s->nr_shm) {
		session_file_pid(s, rec->pid, false);
		if (session_untraced(s, rec)) {
			s->untraced++;
			return 0;
		}
	}
	session_see_pid(s, rec->pid, false);
	session_sync_ids(s);
	session_count_hit(s, rec->watch_id);
	err = rw_engine__push(s->eng, rec, rec->size);
	if (err && !s->err)
		s->err = err;
	return 0;
}

/* A file or executable watch armed a process: trace it before it gets far. */
static int on_arm(void *ctx, const struct racewatch_arm *rec)
{
	struct rw_session *s = ctx;
	bool exe = false;
	int i;

	if (s->o.raw)
		return 0;
	for (i = 0; i < s->nr_files; i++)
		if (s->files[i].id == rec->watch_id)
			exe = s->files[i].exe;
	session_file_pid(s, rec->pid, exe);
	return 0;
}

static int on_sync(void *ctx, const struct rw_sync_event *ev)
{
	struct rw_session *s = ctx;
	int err;

	s->syncs++;
	if (ev->op <= RW_OP_MAX)
		s->sync_by_op[ev->op]++;
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
		.sz = sizeof(kopts), .on_record = on_access, .ctx = s, .on_arm = on_arm,
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
	s->period_ns = (__u64)(s->o.rotate_ms ? s->o.rotate_ms : RW_SESSION_ROTATE_MS) * 1000000;
	{
		pthread_condattr_t ca;

		pthread_mutex_init(&s->lock, NULL);
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&s->wake, &ca);
		pthread_condattr_destroy(&ca);
	}
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
			.on_report = s->o.on_report,
			.ctx = s->o.report_ctx,
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
	/* locations one thread holds at once: its debug registers / registers per location */
	s->places = kdev__info(s->dev)->slots / (s->o.kind == RACEWATCH_KIND_RW ? 2 : 1);
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

static int grow(void **arr, int *cap, int nr, size_t elem)
{
	void *p;
	int c;

	if (nr < *cap)
		return 0;
	c = *cap ? 2 * *cap : 8;
	p = realloc(*arr, c * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

/* The engine may forget @id once every record of it has been drained. */
static void session_retire(struct rw_session *s, __u32 id)
{
	__u64 window = s->o.reorder_ns ? s->o.reorder_ns : DEFAULT_WINDOW_NS;

	if (grow((void **)&s->retired, &s->cap_retired, s->nr_retired, sizeof(*s->retired))) {
		/* Keeping it known costs a few bytes; forgetting it early loses records. */
		return;
	}
	s->retired[s->nr_retired++] = (struct rw_retired){
		.id = id, .after_ns = now_ns() + window + RETIRE_MARGIN_NS,
	};
}

static void session_forget_idloc(struct rw_session *s, __u32 id)
{
	int i;

	for (i = 0; i < s->nr_idlocs; i++)
		if (s->idlocs[i].id == id) {
			s->idlocs[i] = s->idlocs[--s->nr_idlocs];
			return;
		}
}

static void session_forget_retired(struct rw_session *s, __u64 drained_ns)
{
	int i, j;

	pthread_mutex_lock(&s->lock);
	for (i = j = 0; i < s->nr_retired; i++) {
		if (s->retired[i].after_ns <= drained_ns) {
			rw_engine__remove_watch(s->eng, s->retired[i].id);
			session_forget_idloc(s, s->retired[i].id);
		} else
			s->retired[j++] = s->retired[i];
	}
	s->nr_retired = j;
	pthread_mutex_unlock(&s->lock);
}

/* Give the engine the watch ids made since last time (caller holds s->lock). */
static void session_apply_pending(struct rw_session *s)
{
	int i, err;

	for (i = 0; i < s->nr_pending; i++) {
		struct rw_pending *p = &s->pending[i];

		p->d.name = p->name;
		err = rw_engine__add_watch(s->eng, &p->d);
		if (err && !s->err)
			s->err = err;
		if (!grow((void **)&s->idlocs, &s->cap_idlocs, s->nr_idlocs, sizeof(*s->idlocs)))
			s->idlocs[s->nr_idlocs++] = (struct rw_idloc){ .id = p->d.id, .loc = p->loc };
		if (p->retire)
			session_retire(s, p->retire);
	}
	s->nr_pending = 0;
	__atomic_store_n(&s->nr_pending_now, 0, __ATOMIC_SEQ_CST);
}

/*
 * A record may name a watch made by a round still under way, or made since
 * the ids were last taken: wait for the round (it holds the lock) and take
 * them. Called for every access record, so the common case takes no lock.
 */
static void session_sync_ids(struct rw_session *s)
{
	if (!s->eng || (!__atomic_load_n(&s->in_round, __ATOMIC_SEQ_CST) &&
			!__atomic_load_n(&s->nr_pending_now, __ATOMIC_SEQ_CST)))
		return;
	pthread_mutex_lock(&s->lock);
	session_apply_pending(s);
	pthread_mutex_unlock(&s->lock);
}

/* The kernel's count of @l's process armings, added to @l's (a shared-file field). */
static void session_file_count(struct rw_session *s, struct rw_sloc *l)
{
	struct racewatch_file_stat fs;

	if (rw_shm__stat(kdev__fd(s->dev), l->id, &fs))
		return;
	l->procs_armed += fs.armed;
	l->procs_failed += fs.failed;
	l->procs_skipped += fs.skipped;
	l->file_hits += fs.hits;
}

/*
 * RACEWATCH_IOC_WATCH_FILE for @l. *@unarmed gets the processes that map
 * the field and could not be armed (no free debug register). A field
 * matched by name that the kernel bound to a file is matched by that file's
 * inode from now on, so a later segment of the same name is not taken for it.
 */
static int session_arm_file(struct rw_session *s, struct rw_sloc *l, __u32 *id,
			    __u64 *unarmed)
{
	struct racewatch_watch_file w;
	struct racewatch_file_stat fs;
	int err;

	err = rw_shm__watch(kdev__fd(s->dev), l->shm, s->o.kind, l->pid, &w);
	if (err)
		return err;
	*id = w.id;
	if (rw_shm__stat(kdev__fd(s->dev), w.id, &fs))
		return 0;
	*unarmed = fs.failed;
	if (l->shm->by_name && fs.ino) {
		l->shm->by_name = false;
		l->shm->ino = fs.ino;
	}
	if (w.skipped && !l->arms)
		fprintf(stderr, "racewatch: %s: %u process(es) map it but cannot be traced "
			"(no CAP_SYS_PTRACE over them): skipped\n", l->name, w.skipped);
	/* the first arming is told by rw_session__watch_shm(), once its mappers are traced */
	if (s->o.verbose && l->arms)
		fprintf(stderr, "racewatch: %s: watch %u armed in %u process(es)\n", l->name,
			w.id, w.processes);
	return 0;
}

/*
 * Arm @l under a new watch id (caller holds s->lock). The engine learns the
 * new id (session_apply_pending()) before it forgets the old one, so the
 * location (keyed by pid and address, or by the shared file's key) and its
 * happens-before state stay the same across rotations. For a shared-file
 * field, *@unarmed gets the processes mapping it that could not be armed.
 */
static int session_arm(struct rw_session *s, struct rw_sloc *l, __u64 *unarmed)
{
	struct racewatch_watch w;
	__u32 id;
	int err;

	*unarmed = 0;
	if (s->eng) {
		err = grow((void **)&s->pending, &s->cap_pending, s->nr_pending,
			   sizeof(*s->pending));
		if (err)
			return err;
	}
	if (l->shm) {
		err = session_arm_file(s, l, &id, unarmed);
	} else {
		err = kdev__watch(s->dev, l->pid, l->addr, l->len, s->o.kind, 0, &w);
		id = w.id;
		if (!err && s->o.verbose)
			fprintf(stderr, "racewatch: watch %u: %s at 0x%llx (%u bytes) in process "
				"%d, %u thread(s)\n", id, l->name, (unsigned long long)l->addr,
				l->len, l->pid, w.threads);
	}
	if (err)
		return err;
	if (s->eng) {
		struct rw_pending *p = &s->pending[s->nr_pending++];

		memset(p, 0, sizeof(*p));
		p->d.sz = sizeof(p->d);
		p->d.id = id;
		p->d.pid = l->pid > 0 ? l->pid : 0;
		p->d.addr = l->addr;
		p->d.len = l->len;
		p->d.key = l->key;
		snprintf(p->name, sizeof(p->name), "%s", l->name);
		p->retire = l->eng_id;
		p->loc = l - s->locs;
		l->eng_id = id;
		__atomic_store_n(&s->nr_pending_now, s->nr_pending, __ATOMIC_SEQ_CST);
	}
	l->id = id;
	l->armed_since = now_ns();
	if (!s->start_ns)
		s->start_ns = l->armed_since;
	l->arms++;
	return 0;
}

/*
 * Undo @l's watch. With @count, a shared-file field's process armings are
 * added to its figures; without, the arming is taken back as if it had not
 * been made (a round arms a field again once it made room).
 */
static void session_disarm(struct rw_session *s, struct rw_sloc *l, bool count)
{
	int err;

	if (!l->id)
		return;
	if (l->shm && count)
		session_file_count(s, l);
	err = kdev__unwatch(s->dev, l->id);
	if (err)
		fprintf(stderr, "racewatch: unwatch %s (watch %u): %s\n", l->name, l->id,
			strerror(-err));
	l->armed_ns += now_ns() - l->armed_since;
	l->id = 0;
	if (!count)
		l->arms--;
}

/* Time @l was armed so far, its current turn included. */
static __u64 session_armed_time(const struct rw_sloc *l, __u64 now)
{
	return l->armed_ns + (l->id && now > l->armed_since ? now - l->armed_since : 0);
}

/* The end of @l's watched time: the session's end, the moment it was gone, or @now. */
static __u64 session_until(const struct rw_session *s, const struct rw_sloc *l, __u64 now)
{
	if (s->end_ns && s->end_ns < now)
		now = s->end_ns;
	if (l->gone && l->gone_ns < now)
		now = l->gone_ns;
	return now;
}

/* The planner's view of the locations (caller frees). */
static struct rw_rot_loc *session_rot_view(struct rw_session *s, int n)
{
	struct rw_rot_loc *v = calloc(n ? n : 1, sizeof(*v));
	__u64 now = now_ns(), until;
	int i;

	for (i = 0; v && i < n; i++) {
		struct rw_sloc *l = &s->locs[i];

		until = session_until(s, l, now);
		v[i].pid = l->shm ? 0 : l->pid;
		v[i].armed_ns = session_armed_time(l, until);
		v[i].watched_ns = until > l->since_ns ? until - l->since_ns : 0;
		v[i].gone = l->gone;
	}
	return v;
}

/*
 * A location armed now that the round has not confirmed (@pick unset), to
 * make room for @l: first one the round's set leaves out (@want unset),
 * then one it was to keep but ranks after @l; among those, one that frees a
 * place where @l needs it first — for a shared-file field any (a field
 * frees a place in every process), for a location of one process a
 * shared-file field or another location of that process. NULL if none.
 */
static struct rw_sloc *session_outgoing(struct rw_session *s, const struct rw_sloc *l,
					const bool *want)
{
	struct rw_sloc *best = NULL;
	int i, score, best_score = 0;

	for (i = 0; i < s->nr_locs; i++) {
		struct rw_sloc *o = &s->locs[i];

		if (!o->id || o->pick || o == l)
			continue;
		score = (want[i] ? 0 : 2) + (o->shm || (!l->shm && o->pid == l->pid));
		if (!best || score > best_score) {
			best = o;
			best_score = score;
		}
	}
	return best;
}

static void session_give_up(struct rw_session *s, struct rw_sloc *l, int err)
{
	int i;

	l->gone = true;
	l->gone_err = err;
	l->gone_ns = now_ns();
	if (err != -ESRCH || s->o.verbose)
		fprintf(stderr, "racewatch: %s in process %d is no longer watched: %s\n",
			l->name, l->pid, kdev__watch_strerror(err));
	if (err != -ESRCH)
		return;
	/* The process is gone: so are its other locations (and fields scoped to it). */
	for (i = 0; i < s->nr_locs; i++) {
		struct rw_sloc *o = &s->locs[i];

		if (o->gone || o->pid != l->pid)
			continue;
		session_disarm(s, o, true);
		o->gone = true;
		o->gone_err = err;
		o->gone_ns = l->gone_ns;
	}
}

/*
 * Arm @l, chosen by the round, in the place of locations the round has not
 * confirmed: one goes first; if @l still does not fit (the kernel answers
 * ENOSPC, or a process mapping the field could not be armed) the partial
 * arming is taken back and another one goes, until none is left. Returns 0
 * (armed — in some processes only, perhaps: counted), -ENOSPC (not armed:
 * counted) or another error of the kernel.
 */
static int session_switch_in(struct rw_session *s, struct rw_sloc *l, const bool *want)
{
	struct rw_sloc *old;
	__u64 unarmed;
	int err;

	old = session_outgoing(s, l, want);
	if (old)
		session_disarm(s, old, true);
	err = session_arm(s, l, &unarmed);
	while ((err == -ENOSPC || (!err && unarmed)) && (old = session_outgoing(s, l, want))) {
		if (!err)
			session_disarm(s, l, false);
		session_disarm(s, old, true);
		err = session_arm(s, l, &unarmed);
	}
	if (err == -ENOSPC)
		l->missed++;
	return err;
}

/*
 * One rotation round. The planner (rotation.c) ranks the locations, the
 * smallest share of their watched time armed first, and chooses as many as
 * fit in a thread's debug registers, counting a shared-file field in every
 * process (any process may map it) and a location of one process in that
 * process only. Choosing by share rather than strictly in turn keeps the
 * shares equal even when rounds last unequally. In rank order, each chosen
 * location stays armed or is armed in the place of one the round has not
 * confirmed, so the other slots stay armed while one is switched (UNWATCH
 * waits for an RCU grace period); where registers are held by someone else
 * (the kernel answers ENOSPC) the ones ranked first get them. Caller holds
 * s->lock.
 */
static void session_rotate(struct rw_session *s)
{
	int i, r, n = s->nr_locs, armed = 0, picked, err, enospc = 0;
	bool want[n ? n : 1];
	int order[n ? n : 1];
	__u64 t0 = now_ns();
	struct rw_rot_loc *v;
	struct rw_sloc *l;

	v = session_rot_view(s, n);
	if (!v)
		return;		/* out of memory: keep the armed set for this period */
	picked = rw_rot__plan(v, n, s->cursor, s->places);
	for (i = 0; i < n; i++) {
		want[i] = picked > 0 && v[i].pick;
		s->locs[i].pick = false;
		order[i] = -1;
	}
	for (i = 0; i < n; i++)
		if (v[i].rank >= 0)
			order[v[i].rank] = i;
	free(v);
	__atomic_store_n(&s->in_round, 1, __ATOMIC_SEQ_CST);
	for (r = 0; r < n && order[r] >= 0; r++) {
		i = order[r];
		l = &s->locs[i];
		if (!want[i] || l->gone)
			continue;
		if (l->id) {
			l->pick = true;	/* its turn again: it stays for this period */
			armed++;
			continue;
		}
		err = session_switch_in(s, l, want);
		if (!err) {
			l->pick = true;
			armed++;
			s->cursor = (i + 1) % n;
		} else if (err == -ENOSPC) {
			enospc++;
		} else {
			session_give_up(s, l, err);
		}
	}
	for (i = 0; i < n; i++)
		if (s->locs[i].id && !s->locs[i].pick)
			session_disarm(s, &s->locs[i], true);
	__atomic_store_n(&s->in_round, 0, __ATOMIC_SEQ_CST);
	s->rotations++;
	s->switch_ns += now_ns() - t0;
	if (!armed && enospc && !s->starved++)
		fprintf(stderr, "racewatch: WARNING: no debug register free in any rotation "
			"group (a debugger?): nothing is armed now\n");
}

/* The rotation thread: a round every period, on time, until told to stop. */
static void *session_rotator(void *arg)
{
	struct rw_session *s = arg;
	struct timespec ts;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		ts.tv_sec = s->next_rotate_ns / 1000000000;
		ts.tv_nsec = s->next_rotate_ns % 1000000000;
		if (pthread_cond_timedwait(&s->wake, &s->lock, &ts) != ETIMEDOUT || s->stop)
			continue;
		session_rotate(s);
		s->next_rotate_ns += s->period_ns;
		if (s->next_rotate_ns <= now_ns())
			s->next_rotate_ns = now_ns() + s->period_ns;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void session_stop_rotator(struct rw_session *s)
{
	if (!s->rotator_on)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->rotator, NULL);
	s->rotator_on = false;
}

static int session_armed_count(const struct rw_session *s)
{
	int i, n = 0;

	for (i = 0; i < s->nr_locs; i++)
		n += s->locs[i].id != 0;
	return n;
}

/* Caller holds s->lock. */
static int session_start_rotation(struct rw_session *s, int first_out)
{
	int err;

	s->rotating = true;
	s->stop = false;	/* a rotation stopped by rw_session__unwatch() may start again */
	s->cursor = first_out;
	s->next_rotate_ns = now_ns() + s->period_ns;
	err = pthread_create(&s->rotator, NULL, session_rotator, s);
	if (err) {
		fprintf(stderr, "racewatch: cannot start the rotation thread: %s\n", strerror(err));
		return -err;
	}
	s->rotator_on = true;
	fprintf(stderr, "racewatch: not every location fits in the free debug registers "
		"(%u per thread, %u per location): rotating the armed set every %llu ms; "
		"coverage is in the summary\n", kdev__info(s->dev)->slots,
		s->o.kind == RACEWATCH_KIND_RW ? 2 : 1,
		(unsigned long long)(s->period_ns / 1000000));
	return 0;
}

/*
 * Take location s->locs[s->nr_locs], filled in by the caller (who holds
 * s->lock). It is armed now if the locations all fit in a thread's debug
 * registers — a shared-file field counted in every process, since any
 * process may map it — and the kernel finds its registers free. Otherwise
 * the session rotates the armed set from now on and it waits for its turn.
 * -ENOSPC only if nothing at all could be armed.
 */
static int session_add(struct rw_session *s)
{
	struct rw_sloc *l = &s->locs[s->nr_locs];
	struct rw_rot_loc *v;
	__u64 unarmed;
	bool fits;
	int err;

	l->since_ns = now_ns();
	if (s->rotating)
		goto take;	/* it waits for its turn like the others */
	v = session_rot_view(s, s->nr_locs + 1);
	if (!v)
		return -ENOMEM;
	fits = rw_rot__fits(v, s->nr_locs + 1, s->places);
	free(v);
	if (!fits)
		goto rotate;
	err = session_arm(s, l, &unarmed);
	if (err == -ENOSPC && session_armed_count(s))
		goto rotate;	/* a debugger holds some registers */
	if (err)
		return err;
	if (unarmed && session_armed_count(s) > 1) {
		/* a process mapping the field has fewer free registers than the others */
		session_disarm(s, l, false);
		goto rotate;
	}
	if (unarmed)
		fprintf(stderr, "racewatch: WARNING: %s: %llu process(es) map it but have no free "
			"debug register: not armed there (counted in the summary)\n", l->name,
			(unsigned long long)unarmed);
	/* armed as soon as asked: watched from then on (a location that fits has 100%) */
	l->since_ns = l->armed_since;
take:
	s->nr_locs++;
	return 0;
rotate:
	err = session_start_rotation(s, s->nr_locs);
	if (!err)
		s->nr_locs++;
	return err;
}

/* Watch one location (1, 2, 4 or 8 bytes) of pid, or queue it for rotation. */
static int session_watch_one(struct rw_session *s, pid_t pid, __u64 addr, __u32 len,
			     const char *name)
{
	struct rw_sloc *l;
	int err;

	pthread_mutex_lock(&s->lock);
	err = grow((void **)&s->locs, &s->cap_locs, s->nr_locs, sizeof(*s->locs));
	if (err)
		goto out;
	l = &s->locs[s->nr_locs];
	memset(l, 0, sizeof(*l));
	l->pid = pid;
	l->addr = addr;
	l->len = len;
	l->watch = s->cur_watch;
	snprintf(l->name, sizeof(l->name), "%s", name);
	err = session_add(s);
	if (err)
		fprintf(stderr, "racewatch: watch %s (0x%llx, %u bytes) in process %d: %s\n", name,
			(unsigned long long)addr, len, pid, kdev__watch_strerror(err));
out:
	if (s->eng)
		session_apply_pending(s);
	pthread_mutex_unlock(&s->lock);
	return err;
}

int rw_session__watch(struct rw_session *s, pid_t pid, const char *spec)
{
	struct rw_span span;
	char name[sizeof(span.sym) + 24];
	__u64 at;
	__u32 len;
	int err, n;

	if (!strncmp(spec, "0x", 2)) {
		err = parse_addr(spec, &span.addr, &len);
		if (err) {
			fprintf(stderr, "racewatch: '%s': expected 0xADDR[:LEN]\n", spec);
			return err;
		}
		return session_watch_one(s, pid, span.addr, len, spec);
	}
	err = rw_elfsym__resolve_span(pid, spec, &span);
	if (err)
		return err; /* the resolver said why */
	if (rw_span__next(span.addr, span.size) == span.size) {
		if (span.off)
			snprintf(name, sizeof(name), "%s+%llu", span.sym, (unsigned long long)span.off);
		else
			snprintf(name, sizeof(name), "%s", span.sym);
		return session_watch_one(s, pid, span.addr, span.size, name);
	}
	/* A larger object: aligned watches of 8, 4, 2, 1 bytes side by side, each a location. */
	for (at = 0, n = 0; at < span.size; at += rw_span__next(span.addr + at, span.size - at))
		n++;
	fprintf(stderr, "racewatch: %s is %u bytes: watching it as %d locations of up to 8 bytes\n",
		spec, span.size, n);
	for (at = 0; at < span.size; at += len) {
		len = rw_span__next(span.addr + at, span.size - at);
		if (span.off + at)
			snprintf(name, sizeof(name), "%s+%llu", span.sym,
				 (unsigned long long)(span.off + at));
		else
			snprintf(name, sizeof(name), "%s", span.sym);
		err = session_watch_one(s, pid, span.addr + at, len, name);
		if (err)
			return err;
	}
	return 0;
}

static int session_location(struct rw_session *s, int i, struct rw_session_loc *out)
{
	struct racewatch_file_stat fs;
	const struct rw_sloc *l;
	__u64 now;

	if (i < 0 || i >= s->nr_locs)
		return -ENOENT;
	l = &s->locs[i];
	now = session_until(s, l, now_ns());
	memset(out, 0, sizeof(*out));
	out->name = l->name;
	out->pid = l->pid;
	out->addr = l->addr;
	out->len = l->len;
	out->armed_ns = session_armed_time(l, now);
	out->run_ns = now > l->since_ns ? now - l->since_ns : 0;
	out->arms = l->arms;
	out->armed = l->id != 0;
	out->gone = l->gone;
	out->watch = l->watch;
	out->hits = l->hits;
	out->removed = l->removed;
	out->gone_err = l->gone_err;
	out->shm = l->shm != NULL;
	out->key = l->key;
	out->missed = l->missed;
	out->procs_armed = l->procs_armed;
	out->procs_failed = l->procs_failed;
	out->procs_skipped = l->procs_skipped;
	if (!l->shm) {
		out->processes = l->id != 0;
		out->procs_armed = l->arms;
	} else if (l->id && !rw_shm__stat(kdev__fd(s->dev), l->id, &fs)) {
		/* the watch armed now: its figures so far */
		out->processes = fs.processes;
		out->procs_armed += fs.armed;
		out->procs_failed += fs.failed;
		out->procs_skipped += fs.skipped;
	}
	return 0;
}

int rw_session__location(struct rw_session *s, int i, struct rw_session_loc *out)
{
	int err;

	pthread_mutex_lock(&s->lock);
	err = session_location(s, i, out);
	pthread_mutex_unlock(&s->lock);
	return err;
}

static int session_consume(struct rw_session *s)
{
	int err;

	if (s->eng) {
		pthread_mutex_lock(&s->lock);
		session_apply_pending(s);
		pthread_mutex_unlock(&s->lock);
	}
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
	if (s->nr_late)
		session_retry_late(s);
	if (s->eng) {
		err = rw_engine__drain(s->eng, t0);
		if (err)
			return err;
		session_forget_retired(s, t0);
	}
	return 0;
}

/* Every location's coverage now (caller frees); NULL if there is none or no memory. */
static struct rw_session_loc *session_locations(struct rw_session *s, int *n)
{
	struct rw_session_loc *v;
	int i;

	pthread_mutex_lock(&s->lock);
	*n = s->nr_locs;
	v = *n ? calloc(*n, sizeof(*v)) : NULL;
	for (i = 0; v && i < *n; i++)
		session_location(s, i, &v[i]);
	pthread_mutex_unlock(&s->lock);
	if (!v)
		*n = 0;
	return v;
}

void rw_session__stats(struct rw_session *s, struct rw_session_stats *st)
{
	struct rw_session_loc *locs;
	struct racewatch_stats ks;
	struct rw_engine_stats es;
	__u64 end;
	int n;

	memset(st, 0, sizeof(*st));
	st->records = s->records;
	st->syncs = s->syncs;
	if (s->dev && !kdev__stats(s->dev, &ks)) {
		st->kdev_dropped = ks.dropped;
		/* process watches' breakpoints, and those of file and executable watches */
		st->armed_threads = ks.armed_threads + ks.file_threads;
		st->arm_failures = ks.arm_failures;
	}
	if (s->dev)
		st->slots = kdev__info(s->dev)->slots;
	if (s->sync)
		st->sync_dropped = sync_source__drops(s->sync);
	if (s->eng) {
		rw_engine__stats(s->eng, &es);
		st->races = es.races;
		st->race_events = es.race_events;
		st->late = es.late;
		st->unknown_watch = es.unknown_watch;
		st->dropped_threads = es.dropped_threads;
		st->bad_records = es.bad_records;
	}
	memcpy(st->sync_by_op, s->sync_by_op, sizeof(st->sync_by_op));
	st->files = s->nr_shm + s->nr_files;
	pthread_mutex_lock(&s->lock);
	st->locations = s->nr_locs;
	st->rotations = s->rotations;
	st->rotating = s->rotating;
	st->period_ns = s->period_ns;
	st->switch_ns = s->switch_ns;
	st->starved = s->starved;
	st->places = s->places;
	end = s->end_ns ? s->end_ns : now_ns();
	st->run_ns = s->start_ns && end > s->start_ns ? end - s->start_ns : 0;
	pthread_mutex_unlock(&s->lock);
	locs = session_locations(s, &n);
	rw_summary__totals(st, locs, n);
	free(locs);
}

int rw_session__finish(struct rw_session *s)
{
	struct rw_session_stats st;
	struct rw_session_loc *locs;
	int err, n;

	session_stop_rotator(s);
	s->end_ns = now_ns();
	err = session_consume(s);
	if (s->eng) {
		int ferr = rw_engine__finish(s->eng);

		if (!err)
			err = ferr;
	}
	rw_session__stats(s, &st);
	locs = session_locations(s, &n);
	rw_summary__text(stderr, &st, locs, n);
	/* after the engine's summary object: the last line of the output */
	if (s->o.format == RW_FORMAT_JSON && !s->o.raw) {
		rw_summary__json(s->o.out, &st, locs, n);
		fflush(s->o.out);
	}
	free(locs);
	return err;
}

void rw_session__free(struct rw_session *s)
{
	int i;

	if (!s)
		return;
	session_stop_rotator(s);
	sync_source__free(s->sync);
	kdev__free(s->dev);
	rw_engine__free(s->eng);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->seen);
	for (i = 0; i < s->nr_locs; i++)
		free(s->locs[i].shm);
	free(s->locs);
	free(s->retired);
	free(s->pending);
	free(s->idlocs);
	free(s->late);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int rw_session__watch_shm(struct rw_session *s, const struct rw_shm_target *t, pid_t scope)
{
	struct rw_sloc *l;
	pid_t pids[256];
	int err, n, i, idx;

	pthread_mutex_lock(&s->lock);
	idx = s->nr_locs;
	err = grow((void **)&s->locs, &s->cap_locs, s->nr_locs, sizeof(*s->locs));
	if (err)
		goto out;
	l = &s->locs[s->nr_locs];
	memset(l, 0, sizeof(*l));
	l->shm = malloc(sizeof(*l->shm));
	if (!l->shm) {
		err = -ENOMEM;
		goto out;
	}
	*l->shm = *t;
	l->pid = scope > 0 ? scope : 0;
	l->len = t->len;
	l->key = rw_shm__key(t);
	l->watch = s->cur_watch;
	snprintf(l->name, sizeof(l->name), "%s", t->name);
	s->nr_shm++;
	err = session_add(s);
	if (err) {
		fprintf(stderr, "racewatch: watch %s (%u bytes): %s\n", t->name, t->len,
			err == -EOPNOTSUPP ? "this kernel lacks a tracepoint file watches need" :
			kdev__watch_strerror(err));
		free(l->shm);
		l->shm = NULL;
		s->nr_shm--;
	}
out:
	if (s->eng)
		session_apply_pending(s);
	pthread_mutex_unlock(&s->lock);
	if (err)
		return err;
	if (!s->o.raw && scope <= 0) {
		/* Every process that maps it now: trace its synchronization from now on. */
		n = rw_shm__mappers(t, pids, 256);
		for (i = 0; i < n && i < 256; i++)
			if (!sync_source__watching(s->sync, pids[i]))
				rw_session__add_pid(s, pids[i]);
	}
	if (s->o.verbose) {
		struct rw_session_loc c;

		if (!rw_session__location(s, idx, &c))
			fprintf(stderr, "racewatch: %s: %s in %llu process(es)%s\n", t->name,
				c.armed ? "armed" : "waiting for its turn",
				(unsigned long long)c.processes,
				t->by_name ? " (bound by name when mapped)" : "");
	}
	return 0;
}

__u32 rw_session__begin_watch(struct rw_session *s)
{
	s->cur_watch = ++s->last_watch;
	return s->cur_watch;
}

int rw_session__unwatch(struct rw_session *s, __u32 watch)
{
	int i, found = 0, err;
	bool idle;

	if (!watch)
		return -ENOENT;
	pthread_mutex_lock(&s->lock);
	/* the engine knows every id made so far before any is retired */
	if (s->eng)
		session_apply_pending(s);
	for (i = 0; i < s->nr_locs; i++) {
		struct rw_sloc *l = &s->locs[i];

		if (l->watch != watch || l->removed)
			continue;
		session_disarm(s, l, true);
		l->removed = true;
		if (!l->gone) {
			l->gone = true;
			l->gone_err = -ECANCELED;
			l->gone_ns = now_ns();
		}
		if (s->eng && l->eng_id)
			session_retire(s, l->eng_id);
		found++;
	}
	for (i = 0; i < s->nr_files; i++) {
		struct rw_sfile *f = &s->files[i];

		if (f->watch != watch || f->removed)
			continue;
		err = kdev__unwatch(s->dev, f->id);
		if (err)
			fprintf(stderr, "racewatch: unwatch %s (watch %u): %s\n", f->name, f->id,
				strerror(-err));
		if (s->eng)
			session_retire(s, f->id);
		f->removed = true;
		found++;
	}
	for (i = 0; i < s->nr_locs && s->locs[i].gone; i++)
		;
	idle = s->rotating && i == s->nr_locs;
	pthread_mutex_unlock(&s->lock);
	if (idle) {
		/* nothing left to take turns: no more rounds (a new watch starts them again) */
		session_stop_rotator(s);
		pthread_mutex_lock(&s->lock);
		s->rotating = false;
		pthread_mutex_unlock(&s->lock);
	}
	return found ? 0 : -ENOENT;
}

/* Executable watch @f as rw_session__file() gives it. */
static void session_exe_file(struct rw_session *s, const struct rw_sfile *f,
			     struct rw_session_file *out)
{
	struct racewatch_file_stat fs;

	memset(out, 0, sizeof(*out));
	out->name = f->name;
	out->watch = f->watch;
	out->id = f->id;
	out->removed = f->removed;
	if (!f->removed && !rw_shm__stat(kdev__fd(s->dev), f->id, &fs)) {
		out->processes = fs.processes;
		out->threads = fs.threads;
		out->hits = fs.hits;
	}
}

int rw_session__file(struct rw_session *s, int i, struct rw_session_file *out)
{
	struct racewatch_file_stat fs;
	const struct rw_sloc *l = NULL;
	int k, n = -1;

	if (i < 0)
		return -ENOENT;
	pthread_mutex_lock(&s->lock);
	for (k = 0; k < s->nr_locs && n < i; k++)
		if (s->locs[k].shm && ++n == i)
			l = &s->locs[k];
	if (!l) {
		/* the executable watches come after the shared-memory fields */
		i -= n + 1;
		if (i < s->nr_files)
			session_exe_file(s, &s->files[i], out);
		pthread_mutex_unlock(&s->lock);
		return i < s->nr_files ? 0 : -ENOENT;
	}
	memset(out, 0, sizeof(*out));
	out->name = l->name;
	out->watch = l->watch;
	out->id = l->id;
	out->removed = l->removed;
	out->shm = true;
	out->hits = l->file_hits;
	if (l->id && !rw_shm__stat(kdev__fd(s->dev), l->id, &fs)) {
		out->processes = fs.processes;
		out->threads = fs.threads;
		out->hits += fs.hits;
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int rw_session__fd(const struct rw_session *s)
{
	return s->epfd;
}
/* Is @pid @scope or one of its descendants (0: every process is)? */
static bool session_in_scope(pid_t pid, pid_t scope)
{
	char path[64], buf[512], *p;
	int depth;
	FILE *f;

	for (depth = 0; scope > 0 && depth < 4096; depth++) {
		if (pid == scope)
			return true;
		if (pid <= 1)
			return false;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (!f)
			return false;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		/* "PID (COMM) STATE PPID ...": COMM may hold anything, ')' included */
		if (!p || sscanf(p + 1, " %*c %d", &pid) != 1)
			return false;
	}
	return scope <= 0;
}

/* Trace every process in scope that runs the executable (dev, ino) now. */
static void session_trace_runners(struct rw_session *s, dev_t dev, ino_t ino, pid_t scope)
{
	char path[64];
	struct dirent *de;
	struct stat sb;
	pid_t pid;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return;
	while ((de = readdir(d))) {
		pid = atoi(de->d_name);
		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/exe", pid);
		if (stat(path, &sb) || sb.st_dev != dev || sb.st_ino != ino ||
		    !session_in_scope(pid, scope) || sync_source__watching(s->sync, pid))
			continue;
		rw_session__add_pid(s, pid);
	}
	closedir(d);
}

int rw_session__watch_exe(struct rw_session *s, const char *path, const char *spec, pid_t scope)
{
	struct racewatch_watch_exe w;
	struct rw_watch_desc d;
	struct rw_exe_sym sym;
	struct rw_sfile *f;
	struct stat sb;
	int err;

	err = grow((void **)&s->files, &s->cap_files, s->nr_files, sizeof(*s->files));
	if (err)
		return err;
	if (stat(path, &sb)) {
		err = -errno;
		fprintf(stderr, "racewatch: %s: %s\n", path, strerror(-err));
		return err;
	}
	if (!S_ISREG(sb.st_mode)) {
		fprintf(stderr, "racewatch: %s: not a regular file\n", path);
		return -EINVAL;
	}
	err = rw_exesym__resolve(path, spec, &sym);
	if (err)
		return err;	/* the resolver said why */
	/* Processes running it now: traced before they are armed, so nothing is missed. */
	if (!s->o.raw)
		session_trace_runners(s, sb.st_dev, sb.st_ino, scope);

	memset(&w, 0, sizeof(w));
	w.size = sizeof(w);
	w.flags = RACEWATCH_WATCH_EXE_NOTIFY;
	w.dev = sb.st_dev;
	w.ino = sb.st_ino;
	w.vaddr = sym.vaddr;
	w.anchor_offset = sym.anchor_offset;
	w.anchor_vaddr = sym.anchor_vaddr;
	w.len = sym.len;
	w.kind = s->o.kind;
	w.pid = scope > 0 ? scope : 0;
	if (ioctl(kdev__fd(s->dev), RACEWATCH_IOC_WATCH_EXE, &w)) {
		err = -errno;
		fprintf(stderr, "racewatch: watch %s in %s: %s\n", spec, path,
			err == -ENOTTY ? "racewatch.ko is too old for executable watches" :
			err == -EOPNOTSUPP ? "this kernel lacks a tracepoint executable watches need" :
			kdev__watch_strerror(err));
		return err;
	}
	f = &s->files[s->nr_files++];
	memset(f, 0, sizeof(*f));
	f->id = w.id;
	f->watch = s->cur_watch;
	f->exe = true;
	snprintf(f->name, sizeof(f->name), "%.*s", (int)sizeof(f->name) - 1, sym.name);
	if (w.skipped)
		fprintf(stderr, "racewatch: %s: %u process(es) run it but cannot be traced "
			"(no CAP_SYS_PTRACE over them): skipped\n", path, w.skipped);
	if (s->eng) {
		memset(&d, 0, sizeof(d));
		d.sz = sizeof(d);
		d.id = w.id;
		d.len = sym.len;
		d.name = sym.name;
		d.key.kind = RW_KEY_EACH_PROCESS;
		err = rw_engine__add_watch(s->eng, &d);
		if (err)
			return err;
	}
	if (s->o.verbose)
		fprintf(stderr, "racewatch: %s in %s (link-time 0x%llx, %u bytes): watch %u armed "
			"in %u process(es)\n", sym.name, path, (unsigned long long)sym.vaddr, sym.len,
			w.id, w.processes);
	return 0;
}
