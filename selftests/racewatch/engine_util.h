/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the engine tests (engine_*_test.c): write a replay file by
 * hand (header, watches, maps, access and sync records with increasing
 * timestamps), replay it through the engine and collect what it reports.
 */
#ifndef __ENGINE_UTIL_H
#define __ENGINE_UTIL_H

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"

#define ST_PID		4240u
#define ST_MAX_REPORTS	32
#define ST_FSBASE(tid)	(0x7f0000000000ULL + (__u64)(tid) * 0x10000)
#define ST_IP(site)	(0x401000ULL + (__u64)(site) * 0x10)

struct stream {
	FILE *f;
	char path[64];
	__u64 now;
	__u64 seq;
	__u32 fs_tid;		/* this thread's pthread_t is fs_val, not ST_FSBASE() */
	__u64 fs_val;
};

static inline __u64 stream_fs(const struct stream *s, __u32 tid)
{
	return s->fs_tid && tid == s->fs_tid ? s->fs_val : ST_FSBASE(tid);
}

struct collected {
	int n;
	struct rw_race_info info[ST_MAX_REPORTS];
	char *text[ST_MAX_REPORTS];
};

static inline void stream_write(struct stream *s, const void *rec, size_t len)
{
	static const char pad[8];

	fwrite(rec, 1, len, s->f);
	fwrite(pad, 1, (8 - len % 8) % 8, s->f);
}

static inline int stream_open(struct stream *s)
{
	struct rw_rec_file_hdr h = {
		.type = RW_REC_FILE_HDR, .size = sizeof(h), .magic = RW_REPLAY_MAGIC,
		.version = RW_REPLAY_VERSION,
	};
	int fd;

	memset(s, 0, sizeof(*s));
	strcpy(s->path, "/tmp/rw_engine_test.XXXXXX");
	fd = mkstemp(s->path);
	if (fd < 0)
		return -1;
	s->f = fdopen(fd, "w");
	if (!s->f)
		return -1;
	s->now = 1000000000ULL;
	stream_write(s, &h, sizeof(h));
	return 0;
}

static inline void stream_close(struct stream *s)
{
	if (s->f)
		fclose(s->f);
	s->f = NULL;
}

static inline void stream_remove(struct stream *s)
{
	stream_close(s);
	unlink(s->path);
}

static inline struct rw_key key_private(__u32 pid, __u64 addr)
{
	return (struct rw_key){ .kind = RW_KEY_PRIVATE, .id = pid, .off = addr };
}

static inline void stream_watch_key(struct stream *s, __u32 id, __u32 pid, __u64 addr, __u32 len,
				    const char *name, struct rw_key key)
{
	struct rw_rec_watch w = {
		.type = RW_REC_WATCH, .size = sizeof(w), .id = id, .pid = pid, .addr = addr,
		.len = len, .key = key,
	};

	snprintf(w.name, sizeof(w.name), "%s", name);
	stream_write(s, &w, sizeof(w));
}

static inline void stream_watch(struct stream *s, __u32 id, __u64 addr, __u32 len,
				const char *name)
{
	stream_watch_key(s, id, ST_PID, addr, len, name, key_private(ST_PID, addr));
}

static inline void stream_maps(struct stream *s, __u32 pid, const char *text)
{
	size_t n = strlen(text);
	struct rw_rec_maps h = {
		.type = RW_REC_MAPS, .size = sizeof(h) + n + 1, .pid = pid, .text_len = n,
	};
	char *buf = calloc(1, h.size);

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), text, n + 1);
	stream_write(s, buf, h.size);
	free(buf);
}

/* An access by (pid, tid) through watch @id at @ip, with up to 4 callers. */
static inline void stream_access_pid(struct stream *s, __u32 pid, __u32 tid, __u32 id,
				     __u64 addr, int write, __u64 ip, int nstack,
				     const __u64 *stack)
{
	char buf[sizeof(struct racewatch_access) + 4 * sizeof(__u64)] = {};
	struct racewatch_access *a = (void *)buf;
	int i;

	a->type = RACEWATCH_REC_ACCESS;
	a->size = sizeof(*a) + nstack * sizeof(__u64);
	a->time_ns = s->now += 1000;
	a->pid = pid;
	a->tid = tid;
	a->watch_id = id;
	a->addr = addr;
	a->access = write ? RACEWATCH_ACCESS_WRITE : RACEWATCH_ACCESS_READ;
	a->len = 8;
	a->seq = s->seq++;
	snprintf(a->comm, sizeof(a->comm), "t%u", tid);
	a->regs.ip = ip;
	a->regs.fsbase = stream_fs(s, tid);
	a->nr_stack = nstack;
	for (i = 0; i < nstack; i++)
		a->stack[i] = stack[i];
	stream_write(s, a, a->size);
}

static inline void stream_access(struct stream *s, __u32 tid, __u32 id, __u64 addr, int write,
				 int site)
{
	stream_access_pid(s, ST_PID, tid, id, addr, write, ST_IP(site), 0, NULL);
}

static inline void stream_sync_full(struct stream *s, __u32 pid, __u32 tid, int op, int prim,
				    struct rw_key obj, struct rw_key obj2, __u64 arg, __u64 arg2,
				    __u32 flags)
{
	struct rw_sync_event e = {
		.type = RW_REC_SYNC, .size = sizeof(e), .pid = pid, .tid = tid, .op = op,
		.prim = prim, .flags = flags, .fsbase = stream_fs(s, tid), .obj = obj, .obj2 = obj2,
		.arg = arg, .arg2 = arg2,
	};

	e.time_ns = s->now += 1000;
	snprintf(e.comm, sizeof(e.comm), "t%u", tid);
	stream_write(s, &e, sizeof(e));
}

/*
 * A sync op of thread @tid of process @pid on the private object at @obj
 * (0: no object), with its arguments and flags.
 */
static inline void stream_op(struct stream *s, __u32 pid, __u32 tid, int op, int prim, __u64 obj,
			     __u64 arg, __u64 arg2, __u32 flags)
{
	struct rw_key none = {};

	stream_sync_full(s, pid, tid, op, prim, obj ? key_private(pid, obj) : none, none, arg,
			 arg2, flags);
}

/* A sync op of thread @tid of ST_PID on the private object at @obj. */
static inline void stream_sync(struct stream *s, __u32 tid, int op, int prim, __u64 obj)
{
	stream_op(s, ST_PID, tid, op, prim, obj, 0, 0, 0);
}

/* @parent creates thread @child of ST_PID. */
static inline void stream_create(struct stream *s, __u32 parent, __u32 child)
{
	stream_op(s, ST_PID, parent, RW_OP_THREAD_CREATE, RW_PRIM_THREAD, 0, child,
		  stream_fs(s, child), 0);
}

static inline void stream_exit(struct stream *s, __u32 pid, __u32 tid, int last)
{
	stream_op(s, pid, tid, RW_OP_THREAD_EXIT, RW_PRIM_THREAD, 0, last, 0, 0);
}

/* In-memory records, for pushing into a live engine. */
static inline void rec_access(struct racewatch_access *a, __u64 t, __u32 tid, __u32 id,
			      __u64 addr, int write, int site)
{
	memset(a, 0, sizeof(*a));
	a->type = RACEWATCH_REC_ACCESS;
	a->size = sizeof(*a);
	a->time_ns = t;
	a->pid = ST_PID;
	a->tid = tid;
	a->watch_id = id;
	a->addr = addr;
	a->access = write ? RACEWATCH_ACCESS_WRITE : RACEWATCH_ACCESS_READ;
	a->len = 8;
	snprintf(a->comm, sizeof(a->comm), "t%u", tid);
	a->regs.ip = ST_IP(site);
	a->regs.fsbase = ST_FSBASE(tid);
}

static inline void rec_sync(struct rw_sync_event *e, __u64 t, __u32 tid, int op, int prim,
			    __u64 obj, __u64 arg, __u64 arg2)
{
	memset(e, 0, sizeof(*e));
	e->type = RW_REC_SYNC;
	e->size = sizeof(*e);
	e->time_ns = t;
	e->pid = ST_PID;
	e->tid = tid;
	e->op = op;
	e->prim = prim;
	e->fsbase = ST_FSBASE(tid);
	if (obj)
		e->obj = key_private(ST_PID, obj);
	e->arg = arg;
	e->arg2 = arg2;
	snprintf(e->comm, sizeof(e->comm), "t%u", tid);
}

static inline void collect_report(void *ctx, const struct rw_race_info *info)
{
	struct collected *c = ctx;

	if (c->n >= ST_MAX_REPORTS)
		return;
	c->info[c->n] = *info;
	c->text[c->n] = strdup(info->text);
	c->info[c->n].text = c->text[c->n];
	c->info[c->n].location = NULL;
	c->n++;
}

static inline void collected_free(struct collected *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		free(c->text[i]);
	c->n = 0;
}

/*
 * Replay @s, collecting reports into @c and the printed output (reports
 * and summary) into *@out (malloc'd). Returns what rw_replay() returns.
 */
static inline int stream_replay_opts(struct stream *s, struct collected *c, char **out,
				     struct rw_engine_stats *st, enum rw_format fmt,
				     bool dedup_code_pairs)
{
	size_t len = 0;
	FILE *mem;
	int ret;

	stream_close(s);
	*out = NULL;
	mem = open_memstream(out, &len);
	if (!mem)
		return -1;
	struct rw_engine_opts o = {
		.sz = sizeof(o), .out = mem, .format = fmt, .on_report = collect_report, .ctx = c,
		.dedup_code_pairs = dedup_code_pairs,
	};
	ret = rw_replay_stats(s->path, &o, st);
	fclose(mem);
	return ret;
}

static inline int stream_replay_fmt(struct stream *s, struct collected *c, char **out,
				    struct rw_engine_stats *st, enum rw_format fmt)
{
	return stream_replay_opts(s, c, out, st, fmt, false);
}

static inline int stream_replay(struct stream *s, struct collected *c, char **out,
				struct rw_engine_stats *st)
{
	return stream_replay_fmt(s, c, out, st, RW_FORMAT_TEXT);
}

/* Directory of this test's executable, for progs/. */
static inline int self_dir(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		return -1;
	exe[n] = '\0';
	snprintf(buf, len, "%s", dirname(exe));
	return 0;
}

#endif /* __ENGINE_UTIL_H */
