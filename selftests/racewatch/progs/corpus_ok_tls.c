// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free: each thread copies the global seed (written by main
 * before the threads start) into a thread-local variable and works on its
 * copy; main changes the seed again only after joining them.
 * Watch: -w seed. Expected: no report.
 */
#include <pthread.h>
#include <stdio.h>

#define THREADS 3

long seed;
static __thread long local;

static void *worker(void *arg)
{
	local = seed;
	for (int i = 0; i < 20; i++)
		local = local * 31 + i;
	return (void *)local;
}

int main(void)
{
	pthread_t t[THREADS];
	long x = 0;
	void *v;

	seed = 17;
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], &v);
		x ^= (long)v;
	}
	seed = x;
	printf("threads agree: %s\n", x == (long)v ? "yes" : "no");
	return 0;
}
