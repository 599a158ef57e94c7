// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free: three threads increment a counter under a default
 * mutex, many times. Watch: -w total. Expected: no report, "total 90".
 */
#include <pthread.h>
#include <stdio.h>

#define THREADS 3
#define ROUNDS 30

long total;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		total++;
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
	printf("total %ld\n", total);
	return total == THREADS * ROUNDS ? 0 : 1;
}
