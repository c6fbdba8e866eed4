// User entries on the sync stream (docs/sync.md, types 4 and 5): the
// primary sends an entry when it logs in, the secondary installs it so the
// user needs no new login after a failover.
#include <arpa/inet.h>

#include <cstring>

#include "dataplane/user/user_table.h"

namespace tandem::dp {
namespace {

constexpr uint64_t kMsPerS = 1000;

uint32_t seconds_until(uint64_t when_ms, uint64_t now_ms) {
  return when_ms > now_ms ? static_cast<uint32_t>((when_ms - now_ms + kMsPerS - 1) / kMsPerS) : 0;
}

}  // namespace

void UserTable::record_from(const UserEntry& e, uint64_t now_ms, UserRecord* r) {
  *r = UserRecord{};
  r->client_ip_be = htonl(e.ip);
  r->expire_in_s = seconds_until(e.expire_ms, now_ms);
  r->name_len = e.name_len;
  std::memcpy(r->name, e.name, e.name_len);
  r->policy_id = e.policy_id;
  r->group_id = e.group_id;
  r->age_s = now_ms > e.login_ms ? static_cast<uint32_t>((now_ms - e.login_ms) / kMsPerS) : 0;
  r->timeout_s = e.timeout_s;
  r->auth_type = static_cast<uint8_t>(e.auth_type);
  r->auth_method = static_cast<uint8_t>(e.auth_method);
  r->user_based = e.user_based ? 1 : 0;
  r->flags = e.idle_timeout ? kUserRecordIdleTimeout : 0;
  r->lan_bytes_in = e.lan_bytes_in;
  r->lan_bytes_out = e.lan_bytes_out;
  r->wan_bytes_in = e.wan_bytes_in;
  r->wan_bytes_out = e.wan_bytes_out;
}

bool UserTable::install(const UserRecord& r, uint64_t now_ms, uint32_t generation) {
  uint32_t ip = ntohl(r.client_ip_be);
  if (ip == 0 || r.name_len > kUserEntryNameMax || r.expire_in_s == 0) return false;
  UserEntry* e = claim(ip);
  if (!e) {
    ++stats_.full;
    return false;
  }
  uint32_t id = e->id ? e->id : next_id_++;  // an update keeps the local ID
  *e = UserEntry{};
  e->ip = ip;
  e->id = id;
  uint64_t age_ms = uint64_t{r.age_s} * kMsPerS;
  e->login_ms = now_ms > age_ms ? now_ms - age_ms : 0;
  e->expire_ms = now_ms + uint64_t{r.expire_in_s} * kMsPerS;
  e->timeout_s = r.timeout_s ? r.timeout_s : r.expire_in_s;  // first layout: no timeout sent
  e->policy_id = r.policy_id;
  e->group_id = r.group_id;
  e->worker = worker_;
  e->synced = true;
  e->sync_generation = generation;
  e->idle_timeout = (r.flags & kUserRecordIdleTimeout) != 0;
  e->auth_type = UserAuthType::kIp;
  e->auth_method = r.auth_method == static_cast<uint8_t>(UserAuthMethod::kCertificate) ? UserAuthMethod::kCertificate
                                                                                      : UserAuthMethod::kBasic;
  e->user_based = r.user_based != 0 || r.name_len > 0;
  e->name_len = r.name_len;
  std::memcpy(e->name, r.name, r.name_len);
  e->lan_bytes_in = r.lan_bytes_in;
  e->lan_bytes_out = r.lan_bytes_out;
  e->wan_bytes_in = r.wan_bytes_in;
  e->wan_bytes_out = r.wan_bytes_out;
  ++stats_.installed;
  return true;
}

}  // namespace tandem::dp
