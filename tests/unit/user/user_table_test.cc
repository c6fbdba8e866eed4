#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <string>

#include "dataplane/user/user_table.h"

namespace tandem::dp {
namespace {

constexpr uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d) { return a << 24 | b << 16 | c << 8 | d; }
constexpr uint64_t kNow = 1'000'000;

UserLogin login_of(uint32_t addr, const char* name, uint32_t timeout_s = 600, bool idle = true) {
  return {addr, name, std::strlen(name), 1, 0, UserAuthMethod::kBasic, timeout_s, idle};
}

TEST(UserTable, LoginLookupAndHardExpiry) {
  UserTable t;
  ASSERT_TRUE(t.init(16, 3));
  UserEntry* e = t.login(login_of(ip(10, 1, 100, 22), "localuser1", 600, false), kNow);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->id, 1u);
  EXPECT_EQ(e->worker, 3);
  EXPECT_EQ(t.lookup(ip(10, 1, 100, 22), kNow + 599'999), e);
  EXPECT_EQ(t.lookup(ip(10, 1, 100, 23), kNow), nullptr);
  t.touch(e, kNow + 500'000);  // hard timeout: traffic does not extend it
  EXPECT_EQ(t.lookup(ip(10, 1, 100, 22), kNow + 600'000), nullptr);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.stats().expired, 1u);
}

TEST(UserTable, IdleTimeoutRestartsOnTraffic) {
  UserTable t;
  ASSERT_TRUE(t.init(16, 0));
  UserEntry* e = t.login(login_of(ip(10, 0, 0, 1), "u"), kNow);
  t.touch(e, kNow + 500'000);
  EXPECT_NE(t.lookup(ip(10, 0, 0, 1), kNow + 1'000'000), nullptr);
  EXPECT_EQ(t.lookup(ip(10, 0, 0, 1), kNow + 1'100'000), nullptr);
}

TEST(UserTable, FullTableRefusesAndReloginReplaces) {
  UserTable t;
  ASSERT_TRUE(t.init(2, 0));
  ASSERT_NE(t.login(login_of(ip(10, 0, 0, 1), "a"), kNow), nullptr);
  ASSERT_NE(t.login(login_of(ip(10, 0, 0, 2), "b"), kNow), nullptr);
  EXPECT_EQ(t.login(login_of(ip(10, 0, 0, 3), "c"), kNow), nullptr);
  EXPECT_EQ(t.stats().full, 1u);
  UserEntry* again = t.login(login_of(ip(10, 0, 0, 1), "z"), kNow);  // same source, new user
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(std::string(again->name, again->name_len), "z");
  EXPECT_EQ(again->id, 3u);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.login(login_of(0, "nobody"), kNow), nullptr);
  std::string long_name(kUserEntryNameMax + 1, 'x');
  EXPECT_EQ(t.login(login_of(ip(10, 0, 0, 2), long_name.c_str()), kNow), nullptr);
}

// Random logins and removals against a std::map model: backward-shift
// deletion must never lose an entry that shares a probe run.
TEST(UserTable, MatchesAModelUnderChurn) {
  UserTable t;
  ASSERT_TRUE(t.init(64, 0));
  std::map<uint32_t, std::string> model;
  std::mt19937 rng(7);
  for (int step = 0; step < 20000; ++step) {
    uint32_t addr = ip(10, 0, 0, 1) + rng() % 96;  // more addresses than room
    if (rng() % 3 == 0) {
      EXPECT_EQ(t.remove(addr), model.erase(addr) == 1) << step;
    } else {
      std::string name = "u" + std::to_string(step);
      UserEntry* e = t.login(login_of(addr, name.c_str()), kNow);
      bool room = model.contains(addr) || model.size() < 64;
      ASSERT_EQ(e != nullptr, room) << step;
      if (e) model[addr] = name;
    }
    ASSERT_EQ(t.size(), model.size());
  }
  for (const auto& [addr, name] : model) {
    UserEntry* e = t.lookup(addr, kNow);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(std::string(e->name, e->name_len), name);
  }
}

TEST(UserTable, ExpireSweepsInBoundedSteps) {
  UserTable t;
  ASSERT_TRUE(t.init(100, 0));
  for (unsigned i = 1; i <= 100; ++i) {
    ASSERT_NE(t.login(login_of(ip(10, 0, 1, 0) + i, "u", i < 50 ? 10 : 1000), kNow), nullptr);
  }
  struct Seen {
    unsigned count = 0;
  } seen;
  auto note = [](const UserEntry&, void* arg) { ++static_cast<Seen*>(arg)->count; };
  std::size_t freed = 0;
  for (int round = 0; round < 64; ++round) freed += t.expire(kNow + 20'000, 8, note, &seen);
  EXPECT_EQ(freed, 49u);  // 64 rounds x 8 slots cover the 256 slots twice
  EXPECT_EQ(seen.count, 49u);
  EXPECT_EQ(t.size(), 51u);
  EXPECT_EQ(t.expire(kNow + 20'000, 3, note, &seen), 0u);
}

TEST(UserTable, SyncRecordInstallsOnThePeer) {
  UserTable primary, secondary;
  ASSERT_TRUE(primary.init(16, 0));
  ASSERT_TRUE(secondary.init(16, 0));
  UserLogin l = login_of(ip(10, 1, 100, 22), "localuser1", 600, true);
  l.policy_id = 1;
  UserEntry* e = primary.login(l, kNow);
  e->lan_bytes_in = 2093;
  e->lan_bytes_out = 5753;
  e->wan_bytes_in = 2024;
  e->wan_bytes_out = 1235;
  UserRecord r;
  UserTable::record_from(*e, kNow + 8'000, &r);
  EXPECT_EQ(r.expire_in_s, 592u);
  EXPECT_EQ(r.age_s, 8u);
  uint8_t wire[256];
  std::size_t n = user_record_encode(r, wire, sizeof wire);
  ASSERT_GT(n, 0u);
  UserRecord back;
  ASSERT_TRUE(user_record_decode(wire, n, &back));
  const uint64_t peer_now = 5'000'000;  // the peer's clock is its own
  ASSERT_TRUE(secondary.install(back, peer_now));
  const UserEntry* s = secondary.lookup(ip(10, 1, 100, 22), peer_now);
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->synced);
  EXPECT_TRUE(s->idle_timeout);
  EXPECT_EQ(s->timeout_s, 600u);
  EXPECT_EQ(s->policy_id, 1u);
  EXPECT_EQ(s->wan_bytes_out, 1235u);
  EXPECT_EQ(s->expire_ms, peer_now + 592'000);
  EXPECT_EQ(s->login_ms, peer_now - 8'000);
  // A refresh updates in place and keeps the local ID.
  uint32_t id = s->id;
  ASSERT_TRUE(secondary.install(back, peer_now + 1000));
  EXPECT_EQ(secondary.lookup(ip(10, 1, 100, 22), peer_now + 1000)->id, id);
  EXPECT_EQ(secondary.size(), 1u);
  back.expire_in_s = 0;
  EXPECT_FALSE(secondary.install(back, peer_now));
}

// A peer's bulk walk (generation 7) wrote one entry; the one it did not
// write was logged out on the peer while this node was away. The table's
// own logins are not the peer's to drop.
TEST(UserTable, BulkEndDropsSyncedEntriesTheWalkDidNotWrite) {
  UserTable t;
  ASSERT_TRUE(t.init(64, 0));
  UserRecord r{};
  r.expire_in_s = 600;
  r.name_len = 1;
  r.name[0] = 'u';
  for (unsigned i = 1; i <= 40; ++i) {
    r.client_ip_be = htonl(ip(10, 1, 100, i));
    ASSERT_TRUE(t.install(r, kNow, i % 2 == 0 ? 7 : 6));
  }
  ASSERT_NE(t.login(login_of(ip(10, 9, 9, 9), "local"), kNow), nullptr);
  EXPECT_EQ(t.drop_stale(7), 20u);
  EXPECT_EQ(t.size(), 21u);
  for (unsigned i = 1; i <= 40; ++i)
    EXPECT_EQ(t.lookup(ip(10, 1, 100, i), kNow) != nullptr, i % 2 == 0) << i;
  EXPECT_NE(t.lookup(ip(10, 9, 9, 9), kNow), nullptr);
  // Taking over: the peer's entries become this node's own.
  EXPECT_EQ(t.adopt_synced(), 20u);
  EXPECT_FALSE(t.lookup(ip(10, 1, 100, 2), kNow)->synced);
  EXPECT_EQ(t.drop_stale(8), 0u) << "own entries are never the peer's to drop";
}

void count_entry(const UserEntry&, void* arg) { ++*static_cast<unsigned*>(arg); }

TEST(UserTable, WalkVisitsEveryEntryOnceInSlices) {
  UserTable t;
  ASSERT_TRUE(t.init(100, 0));
  for (unsigned i = 1; i <= 77; ++i) ASSERT_NE(t.login(login_of(ip(10, 2, 0, i), "u"), kNow), nullptr);
  std::size_t cursor = 0;
  unsigned seen = 0, slices = 0;
  while (!t.walk(&cursor, 16, count_entry, &seen)) ++slices;
  EXPECT_EQ(seen, 77u);
  EXPECT_GT(slices, 4u);  // bounded slices, not one sweep
  EXPECT_TRUE(t.walk(&cursor, 16, count_entry, &seen));  // done stays done
  EXPECT_EQ(seen, 77u);
}

TEST(UserTable, DiagnoseWadUserListLayout) {
  UserTable t;
  ASSERT_TRUE(t.init(4, 0));
  UserEntry* e = t.login(login_of(ip(10, 1, 100, 22), "localuser1", 605, true), kNow);
  e->lan_bytes_in = 2093;
  e->lan_bytes_out = 5753;
  e->wan_bytes_in = 2024;
  e->wan_bytes_out = 1235;
  char buf[512];
  std::size_t n = format_user(*e, kNow + 8'000, "root", buf, sizeof buf);
  EXPECT_EQ(std::string(buf, n),
            "ID: 1, VDOM: root, IPv4: 10.1.100.22\n"
            "  user name   : localuser1\n"
            "  worker      : 0\n"
            "  duration    : 8\n"
            "  auth_type   : IP\n"
            "  auth_method : Basic\n"
            "  pol_id      : 1\n"
            "  g_id        : 0\n"
            "  user_based  : 1\n"
            "  expire      : 597\n"
            "  LAN:\n"
            "    bytes_in=2093 bytes_out=5753\n"
            "  WAN:\n"
            "    bytes_in=2024 bytes_out=1235\n");
}

}  // namespace
}  // namespace tandem::dp
