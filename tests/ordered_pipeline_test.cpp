// The worker pool behind --jobs: results arrive in input order, errors stop it.
#include "ordered_pipeline.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace kms::core {
namespace {

TEST(OrderedPipeline, ConsumesInInputOrderForAnyNumberOfJobs) {
  for (int jobs : {1, 2, 3, 8}) {
    std::vector<std::size_t> seen;
    std::function<std::size_t(std::size_t)> produce = [](std::size_t i) {
      if (i % 7 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));  // finish out of order
      return i * i;
    };
    std::function<void(std::size_t, std::size_t &&)> consume = [&](std::size_t i, std::size_t&& v) {
      EXPECT_EQ(v, i * i);
      seen.push_back(i);
    };
    for_each_ordered<std::size_t>(500, jobs, produce, consume);
    ASSERT_EQ(seen.size(), 500u) << "jobs " << jobs;
    for (std::size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i], i) << "jobs " << jobs;
  }
}

TEST(OrderedPipeline, AWorkerErrorStopsTheRunAndIsRethrown) {
  std::atomic<int> produced{0};
  std::function<int(std::size_t)> produce = [&](std::size_t i) {
    ++produced;
    if (i == 50) throw std::runtime_error("bad file 50");
    return 1;
  };
  std::function<void(std::size_t, int&&)> consume = [](std::size_t, int&&) {};
  EXPECT_THROW(for_each_ordered<int>(100000, 4, produce, consume), std::runtime_error);
  EXPECT_LT(produced.load(), 100000);
}

TEST(OrderedPipeline, AConsumerErrorStopsTheWorkers) {
  std::atomic<int> produced{0}, running{0};
  std::function<int(std::size_t)> produce = [&](std::size_t) {
    ++running;
    ++produced;
    --running;
    return 1;
  };
  std::function<void(std::size_t, int&&)> consume = [](std::size_t i, int&&) {
    if (i == 10) throw std::logic_error("stop");
  };
  OrderedOptions o;
  o.jobs = 3;
  EXPECT_THROW(for_each_ordered<int>(100000, o, produce, consume), std::logic_error);
  // Every worker has returned before the error reaches the caller, and none
  // went on past the window of results it may hold ahead of the consumer.
  EXPECT_EQ(running.load(), 0);
  const int at_most = 11 + static_cast<int>(o.window_per_job * 3 + o.batch * 3);
  EXPECT_LE(produced.load(), at_most) << "the workers went on after the consumer's error";
}

}  // namespace
}  // namespace kms::core
