// SPDX-License-Identifier: GPL-2.0
/*
 * sync_bench: what the sync tracer costs, side by side in one run.
 *
 *   sync_bench [-n PAIRS] [-t TRACED_PAIRS] [-r REPS]
 *
 * Two worker processes A and B (children of the bench, pinned to different
 * CPUs when there are two) run uncontended pthread_mutex_lock/unlock loops:
 *   1. A alone, untraced                      -> ns per pair (baseline)
 *   2. A watched by a struct sync_source      -> ns per pair, records and so
 *                                                traps per pair
 *   3. B unwatched while A runs untraced      -> ns per pair
 *   4. B unwatched while A runs watched       -> ns per pair, ratio to 3
 * Medians over REPS repetitions. Needs root (BPF, uprobes).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sync_source.h"

struct worker {
	pid_t pid;
	int cmd, res;	/* pipes: to the worker, from it */
};

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Worker: on each request (a pair count) run the loop and answer its ns. */
static void worker_main(int cmd, int res, int cpu)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	cpu_set_t set;
	long n, i;
	__u64 t0, t;

	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	while (read(cmd, &n, sizeof(n)) == sizeof(n) && n > 0) {
		t0 = now_ns();
		for (i = 0; i < n; i++) {
			pthread_mutex_lock(&m);
			pthread_mutex_unlock(&m);
		}
		t = now_ns() - t0;
		if (write(res, &t, sizeof(t)) != sizeof(t))
			break;
	}
	_exit(0);
}

static int worker_start(struct worker *w, int cpu)
{
	int c[2], r[2];

	if (pipe(c) || pipe(r))
		return -errno;
	w->pid = fork();
	if (w->pid < 0)
		return -errno;
	if (w->pid == 0) {
		close(c[1]);
		close(r[0]);
		worker_main(c[0], r[1], cpu);
	}
	close(c[0]);
	close(r[1]);
	w->cmd = c[1];
	w->res = r[0];
	return 0;
}

static void worker_stop(struct worker *w)
{
	long zero = 0;

	if (w->pid <= 0)
		return;
	if (write(w->cmd, &zero, sizeof(zero)) < 0)
		kill(w->pid, SIGKILL);
	close(w->cmd);
	close(w->res);
	waitpid(w->pid, NULL, 0);
}

static int worker_ask(struct worker *w, long n)
{
	return write(w->cmd, &n, sizeof(n)) == sizeof(n) ? 0 : -EIO;
}

static int worker_answer(struct worker *w, __u64 *ns)
{
	return read(w->res, ns, sizeof(*ns)) == sizeof(*ns) ? 0 : -EIO;
}

static __u64 records;

static int count_event(void *ctx, const struct rw_sync_event *ev)
{
	if (ev->pid == (__u32)*(pid_t *)ctx)
		records++;
	return 0;
}

/* Ask @w for @n pairs, consuming records until it answers. */
static int run_one(struct sync_source *s, struct worker *w, long n, __u64 *ns)
{
	int err = worker_ask(w, n);

	if (err)
		return err;
	if (s) {
		/* drain while the worker runs so the ring never fills */
		struct timespec ts = { 0, 0 };
		fd_set fds;

		for (;;) {
			FD_ZERO(&fds);
			FD_SET(w->res, &fds);
			if (pselect(w->res + 1, &fds, NULL, NULL, &ts, NULL) > 0)
				break;
			err = sync_source__poll(s, 10);
			if (err < 0 && err != -EINTR)
				return err;
		}
	}
	err = worker_answer(w, ns);
	if (!err && s)
		sync_source__consume(s);
	return err;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static double median_per_pair(__u64 *v, int reps, long n)
{
	qsort(v, reps, sizeof(*v), cmp_u64);
	return (double)v[reps / 2] / n;
}

/* A and B together: A runs @na pairs (watched or not), B runs @nb meanwhile. */
static int run_pair(struct sync_source *s, struct worker *a, struct worker *b, long na, long nb,
		    __u64 *ans, __u64 *bns)
{
	int err = worker_ask(b, nb);

	if (err)
		return err;
	err = run_one(s, a, na, ans);
	if (err)
		return err;
	return worker_answer(b, bns);
}

int main(int argc, char **argv)
{
	long n = 2000000, tn = 20000, i;
	int reps = 5, opt, err = 0, ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct worker a = { 0 }, b = { 0 };
	struct sync_source *s = NULL;
	__u64 *base, *traced, *ub, *ut, dummy;
	double pb, pt, ubp, utp;

	while ((opt = getopt(argc, argv, "n:t:r:h")) != -1) {
		switch (opt) {
		case 'n': n = atol(optarg); break;
		case 't': tn = atol(optarg); break;
		case 'r': reps = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-n PAIRS] [-t TRACED_PAIRS] [-r REPS]\n", argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (n <= 0 || tn <= 0 || reps <= 0 || reps > 101) {
		fprintf(stderr, "racewatch: bad -n/-t/-r\n");
		return 2;
	}
	base = calloc(reps, sizeof(*base));
	traced = calloc(reps, sizeof(*traced));
	ub = calloc(reps, sizeof(*ub));
	ut = calloc(reps, sizeof(*ut));
	if (!base || !traced || !ub || !ut)
		return 1;
	if (worker_start(&a, ncpu > 1 ? 0 : -1) || worker_start(&b, ncpu > 1 ? 1 : -1)) {
		fprintf(stderr, "racewatch: cannot start workers\n");
		err = 1;
		goto cleanup;
	}
	/* warm up both (page faults, lazy binding) */
	if (worker_ask(&a, 1000) || worker_answer(&a, &dummy) ||
	    worker_ask(&b, 1000) || worker_answer(&b, &dummy)) {
		err = 1;
		goto cleanup;
	}

	/* untraced: A alone, and B beside an untraced A of the traced length */
	for (i = 0; i < reps; i++) {
		if (run_one(NULL, &a, n, &base[i]) ||
		    run_pair(NULL, &a, &b, tn, n, &dummy, &ub[i])) {
			err = 1;
			goto cleanup;
		}
	}

	{
		struct sync_source_opts o = {
			.sz = sizeof(o),
			.ring_size = 1U << 24,
			.on_event = count_event,
			.ctx = &a.pid,
		};

		s = sync_source__new(&o);
	}
	if (!s) {
		err = 1;
		goto cleanup;
	}
	err = sync_source__add_pid(s, a.pid);
	if (err) {
		err = 1;
		goto cleanup;
	}
	records = 0;
	for (i = 0; i < reps; i++) {
		if (run_pair(s, &a, &b, tn, n, &traced[i], &ut[i])) {
			err = 1;
			goto cleanup;
		}
	}
	sync_source__consume(s);

	pb = median_per_pair(base, reps, n);
	pt = median_per_pair(traced, reps, tn);
	ubp = median_per_pair(ub, reps, n);
	utp = median_per_pair(ut, reps, n);
	printf("sync_bench: uncontended pthread_mutex_lock+unlock pairs, medians of %d runs, %d CPUs\n",
	       reps, ncpu);
	printf("%-44s %12s %10s\n", "case", "ns/pair", "ratio");
	printf("%-44s %12.1f %10s\n", "A untraced", pb, "1.00");
	printf("%-44s %12.1f %10.1f   (%.2f records = traps per pair)\n", "A traced",
	       pt, pt / pb, (double)records / (tn * reps));
	printf("%-44s %12.1f %10s\n", "B unwatched, beside untraced A", ubp, "1.00");
	printf("%-44s %12.1f %10.2f\n", "B unwatched, beside traced A", utp, utp / ubp);
	printf("per trap: %.0f ns; drops: %llu\n",
	       (pt - pb) / ((double)records / (tn * reps)),
	       (unsigned long long)sync_source__drops(s));

cleanup:
	sync_source__free(s);
	worker_stop(&a);
	worker_stop(&b);
	free(base);
	free(traced);
	free(ub);
	free(ut);
	return err;
}
