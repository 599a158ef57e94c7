// SPDX-License-Identifier: GPL-2.0
/*
 * Hand-off through join: a worker fills the counter, main joins it and only
 * then reads and updates it; a second worker is created after that. Race-free.
 */
#include <pthread.h>
#include <stdio.h>

long counter;

static void *producer(void *arg)
{
	counter = 41;
	return NULL;
}

static void *consumer(void *arg)
{
	counter = counter + 1;
	return NULL;
}

int main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, producer, NULL);
	pthread_join(t, NULL);
	counter = counter * 1;
	pthread_create(&t, NULL, consumer, NULL);
	pthread_join(t, NULL);
	printf("Final Counter: %ld\n", counter);
	return 0;
}
