#include <doctest/doctest.h>

#include "stats/top_waits.h"

using namespace trnsim;
using events::StallReason;

namespace {

events::InstructionEvent waited(std::uint32_t index, double semaphore, double engine_busy = 0,
                                double sbuf_port = 0) {
  events::InstructionEvent e;
  e.index = index;
  e.engine = isa::Engine::kPe;
  e.stall[static_cast<std::size_t>(StallReason::kSemaphore)] = semaphore;
  e.stall[static_cast<std::size_t>(StallReason::kEngineBusy)] = engine_busy;
  e.stall[static_cast<std::size_t>(StallReason::kSbufPort)] = sbuf_port;
  return e;
}

}  // namespace

TEST_CASE("top waits: longest first, at most 5, ties in file order") {
  stats::TopWaits top;
  // Waits (instruction: seconds): 0:1, 1:6, 2:3, 3:6, 4:2, 5:5, 6:4, 7:0.
  for (auto [index, wait] : {std::pair{0u, 1.0},
                             {1u, 6.0},
                             {2u, 3.0},
                             {3u, 6.0},
                             {4u, 2.0},
                             {5u, 5.0},
                             {6u, 4.0},
                             {7u, 0.0}})
    top.offer(waited(index, wait));
  const auto list = top.sorted();
  REQUIRE(list.size() == 5);
  // 6 (1 before 3), 5, 4, 3; the waits of 2 and 1 fell off.
  CHECK(list[0].instruction == 1);
  CHECK(list[1].instruction == 3);
  CHECK(list[2].instruction == 5);
  CHECK(list[3].instruction == 6);
  CHECK(list[4].instruction == 2);
  CHECK(list[4].wait_seconds == 3.0);
}

TEST_CASE("top waits: engine_busy is not a wait, and zero waits are not listed") {
  stats::TopWaits top;
  top.offer(waited(0, 0.0, 9.0));       // only engine_busy: not listed
  top.offer(waited(1, 1.0, 9.0, 2.0));  // waited 3, mostly for the SBUF port
  const auto list = top.sorted();
  REQUIRE(list.size() == 1);
  CHECK(list[0].instruction == 1);
  CHECK(list[0].wait_seconds == 3.0);
  CHECK(list[0].reason == StallReason::kSbufPort);
  CHECK(list[0].stall_seconds[static_cast<std::size_t>(StallReason::kEngineBusy)] == 9.0);
  CHECK(stats::wait_before_issue(waited(2, 1.0, 9.0, 2.0)) == 3.0);
}

TEST_CASE("top waits: the limit bounds what is kept") {
  stats::TopWaits top(2);
  for (std::uint32_t i = 0; i < 1000; ++i)
    top.offer(waited(i, static_cast<double>(i % 10)));
  const auto list = top.sorted();
  REQUIRE(list.size() == 2);
  CHECK(list[0].instruction == 9);  // the first two waits of 9
  CHECK(list[1].instruction == 19);
}
