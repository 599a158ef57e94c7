// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free, C++: a payload handed from a producer thread to main
 * through std::promise / std::future: the producer writes it, then
 * set_value(); main reads it after get(). The producer is slow, so main is
 * already blocked in get() (a futex wait) when the value is set.
 * Watch: -w payload. Expected: no report, "payload 7".
 */
#include <chrono>
#include <cstdio>
#include <future>
#include <thread>

long payload;

static void produce(std::promise<int> p)
{
	std::this_thread::sleep_for(std::chrono::milliseconds(50));
	payload = 7;
	p.set_value(1);
}

int main()
{
	std::promise<int> p;
	std::future<int> f = p.get_future();
	std::thread t(produce, std::move(p));
	int ok = f.get();
	long v = payload;

	t.join();
	std::printf("payload %ld\n", v);
	return ok == 1 && v == 7 ? 0 : 1;
}
