// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, racy: the producer posts the semaphore *before* it writes the item,
 * so the consumer's read is not ordered after the write. Watch: -w item.
 * Expected: a race between produce() and consume().
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>

long item;
static sem_t filled;

static __attribute__((noinline)) void produce(long v)
{
	sem_post(&filled);
	usleep(20000);
	item = v;
}

static __attribute__((noinline)) long consume(void)
{
	sem_wait(&filled);
	usleep(40000);
	return item;
}

static void *producer(void *arg)
{
	produce(99);
	return NULL;
}

static void *consumer(void *arg)
{
	return (void *)consume();
}

int main(void)
{
	pthread_t p, c;
	void *v;

	sem_init(&filled, 0, 0);
	pthread_create(&c, NULL, consumer, NULL);
	pthread_create(&p, NULL, producer, NULL);
	pthread_join(p, NULL);
	pthread_join(c, &v);
	printf("consumed %ld\n", (long)v);
	sem_destroy(&filled);
	return 0;
}
