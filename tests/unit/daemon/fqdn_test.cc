// FqdnResolver (controlplane/daemon/fqdn.h) with a resolver the test
// controls: names resolve off the caller's thread, answers and changes are
// seen once, forgotten names go, a refresh asks again.
#include <arpa/inet.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "controlplane/daemon/fqdn.h"

namespace tandem::daemon {
namespace {

uint32_t be(const char* dotted) {
  in_addr a{};
  inet_pton(AF_INET, dotted, &a);
  return a.s_addr;
}

// A name table the test edits; counts lookups.
struct FakeDns {
  std::mutex mutex;
  std::map<std::string, std::vector<uint32_t>> table;
  std::atomic<unsigned> lookups{0};
  FqdnResolveFn fn() {
    return [this](const std::string& name, std::vector<uint32_t>* out, std::string* error) {
      ++lookups;
      std::lock_guard<std::mutex> lock(mutex);
      auto it = table.find(name);
      if (it == table.end()) {
        *error = "Name or service not known";
        return false;
      }
      *out = it->second;
      return true;
    };
  }
  void set(const std::string& name, std::vector<uint32_t> addrs) {
    std::lock_guard<std::mutex> lock(mutex);
    table[name] = std::move(addrs);
  }
};

// Waits (bounded) until take_changed() says yes.
bool changed_within(FqdnResolver& r, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (r.take_changed()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

// The first address of name (network order); 0 while it does not resolve.
uint32_t first(const FqdnResolver& r, const std::string& name) {
  const std::vector<uint32_t> a = r.addresses(name);
  return a.empty() ? 0 : a.front();
}

TEST(Fqdn, ResolvesNewNamesAtOnceAndReportsTheChangeOnce) {
  FakeDns dns;
  dns.set("backend.lab.internal", {be("172.16.200.209"), be("172.16.200.210")});
  FqdnResolver r(dns.fn(), std::chrono::hours(1));
  EXPECT_EQ(first(r, "backend.lab.internal"), 0u);
  r.set_names({"backend.lab.internal", "missing.lab.internal"});
  ASSERT_TRUE(changed_within(r));
  EXPECT_FALSE(r.take_changed()) << "one change, reported once";
  EXPECT_EQ(first(r, "backend.lab.internal"), be("172.16.200.209"));
  EXPECT_EQ(first(r, "missing.lab.internal"), 0u);
  EXPECT_EQ(r.addresses("backend.lab.internal"),
            (std::vector<uint32_t>{be("172.16.200.209"), be("172.16.200.210")}));
  EXPECT_TRUE(r.addresses("missing.lab.internal").empty());
  EXPECT_TRUE(r.addresses("never.asked").empty());
  std::vector<FqdnEntry> e = r.entries();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].name, "backend.lab.internal");
  EXPECT_EQ(e[0].id, 1u);
  EXPECT_EQ(e[0].addrs_be.size(), 2u);
  EXPECT_TRUE(e[0].error.empty());
  EXPECT_EQ(e[1].name, "missing.lab.internal");
  EXPECT_EQ(e[1].error, "Name or service not known");
  EXPECT_TRUE(e[1].resolved_once);
}

TEST(Fqdn, RefreshFollowsAMovedNameAndForgetsDroppedOnes) {
  FakeDns dns;
  dns.set("a.example", {be("10.0.0.1")});
  dns.set("b.example", {be("10.0.0.2")});
  FqdnResolver r(dns.fn(), std::chrono::hours(1));
  r.set_names({"a.example", "b.example"});
  ASSERT_TRUE(changed_within(r));
  // Same answers again: no change to report.
  unsigned before = dns.lookups;
  r.refresh();
  for (int i = 0; i < 500 && dns.lookups < before + 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_FALSE(changed_within(r, std::chrono::milliseconds(50)));
  dns.set("a.example", {be("10.0.0.9")});
  r.refresh();
  ASSERT_TRUE(changed_within(r));
  EXPECT_EQ(first(r, "a.example"), be("10.0.0.9"));
  r.set_names({"b.example"});
  EXPECT_EQ(first(r, "a.example"), 0u);
  ASSERT_EQ(r.entries().size(), 1u);
  EXPECT_EQ(r.entries()[0].name, "b.example");
}

TEST(Fqdn, ThePeriodAsksAgainWithoutARefresh) {
  FakeDns dns;
  dns.set("a.example", {be("10.0.0.1")});
  FqdnResolver r(dns.fn(), std::chrono::milliseconds(20));
  r.set_names({"a.example"});
  ASSERT_TRUE(changed_within(r));
  dns.set("a.example", {be("10.0.0.3")});
  ASSERT_TRUE(changed_within(r));
  EXPECT_EQ(first(r, "a.example"), be("10.0.0.3"));
}

TEST(Fqdn, NoNamesNoThreadAndTheSystemResolverReadsHosts) {
  FqdnResolver idle;  // never asked: nothing runs, nothing changes
  EXPECT_FALSE(idle.take_changed());
  EXPECT_TRUE(idle.entries().empty());
  std::vector<uint32_t> addrs;
  std::string error;
  ASSERT_TRUE(fqdn_system_resolve("localhost", &addrs, &error)) << error;
  EXPECT_EQ(addrs.at(0), be("127.0.0.1"));
  EXPECT_FALSE(fqdn_system_resolve("no-such-host.invalid", &addrs, &error));
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace tandem::daemon
