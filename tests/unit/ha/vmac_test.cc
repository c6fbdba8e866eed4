#include "controlplane/ha/vmac.h"

#include <gtest/gtest.h>

#include <set>

namespace tandem::ha {
namespace {

TEST(VirtualMac, FormIsLocallyAdministeredUnicast) {
  auto m = virtual_mac(5, 1);
  EXPECT_EQ(format_mac(m), "02:54:44:00:05:01");
  EXPECT_EQ(m[0] & 0x02, 0x02);  // locally administered
  EXPECT_EQ(m[0] & 0x01, 0x00);  // unicast
  EXPECT_EQ(format_mac(virtual_mac(1023, 7)), "02:54:44:03:ff:07");
}

TEST(VirtualMac, DistinctPerGroupAndPort) {
  std::set<std::array<uint8_t, 6>> seen;
  for (unsigned g = 0; g < 1024; ++g)
    for (unsigned p = 0; p < 8; ++p) EXPECT_TRUE(seen.insert(virtual_mac(g, p)).second) << g << "/" << p;
}

}  // namespace
}  // namespace tandem::ha
