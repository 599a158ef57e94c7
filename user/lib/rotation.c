// SPDX-License-Identifier: GPL-2.0
/*
 * rotation: choosing the armed set when the watched locations need more
 * debug registers than a thread has (see rotation.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "rotation.h"

/*
 * Places a set needs in the busiest process: every shared-file field (it
 * may be mapped by any process) plus the most locations of one process.
 */
struct rw_rot_load {
	int files;
	int max_pid;
};

static int rw_rot__first_of(const struct rw_rot_loc *v, int i)
{
	int j;

	for (j = 0; j < i; j++)
		if (v[j].pid == v[i].pid)
			return j;
	return i;
}

/*
 * Would adding v[i] to the set still fit in @places? Adds it if so. @cnt[j]
 * counts the set's locations of process v[j].pid, at the first index j of
 * that pid.
 */
static bool rw_rot__add(const struct rw_rot_loc *v, int i, int *cnt, struct rw_rot_load *ld,
			int places)
{
	int j;

	if (!v[i].pid) {
		if (ld->files + 1 + ld->max_pid > places)
			return false;
		ld->files++;
		return true;
	}
	j = rw_rot__first_of(v, i);
	if (ld->files + (cnt[j] + 1 > ld->max_pid ? cnt[j] + 1 : ld->max_pid) > places)
		return false;
	cnt[j]++;
	if (cnt[j] > ld->max_pid)
		ld->max_pid = cnt[j];
	return true;
}

bool rw_rot__fits(const struct rw_rot_loc *v, int n, int places)
{
	struct rw_rot_load ld = {};
	bool ok = true;
	int i, *cnt;

	if (n <= 0)
		return true;
	cnt = calloc((size_t)n, sizeof(*cnt));
	if (!cnt)
		return false;	/* cannot tell: rotate, which is always safe */
	for (i = 0; i < n && ok; i++)
		if (!v[i].gone)
			ok = rw_rot__add(v, i, cnt, &ld, places);
	free(cnt);
	return ok;
}

double rw_rot__share(__u64 armed_ns, __u64 watched_ns)
{
	return watched_ns ? (double)armed_ns / watched_ns : 0;
}

struct rw_rot_order {
	const struct rw_rot_loc *v;
	int n;
	int first;
};

static int rw_rot__cmp(const void *a, const void *b, void *arg)
{
	const struct rw_rot_order *o = arg;
	int i = *(const int *)a, j = *(const int *)b;
	double si = rw_rot__share(o->v[i].armed_ns, o->v[i].watched_ns);
	double sj = rw_rot__share(o->v[j].armed_ns, o->v[j].watched_ns);

	if (si != sj)
		return si < sj ? -1 : 1;
	/* equal shares: in turn from @first on */
	return (i - o->first + o->n) % o->n - (j - o->first + o->n) % o->n;
}

int rw_rot__plan(struct rw_rot_loc *v, int n, int first, int places)
{
	struct rw_rot_order o = { v, n, n ? ((first % n) + n) % n : 0 };
	struct rw_rot_load ld = {};
	int i, k, picked = 0, *idx, *cnt;

	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		v[i].pick = false;
		v[i].rank = -1;
	}
	idx = malloc((size_t)n * sizeof(*idx));
	cnt = calloc((size_t)n, sizeof(*cnt));
	if (!idx || !cnt) {
		free(idx);
		free(cnt);
		return -ENOMEM;
	}
	for (i = k = 0; i < n; i++)
		if (!v[i].gone)
			idx[k++] = i;
	qsort_r(idx, k, sizeof(*idx), rw_rot__cmp, &o);
	for (i = 0; i < k; i++) {
		v[idx[i]].rank = i;
		if (rw_rot__add(v, idx[i], cnt, &ld, places)) {
			v[idx[i]].pick = true;
			picked++;
		}
	}
	free(idx);
	free(cnt);
	return picked;
}
