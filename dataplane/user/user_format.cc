// How a user entry prints: FortiOS `diagnose wad user list`, e.g.
//   ID: 1, VDOM: root, IPv4: 10.1.100.22
//     user name   : localuser1
//     worker      : 0
//     duration    : 8
//     auth_type   : IP
//     auth_method : Basic
//     pol_id      : 1
//     g_id        : 0
//     user_based  : 1
//     expire      : 597
//     LAN:
//       bytes_in=2093 bytes_out=5753
//     WAN:
//       bytes_in=2024 bytes_out=1235
// Control side only (snprintf).
#include <cinttypes>
#include <cstdio>

#include "dataplane/user/user_table.h"

namespace tandem::dp {

std::size_t format_user(const UserEntry& e, uint64_t now_ms, const char* vdom, char* buf, std::size_t len) {
  constexpr uint64_t kMsPerS = 1000;
  uint64_t duration = now_ms > e.login_ms ? (now_ms - e.login_ms) / kMsPerS : 0;
  uint64_t expire = e.expire_ms > now_ms ? (e.expire_ms - now_ms) / kMsPerS : 0;
  int n = std::snprintf(buf, len,
                        "ID: %u, VDOM: %s, IPv4: %u.%u.%u.%u\n"
                        "  user name   : %.*s\n"
                        "  worker      : %u\n"
                        "  duration    : %" PRIu64 "\n"
                        "  auth_type   : IP\n"
                        "  auth_method : %s\n"
                        "  pol_id      : %u\n"
                        "  g_id        : %u\n"
                        "  user_based  : %u\n"
                        "  expire      : %" PRIu64 "\n"
                        "  LAN:\n"
                        "    bytes_in=%" PRIu64 " bytes_out=%" PRIu64 "\n"
                        "  WAN:\n"
                        "    bytes_in=%" PRIu64 " bytes_out=%" PRIu64 "\n",
                        e.id, vdom, e.ip >> 24, (e.ip >> 16) & 0xff, (e.ip >> 8) & 0xff, e.ip & 0xff,
                        static_cast<int>(e.name_len), e.name, e.worker, duration,
                        e.auth_method == UserAuthMethod::kCertificate ? "Certificate" : "Basic", e.policy_id,
                        e.group_id, e.user_based ? 1u : 0u, expire, e.lan_bytes_in, e.lan_bytes_out,
                        e.wan_bytes_in, e.wan_bytes_out);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

}  // namespace tandem::dp
