// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free: two readers read the configuration generation under
 * the read lock (together), a writer bumps it under the write lock.
 * Watch: -w generation. Expected: no report, "generation 20".
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#define ROUNDS 20

long generation;
static pthread_rwlock_t cfg_lock = PTHREAD_RWLOCK_INITIALIZER;

static void *reader(void *arg)
{
	long seen = 0;

	for (int i = 0; i < ROUNDS; i++) {
		pthread_rwlock_rdlock(&cfg_lock);
		seen += generation;
		pthread_rwlock_unlock(&cfg_lock);
		sched_yield();
	}
	return (void *)seen;
}

static void *writer(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		if (i % 2)
			while (pthread_rwlock_trywrlock(&cfg_lock))
				sched_yield();
		else
			pthread_rwlock_wrlock(&cfg_lock);
		generation++;
		pthread_rwlock_unlock(&cfg_lock);
		sched_yield();
	}
	return NULL;
}

int main(void)
{
	pthread_t r[2], w;

	pthread_create(&r[0], NULL, reader, NULL);
	pthread_create(&w, NULL, writer, NULL);
	pthread_create(&r[1], NULL, reader, NULL);
	pthread_join(w, NULL);
	pthread_join(r[0], NULL);
	pthread_join(r[1], NULL);
	printf("generation %ld\n", generation);
	return generation == ROUNDS ? 0 : 1;
}
