// SPDX-License-Identifier: GPL-2.0
/* The racy counter fixed with a mutex around the read-modify-write: race-free. */
#include <pthread.h>
#include <stdio.h>

#define THREADS 2
#define ROUNDS 2

long counter;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&mu);
		{
			long value = counter;

			value++;
			counter = value;
		}
		pthread_mutex_unlock(&mu);
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
