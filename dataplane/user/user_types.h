// Plain types of the ZTNA user table (dataplane/user/user_table.h): one
// authenticated user per client IPv4 address, with the fields FortiOS
// prints in `diagnose wad user list`.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tandem::dp {

inline constexpr std::size_t kUserEntryNameMax = 64;  // = sync's kUserNameMax

// Wire values of the sync record's auth_type / auth_method bytes.
enum class UserAuthType : uint8_t { kIp = 0 };
enum class UserAuthMethod : uint8_t { kBasic = 0, kCertificate = 1 };

struct UserEntry {
  uint32_t ip;  // client address, host order; 0 marks a free slot
  uint32_t id;  // FortiOS "ID": per table, from 1, in login order
  uint64_t login_ms;
  uint64_t expire_ms;  // absolute, on the table's clock
  uint32_t timeout_s;  // auth-timeout that set expire_ms (idle timeouts restart it)
  uint32_t policy_id;  // the proxy-policy that authenticated the user
  uint32_t group_id;   // 0: the user matched by name, not through a group
  uint16_t worker;     // worker that owns the entry
  bool synced;         // installed from the peer's sync stream
  uint32_t sync_generation;  // synced: the peer's walk that last wrote it
  bool idle_timeout;   // auth-timeout-type idle-timeout
  UserAuthType auth_type;
  UserAuthMethod auth_method;
  bool user_based;
  uint8_t name_len;
  char name[kUserEntryNameMax];
  uint64_t lan_bytes_in, lan_bytes_out;  // client side of the proxy
  uint64_t wan_bytes_in, wan_bytes_out;  // real-server side
  uint64_t sync_sent_ms;  // last sent to the HA peer, on the table's clock (0: not yet)
};

// What a login provides.
struct UserLogin {
  uint32_t ip;  // host order, non-zero
  const char* name;
  std::size_t name_len;
  uint32_t policy_id, group_id;
  UserAuthMethod method;
  uint32_t timeout_s;
  bool idle_timeout;
};

struct UserTableStats {
  uint64_t logins, refreshed, expired, removed, installed, full;
};

}  // namespace tandem::dp
