// SPDX-License-Identifier: GPL-2.0
/*
 * The racy counter after someone added a log line between the read and the
 * write: now it loses updates. Still one data race.
 */
#include <pthread.h>
#include <stdio.h>

#define THREADS 2
#define ROUNDS 2

long counter;

static void *worker(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		long value = counter;

		value++;
		printf("logging\n");
		counter = value;
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
	printf("Final Counter: %ld\n", counter);
	return 0;
}
