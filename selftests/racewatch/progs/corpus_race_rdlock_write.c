// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, racy: a statistics counter updated under a *read* lock, which
 * readers share. Watch: -w lookups. Expected: races in lookup(), one report.
 */
#include <pthread.h>
#include <stdio.h>

long lookups;
static int entries[4] = { 1, 2, 3, 4 };
static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;

static __attribute__((noinline)) int lookup(int k)
{
	int v;

	pthread_rwlock_rdlock(&table_lock);
	v = entries[k & 3];
	lookups++;
	pthread_rwlock_unlock(&table_lock);
	return v;
}

static void *worker(void *arg)
{
	long s = 0;

	for (int i = 0; i < 5; i++)
		s += lookup(i);
	return (void *)s;
}

int main(void)
{
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("lookups %ld\n", lookups);
	return 0;
}
