// SPDX-License-Identifier: GPL-2.0
/* The racy counter fixed with an atomic add (lock xadd/add): race-free. */
#include <pthread.h>
#include <stdio.h>

#define THREADS 2
#define ROUNDS 2

int counter;

static void *worker(void *arg)
{
	for (int i = 0; i < ROUNDS; i++)
		__atomic_fetch_add(&counter, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];

	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	printf("Final Counter: %d\n", __atomic_load_n(&counter, __ATOMIC_SEQ_CST));
	return 0;
}
