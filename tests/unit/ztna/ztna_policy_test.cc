#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "dataplane/ztna/ztna_policy.h"

namespace tandem::dp {
namespace {

constexpr uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d) { return a << 24 | b << 16 | c << 8 | d; }
constexpr uint32_t kAnyIntf = UINT32_MAX;

// Builds a ZtnaPolicyConf the way the daemon will: pools appended to.
class ConfBuilder {
 public:
  ConfBuilder() : conf_(std::make_unique<ZtnaPolicyConf>()) { std::memset(conf_.get(), 0, sizeof *conf_); }

  ZtnaPolicy& add(uint32_t id, bool accept, std::vector<ZtnaAddrRange> src, std::vector<std::string_view> users = {},
                  std::vector<std::string_view> tags = {}, bool tags_all = false) {
    ZtnaPolicy& p = conf_->policies[conf_->nb_policies++];
    p = ZtnaPolicy{};
    p.id = id;
    p.proxy_mask = 1;
    p.srcintf_mask = kAnyIntf;
    p.src_index = conf_->nb_addrs;
    for (const ZtnaAddrRange& r : src) conf_->addrs[conf_->nb_addrs++] = r;
    p.src_count = static_cast<uint16_t>(src.size());
    p.user_index = names(users, &p.user_count);
    p.tag_index = names(tags, &p.tag_count);
    p.tags_all = tags_all;
    p.accept = accept;
    p.enabled = true;
    return p;
  }
  const ZtnaPolicyConf& conf() const { return *conf_; }

 private:
  uint16_t names(const std::vector<std::string_view>& list, uint16_t* count) {
    uint16_t index = conf_->nb_names;
    for (std::string_view n : list) {
      ZtnaName& out = conf_->names[conf_->nb_names++];
      out.len = static_cast<uint8_t>(n.size());
      std::memcpy(out.text, n.data(), n.size());
    }
    *count = static_cast<uint16_t>(list.size());
    return index;
  }
  std::unique_ptr<ZtnaPolicyConf> conf_;
};

ZtnaRequest request(uint32_t src, std::string_view user = {}, const std::string_view* tags = nullptr,
                    std::size_t tag_count = 0) {
  return {0, 2, src, 0, user, tags, tag_count};
}

const ZtnaAddrRange kLan{ip(10, 1, 100, 0), ip(10, 1, 100, 255)};

TEST(ZtnaPolicy, UserPolicyAsksForAuthenticationThenAllowsListedUsers) {
  ConfBuilder b;
  b.add(1, true, {kLan}, {"localuser1", "localuser2"});
  ZtnaDecision d = ztna_policy_match(b.conf(), request(ip(10, 1, 100, 22)));
  EXPECT_EQ(d.verdict, ZtnaVerdict::kAuthenticate);
  EXPECT_EQ(d.policy_id, 1u);
  EXPECT_EQ(ztna_policy_match(b.conf(), request(ip(10, 1, 100, 22), "localuser2")).verdict, ZtnaVerdict::kAllow);
  // A user the policy does not list falls through to the implicit deny.
  d = ztna_policy_match(b.conf(), request(ip(10, 1, 100, 22), "mallory"));
  EXPECT_EQ(d.verdict, ZtnaVerdict::kDeny);
  EXPECT_EQ(d.policy_index, -1);
  // Outside srcaddr nothing applies.
  EXPECT_EQ(ztna_policy_match(b.conf(), request(ip(10, 1, 101, 22))).verdict, ZtnaVerdict::kDeny);
}

TEST(ZtnaPolicy, TableOrderDecidesAndDisabledEntriesAreSkipped) {
  ConfBuilder b;
  b.add(5, false, {{ip(10, 1, 100, 66), ip(10, 1, 100, 66)}});
  b.add(6, true, {kLan}).enabled = false;
  b.add(7, true, {});  // srcaddr all
  EXPECT_EQ(ztna_policy_match(b.conf(), request(ip(10, 1, 100, 66))).policy_id, 5u);
  EXPECT_EQ(ztna_policy_match(b.conf(), request(ip(10, 1, 100, 66))).verdict, ZtnaVerdict::kDeny);
  ZtnaDecision d = ztna_policy_match(b.conf(), request(ip(10, 1, 100, 67)));
  EXPECT_EQ(d.verdict, ZtnaVerdict::kAllow);
  EXPECT_EQ(d.policy_id, 7u);
  EXPECT_EQ(d.policy_index, 2);
}

TEST(ZtnaPolicy, TagsMatchAnyOrAll) {
  ConfBuilder b;
  b.add(1, true, {kLan}, {}, {"corp", "managed"}, true);
  b.add(2, false, {kLan}, {}, {"corp", "byod"}, false);
  const std::string_view both[] = {"managed", "corp"};
  const std::string_view corp_only[] = {"corp"};
  const std::string_view none[] = {"guest"};
  EXPECT_EQ(ztna_policy_match(b.conf(), request(ip(10, 1, 100, 1), {}, both, 2)).policy_id, 1u);
  EXPECT_EQ(ztna_policy_match(b.conf(), request(ip(10, 1, 100, 1), {}, corp_only, 1)).policy_id, 2u);
  EXPECT_EQ(ztna_policy_match(b.conf(), request(ip(10, 1, 100, 1), {}, none, 1)).policy_index, -1);
  EXPECT_EQ(ztna_policy_match(b.conf(), request(ip(10, 1, 100, 1))).policy_index, -1);
}

TEST(ZtnaPolicy, ProxyAndInterfaceMasks) {
  ConfBuilder b;
  ZtnaPolicy& p = b.add(1, true, {});
  p.proxy_mask = 1u << 3;
  p.srcintf_mask = 1u << 2;
  ZtnaRequest r = request(ip(10, 1, 100, 1));
  EXPECT_EQ(ztna_policy_match(b.conf(), r).policy_index, -1);  // proxy 0
  r.proxy_index = 3;
  EXPECT_EQ(ztna_policy_match(b.conf(), r).verdict, ZtnaVerdict::kAllow);
  r.in_port = 1;
  EXPECT_EQ(ztna_policy_match(b.conf(), r).policy_index, -1);
}

TEST(ZtnaPolicy, EmptyRangeMatchesNothing) {
  ConfBuilder b;
  b.add(1, true, {{1, 0}});  // srcaddr "none"
  EXPECT_EQ(ztna_policy_match(b.conf(), request(ip(10, 1, 100, 1))).policy_index, -1);
}

}  // namespace
}  // namespace tandem::dp
