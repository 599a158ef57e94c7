// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free, C++: a bounded queue with std::condition_variable,
 * predicate waits (and a wait_for), one producer, two consumers; the
 * watched 'produced' counter is written by the producer and read by the
 * consumers, always under the mutex. Watch: -w produced. Expected: no
 * report, "consumed 30".
 */
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

long produced;
static std::mutex mu;
static std::condition_variable not_empty, not_full;
static std::deque<long> q;
static bool done;

static void producer()
{
	for (long i = 0; i < 30; i++) {
		std::unique_lock<std::mutex> l(mu);
		not_full.wait(l, [] { return q.size() < 4; });
		q.push_back(i);
		produced++;
		not_empty.notify_one();
	}
	std::lock_guard<std::mutex> l(mu);
	done = true;
	not_empty.notify_all();
}

static void consumer(long *count)
{
	for (;;) {
		std::unique_lock<std::mutex> l(mu);
		while (q.empty() && !done)
			not_empty.wait_for(l, std::chrono::seconds(1));
		if (q.empty())
			return;
		q.pop_front();
		(*count)++;
		if (produced < *count)
			std::abort();
		not_full.notify_one();
	}
}

int main()
{
	long a = 0, b = 0;
	std::thread c1(consumer, &a), c2(consumer, &b), p(producer);

	p.join();
	c1.join();
	c2.join();
	std::printf("consumed %ld\n", a + b);
	return a + b == 30 ? 0 : 1;
}
