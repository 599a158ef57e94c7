// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, racy: the classic lost update on an 8-byte total, a few rounds per
 * thread, no lock. Watch: -w total. Expected: racing pairs inside add(),
 * reported once (all pairs share add()'s code).
 */
#include <pthread.h>
#include <stdio.h>

#define ROUNDS 3

long total;

static __attribute__((noinline)) void add(long n)
{
	total += n;
}

static void *worker(void *arg)
{
	for (int i = 0; i < ROUNDS; i++)
		add(1);
	return NULL;
}

int main(void)
{
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("total %ld\n", total);
	return 0;
}
