// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free, C++: std::call_once initializes the value that every
 * thread then reads. Watch: -w answer. Expected: no report, "answer 42".
 */
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

int answer;
static std::once_flag once;

static void worker(int id)
{
	long sum = 0;

	std::this_thread::sleep_for(std::chrono::milliseconds(5 * id));
	for (int i = 0; i < 5; i++) {
		std::call_once(once, [] { answer = 42; });
		sum += answer;
	}
	if (sum != 5 * 42)
		std::abort();
}

int main()
{
	std::vector<std::thread> ts;

	for (int i = 0; i < 3; i++)
		ts.emplace_back(worker, i);
	for (auto &t : ts)
		t.join();
	std::printf("answer %d\n", answer);
	return 0;
}
