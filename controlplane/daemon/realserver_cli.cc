// `diagnose firewall vip realserver list`: the real servers of the access
// proxies (their VIPs are `firewall vip` entries of type access-proxy) as
// every worker sees them: ldb-method, status, weight and the health-check
// state each worker's probes keep (dataplane/ztna/ztna_ldb.h). Read on the
// owning worker through the proxy's mailbox.
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "controlplane/daemon/node.h"
#include "dataplane/ztna/ztna_diag.h"

namespace tandem::daemon {
namespace {

constexpr size_t kListBytes = 1u << 20;

}  // namespace

std::vector<cli::Command> Node::realserver_commands() {
  using cli::Args;
  return {
      {"diagnose firewall vip realserver list", "",
       "access-proxy real servers per worker: ldb-method, status, health-check state",
       [this](const Args&) {
         std::vector<char> buf(kListBytes);
         int n = dp::dataplane_ztna_realserver_list(dataplane_, buf.data(), buf.size(), kCliWorkerTimeoutMs);
         if (n == -ENOTSUP) {
           return cli::Reply::error(
               "vip realserver list: the ZTNA proxy is not running; configure a `firewall access-proxy`");
         }
         if (n < 0) {
           return cli::Reply::error(std::string("vip realserver list: ") +
                                    (n == -ETIMEDOUT ? "a worker did not answer within 2 s" : std::strerror(-n)));
         }
         return cli::Reply{true, std::string(buf.data(), static_cast<size_t>(n))};
       }},
  };
}

}  // namespace tandem::daemon
