// `diagnose wad user list|clear`: the ZTNA proxy's authenticated users
// (dataplane/user), read and cleared on the owning worker through the
// proxy's mailbox, never from the control lcore directly.
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "controlplane/daemon/node.h"
#include "dataplane/ztna/ztna_diag.h"

namespace tandem::daemon {
namespace {

constexpr unsigned kWorkerTimeoutMs = 2'000;
constexpr size_t kListBytes = 4u << 20;  // a longer list is cut, with the total said

cli::Reply ztna_error(const char* what, int rc) {
  if (rc == -ENOTSUP) {
    return cli::Reply::error(std::string(what) +
                             ": the ZTNA proxy is not running; configure a `firewall access-proxy` "
                             "and restart tandemd");
  }
  return cli::Reply::error(std::string(what) + ": " +
                           (rc == -ETIMEDOUT ? "a worker did not answer within 2 s" : std::strerror(-rc)));
}

}  // namespace

std::vector<cli::Command> Node::ztna_commands() {
  using cli::Args;
  return {
      {"diagnose wad user list", "", "users the ZTNA proxy authenticated, per worker (FortiOS layout)",
       [this](const Args&) {
         std::vector<char> buf(kListBytes);
         unsigned total = 0;
         int n = dp::dataplane_ztna_user_list(dataplane_, buf.data(), buf.size(), &total, kWorkerTimeoutMs);
         if (n < 0) return ztna_error("wad user list", n);
         std::string out(buf.data(), static_cast<size_t>(n));
         size_t listed = 0;
         for (size_t at = out.find("ID: "); at != std::string::npos; at = out.find("\nID: ", at + 1)) ++listed;
         if (total > listed) out += "(" + std::to_string(total - listed) + " more not listed)\n";
         return cli::Reply{true, out};
       }},
      {"diagnose wad user clear", "", "log every ZTNA user out (the next request asks again)",
       [this](const Args&) {
         unsigned cleared = 0;
         int rc = dp::dataplane_ztna_user_clear(dataplane_, &cleared, kWorkerTimeoutMs);
         if (rc < 0) return ztna_error("wad user clear", rc);
         return cli::Reply{true, ""};
       }},
  };
}

}  // namespace tandem::daemon
