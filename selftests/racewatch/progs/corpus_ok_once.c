// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free: lazily computed table size, initialized through
 * pthread_once by whichever thread comes first, read by all.
 * Watch: -w table_size. Expected: no report, "size 64".
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define THREADS 3

int table_size;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_table(void)
{
	table_size = 64;
}

static void *worker(void *arg)
{
	long sum = 0;

	usleep((long)arg * 5000);
	for (int i = 0; i < 10; i++) {
		pthread_once(&once, init_table);
		sum += table_size;
	}
	return (void *)sum;
}

int main(void)
{
	pthread_t t[THREADS];

	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	printf("size %d\n", table_size);
	return table_size == 64 ? 0 : 1;
}
