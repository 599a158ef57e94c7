// SPDX-License-Identifier: GPL-2.0
/*
 * The engine front object: watches, maps snapshots, the reorder window,
 * dispatch to the detector, deduplicated reports, recording.
 */
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "detector.h"
#include "engine.h"
#include "merge.h"
#include "replay.h"
#include "report.h"
#include "symbolize.h"

#define RW_DEFAULT_REORDER_NS	(20ULL * 1000 * 1000)
#define RW_DEFAULT_MAX_PENDING	(1u << 20)
#define RW_DEFAULT_MAX_REPORTS	10000

/**
 * struct rw_watch - a watch the engine knows
 * @id: watch id
 * @pid: process
 * @addr: address in @pid
 * @len: length
 * @loc: its location (a reference); NULL for a watch of RW_KEY_EACH_PROCESS
 * @name: for RW_KEY_EACH_PROCESS, the name its locations get
 * @procs: for RW_KEY_EACH_PROCESS, struct rw_watch_proc by (pid, address)
 */
struct rw_watch {
	__u32 id;
	__u32 pid;
	__u64 addr;
	__u32 len;
	struct rw_loc *loc;
	char *name;
	void *procs;
};

/**
 * struct rw_watch_proc - the location of an RW_KEY_EACH_PROCESS watch in one process
 * @pid: the process
 * @addr: the address in it
 * @loc: (RW_KEY_PRIVATE, @pid, @addr) (a reference)
 */
struct rw_watch_proc {
	__u32 pid;
	__u64 addr;
	struct rw_loc *loc;
};

/**
 * struct rw_pidmaps - the current maps snapshot of a process
 * @pid: process
 * @maps: snapshot (a reference)
 * @refreshed_ns: record time of the last re-read of its maps by the engine
 */
struct rw_pidmaps {
	__u32 pid;
	struct rw_maps *maps;
	__u64 refreshed_ns;
};

/**
 * struct rw_report_ent - one distinct report
 * @loc_key: location identity
 * @a: code location and kind of one access (the smaller)
 * @b: the other
 * @ka: kind bits of @a (1 write, 2 atomic)
 * @kb: kind bits of @b
 * @id: report number, from 1
 * @count: racing pairs seen with this key
 * @nr_tids: threads in @tids
 * @tids: threads of every occurrence (the first 16)
 * @funcs: frame-0 functions of the first occurrence (for the JSON summary)
 * @name: location name
 * @primary: NULL for a report; for a pair folded into a report, that report
 */
struct rw_report_ent {
	struct rw_key loc_key;
	__u64 a;
	__u64 b;
	__u8 ka;
	__u8 kb;
	__u64 id;
	__u64 count;
	__u32 nr_tids;
	__u32 tids[16];
	char funcs[2][64];
	char name[64];
	struct rw_report_ent *primary;
};

/**
 * struct rw_engine - see engine.h
 * @o: settings
 * @out: report stream (NULL when quiet)
 * @rec: replay file being written, or NULL
 * @det: happens-before detector
 * @dec: instruction decoder
 * @merge: reorder window
 * @watches: struct rw_watch by id
 * @maps: struct rw_pidmaps by pid
 * @reports: struct rw_report_ent by key
 * @rep: reports in id order
 * @nr_rep: entries in @rep
 * @cap_rep: room in @rep
 * @window: reorder window in ns
 * @in_order: process records at once, in arrival order (replay)
 * @max_seen: newest timestamp pushed
 * @last_done: timestamp of the last record processed in order
 * @done_any: some record was processed
 * @err: first error met inside a callback
 * @st: counters
 */
struct rw_engine {
	struct rw_engine_opts o;
	FILE *out;
	FILE *rec;
	struct rw_det *det;
	struct rw_decoder *dec;
	struct rw_merge merge;
	void *watches;
	void *maps;
	void *reports;
	struct rw_report_ent **rep;
	__u32 nr_rep;
	__u32 cap_rep;
	__u64 window;
	bool in_order;
	__u64 max_seen;
	__u64 last_done;
	bool done_any;
	int err;
	struct rw_engine_stats st;
};

static int rw_watch__cmp(const void *a, const void *b)
{
	const struct rw_watch *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int rw_watch_proc__cmp(const void *a, const void *b)
{
	const struct rw_watch_proc *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int rw_pidmaps__cmp(const void *a, const void *b)
{
	const struct rw_pidmaps *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int rw_cmp_u64(__u64 a, __u64 b)
{
	return a < b ? -1 : a > b;
}

static int rw_report_ent__cmp(const void *pa, const void *pb)
{
	const struct rw_report_ent *x = pa, *y = pb;
	int c = memcmp(&x->loc_key, &y->loc_key, sizeof(x->loc_key));

	if (c)
		return c;
	if ((c = rw_cmp_u64(x->a, y->a)) || (c = rw_cmp_u64(x->b, y->b)))
		return c;
	if (x->ka != y->ka)
		return x->ka < y->ka ? -1 : 1;
	return x->kb < y->kb ? -1 : x->kb > y->kb;
}

static struct rw_maps *rw_engine__maps_of(struct rw_engine *e, __u32 pid)
{
	struct rw_pidmaps k = { .pid = pid }, **p;

	p = tfind(&k, &e->maps, rw_pidmaps__cmp);
	return p ? (*p)->maps : NULL;
}

/* ---- reports -------------------------------------------------------------------------------- */

static __u8 rw_access__kindbits(const struct rw_access *a)
{
	return (a->write ? 1 : 0) | (a->atomic ? 2 : 0);
}

/*
 * A report already made on this location that shares a code location with
 * the new pair (unless every distinct pair is wanted): like ThreadSanitizer,
 * the read-write and write-write races of one racy increment are one bug.
 */
static struct rw_report_ent *rw_engine__fold(struct rw_engine *e, const struct rw_report_ent *k)
{
	__u32 i;

	if (e->o.dedup_code_pairs)
		return NULL;
	for (i = 0; i < e->nr_rep; i++) {
		struct rw_report_ent *r = e->rep[i];

		if (memcmp(&r->loc_key, &k->loc_key, sizeof(k->loc_key)))
			continue;
		if (r->a == k->a || r->a == k->b || r->b == k->a || r->b == k->b)
			return r;
	}
	return NULL;
}

static int rw_engine__rep_append(struct rw_engine *e, struct rw_report_ent *r)
{
	if (e->nr_rep == e->cap_rep) {
		__u32 cap = e->cap_rep ? e->cap_rep * 2 : 16;
		void *n = realloc(e->rep, cap * sizeof(*e->rep));

		if (!n)
			return -ENOMEM;
		e->rep = n;
		e->cap_rep = cap;
	}
	e->rep[e->nr_rep++] = r;
	r->id = e->nr_rep;
	return 0;
}

/*
 * The report a racing pair belongs to: found by its exact key, folded into
 * an earlier report, or new (*fresh). NULL past max_reports.
 */
static struct rw_report_ent *rw_engine__report_ent(struct rw_engine *e, const struct rw_loc *loc,
						   const struct rw_access *cur,
						   const struct rw_access *prev, bool *fresh)
{
	struct rw_report_ent k = {}, *r, *primary, **p;
	__u64 ca = cur->codeloc, cb = prev->codeloc;
	__u8 ka = rw_access__kindbits(cur), kb = rw_access__kindbits(prev);

	k.loc_key = loc->key;
	if (ca < cb || (ca == cb && ka <= kb)) {
		k.a = ca, k.ka = ka, k.b = cb, k.kb = kb;
	} else {
		k.a = cb, k.ka = kb, k.b = ca, k.kb = ka;
	}
	*fresh = false;
	p = tfind(&k, &e->reports, rw_report_ent__cmp);
	if (p)
		return (*p)->primary ? (*p)->primary : *p;
	primary = rw_engine__fold(e, &k);
	if (!primary && e->nr_rep >= e->o.max_reports)
		return NULL;
	r = malloc(sizeof(*r));
	if (!r)
		goto err_nomem;
	*r = k;
	r->primary = primary;
	if (!primary && rw_engine__rep_append(e, r))
		goto err_free;
	if (!tsearch(r, &e->reports, rw_report_ent__cmp)) {
		if (!primary)
			e->nr_rep--;
		goto err_free;
	}
	if (primary)
		return primary;
	snprintf(r->name, sizeof(r->name), "%s", loc->name);
	*fresh = true;
	return r;

err_free:
	free(r);
err_nomem:
	e->err = e->err ? e->err : -ENOMEM;
	return NULL;
}

static void rw_loc__note_tid(struct rw_loc *loc, __u32 tid)
{
	__u32 i, *n;

	for (i = 0; i < loc->nr_tids; i++)
		if (loc->tids[i] == tid)
			return;
	n = realloc(loc->tids, (loc->nr_tids + 1) * sizeof(*n));
	if (!n)
		return;
	loc->tids = n;
	loc->tids[loc->nr_tids++] = tid;
}

static void rw_report_ent__tid(struct rw_report_ent *r, __u32 tid)
{
	__u32 i;

	for (i = 0; i < r->nr_tids; i++)
		if (r->tids[i] == tid)
			return;
	if (r->nr_tids < sizeof(r->tids) / sizeof(r->tids[0]))
		r->tids[r->nr_tids++] = tid;
}

/* Remember the two frame-0 functions, for the JSON summary. */
static void rw_report_ent__funcs(struct rw_report_ent *r, struct rw_access *cur,
				 struct rw_access *prev)
{
	struct rw_access *acc[2] = { cur, prev };
	int i;

	for (i = 0; i < 2; i++) {
		struct rw_frame fr;

		rw_frame__symbolize(acc[i]->maps, acc[i]->pc, acc[i]->pc, &fr);
		snprintf(r->funcs[i], sizeof(r->funcs[i]), "%s", fr.func ? fr.func : "");
		rw_frame__fini(&fr);
	}
}

/* Detector callback: an unordered conflicting pair. */
static void rw_engine__on_race(void *ctx, struct rw_loc *loc, struct rw_access *cur,
			       struct rw_access *prev)
{
	struct rw_engine *e = ctx;
	struct rw_report_ent *r;
	struct rw_race_info info;
	bool fresh;
	char *text;

	e->st.race_events++;
	r = rw_engine__report_ent(e, loc, cur, prev, &fresh);
	if (!r)
		return;
	r->count++;
	rw_report_ent__tid(r, cur->tid);
	rw_report_ent__tid(r, prev->tid);
	if (!fresh)
		return;
	e->st.races++;
	loc->races++;
	rw_report_ent__funcs(r, cur, prev);
	rw_loc__note_tid(loc, cur->tid);
	rw_loc__note_tid(loc, prev->tid);
	text = rw_report__race(e->o.format, r->id, loc, cur, prev);
	if (!text) {
		e->err = e->err ? e->err : -ENOMEM;
		return;
	}
	if (e->out) {
		fputs(text, e->out);
		fflush(e->out);
	}
	if (e->o.on_report) {
		char *json = e->o.format == RW_FORMAT_JSON ? text :
			     rw_report__race(RW_FORMAT_JSON, r->id, loc, cur, prev);

		info = (struct rw_race_info){
			.id = r->id, .location = loc->name, .cur_tid = cur->tid,
			.prev_tid = prev->tid, .cur_write = cur->write, .prev_write = prev->write,
			.text = text, .json = json ? json : "",
		};
		e->o.on_report(e->o.ctx, &info);
		if (json != text)
			free(json);
	}
	free(text);
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

/**
 * rw_engine__new() - make an engine
 * @opts: settings (see struct rw_engine_opts); NULL for all defaults
 *
 * Return: the engine, or NULL with errno set.
 */
struct rw_engine *rw_engine__new(const struct rw_engine_opts *opts)
{
	struct rw_det_opts dopts = {};
	struct rw_engine *e;
	int err;

	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	if (opts)
		memcpy(&e->o, opts, opts->sz < sizeof(e->o) ? opts->sz : sizeof(e->o));
	e->o.sz = sizeof(e->o);
	e->out = e->o.quiet ? NULL : e->o.out ? e->o.out : stdout;
	e->window = e->o.reorder_ns ? e->o.reorder_ns : RW_DEFAULT_REORDER_NS;
	if (!e->o.max_pending)
		e->o.max_pending = RW_DEFAULT_MAX_PENDING;
	if (!e->o.max_reports)
		e->o.max_reports = RW_DEFAULT_MAX_REPORTS;
	dopts.max_threads = e->o.max_threads;
	dopts.max_exited = e->o.max_exited;
	dopts.race = rw_engine__on_race;
	dopts.ctx = e;
	e->det = rw_det__new(&dopts);
	if (!e->det) {
		err = -ENOMEM;
		goto err_free;
	}
	err = rw_decoder__new(&e->dec);
	if (err)
		goto err_free;
	if (e->o.record_path) {
		e->rec = rw_recorder__open(e->o.record_path, e->window);
		if (!e->rec) {
			err = -errno;
			goto err_free;
		}
	}
	return e;

err_free:
	rw_engine__free(e);
	errno = -err;
	return NULL;
}

void rw_engine__set_in_order(struct rw_engine *e)
{
	e->in_order = true;
	e->window = 0;
}

static void rw_watch__free(void *p)
{
	struct rw_watch *w = p;

	/* locations go with the detector; watches only point at them */
	tdestroy(w->procs, free);
	free(w->name);
	free(w);
}

static void rw_plain__free(void *p)
{
	free(p);
}

static void rw_pidmaps__free(void *p)
{
	struct rw_pidmaps *pm = p;

	rw_maps__put(pm->maps);
	free(pm);
}

void rw_engine__free(struct rw_engine *e)
{
	if (!e)
		return;
	rw_merge__fini(&e->merge);
	if (e->rec)
		rw_recorder__close(e->rec);
	/* locations go with the detector; watches only point at them */
	tdestroy(e->watches, rw_watch__free);
	rw_det__free(e->det);
	tdestroy(e->maps, rw_pidmaps__free);
	tdestroy(e->reports, rw_plain__free);
	free(e->rep);
	rw_decoder__free(e->dec);
	free(e);
}

/* ---- watches and maps ----------------------------------------------------------------------- */

/**
 * rw_engine__add_watch() - tell the engine about a watch
 * @e: engine
 * @w: the watch; w->key RW_KEY_NONE means private memory of w->pid
 *
 * Return: 0, -EINVAL for a bad description, -EEXIST for a known id,
 * -ENOMEM.
 */
int rw_engine__add_watch(struct rw_engine *e, const struct rw_watch_desc *w)
{
	struct rw_watch *nw, **p;
	struct rw_key key;
	int err;

	if (!w || w->sz < sizeof(*w) || !w->len || w->len > 8)
		return -EINVAL;
	key = w->key;
	if (key.kind == RW_KEY_NONE)
		key = (struct rw_key){ .kind = RW_KEY_PRIVATE, .id = w->pid, .off = w->addr };
	else if (key.kind != RW_KEY_PRIVATE && key.kind != RW_KEY_SHARED &&
		 key.kind != RW_KEY_EACH_PROCESS)
		return -EINVAL;
	nw = calloc(1, sizeof(*nw));
	if (!nw)
		return -ENOMEM;
	nw->id = w->id;
	nw->pid = w->pid;
	nw->addr = w->addr;
	nw->len = w->len;
	p = tsearch(nw, &e->watches, rw_watch__cmp);
	if (!p || *p != nw) {
		free(nw);
		return p ? -EEXIST : -ENOMEM;
	}
	if (key.kind == RW_KEY_EACH_PROCESS)
		nw->name = strdup(w->name ? w->name : "");
	else
		nw->loc = rw_det__loc_get(e->det, &key, w->name, w->len);
	if (key.kind == RW_KEY_EACH_PROCESS ? !nw->name : !nw->loc) {
		tdelete(nw, &e->watches, rw_watch__cmp);
		free(nw);
		return -ENOMEM;
	}
	if (e->rec) {
		err = rw_recorder__watch(e->rec, w, &key);
		if (err)
			return err;
	}
	return 0;
}

/**
 * rw_engine__remove_watch() - forget a watch
 * @e: engine
 * @id: its id
 *
 * A location's state is freed with its last watch.
 *
 * Return: 0 or -ENOENT.
 */
int rw_engine__remove_watch(struct rw_engine *e, __u32 id)
{
	struct rw_watch k = { .id = id }, **p, *w;

	p = tfind(&k, &e->watches, rw_watch__cmp);
	if (!p)
		return -ENOENT;
	w = *p;
	tdelete(w, &e->watches, rw_watch__cmp);
	if (w->loc)
		rw_det__loc_put(e->det, w->loc);
	while (w->procs) {
		struct rw_watch_proc *wp = *(struct rw_watch_proc **)w->procs;

		tdelete(wp, &w->procs, rw_watch_proc__cmp);
		rw_det__loc_put(e->det, wp->loc);
		free(wp);
	}
	rw_watch__free(w);
	return 0;
}

/* The location of an RW_KEY_EACH_PROCESS watch in process @pid at @addr; NULL: no memory. */
static struct rw_loc *rw_watch__proc_loc(struct rw_engine *e, struct rw_watch *w, __u32 pid,
					 __u64 addr)
{
	struct rw_watch_proc k = { .pid = pid, .addr = addr }, *wp, **p;
	struct rw_key key = { .kind = RW_KEY_PRIVATE, .id = pid, .off = addr };

	p = tfind(&k, &w->procs, rw_watch_proc__cmp);
	if (p)
		return (*p)->loc;
	wp = calloc(1, sizeof(*wp));
	if (!wp)
		return NULL;
	*wp = k;
	wp->loc = rw_det__loc_get(e->det, &key, w->name, w->len);
	if (!wp->loc || !tsearch(wp, &w->procs, rw_watch_proc__cmp)) {
		if (wp->loc)
			rw_det__loc_put(e->det, wp->loc);
		free(wp);
		return NULL;
	}
	return wp->loc;
}

/**
 * rw_engine__add_maps() - give the engine a process's memory map
 * @e: engine
 * @pid: the process
 * @maps_text: text of /proc/PID/maps, taken while it was alive
 *
 * Replaces the process's earlier snapshot for accesses processed from now
 * on; accesses already processed keep theirs.
 *
 * Return: 0 or -errno.
 */
int rw_engine__add_maps(struct rw_engine *e, __u32 pid, const char *maps_text)
{
	struct rw_pidmaps k = { .pid = pid }, *pm, **p;
	struct rw_maps *m;
	int err;

	m = rw_maps__parse(pid, maps_text);
	if (!m)
		return -errno;
	p = tfind(&k, &e->maps, rw_pidmaps__cmp);
	if (p) {
		rw_maps__put((*p)->maps);
		(*p)->maps = m;
	} else {
		pm = malloc(sizeof(*pm));
		if (!pm)
			goto err_nomem;
		pm->pid = pid;
		pm->maps = m;
		pm->refreshed_ns = 0;
		if (!tsearch(pm, &e->maps, rw_pidmaps__cmp)) {
			free(pm);
			goto err_nomem;
		}
	}
	if (e->rec) {
		err = rw_recorder__maps(e->rec, pid, maps_text);
		if (err)
			return err;
	}
	return 0;

err_nomem:
	rw_maps__put(m);
	return -ENOMEM;
}

/**
 * rw_engine__snapshot_pid() - read /proc/PID/maps now and add it
 * @e: engine
 * @pid: a live process
 *
 * Return: 0 or -errno (-ENOENT: no such process).
 */
int rw_engine__snapshot_pid(struct rw_engine *e, __u32 pid)
{
	char *text;
	int err;

	err = rw_maps__read(pid, &text);
	if (err)
		return err;
	err = rw_engine__add_maps(e, pid, text);
	free(text);
	return err;
}

/* ---- processing ----------------------------------------------------------------------------- */

static int rw_engine__access(struct rw_engine *e, const struct racewatch_access *r)
{
	struct rw_watch k = { .id = r->watch_id }, **p;
	struct rw_loc *loc;
	struct rw_thread *t;
	struct rw_access *a;
	struct rw_insn insn;
	int err;

	e->st.accesses++;
	p = tfind(&k, &e->watches, rw_watch__cmp);
	if (!p) {
		e->st.unknown_watch++;
		return 0;
	}
	loc = (*p)->loc ? (*p)->loc : rw_watch__proc_loc(e, *p, r->pid, r->addr);
	if (!loc)
		return -ENOMEM;
	t = rw_det__thread(e->det, r->pid, r->tid, r->regs.fsbase, r->comm);
	if (!t)
		return 0;	/* counted by the detector (max_threads) */
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->refs = 1;
	a->time_ns = r->time_ns;
	a->pid = r->pid;
	a->tid = r->tid;
	a->watch_id = r->watch_id;
	a->len = (*p)->len;
	a->addr = r->addr;
	a->value = r->value;
	a->value_ok = r->flags & RACEWATCH_ACCESS_F_VALUE_OK;
	a->write = r->access == RACEWATCH_ACCESS_WRITE;
	memcpy(a->comm, r->comm, sizeof(a->comm));
	a->ip = r->regs.ip;
	a->maps = rw_maps__get(rw_engine__maps_of(e, r->pid));
	/* the decoder reads x86-64 code: a 32-bit task's is left undecoded, not misread */
	if (r->flags & RACEWATCH_ACCESS_F_COMPAT)
		memset(&insn, 0, sizeof(insn));
	else
		rw_decoder__insn(e->dec, a->maps, a->ip, &insn);
	a->pc = insn.start;
	a->mask = rw_insn__mask(&insn, a->ip, a->addr, a->len);
	a->atomic = insn.atomic;
	a->decode_how = insn.how;
	memcpy(a->insn, insn.text, sizeof(a->insn));
	/*
	 * One trap may report a read-modify-write as a read (QEMU sets only the
	 * first matching debug-register slot): the instruction says it wrote.
	 */
	if (!a->write && insn.how == RW_DECODE_FORWARD && insn.writes_mem) {
		a->write = true;
		e->st.reclassified++;
	}
	if (insn.atomic)
		e->st.atomic_accesses++;
	if (insn.how == RW_DECODE_NONE)
		e->st.undecoded++;
	a->codeloc = rw_maps__codeloc(a->maps, a->pid, a->pc);
	if (r->nr_stack) {
		a->stack = malloc(r->nr_stack * sizeof(*a->stack));
		if (!a->stack) {
			rw_access__put(a);
			return -ENOMEM;
		}
		memcpy(a->stack, r->stack, r->nr_stack * sizeof(*a->stack));
		a->nr_stack = r->nr_stack;
	}
	err = rw_det__access(e->det, t, loc, a);
	rw_access__put(a);
	return err;
}

#define RW_REFRESH_NS	(100ULL * 1000 * 1000)

static bool rw_access__covered(const struct rw_maps *m, const struct racewatch_access *r)
{
	__u32 i;

	if (!rw_maps__find(m, r->regs.ip - 1))
		return false;
	for (i = 0; i < r->nr_stack; i++)
		if (!rw_maps__find(m, r->stack[i] - 1))
			return false;
	return true;
}

/*
 * A live access whose code is not in its process's snapshot (a library
 * mapped since, or no snapshot at all): re-read the maps while the process
 * lives, at most every RW_REFRESH_NS of record time per process. The new
 * snapshot is recorded before the access, so a replay sees the same.
 */
static void rw_engine__refresh_maps(struct rw_engine *e, const struct racewatch_access *r)
{
	struct rw_pidmaps k = { .pid = r->pid }, **p;

	struct rw_pidmaps *pm;

	if (e->in_order)
		return;
	p = tfind(&k, &e->maps, rw_pidmaps__cmp);
	if (p && (((*p)->maps && rw_access__covered((*p)->maps, r)) ||
		  ((*p)->refreshed_ns && (*p)->refreshed_ns + RW_REFRESH_NS > r->time_ns)))
		return;
	rw_engine__snapshot_pid(e, r->pid);	/* gone: keep what we have */
	p = tfind(&k, &e->maps, rw_pidmaps__cmp);
	if (!p) {
		/* remember the failure too, so a gone process is not retried per access */
		pm = calloc(1, sizeof(*pm));
		if (!pm)
			return;
		pm->pid = r->pid;
		p = tsearch(pm, &e->maps, rw_pidmaps__cmp);
		if (!p) {
			free(pm);
			return;
		}
	}
	(*p)->refreshed_ns = r->time_ns ? r->time_ns : 1;
}

/* Process one record now: record it, then give it to the detector. */
static int rw_engine__process(struct rw_engine *e, const void *rec, size_t len)
{
	const __u32 *hdr = rec;
	int err;

	if (hdr[0] == RACEWATCH_REC_ACCESS)
		rw_engine__refresh_maps(e, rec);
	if (e->rec) {
		err = rw_recorder__write(e->rec, rec, len);
		if (err)
			return err;
	}
	if (hdr[0] == RACEWATCH_REC_ACCESS) {
		err = rw_engine__access(e, rec);
	} else {
		e->st.syncs++;
		err = rw_det__sync(e->det, rec);
		if (err == -EINVAL) {	/* unknown op: counted, not fatal */
			e->st.bad_records++;
			err = 0;
		}
	}
	if (!err && e->err) {
		err = e->err;
		e->err = 0;
	}
	return err;
}

/* Take the oldest held record and process it. */
static int rw_engine__pop(struct rw_engine *e)
{
	struct rw_merge_item it;
	int err;

	rw_merge__pop(&e->merge, &it);
	if (!e->done_any || it.time_ns > e->last_done)
		e->last_done = it.time_ns;
	e->done_any = true;
	err = rw_engine__process(e, it.rec, it.len);
	free(it.rec);
	return err;
}

/* Process every held record stamped at or before @limit. */
static int rw_engine__release(struct rw_engine *e, __u64 limit)
{
	const struct rw_merge_item *it;
	int err;

	while ((it = rw_merge__peek(&e->merge)) && it->time_ns <= limit) {
		err = rw_engine__pop(e);
		if (err)
			return err;
	}
	return 0;
}

static int rw_record__check(const void *rec, size_t len)
{
	const struct racewatch_access *a = rec;
	const __u32 *hdr = rec;

	if (len < 16 || hdr[1] > len || hdr[1] < 16)
		return -EINVAL;
	switch (hdr[0]) {
	case RACEWATCH_REC_ACCESS:
		if (hdr[1] < sizeof(*a) || a->nr_stack > RACEWATCH_MAX_STACK ||
		    hdr[1] < sizeof(*a) + a->nr_stack * sizeof(__u64))
			return -EINVAL;
		return 0;
	case RW_REC_SYNC:
		return hdr[1] < sizeof(struct rw_sync_event) ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

/**
 * rw_engine__push() - hand the engine one record
 * @e: engine
 * @rec: a struct racewatch_access or struct rw_sync_event (copied)
 * @len: bytes at @rec (at least the record's size field)
 *
 * The record is held in the reorder window; records older than the newest
 * timestamp minus the window are processed. A record older than one
 * already processed is counted as late and processed at once.
 *
 * Return: 0, -EINVAL for a malformed record (counted), or -errno.
 */
int rw_engine__push(struct rw_engine *e, const void *rec, size_t len)
{
	const struct racewatch_access *a = rec;
	__u64 t;
	int err;

	if (rw_record__check(rec, len)) {
		e->st.bad_records++;
		return -EINVAL;
	}
	len = a->size;
	t = a->time_ns;		/* time_ns is at offset 8 in both record types */
	if (e->done_any && t < e->last_done) {
		e->st.late++;
		return rw_engine__process(e, rec, len);
	}
	err = rw_merge__push(&e->merge, t, rec, len);
	if (err)
		return err;
	if (t > e->max_seen)
		e->max_seen = t;
	while (e->merge.nr > e->o.max_pending) {
		err = rw_engine__pop(e);
		if (err)
			return err;
	}
	if (e->o.drain_only || e->max_seen < e->window)
		return 0;
	return rw_engine__release(e, e->max_seen - e->window);
}

/**
 * rw_engine__drain() - process what the window has let go by @now_ns
 * @e: engine
 * @now_ns: CLOCK_MONOTONIC now; records older than now minus the window
 *	are processed (a quiet ring cannot hold records back forever)
 *
 * Return: 0 or -errno.
 */
int rw_engine__drain(struct rw_engine *e, __u64 now_ns)
{
	if (now_ns < e->window)
		return 0;
	return rw_engine__release(e, now_ns - e->window);
}

static void rw_engine__summary_text(struct rw_engine *e)
{
	__u32 i, j, k, nlocs = 0;

	if (e->st.late)
		fprintf(e->out, "racewatch: warning: %llu records arrived after the reorder window\n",
			(unsigned long long)e->st.late);
	if (e->st.race_events > e->st.races && e->st.races)
		fprintf(e->out, "racewatch: %llu racing access pairs in all (repeats of the reports above)\n",
			(unsigned long long)e->st.race_events);
	fprintf(e->out, "racewatch: %llu data race%s reported", (unsigned long long)e->st.races,
		e->st.races == 1 ? "" : "s");
	for (i = 0; i < e->nr_rep; i++) {
		__u32 tids[64], nt = 0;

		for (j = 0; j < i; j++)
			if (!strcmp(e->rep[j]->name, e->rep[i]->name))
				break;
		if (j < i)
			continue;	/* location already listed */
		for (j = i; j < e->nr_rep; j++) {
			if (strcmp(e->rep[j]->name, e->rep[i]->name))
				continue;
			for (__u32 s = 0; s < e->rep[j]->nr_tids; s++) {
				for (k = 0; k < nt && tids[k] != e->rep[j]->tids[s]; k++)
					;
				if (k == nt && nt < 64)
					tids[nt++] = e->rep[j]->tids[s];
			}
		}
		fprintf(e->out, "%s%s: %u threads", nlocs ? ", " : " (", e->rep[i]->name, nt);
		nlocs++;
	}
	if (nlocs)
		fprintf(e->out, ", %u location%s)", nlocs, nlocs == 1 ? "" : "s");
	fputc('\n', e->out);
}

static void rw_engine__summary_json(struct rw_engine *e)
{
	struct rw_det_stats ds;
	__u32 i;

	rw_det__stats(e->det, &ds);
	fprintf(e->out, "{\"type\":\"summary\",\"races\":%llu,\"race_events\":%llu,\"reports\":[",
		(unsigned long long)e->st.races, (unsigned long long)e->st.race_events);
	for (i = 0; i < e->nr_rep; i++) {
		fprintf(e->out, "%s{\"id\":%llu,\"location\":", i ? "," : "",
			(unsigned long long)e->rep[i]->id);
		rw_json__str(e->out, e->rep[i]->name);
		fputs(",\"functions\":[", e->out);
		rw_json__str(e->out, e->rep[i]->funcs[0][0] ? e->rep[i]->funcs[0] : NULL);
		fputc(',', e->out);
		rw_json__str(e->out, e->rep[i]->funcs[1][0] ? e->rep[i]->funcs[1] : NULL);
		fprintf(e->out, "],\"count\":%llu}", (unsigned long long)e->rep[i]->count);
	}
	fprintf(e->out, "],\"accesses\":%llu,\"syncs\":%llu,\"late\":%llu,\"unknown_watch\":%llu,"
		"\"unresolved_joins\":%llu,\"dropped_threads\":%llu,\"atomic_accesses\":%llu,"
		"\"undecoded\":%llu,\"reclassified\":%llu,\"bad_records\":%llu,\"threads\":%llu}\n",
		(unsigned long long)e->st.accesses, (unsigned long long)e->st.syncs,
		(unsigned long long)e->st.late, (unsigned long long)e->st.unknown_watch,
		(unsigned long long)ds.unresolved_joins, (unsigned long long)ds.dropped_threads,
		(unsigned long long)e->st.atomic_accesses, (unsigned long long)e->st.undecoded,
		(unsigned long long)e->st.reclassified, (unsigned long long)e->st.bad_records,
		(unsigned long long)ds.threads);
}

/**
 * rw_engine__finish() - process everything held, print the summary
 * @e: engine
 *
 * Return: 0 or -errno.
 */
int rw_engine__finish(struct rw_engine *e)
{
	int err = 0;

	while (rw_merge__peek(&e->merge) && !err)
		err = rw_engine__pop(e);
	if (e->out) {
		if (e->o.format == RW_FORMAT_JSON)
			rw_engine__summary_json(e);
		else
			rw_engine__summary_text(e);
		fflush(e->out);
	}
	if (e->rec && fflush(e->rec) && !err)
		err = -EIO;
	return err;
}

__u64 rw_engine__races(const struct rw_engine *e)
{
	return e->st.races;
}

void rw_engine__stats(const struct rw_engine *e, struct rw_engine_stats *st)
{
	struct rw_det_stats ds;

	*st = e->st;
	rw_det__stats(e->det, &ds);
	st->unresolved_joins = ds.unresolved_joins;
	st->dropped_threads = ds.dropped_threads;
	st->sync_objects = ds.objects;
}
