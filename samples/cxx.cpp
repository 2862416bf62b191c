// cxx.cpp - C++ on the guest: iostream, exceptions unwinding through
// frames, std::thread with a mutex, and the standard containers.
#include <iostream>
#include <map>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

static int depth(int n)
{
    if (n == 0) throw std::runtime_error("bottom reached");
    return depth(n - 1) + 1;
}

int main()
{
    try {
        depth(50);
    } catch (const std::exception &e) {
        std::cout << "caught: " << e.what() << std::endl;
    }
    std::map<std::string, int> words;
    for (const char *w : {"replay", "record", "replay", "expand", "replay"}) words[w]++;
    for (auto &kv : words) std::cout << kv.first << "=" << kv.second << "\n";

    std::mutex m;
    long total = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; t++)
        threads.emplace_back([&, t] {
            std::vector<long> v(10000);
            std::iota(v.begin(), v.end(), t * 10000L);
            long s = std::accumulate(v.begin(), v.end(), 0L);
            std::lock_guard<std::mutex> g(m);
            total += s;
        });
    for (auto &th : threads) th.join();
    std::cout << "threads total " << total << std::endl;
    return 0;
}
