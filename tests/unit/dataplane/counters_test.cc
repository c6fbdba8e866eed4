// The counter table covers every field and prints in order.
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "dataplane/worker/worker.h"

namespace tandem::dp {
namespace {

TEST(DpCounters, TableNamesEveryFieldOnce) {
  PortCounters c{};
  for (size_t i = 0; i < kNbPortCounterFields; ++i) c.*kPortCounterFields[i].field = i + 1;
  const uint64_t* raw = reinterpret_cast<const uint64_t*>(&c);
  for (size_t i = 0; i < sizeof(PortCounters) / sizeof(uint64_t); ++i)
    EXPECT_NE(raw[i], 0u) << "field " << i << " missing from kPortCounterFields";

  char buf[1024];
  size_t need = format_port_counters(c, buf, sizeof(buf));
  ASSERT_LT(need, sizeof(buf));
  std::string text(buf);
  EXPECT_EQ(text.size(), need);
  EXPECT_EQ(text.rfind("rx_packets 1\n", 0), 0u);
  EXPECT_NE(text.find("drop_ping_denied 13\n"), std::string::npos);

  char small[8];
  EXPECT_EQ(format_port_counters(c, small, sizeof(small)), need);
  EXPECT_EQ(std::strlen(small), sizeof(small) - 1);
}

}  // namespace
}  // namespace tandem::dp
