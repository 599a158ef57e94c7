// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free: ISO C11 <threads.h>: thrd_create/thrd_join, a mtx_t
 * protected counter (mtx_lock and mtx_timedlock), a cnd_t hand-off and
 * call_once. Watch: -w tally. Expected: no report, "tally 41".
 */
#include <stdio.h>
#include <threads.h>
#include <time.h>

long tally;
static mtx_t mu;
static cnd_t cv;
static int stage;
static once_flag once = ONCE_FLAG_INIT;

static void init(void)
{
	tally += 1;
}

static int worker(void *arg)
{
	struct timespec ts;

	call_once(&once, init);
	for (int i = 0; i < 10; i++) {
		if (i % 2) {
			mtx_lock(&mu);
		} else {
			timespec_get(&ts, TIME_UTC);
			ts.tv_sec += 5;
			mtx_timedlock(&mu, &ts);
		}
		tally += 2;
		mtx_unlock(&mu);
	}
	mtx_lock(&mu);
	stage++;
	cnd_signal(&cv);
	mtx_unlock(&mu);
	return 0;
}

int main(void)
{
	thrd_t t[2];

	mtx_init(&mu, mtx_timed);
	cnd_init(&cv);
	for (int i = 0; i < 2; i++)
		thrd_create(&t[i], worker, NULL);
	mtx_lock(&mu);
	while (stage < 2)
		cnd_wait(&cv, &mu);
	printf("tally %ld\n", tally);	/* under mu, after both stages */
	mtx_unlock(&mu);
	for (int i = 0; i < 2; i++)
		thrd_join(t[i], NULL);
	mtx_destroy(&mu);
	cnd_destroy(&cv);
	return 0;
}
