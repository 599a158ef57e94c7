// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free, and a KNOWN LIMIT: as corpus_cxx_ok_future, but main
 * calls get() only after the value is set. libstdc++ then finds the state
 * ready with an acquire load (a plain mov) and calls nothing racewatch
 * traces, so the producer's write and main's read look unordered.
 * Watch: -w payload. Correct verdict: no race.
 */
#include <chrono>
#include <cstdio>
#include <future>
#include <thread>

long payload;

static void produce(std::promise<int> p)
{
	payload = 7;
	p.set_value(1);
}

int main()
{
	std::promise<int> p;
	std::future<int> f = p.get_future();
	std::thread t(produce, std::move(p));

	std::this_thread::sleep_for(std::chrono::milliseconds(50));
	int ok = f.get();
	long v = payload;

	t.join();
	std::printf("payload %ld\n", v);
	return ok == 1 && v == 7 ? 0 : 1;
}
