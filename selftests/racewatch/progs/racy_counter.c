// SPDX-License-Identifier: GPL-2.0
/*
 * The racy counter: two threads each read the shared counter, add one and
 * write it back, twice, with nothing ordering them. It usually prints 4,
 * which hides the race. A C/pthreads version of the Go program in the
 * project's seeds.
 */
#include <pthread.h>
#include <stdio.h>

#define THREADS 2
#define ROUNDS 2

long counter; /* shared state */

static void *worker(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		long value = counter; /* read */

		value++;
		counter = value; /* write */
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
