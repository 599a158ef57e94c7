// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free: barrier phases. In phase k only thread k % 3 writes the
 * cell; everyone reads it in the next phase. Watch: -w cell. Expected: no
 * report, "cell 11".
 */
#include <pthread.h>
#include <stdio.h>

#define THREADS 3
#define PHASES 12

int cell;
static pthread_barrier_t bar;

static void *worker(void *arg)
{
	long id = (long)arg, sum = 0;

	for (int k = 0; k < PHASES; k++) {
		if (k % THREADS == id)
			cell = k;
		pthread_barrier_wait(&bar);
		sum += cell;
		pthread_barrier_wait(&bar);
	}
	return (void *)sum;
}

int main(void)
{
	pthread_t t[THREADS];

	pthread_barrier_init(&bar, NULL, THREADS);
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	printf("cell %d\n", cell);
	pthread_barrier_destroy(&bar);
	return cell == PHASES - 1 ? 0 : 1;
}
