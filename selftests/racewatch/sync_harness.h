/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the sync tracer tests (sync_*_test.c): start progs/sync_target
 * on a pipe handshake, collect the records a struct sync_source delivers,
 * and turn one thread's records into a readable sequence such as
 * "acq~ m, rel m, create T1, join~ T1, exit" that a test compares exactly.
 *
 * Tokens: acq~ / racq~ (lazy write / read acquire), acq / racq (acquire on
 * success), rel, rwrel, condwait COND MUTEX, barrier, once, fwake, fwait,
 * create Tn, fork Pn, join~ Tn (Tn found through the pthread_t = fsbase),
 * waitchild Pn, exec, exit. "+rec" marks
 * RW_SYNC_F_RECURSIVE. Objects are named by the target's "ready" line;
 * records on objects it did not name (glibc's internal locks) and futex
 * records (unless asked for) are left out.
 */
#ifndef __SYNC_HARNESS_H
#define __SYNC_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sync_source.h"

#define SYNC_LOG_MAX	65536
#define SYNC_NAMES_MAX	32
#define SYNC_TIDS_MAX	16

struct sync_log {
	int n;
	struct rw_sync_event ev[SYNC_LOG_MAX];
};

static inline int sync_log_event(void *ctx, const struct rw_sync_event *ev)
{
	struct sync_log *lg = ctx;

	if (lg->n < SYNC_LOG_MAX)
		lg->ev[lg->n++] = *ev;
	return 0;
}

static inline struct sync_source *sync_harness_source(struct sync_log *lg, bool follow,
						       __u32 ring_size)
{
	struct sync_source_opts o = {
		.sz = sizeof(o),
		.ring_size = ring_size,
		.follow_children = follow,
		.on_event = sync_log_event,
		.ctx = lg,
	};

	return sync_source__new(&o);
}

struct sync_run {
	pid_t pid;
	int go_fd;
	FILE *out;
	bool futex;		/* keep futex records in sequences */
	bool pipes;		/* keep pipe records in sequences (the target talks through pipes) */
	int nnames;
	struct {
		char name[16];
		__u64 addr;
	} names[SYNC_NAMES_MAX];
	/* threads of the process in creation order: T0 is the main thread */
	int ntids;
	pid_t tids[SYNC_TIDS_MAX];
	__u64 fsbase[SYNC_TIDS_MAX];
	int created_at[SYNC_TIDS_MAX];	/* log index of the create record */
	int nkids;
	pid_t kids[SYNC_TIDS_MAX];
};

/* Path of a target program beside the test: <dir of /proc/self/exe>/progs/<name> */
static inline void sync_prog_path(const char *name, char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = 0;
	snprintf(buf, len, "%s/progs/%s", dirname(exe), name);
}

static inline void sync_parse_names(struct sync_run *r, char *line)
{
	char *tok, *save = NULL, *eq;

	for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		eq = strchr(tok, '=');
		if (!eq || r->nnames == SYNC_NAMES_MAX)
			continue;
		*eq = 0;
		snprintf(r->names[r->nnames].name, sizeof(r->names[0].name), "%s", tok);
		r->names[r->nnames].addr = strtoull(eq + 1, NULL, 0);
		r->nnames++;
	}
}

/* Start "sync_target SCENARIO [ARG]"; returns once it printed its ready line. */
static inline int sync_run_start(struct sync_run *r, const char *prog, const char *scenario,
				 const char *arg)
{
	int in[2], out[2];
	char path[PATH_MAX], line[1024];

	memset(r, 0, sizeof(*r));
	sync_prog_path(prog, path, sizeof(path));
	if (access(path, X_OK) || pipe(in) || pipe(out))
		return -1;
	r->pid = fork();
	if (r->pid < 0)
		return -1;
	if (r->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(path, path, scenario, arg, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	r->go_fd = in[1];
	r->out = fdopen(out[0], "r");
	if (!r->out || !fgets(line, sizeof(line), r->out) || strncmp(line, "ready ", 6))
		return -1;
	sync_parse_names(r, line + 6);
	return 0;
}

static inline int sync_run_go(struct sync_run *r)
{
	return write(r->go_fd, "g", 1) == 1 ? 0 : -1;
}

/* Wait for the target, read the names it printed later; returns its exit status or -1. */
static inline int sync_run_wait(struct sync_run *r)
{
	char line[1024];
	int st;

	while (r->out && fgets(line, sizeof(line), r->out))
		sync_parse_names(r, line);
	if (r->out)
		fclose(r->out);
	r->out = NULL;
	close(r->go_fd);
	if (waitpid(r->pid, &st, 0) != r->pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static inline void sync_run_kill(struct sync_run *r)
{
	if (r->pid > 0 && !kill(r->pid, SIGKILL))
		waitpid(r->pid, NULL, 0);
	r->pid = 0;
}

static inline __u64 sync_run_addr(const struct sync_run *r, const char *name)
{
	int i;

	for (i = 0; i < r->nnames; i++)
		if (!strcmp(r->names[i].name, name))
			return r->names[i].addr;
	return 0;
}

/* Learn thread and child-process identities from the log (creation order). */
static inline void sync_run_index(struct sync_run *r, const struct sync_log *lg)
{
	int i;

	r->ntids = 1;
	r->tids[0] = r->pid;
	r->created_at[0] = -1;
	r->nkids = 0;
	for (i = 0; i < lg->n; i++) {
		const struct rw_sync_event *e = &lg->ev[i];

		if (e->pid != (__u32)r->pid)
			continue;
		if (e->tid == (__u32)r->pid && !r->fsbase[0])
			r->fsbase[0] = e->fsbase;
		if (e->op == RW_OP_THREAD_CREATE && r->ntids < SYNC_TIDS_MAX) {
			r->created_at[r->ntids] = i;
			r->tids[r->ntids] = e->arg;
			r->fsbase[r->ntids++] = e->arg2;
		}
		if (e->op == RW_OP_FORK && r->nkids < SYNC_TIDS_MAX)
			r->kids[r->nkids++] = e->arg;
	}
}

static inline bool sync_run_mine(const struct sync_run *r, __u64 pid)
{
	int i;

	if (pid == (__u64)r->pid)
		return true;
	for (i = 0; i < r->nkids; i++)
		if (pid == (__u64)r->kids[i])
			return true;
	return false;
}

/* Name of @k as the target named it, or NULL when it is not one of its objects. */
static inline const char *sync_key_name(const struct sync_run *r, const struct rw_key *k,
					char *buf, size_t len)
{
	int i;

	if (k->kind == RW_KEY_SHARED) {
		snprintf(buf, len, "shm+%llu", (unsigned long long)k->off);
		return buf;
	}
	if (k->kind != RW_KEY_PRIVATE || !sync_run_mine(r, k->id))
		return NULL;
	for (i = 0; i < r->nnames; i++)
		if (r->names[i].addr == k->off)
			return r->names[i].name;
	return NULL;
}

/*
 * Thread name for a tid, or for a pthread_t (@by_fsbase) as of log index @at:
 * the latest thread created before @at with that thread pointer, because
 * glibc reuses a joined thread's stack and so its pthread_t.
 */
static inline const char *sync_tname(const struct sync_run *r, bool by_fsbase, __u64 v, int at,
				     char *buf, size_t len)
{
	int i;

	for (i = r->ntids - 1; i >= 0; i--)
		if (by_fsbase ? r->fsbase[i] == v && r->created_at[i] < at : (__u64)r->tids[i] == v) {
			snprintf(buf, len, "T%d", i);
			return buf;
		}
	for (i = 0; i < r->nkids && !by_fsbase; i++)
		if ((__u64)r->kids[i] == v) {
			snprintf(buf, len, "P%d", i + 1);
			return buf;
		}
	return "?";
}

static inline const char *sync_token(const struct rw_sync_event *e)
{
	switch (e->op) {
	case RW_OP_ACQUIRE:		return "acq";
	case RW_OP_ACQUIRE_LAZY:	return "acq~";
	case RW_OP_RELEASE:		return "rel";
	case RW_OP_RD_ACQUIRE:		return "racq";
	case RW_OP_RD_ACQUIRE_LAZY:	return "racq~";
	case RW_OP_RW_RELEASE:		return "rwrel";
	case RW_OP_COND_WAIT:		return "condwait";
	case RW_OP_BARRIER:		return "barrier";
	case RW_OP_ONCE_DONE:		return "once";
	case RW_OP_THREAD_CREATE:	return "create";
	case RW_OP_FORK:		return "fork";
	case RW_OP_THREAD_EXIT:		return "exit";
	case RW_OP_JOIN_LAZY:		return "join~";
	case RW_OP_WAIT_CHILD:		return "waitchild";
	case RW_OP_EXEC:		return "exec";
	case RW_OP_FUTEX_WAKE:		return "fwake";
	case RW_OP_FUTEX_WAIT:		return "fwait";
	}
	return "??";
}

/* The sequence of thread @tid (see the top of this file) into @buf. */
static inline const char *sync_seq(const struct sync_run *r, const struct sync_log *lg,
				   pid_t tid, char *buf, size_t len)
{
	char n1[64], n2[64], tn[16], tok[192];
	const char *a, *b;
	size_t used = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < lg->n; i++) {
		const struct rw_sync_event *e = &lg->ev[i];

		if (e->tid != (__u32)tid)
			continue;
		switch (e->op) {
		case RW_OP_THREAD_CREATE:
		case RW_OP_FORK:
		case RW_OP_WAIT_CHILD:
			snprintf(tok, sizeof(tok), "%s %s", sync_token(e),
				 sync_tname(r, false, e->arg, i, tn, sizeof(tn)));
			break;
		case RW_OP_JOIN_LAZY:
			snprintf(tok, sizeof(tok), "%s %s", sync_token(e),
				 sync_tname(r, true, e->arg, i, tn, sizeof(tn)));
			break;
		case RW_OP_THREAD_EXIT:
		case RW_OP_EXEC:
			snprintf(tok, sizeof(tok), "%s", sync_token(e));
			break;
		default:
			if ((e->prim == RW_PRIM_FUTEX && !r->futex) ||
			    (e->prim == RW_PRIM_PIPE && !r->pipes))
				continue;
			a = sync_key_name(r, &e->obj, n1, sizeof(n1));
			if (!a)
				continue;
			b = e->op == RW_OP_COND_WAIT ? sync_key_name(r, &e->obj2, n2, sizeof(n2)) : NULL;
			snprintf(tok, sizeof(tok), "%s %s%s%s%s", sync_token(e), a, b ? " " : "",
				 b ? b : "", e->flags & RW_SYNC_F_RECURSIVE ? "+rec" : "");
		}
		used += snprintf(buf + used, len > used ? len - used : 0, "%s%s",
				 used ? ", " : "", tok);
	}
	return buf;
}

/*
 * THREAD_EXIT records of @pid with arg = 1 ("the process is done"): exactly
 * one per process, on whichever thread passed the tracepoint first after
 * the whole group was in do_exit(), so it is counted, not put in sequences.
 */
static inline int sync_count_ended(const struct sync_log *lg, pid_t pid)
{
	int i, n = 0;

	for (i = 0; i < lg->n; i++)
		n += lg->ev[i].pid == (__u32)pid && lg->ev[i].op == RW_OP_THREAD_EXIT &&
		     lg->ev[i].arg == 1;
	return n;
}

/* How many records came from process @pid. */
static inline int sync_count_pid(const struct sync_log *lg, pid_t pid)
{
	int i, n = 0;

	for (i = 0; i < lg->n; i++)
		n += lg->ev[i].pid == (__u32)pid;
	return n;
}

/* First record of thread @tid with op @op on the object named @name (NULL: any). */
static inline const struct rw_sync_event *sync_find(const struct sync_run *r,
						      const struct sync_log *lg, pid_t tid,
						      unsigned int op, const char *name)
{
	char nb[64];
	const char *a;
	int i;

	for (i = 0; i < lg->n; i++) {
		const struct rw_sync_event *e = &lg->ev[i];

		if (e->tid != (__u32)tid || e->op != op)
			continue;
		a = sync_key_name(r, &e->obj, nb, sizeof(nb));
		if (!name || (a && !strcmp(a, name)))
			return e;
	}
	return NULL;
}

#endif /* __SYNC_HARNESS_H */
