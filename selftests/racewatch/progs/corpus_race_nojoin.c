// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, racy: main reads the worker's result after a sleep instead of a
 * join (the join comes only after the read). Watch: -w result. Expected: a
 * read/write race between main() and compute().
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

long result;

static __attribute__((noinline)) void *compute(void *arg)
{
	result = 6 * 7;
	return NULL;
}

int main(void)
{
	pthread_t t;
	long r;

	pthread_create(&t, NULL, compute, NULL);
	usleep(50000);		/* "long enough" */
	r = result;
	pthread_join(t, NULL);
	printf("result %ld\n", r);
	return 0;
}
