// SPDX-License-Identifier: GPL-2.0
/*
 * Happens-before detection over access records and sync events.
 *
 * Each thread identity owns one slot of the vector clock space. A tid that
 * is created again (THREAD_CREATE/FORK naming a tid the detector still
 * holds) starts a new identity with a new slot, so reused tids never
 * inherit a dead thread's clock. Slots are not reused.
 */
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detector.h"
#include "symbolize.h"

#define RW_PEND_ACQUIRE		1
#define RW_PEND_RD_ACQUIRE	2
#define RW_PEND_JOIN		3
#define RW_PEND_DEPART		4	/* barrier departure from round arg */

/**
 * struct rw_pending - a lazy acquire, applied at the thread's next event
 * @kind: RW_PEND_*
 * @prim: RW_PRIM_* of the object
 * @flags: RW_SYNC_F_*
 * @key: the object
 * @arg: RW_PEND_JOIN: the pthread_t joined
 * @caller: call site
 */
struct rw_pending {
	int kind;
	__u16 prim;
	__u32 flags;
	struct rw_key key;
	__u64 arg;
	__u64 caller;
};

/**
 * struct rw_thread - a live thread identity
 * @tid: thread id (the tree key)
 * @pid: its process
 * @slot: its clock slot
 * @linked: its origin (create/fork event) was seen, or it needs none
 * @fsbase: thread pointer (pthread_t)
 * @vc: its vector clock
 * @nr_pend: lazy acquires waiting in @pend
 * @pend: lazy acquires
 * @nr_held: locks in @held
 * @cap_held: room in @held
 * @held: locks held now
 * @comm: name
 */
struct rw_thread {
	__u32 tid;
	__u32 pid;
	__u32 slot;
	bool linked;
	__u64 fsbase;
	struct rw_vc vc;
	__u32 nr_pend;
	__u32 cap_pend;
	struct rw_pending *pend;
	__u32 nr_held;
	__u32 cap_held;
	struct rw_lockref *held;
	char comm[16];
};

/**
 * struct rw_obj - a sync object
 * @key: identity
 * @vc: released clocks (mutex, sem, cond, ...; rwlock: writers; barrier
 *	with a known thread count: the arrivals of the round still open)
 * @rvc: rwlock: clocks released by readers; barrier: the arrivals of the
 *	last completed round, @round - 1
 * @round: barrier: number of the open round
 * @arrived: barrier: arrivals in the open round
 */
struct rw_obj {
	struct rw_key key;
	struct rw_vc vc;
	struct rw_vc rvc;
	__u64 round;
	__u32 arrived;
};

/**
 * struct rw_exit - exit clock of a thread or of a whole process
 * @pid: process
 * @fsbase: thread pointer of the thread; 0 for a process record
 * @is_proc: a process record (WAIT_CHILD), else a thread (JOIN)
 * @in_tree: still findable (not replaced by a newer one with the key)
 * @slot: thread record: the exited thread's clock slot (slots grow with
 *	creation: the larger, the newer thread)
 * @vc: the exit clock (process: the join of all its threads' exits)
 */
struct rw_exit {
	__u32 pid;
	__u32 slot;
	__u64 fsbase;
	bool is_proc;
	bool in_tree;
	struct rw_vc vc;
};

/**
 * struct rw_det - detector state
 * @opts: settings
 * @threads: live threads by tid
 * @objs: sync objects by key
 * @exits: exit records by (is_proc, pid, fsbase)
 * @locs: locations by key
 * @fifo: exit records in order of exit, for the bound
 * @fifo_head: oldest in @fifo
 * @fifo_nr: records in @fifo
 * @next_slot: next clock slot
 * @st: counters
 */
struct rw_det {
	struct rw_det_opts opts;
	void *threads;
	void *objs;
	void *exits;
	void *locs;
	struct rw_exit **fifo;
	__u32 fifo_head;
	__u32 fifo_nr;
	__u32 next_slot;
	struct rw_det_stats st;
};

static int rw_key__cmp(const struct rw_key *a, const struct rw_key *b)
{
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	if (a->off != b->off)
		return a->off < b->off ? -1 : 1;
	return 0;
}

static int rw_thread__cmp(const void *a, const void *b)
{
	const struct rw_thread *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static int rw_obj__cmp(const void *a, const void *b)
{
	return rw_key__cmp(&((const struct rw_obj *)a)->key, &((const struct rw_obj *)b)->key);
}

static int rw_loc__cmp(const void *a, const void *b)
{
	return rw_key__cmp(&((const struct rw_loc *)a)->key, &((const struct rw_loc *)b)->key);
}

static int rw_exit__cmp(const void *a, const void *b)
{
	const struct rw_exit *x = a, *y = b;

	if (x->is_proc != y->is_proc)
		return x->is_proc < y->is_proc ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->fsbase < y->fsbase ? -1 : x->fsbase > y->fsbase;
}

struct rw_access *rw_access__get(struct rw_access *a)
{
	if (a)
		a->refs++;
	return a;
}

void rw_access__put(struct rw_access *a)
{
	if (!a || --a->refs > 0)
		return;
	rw_maps__put(a->maps);
	free(a->stack);
	free(a->locks);
	free(a);
}

/* Grow an array of @size-byte elements to hold @need; 0 or -ENOMEM. */
static int rw_grow(void **arr, __u32 *cap, __u32 need, size_t size)
{
	__u32 n;
	void *p;

	if (need <= *cap)
		return 0;
	n = *cap ? *cap * 2 : 4;
	while (n < need)
		n *= 2;
	p = realloc(*arr, (size_t)n * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

struct rw_det *rw_det__new(const struct rw_det_opts *opts)
{
	struct rw_det *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->opts = *opts;
	if (!d->opts.max_threads)
		d->opts.max_threads = 65536;
	if (!d->opts.max_exited)
		d->opts.max_exited = 4096;
	d->fifo = calloc(d->opts.max_exited, sizeof(*d->fifo));
	if (!d->fifo) {
		free(d);
		return NULL;
	}
	return d;
}

static void rw_thread__free(void *p)
{
	struct rw_thread *t = p;

	rw_vc__fini(&t->vc);
	free(t->pend);
	free(t->held);
	free(t);
}

static void rw_obj__free(void *p)
{
	struct rw_obj *o = p;

	rw_vc__fini(&o->vc);
	rw_vc__fini(&o->rvc);
	free(o);
}

static void rw_exit__free(struct rw_exit *x)
{
	rw_vc__fini(&x->vc);
	free(x);
}

static void rw_loc__free(void *p)
{
	struct rw_loc *loc = p;
	__u32 i;

	for (i = 0; i < loc->nr; i++)
		rw_access__put(loc->ent[i].acc);
	free(loc->ent);
	free(loc->tids);
	free(loc);
}

static void rw_noop_free(void *p)
{
}

void rw_det__free(struct rw_det *d)
{
	__u32 i;

	if (!d)
		return;
	tdestroy(d->threads, rw_thread__free);
	tdestroy(d->objs, rw_obj__free);
	tdestroy(d->locs, rw_loc__free);
	tdestroy(d->exits, rw_noop_free);
	for (i = 0; i < d->fifo_nr; i++)
		rw_exit__free(d->fifo[(d->fifo_head + i) % d->opts.max_exited]);
	free(d->fifo);
	free(d);
}

void rw_det__stats(const struct rw_det *d, struct rw_det_stats *st)
{
	*st = d->st;
}

/* ---- threads ------------------------------------------------------------------------------ */

static struct rw_thread *rw_thread__find(struct rw_det *d, __u32 tid)
{
	struct rw_thread key = { .tid = tid }, **p;

	p = tfind(&key, &d->threads, rw_thread__cmp);
	return p ? *p : NULL;
}

/* A new identity for (pid, tid), clock slot@1; NULL past max_threads. */
static struct rw_thread *rw_thread__new(struct rw_det *d, __u32 pid, __u32 tid, __u64 fsbase)
{
	struct rw_thread *t;

	if (d->next_slot >= d->opts.max_threads) {
		d->st.dropped_threads++;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->tid = tid;
	t->pid = pid;
	t->fsbase = fsbase;
	t->slot = d->next_slot;
	if (rw_vc__set(&t->vc, t->slot, 1) || !tsearch(t, &d->threads, rw_thread__cmp)) {
		rw_thread__free(t);
		return NULL;
	}
	d->next_slot++;
	d->st.threads++;
	return t;
}

/* Forget a live identity (exited, or its tid was reused). */
static void rw_thread__retire(struct rw_det *d, struct rw_thread *t)
{
	tdelete(t, &d->threads, rw_thread__cmp);
	rw_thread__free(t);
}

/* ---- objects and exit records -------------------------------------------------------------- */

static struct rw_obj *rw_obj__find(struct rw_det *d, const struct rw_key *key)
{
	struct rw_obj k = { .key = *key }, **p;

	p = tfind(&k, &d->objs, rw_obj__cmp);
	return p ? *p : NULL;
}

static struct rw_obj *rw_obj__get(struct rw_det *d, const struct rw_key *key)
{
	struct rw_obj *o = rw_obj__find(d, key);

	if (o)
		return o;
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->key = *key;
	if (!tsearch(o, &d->objs, rw_obj__cmp)) {
		free(o);
		return NULL;
	}
	d->st.objects++;
	return o;
}

static struct rw_exit *rw_exit__find(struct rw_det *d, bool is_proc, __u32 pid, __u64 fsbase)
{
	struct rw_exit k = { .pid = pid, .fsbase = fsbase, .is_proc = is_proc }, **p;

	p = tfind(&k, &d->exits, rw_exit__cmp);
	return p ? *p : NULL;
}

static void rw_exit__unlink(struct rw_det *d, struct rw_exit *x)
{
	if (x->in_tree) {
		tdelete(x, &d->exits, rw_exit__cmp);
		x->in_tree = false;
	}
}

/* Keep @x findable, replacing an older record with its key; bound the total. */
static int rw_exit__add(struct rw_det *d, struct rw_exit *x)
{
	struct rw_exit *old = rw_exit__find(d, x->is_proc, x->pid, x->fsbase);
	__u32 max = d->opts.max_exited;

	if (old)
		rw_exit__unlink(d, old);
	if (d->fifo_nr == max) {
		struct rw_exit *victim = d->fifo[d->fifo_head];

		rw_exit__unlink(d, victim);
		rw_exit__free(victim);
		d->fifo_head = (d->fifo_head + 1) % max;
		d->fifo_nr--;
	}
	if (!tsearch(x, &d->exits, rw_exit__cmp))
		return -ENOMEM;
	x->in_tree = true;
	d->fifo[(d->fifo_head + d->fifo_nr) % max] = x;
	d->fifo_nr++;
	return 0;
}

static struct rw_exit *rw_exit__new(__u32 pid, __u64 fsbase, bool is_proc)
{
	struct rw_exit *x = calloc(1, sizeof(*x));

	if (x) {
		x->pid = pid;
		x->fsbase = fsbase;
		x->is_proc = is_proc;
	}
	return x;
}

/* The process record of @pid, made on demand; its clock collects exits. */
static struct rw_exit *rw_proc__get(struct rw_det *d, __u32 pid)
{
	struct rw_exit *x = rw_exit__find(d, true, pid, 0);

	if (x)
		return x;
	x = rw_exit__new(pid, 0, true);
	if (!x)
		return NULL;
	if (rw_exit__add(d, x)) {
		rw_exit__free(x);
		return NULL;
	}
	return x;
}

/* ---- locks held ---------------------------------------------------------------------------- */

static bool rw_prim__is_lock(__u16 prim)
{
	return prim == RW_PRIM_MUTEX || prim == RW_PRIM_RWLOCK || prim == RW_PRIM_SPIN;
}

static struct rw_lockref *rw_held__find(struct rw_thread *t, const struct rw_key *key)
{
	__u32 i;

	for (i = 0; i < t->nr_held; i++)
		if (!rw_key__cmp(&t->held[i].key, key))
			return &t->held[i];
	return NULL;
}

static void rw_held__remove(struct rw_thread *t, struct rw_lockref *l)
{
	__u32 i = l - t->held;

	memmove(&t->held[i], &t->held[i + 1], (t->nr_held - i - 1) * sizeof(*l));
	t->nr_held--;
}

/*
 * Note a lock taken. Returns 1 when this is an inner acquire of a
 * recursive mutex already held (no clock effect), else 0 or -errno.
 */
static int rw_held__add(struct rw_thread *t, const struct rw_key *key, __u16 prim, bool read,
			__u32 flags, __u64 caller)
{
	struct rw_lockref *l;

	if (!rw_prim__is_lock(prim))
		return 0;
	l = rw_held__find(t, key);
	if (l && (flags & RW_SYNC_F_RECURSIVE)) {
		l->depth++;
		return 1;
	}
	if (l)		/* a lock taken twice without release: keep one entry */
		return 0;
	if (rw_grow((void **)&t->held, &t->cap_held, t->nr_held + 1, sizeof(*t->held)))
		return -ENOMEM;
	l = &t->held[t->nr_held++];
	memset(l, 0, sizeof(*l));
	l->key = *key;
	l->prim = prim;
	l->read = read;
	l->depth = 1;
	l->pid = t->pid;
	l->caller = caller;
	return 0;
}

/* ---- happens-before edges ------------------------------------------------------------------- */

/* acquire: the thread learns everything released into the object */
static int rw_acquire(struct rw_det *d, struct rw_thread *t, const struct rw_key *key, __u16 prim,
		      __u32 flags, __u64 caller, bool read)
{
	struct rw_obj *o;
	int err;

	err = rw_held__add(t, key, prim, read, flags, caller);
	if (err)
		return err < 0 ? err : 0;
	o = rw_obj__get(d, key);
	if (!o)
		return -ENOMEM;
	err = rw_vc__join(&t->vc, &o->vc);
	/* a writer (or any non-rwlock acquire) is ordered after the readers too */
	if (!err && !read)
		err = rw_vc__join(&t->vc, &o->rvc);
	return err;
}

/* release: the object learns the thread's clock; the thread moves on */
static int rw_release(struct rw_det *d, struct rw_thread *t, const struct rw_key *key, __u16 prim,
		      __u32 flags, bool rw_mode)
{
	struct rw_lockref *l = rw_held__find(t, key);
	bool read = false;
	struct rw_obj *o;
	int err;

	if (l) {
		if ((flags & RW_SYNC_F_RECURSIVE) && l->depth > 1) {
			l->depth--;
			return 0;
		}
		read = l->read;
		rw_held__remove(t, l);
	}
	o = rw_obj__get(d, key);
	if (!o)
		return -ENOMEM;
	err = rw_vc__join(rw_mode && read ? &o->rvc : &o->vc, &t->vc);
	if (!err)
		err = rw_vc__tick(&t->vc, t->slot);
	return err;
}

static int rw_pend(struct rw_thread *t, int kind, const struct rw_sync_event *ev,
		   const struct rw_key *key, __u16 prim)
{
	struct rw_pending *p;

	if (rw_grow((void **)&t->pend, &t->cap_pend, t->nr_pend + 1, sizeof(*t->pend)))
		return -ENOMEM;
	p = &t->pend[t->nr_pend++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->prim = prim;
	p->flags = ev->flags;
	if (key)
		p->key = *key;
	p->arg = ev->arg;
	p->caller = ev->caller;
	return 0;
}

struct rw_find_fsbase {
	__u32 pid;
	__u32 not_tid;
	__u64 fsbase;
	struct rw_thread *found;
};

static void rw_find_fsbase_one(const void *node, VISIT which, void *ctx)
{
	struct rw_thread *t = *(struct rw_thread *const *)node;
	struct rw_find_fsbase *f = ctx;

	if (which != postorder && which != leaf)
		return;
	if (t->pid == f->pid && t->fsbase == f->fsbase && t->tid != f->not_tid &&
	    (!f->found || t->slot > f->found->slot))
		f->found = t;
}

/*
 * join: the joiner learns the joined thread's clock, found by its pthread_t
 * (thread pointer). The kernel wakes the joiner when it clears the thread's
 * tid, before the thread's exit tracepoint: so the joined thread is usually
 * still live here, its user code finished. glibc gives a joined thread's
 * pthread_t to a later thread, and the earlier thread's exit record may
 * come after the later one's: the thread joined is the newest one (largest
 * slot) with that pointer, live or exited.
 */
static int rw_join_thread(struct rw_det *d, struct rw_thread *t, __u64 pthread)
{
	struct rw_find_fsbase f = { .pid = t->pid, .not_tid = t->tid, .fsbase = pthread };
	struct rw_exit *x;

	twalk_r(d->threads, rw_find_fsbase_one, &f);
	x = rw_exit__find(d, false, t->pid, pthread);
	if (f.found && (!x || f.found->slot > x->slot))
		return rw_vc__join(&t->vc, &f.found->vc);
	if (!x) {
		d->st.unresolved_joins++;
		return 0;
	}
	return rw_vc__join(&t->vc, &x->vc);
}

/*
 * BARRIER: an arrival. With the barrier's thread count known (arg), the
 * arrivals are counted into rounds: the departure from a round learns the
 * clocks of that round's arrivals only, never those of the next round,
 * which the threads already gone on may reach before this thread's next
 * event (when its lazy departure is applied). Without a count, every
 * arrival so far is learnt (extra edges: races can be hidden, none made up).
 */
static int rw_barrier_arrive(struct rw_det *d, struct rw_thread *t, const struct rw_sync_event *ev)
{
	struct rw_obj *o;
	int err;

	if (!ev->arg) {
		err = rw_release(d, t, &ev->obj, ev->prim, 0, false);
		return err ? err : rw_pend(t, RW_PEND_ACQUIRE, ev, &ev->obj, ev->prim);
	}
	o = rw_obj__get(d, &ev->obj);
	if (!o)
		return -ENOMEM;
	err = rw_vc__join(&o->vc, &t->vc);
	if (!err)
		err = rw_vc__tick(&t->vc, t->slot);
	if (!err)
		err = rw_pend(t, RW_PEND_DEPART, ev, &ev->obj, ev->prim);
	if (err)
		return err;
	t->pend[t->nr_pend - 1].arg = o->round;
	if (++o->arrived >= ev->arg) {
		/* the round is complete: its clock is final */
		rw_vc__move(&o->rvc, &o->vc);
		o->round++;
		o->arrived = 0;
	}
	return 0;
}

/* A departure from barrier round @round: learn that round's arrivals. */
static int rw_barrier_depart(struct rw_det *d, struct rw_thread *t, const struct rw_key *key,
			     __u64 round)
{
	struct rw_obj *o = rw_obj__find(d, key);
	int err;

	if (!o)
		return 0;
	if (round + 1 == o->round)
		return rw_vc__join(&t->vc, &o->rvc);
	/* the round never completed as counted (arrivals not seen): all we know */
	err = rw_vc__join(&t->vc, &o->vc);
	return err ? err : rw_vc__join(&t->vc, &o->rvc);
}

/* Apply the thread's lazy acquires: its blocking calls have returned. */
static int rw_apply_pending(struct rw_det *d, struct rw_thread *t)
{
	__u32 i;
	int err = 0;

	for (i = 0; i < t->nr_pend && !err; i++) {
		struct rw_pending *p = &t->pend[i];

		if (p->kind == RW_PEND_JOIN)
			err = rw_join_thread(d, t, p->arg);
		else if (p->kind == RW_PEND_DEPART)
			err = rw_barrier_depart(d, t, &p->key, p->arg);
		else
			err = rw_acquire(d, t, &p->key, p->prim, p->flags, p->caller,
					 p->kind == RW_PEND_RD_ACQUIRE);
	}
	t->nr_pend = 0;
	return err;
}

static struct rw_thread *rw_det__thread_ex(struct rw_det *d, __u32 pid, __u32 tid, __u64 fsbase,
					   const char *comm, bool apply_pending);

/**
 * rw_det__thread() - the live identity of a thread, made on first sight
 * @d: detector
 * @pid: process
 * @tid: thread
 * @fsbase: its thread pointer (0 if unknown)
 * @comm: its name or NULL
 *
 * Applies the thread's lazy acquires: every event of a thread goes through
 * here first.
 *
 * Return: the thread, or NULL (max_threads reached or no memory).
 */
struct rw_thread *rw_det__thread(struct rw_det *d, __u32 pid, __u32 tid, __u64 fsbase,
				 const char *comm)
{
	return rw_det__thread_ex(d, pid, tid, fsbase, comm, true);
}

static struct rw_thread *rw_det__thread_ex(struct rw_det *d, __u32 pid, __u32 tid, __u64 fsbase,
					   const char *comm, bool apply_pending)
{
	struct rw_thread *t = rw_thread__find(d, tid);

	if (t && t->pid != pid) {
		/* the tid now belongs to another process: the old one is gone */
		rw_thread__retire(d, t);
		t = NULL;
	}
	if (!t) {
		t = rw_thread__new(d, pid, tid, fsbase);
		if (!t)
			return NULL;
		/* seen before (or without) the event that created it */
		t->linked = false;
	}
	if (fsbase)
		t->fsbase = fsbase;
	if (comm && comm[0])
		memcpy(t->comm, comm, sizeof(t->comm));
	if (apply_pending && t->nr_pend && rw_apply_pending(d, t))
		return NULL;
	return t;
}

/* ---- thread and process lifetime ------------------------------------------------------------ */

/*
 * THREAD_CREATE / FORK: the child starts with the parent's clock; the
 * parent ticks so that what it does next is not ordered before the child.
 * A child already seen (its first events were stamped before the create
 * event reached us) is linked late: it learns the parent's clock now.
 */
static int rw_create(struct rw_det *d, struct rw_thread *parent, __u32 pid, __u32 tid,
		     __u64 fsbase)
{
	struct rw_thread *c = rw_thread__find(d, tid);
	int err;

	if (c && (c->linked || c->pid != pid)) {
		rw_thread__retire(d, c);	/* tid reused: a new thread */
		c = NULL;
	}
	if (c) {
		d->st.late_links++;
	} else {
		c = rw_thread__new(d, pid, tid, fsbase);
		if (!c)
			return d->next_slot >= d->opts.max_threads ? 0 : -ENOMEM;
		memcpy(c->comm, parent->comm, sizeof(c->comm));
	}
	c->linked = true;
	if (fsbase)
		c->fsbase = fsbase;
	err = rw_vc__join(&c->vc, &parent->vc);
	if (!err)
		err = rw_vc__tick(&parent->vc, parent->slot);
	return err;
}

static int rw_fork(struct rw_det *d, struct rw_thread *parent, __u32 child, __u64 fsbase)
{
	struct rw_exit *old = rw_exit__find(d, true, child, 0);

	if (old)		/* pid reused: the old process's exit record is stale */
		rw_exit__unlink(d, old);
	return rw_create(d, parent, child, child, fsbase ? fsbase : parent->fsbase);
}

/* THREAD_EXIT: keep the clock for joins (by pthread_t) and for the waiter of the process. */
static int rw_exit(struct rw_det *d, struct rw_thread *t)
{
	struct rw_exit *x, *proc;
	int err = -ENOMEM;

	proc = rw_proc__get(d, t->pid);
	if (!proc)
		return -ENOMEM;
	err = rw_vc__join(&proc->vc, &t->vc);
	if (err)
		return err;
	x = rw_exit__new(t->pid, t->fsbase, false);
	if (!x)
		return -ENOMEM;
	x->slot = t->slot;
	rw_vc__move(&x->vc, &t->vc);
	err = rw_exit__add(d, x);
	if (err)
		rw_exit__free(x);
	rw_thread__retire(d, t);
	return err;
}

/* WAIT_CHILD: the waiter learns every exited thread of the reaped process. */
static int rw_wait_child(struct rw_det *d, struct rw_thread *t, __u32 child)
{
	struct rw_exit *proc = rw_exit__find(d, true, child, 0);
	int err;

	if (!proc) {
		d->st.unresolved_joins++;
		return 0;
	}
	err = rw_vc__join(&t->vc, &proc->vc);
	rw_exit__unlink(d, proc);	/* reaped: the pid may be reused */
	return err;
}

struct rw_collect {
	__u32 pid;
	__u32 nr;
	__u32 cap;
	struct rw_obj **objs;
};

static void rw_collect_private(const void *node, VISIT which, void *ctx)
{
	struct rw_obj *o = *(struct rw_obj *const *)node;
	struct rw_collect *c = ctx;

	if (which != postorder && which != leaf)
		return;
	if (o->key.kind != RW_KEY_PRIVATE || o->key.id != c->pid)
		return;
	if (rw_grow((void **)&c->objs, &c->cap, c->nr + 1, sizeof(*c->objs)))
		return;
	c->objs[c->nr++] = o;
}

/* Forget the private sync objects of @pid: its memory image is gone. */
static void rw_forget_private(struct rw_det *d, __u32 pid)
{
	struct rw_collect c = { .pid = pid };
	__u32 i;

	twalk_r(d->objs, rw_collect_private, &c);
	for (i = 0; i < c.nr; i++) {
		tdelete(c.objs[i], &d->objs, rw_obj__cmp);
		rw_obj__free(c.objs[i]);
		d->st.objects--;
	}
	free(c.objs);
}

static void rw_forget_loc_one(void *ctx, struct rw_loc *loc)
{
	__u32 pid = *(__u32 *)ctx, i;

	if (loc->key.kind != RW_KEY_PRIVATE || loc->key.id != pid)
		return;
	for (i = 0; i < loc->nr; i++)
		rw_access__put(loc->ent[i].acc);
	loc->nr = 0;
}

/* EXEC: the process's private sync objects are gone with its old image. */
static int rw_exec(struct rw_det *d, struct rw_thread *t)
{
	rw_forget_private(d, t->pid);
	t->nr_held = 0;
	t->nr_pend = 0;
	return 0;
}

/**
 * rw_det__sync() - apply one sync event
 * @d: detector
 * @ev: the event (see include/racewatch/sync.h for each op)
 *
 * Return: 0 or -errno (-EINVAL for an unknown op).
 */
int rw_det__sync(struct rw_det *d, const struct rw_sync_event *ev)
{
	struct rw_thread *t;
	__u32 pid;
	int err;

	/*
	 * Futex events happen inside the blocking calls whose lazy acquires
	 * wait in t->pend (a mutex lock that sleeps, wakes, loses the lock to a
	 * barging thread and takes it later): they must not count as "the call
	 * has returned". The futex edge itself is applied as it comes.
	 */
	t = rw_det__thread_ex(d, ev->pid, ev->tid, ev->fsbase, ev->comm,
			      ev->op != RW_OP_FUTEX_WAIT && ev->op != RW_OP_FUTEX_WAKE);
	if (!t)
		return d->next_slot >= d->opts.max_threads ? 0 : -ENOMEM;

	switch (ev->op) {
	case RW_OP_ACQUIRE:
		return rw_acquire(d, t, &ev->obj, ev->prim, ev->flags, ev->caller, false);
	case RW_OP_RD_ACQUIRE:
		return rw_acquire(d, t, &ev->obj, ev->prim, ev->flags, ev->caller, true);
	case RW_OP_ACQUIRE_LAZY:
		return rw_pend(t, RW_PEND_ACQUIRE, ev, &ev->obj, ev->prim);
	case RW_OP_RD_ACQUIRE_LAZY:
		return rw_pend(t, RW_PEND_RD_ACQUIRE, ev, &ev->obj, ev->prim);
	case RW_OP_RELEASE:
		return rw_release(d, t, &ev->obj, ev->prim, ev->flags, false);
	case RW_OP_RW_RELEASE:
		return rw_release(d, t, &ev->obj, ev->prim, ev->flags, true);
	case RW_OP_FUTEX_WAKE:
		err = rw_release(d, t, &ev->obj, ev->prim, 0, false);
		/* FUTEX_WAKE_OP also operates on and wakes a second futex */
		if (!err && (ev->flags & RW_SYNC_F_WAKE_OP))
			err = rw_release(d, t, &ev->obj2, ev->prim, 0, false);
		return err;
	case RW_OP_FUTEX_WAIT:
		return rw_acquire(d, t, &ev->obj, ev->prim, 0, ev->caller, false);
	case RW_OP_COND_WAIT:
		err = rw_release(d, t, &ev->obj2, RW_PRIM_MUTEX, ev->flags, false);
		if (!err)
			err = rw_pend(t, RW_PEND_ACQUIRE, ev, &ev->obj, RW_PRIM_COND);
		if (!err)
			err = rw_pend(t, RW_PEND_ACQUIRE, ev, &ev->obj2, RW_PRIM_MUTEX);
		return err;
	case RW_OP_BARRIER:
		return rw_barrier_arrive(d, t, ev);
	case RW_OP_ONCE_DONE:
		err = rw_acquire(d, t, &ev->obj, ev->prim, 0, ev->caller, false);
		return err ? err : rw_release(d, t, &ev->obj, ev->prim, 0, false);
	case RW_OP_THREAD_CREATE:
		return rw_create(d, t, t->pid, (__u32)ev->arg, ev->arg2);
	case RW_OP_FORK:
		return rw_fork(d, t, (__u32)ev->arg, ev->arg2);
	case RW_OP_THREAD_EXIT:
		pid = t->pid;
		err = rw_exit(d, t);
		if (!err && ev->arg == 1) {
			/* the last thread: private objects and locations are done */
			rw_forget_private(d, pid);
			rw_det__walk_locs(d, rw_forget_loc_one, &pid);
		}
		return err;
	case RW_OP_JOIN_LAZY:
		return rw_pend(t, RW_PEND_JOIN, ev, NULL, RW_PRIM_THREAD);
	case RW_OP_WAIT_CHILD:
		return rw_wait_child(d, t, (__u32)ev->arg);
	case RW_OP_EXEC:
		return rw_exec(d, t);
	default:
		return -EINVAL;
	}
}

/* ---- locations ------------------------------------------------------------------------------ */

struct rw_loc *rw_det__loc_get(struct rw_det *d, const struct rw_key *key, const char *name,
			       __u32 len)
{
	struct rw_loc k = { .key = *key }, *loc, **p;

	p = tfind(&k, &d->locs, rw_loc__cmp);
	if (p) {
		(*p)->refs++;
		return *p;
	}
	loc = calloc(1, sizeof(*loc));
	if (!loc)
		return NULL;
	loc->key = *key;
	loc->len = len;
	loc->refs = 1;
	snprintf(loc->name, sizeof(loc->name), "%s", name ? name : "");
	if (!tsearch(loc, &d->locs, rw_loc__cmp)) {
		free(loc);
		return NULL;
	}
	return loc;
}

/* Drop a watch's reference; the location's state goes with the last one. */
void rw_det__loc_put(struct rw_det *d, struct rw_loc *loc)
{
	if (!loc || --loc->refs > 0)
		return;
	tdelete(loc, &d->locs, rw_loc__cmp);
	rw_loc__free(loc);
}

struct rw_walk_ctx {
	void (*fn)(void *ctx, struct rw_loc *loc);
	void *ctx;
};

static void rw_walk_one(const void *node, VISIT which, void *ctx)
{
	struct rw_walk_ctx *w = ctx;

	if (which == postorder || which == leaf)
		w->fn(w->ctx, *(struct rw_loc *const *)node);
}

/* Visit every location, in key order. */
void rw_det__walk_locs(struct rw_det *d, void (*fn)(void *ctx, struct rw_loc *loc), void *ctx)
{
	struct rw_walk_ctx w = { .fn = fn, .ctx = ctx };

	twalk_r(d->locs, rw_walk_one, &w);
}

static bool rw_entry__ordered(const struct rw_loc_entry *e, const struct rw_thread *t)
{
	return e->clock <= rw_vc__get(&t->vc, e->slot);
}

/*
 * An entry is superseded by the new access when it happened before it and
 * the new access covers its role: a write covers everything before it, a
 * read covers earlier reads (earlier writes stay, for later reads) — on
 * every byte the entry touched.
 */
static bool rw_entry__superseded(const struct rw_loc_entry *e, const struct rw_thread *t,
				 bool write, __u8 mask)
{
	return rw_entry__ordered(e, t) && (write || !e->write) && (e->mask & mask) == e->mask;
}

/* The bytes of @loc that @a touched: all of them unless the engine knows better. */
static __u8 rw_access__bytes(const struct rw_access *a, const struct rw_loc *loc)
{
	__u8 all = (__u8)((1u << (loc->len < 8 ? loc->len : 8)) - 1);

	return a->mask ? a->mask & all : all;
}

static int rw_access__snap_locks(struct rw_access *a, const struct rw_thread *t)
{
	if (!t->nr_held)
		return 0;
	a->locks = malloc(t->nr_held * sizeof(*a->locks));
	if (!a->locks)
		return -ENOMEM;
	memcpy(a->locks, t->held, t->nr_held * sizeof(*a->locks));
	a->nr_locks = t->nr_held;
	return 0;
}

/**
 * rw_det__access() - check one access against the location's state
 * @d: detector
 * @t: the accessing thread (from rw_det__thread())
 * @loc: the location
 * @a: the access; the detector takes a reference and fills in the locks
 *	the thread holds
 *
 * Calls the race callback for every remembered access of another thread
 * that is not ordered before this one, when at least one of the two writes,
 * they touched a common byte (a watch covers up to 8 bytes, e.g. a struct
 * of small fields) and they are not both atomic. Then forgets the accesses
 * this one supersedes and remembers this one.
 *
 * Return: 0 or -ENOMEM.
 */
int rw_det__access(struct rw_det *d, struct rw_thread *t, struct rw_loc *loc,
		   struct rw_access *a)
{
	__u8 mask = rw_access__bytes(a, loc);
	struct rw_loc_entry *e;
	__u32 i, j;
	int err;

	err = rw_access__snap_locks(a, t);
	if (err)
		return err;
	for (i = 0; i < loc->nr; i++) {
		e = &loc->ent[i];
		if (rw_entry__ordered(e, t))
			continue;
		if (!e->write && !a->write)
			continue;
		if (!(e->mask & mask))
			continue;
		if (e->atomic && a->atomic)
			continue;
		if (d->opts.race)
			d->opts.race(d->opts.ctx, loc, a, e->acc);
	}
	for (i = j = 0; i < loc->nr; i++) {
		e = &loc->ent[i];
		if (rw_entry__superseded(e, t, a->write, mask))
			rw_access__put(e->acc);
		else
			loc->ent[j++] = *e;
	}
	loc->nr = j;
	if (rw_grow((void **)&loc->ent, &loc->cap, loc->nr + 1, sizeof(*loc->ent)))
		return -ENOMEM;
	e = &loc->ent[loc->nr++];
	e->slot = t->slot;
	e->clock = rw_vc__get(&t->vc, t->slot);
	e->write = a->write;
	e->atomic = a->atomic;
	e->mask = mask;
	e->acc = rw_access__get(a);
	return 0;
}
