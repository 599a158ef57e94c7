// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, racy: a barrier separates the phases, but both threads write the
 * cell in the same phase. Watch: -w cell. Expected: a write/write race in
 * phase_two().
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

int cell;
static pthread_barrier_t phase;

static __attribute__((noinline)) void phase_two(long id)
{
	usleep(id * 20000);
	cell = (int)id;
}

static void *worker(void *arg)
{
	pthread_barrier_wait(&phase);
	phase_two((long)arg);
	pthread_barrier_wait(&phase);
	return NULL;
}

int main(void)
{
	pthread_t t[2];

	cell = -1;		/* phase one: before the threads exist */
	pthread_barrier_init(&phase, NULL, 2);
	for (long i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("cell %d\n", cell);
	pthread_barrier_destroy(&phase);
	return 0;
}
