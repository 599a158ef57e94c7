// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free: the counter is protected by a mutex taken with
 * trylock spin loops (even rounds) and timedlock retry loops (odd rounds),
 * so failed attempts happen. Watch: -w count. Expected: no report,
 * "count 60".
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>

#define THREADS 2
#define ROUNDS 30

long count;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void take(int round)
{
	struct timespec ts;

	if (round % 2 == 0) {
		while (pthread_mutex_trylock(&lock) == EBUSY)
			sched_yield();
		return;
	}
	do {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
	} while (pthread_mutex_timedlock(&lock, &ts) == ETIMEDOUT);
}

static void *worker(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		take(i);
		count++;
		if (i % 5 == 0)
			sched_yield();	/* hold it a while: the other side fails */
		pthread_mutex_unlock(&lock);
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
	printf("count %ld\n", count);
	return count == THREADS * ROUNDS ? 0 : 1;
}
