// SPDX-License-Identifier: GPL-2.0
/* Read-only sharing: main sets the value before creating readers; readers only read. Race-free. */
#include <pthread.h>
#include <stdio.h>

#define THREADS 3

long counter;
static long sums[THREADS];

static void *reader(void *arg)
{
	long i = (long)arg;

	for (int k = 0; k < 3; k++)
		sums[i] += counter;
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];

	counter = 7;
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, reader, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	printf("sums %ld %ld %ld\n", sums[0], sums[1], sums[2]);
	return 0;
}
