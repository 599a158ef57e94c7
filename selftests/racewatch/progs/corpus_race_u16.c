// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, racy: a 2-byte level written by two threads, each once, unordered.
 * Watch: -w level. Expected: one write/write race, both in set_level().
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

short level;

static __attribute__((noinline)) void set_level(short v)
{
	level = v;
}

static void *worker(void *arg)
{
	long id = (long)arg;

	usleep(id * 20000);	/* one after the other in time, still unordered */
	set_level((short)id);
	return NULL;
}

int main(void)
{
	pthread_t t[2];

	for (long i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, (void *)(i + 1));
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("level %d\n", level);
	return 0;
}
