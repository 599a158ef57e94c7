// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free: a counter updated only by atomic read-modify-writes
 * (__atomic_fetch_add, __sync_fetch_and_add, __atomic_add_fetch, a CAS
 * loop; no plain-mov atomic load), read plainly by main after the joins. Watch: -w events.
 * Expected: no report, "events 160".
 */
#include <pthread.h>
#include <stdio.h>

#define THREADS 2
#define ROUNDS 20

long events;

static void *worker(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		long old = 0;	/* a wrong guess: the failed CAS loads the value */

		__atomic_fetch_add(&events, 1, __ATOMIC_RELAXED);
		__sync_fetch_and_add(&events, 1);
		__atomic_add_fetch(&events, 1, __ATOMIC_SEQ_CST);
		while (!__atomic_compare_exchange_n(&events, &old, old + 1, 0, __ATOMIC_ACQ_REL,
						    __ATOMIC_RELAXED))
			;
	}
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];

	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	printf("events %ld\n", events);
	return events == THREADS * ROUNDS * 4 ? 0 : 1;
}
