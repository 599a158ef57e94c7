// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free: hand-offs through thread creation and join, repeated
 * (glibc reuses the joined thread's stack and pthread_t). main writes the
 * input before each create, the worker writes the output, main reads it
 * after the join. Watch: -w shared. Expected: no report, "shared 10".
 */
#include <pthread.h>
#include <stdio.h>

long shared;

static void *worker(void *arg)
{
	shared = shared + 1;
	return NULL;
}

int main(void)
{
	pthread_t t;

	for (int i = 0; i < 5; i++) {
		shared = shared + 1;	/* create-after-write */
		pthread_create(&t, NULL, worker, NULL);
		pthread_join(t, NULL);
	}
	printf("shared %ld\n", shared);
	return shared == 10 ? 0 : 1;
}
