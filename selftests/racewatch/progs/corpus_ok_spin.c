// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free: a counter under a pthread spinlock (lock and trylock).
 * Watch: -w spins. Expected: no report, "spins 60".
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#define THREADS 2
#define ROUNDS 30

int spins;
static pthread_spinlock_t sl;

static void *worker(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		if (i % 3 == 2)
			while (pthread_spin_trylock(&sl))
				sched_yield();
		else
			pthread_spin_lock(&sl);
		spins++;
		pthread_spin_unlock(&sl);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];

	pthread_spin_init(&sl, PTHREAD_PROCESS_PRIVATE);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	printf("spins %d\n", spins);
	pthread_spin_destroy(&sl);
	return spins == THREADS * ROUNDS ? 0 : 1;
}
