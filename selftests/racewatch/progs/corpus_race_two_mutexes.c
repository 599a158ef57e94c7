// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, racy: each thread "protects" the shared queue length with its own
 * mutex. Watch: -w qlen. Expected: races between push() and pop() (each
 * locked, by different mutexes).
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

int qlen;
static pthread_mutex_t push_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t pop_lock = PTHREAD_MUTEX_INITIALIZER;

static __attribute__((noinline)) void push(void)
{
	pthread_mutex_lock(&push_lock);
	qlen++;
	pthread_mutex_unlock(&push_lock);
}

static __attribute__((noinline)) void pop(void)
{
	pthread_mutex_lock(&pop_lock);
	if (qlen > 0)
		qlen--;
	pthread_mutex_unlock(&pop_lock);
}

static void *producer(void *arg)
{
	for (int i = 0; i < 3; i++)
		push();
	return NULL;
}

static void *consumer(void *arg)
{
	usleep(20000);
	for (int i = 0; i < 3; i++)
		pop();
	return NULL;
}

int main(void)
{
	pthread_t p, c;

	pthread_create(&p, NULL, producer, NULL);
	pthread_create(&c, NULL, consumer, NULL);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	printf("qlen %d\n", qlen);
	return 0;
}
