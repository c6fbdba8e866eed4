// Translates node_config's resolved ZTNA objects into what the workers
// read: the proxy-policy pools (dataplane/ztna/ztna_types.h), the user
// credentials, and each access proxy's TLS server settings. Called by
// tandemd beside build_snapshot() once the proxy runs on the workers; kept
// apart so the ZTNA translation is tested on its own.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "controlplane/config/node_config.h"
#include "controlplane/daemon/snapshot_build.h"
#include "dataplane/tls/tls_types.h"
#include "dataplane/ztna/ztna_app.h"
#include "dataplane/ztna/ztna_types.h"

namespace tandem::daemon {

// Fills *policies and *users (zeroed first). Access proxy i of
// ztna.access_proxies is bit i of every proxy_mask; srcintf names map to
// the indexes of `ports`. False with *error when something does not fit
// the fixed pools (more than 32 access proxies, a tag longer than 64 bytes,
// too many ranges or names).
bool build_ztna(const config::ZtnaConfig& ztna, const std::vector<DataPortRef>& ports,
                dp::ZtnaPolicyConf* policies, dp::ZtnaUserDb* users, std::string* error);

// The TLS settings of one access proxy; the paths point into proxy, which
// must outlive *out. False with *error when it has too many CA or CRL files.
bool tls_server_config(const config::ZtnaAccessProxy& proxy, dp::tls::ServerConfig* out, std::string* error);

// What the workers run for this config (dataplane/ztna/ztna_app.h): the
// pools above, each proxy's VIP, realm and real servers, and one TLS
// context per worker and proxy, built here so no worker ever loads a PEM
// file. ring: the session-ticket keys the contexts use (copied in);
// session_cache: the node's TLS 1.2 session-id cache every context shares
// (nullptr: none; must outlive the runtime). A proxy whose files do not
// load (or that passes a per-proxy limit) is in the runtime but off
// (ZtnaProxyRuntime::off: no listener), and *proxies_off gets one message
// for it naming the proxy and the file; the other proxies serve. nullptr
// with *error only for what stops every proxy (the pools, the users, more
// workers than the runtime holds); an empty runtime (nb_proxies 0) when no
// access proxy is configured.
std::unique_ptr<dp::ZtnaRuntime> build_ztna_runtime(const config::ZtnaConfig& ztna,
                                                    const std::vector<DataPortRef>& ports, unsigned nb_workers,
                                                    const dp::tls::TicketKeyRing& ring, std::string* error,
                                                    dp::tls::SessionCache* session_cache = nullptr,
                                                    std::vector<std::string>* proxies_off = nullptr);

}  // namespace tandem::daemon
