// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, racy: the balance is read under the lock but written back after
 * the unlock (the lock protects nothing). Watch: -w balance. Expected: races
 * in deposit() (the unlocked write against the other thread's locked read
 * and unlocked write), one report.
 */
#include <pthread.h>
#include <stdio.h>

long balance;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static __attribute__((noinline)) void deposit(long amount)
{
	long b;

	pthread_mutex_lock(&lock);
	b = balance;
	pthread_mutex_unlock(&lock);
	balance = b + amount;
}

static void *worker(void *arg)
{
	for (int i = 0; i < 3; i++)
		deposit(10);
	return NULL;
}

int main(void)
{
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("balance %ld\n", balance);
	return 0;
}
