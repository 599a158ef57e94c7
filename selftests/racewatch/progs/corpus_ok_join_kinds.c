// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free: results handed over by thread exit, collected with
 * pthread_tryjoin_np polling, pthread_timedjoin_np and a plain join of a
 * thread created by another thread (a creation chain). Watch: -w result.
 * Expected: no report, "result 7".
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>

long result;

static void *leaf(void *arg)
{
	result = result + 1;
	return NULL;
}

/* creates its own worker and joins it: main's view comes through two joins */
static void *middle(void *arg)
{
	pthread_t t;

	result = result + 1;
	pthread_create(&t, NULL, leaf, NULL);
	pthread_join(t, NULL);
	result = result + 1;
	return NULL;
}

int main(void)
{
	struct timespec ts;
	pthread_t t;

	pthread_create(&t, NULL, leaf, NULL);
	while (pthread_tryjoin_np(t, NULL) == EBUSY)
		sched_yield();
	result = result + 1;

	pthread_create(&t, NULL, leaf, NULL);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	if (pthread_timedjoin_np(t, NULL, &ts))
		return 1;
	pthread_create(&t, NULL, middle, NULL);
	pthread_join(t, NULL);
	result = result + 1;
	printf("result %ld\n", result);
	return result == 7 ? 0 : 1;
}
