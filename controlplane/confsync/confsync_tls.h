// Mutual TLS for config sync: certificates (the default per-node
// self-signed one and, for tests and tooling, CA-signed ones), the TLS 1.3
// context both directions share, and the checks a peer must pass after the
// handshake: its certificate names the configured serial (CN or a DNS SAN)
// and chains to an imported CA. Used by ConfSync; tests build their PKI
// with make_certificate().
#pragma once

#include <openssl/types.h>

#include <string>
#include <vector>

#include "controlplane/config/node_config.h"

namespace tandem::confsync {

struct PemPair {
  std::string cert_pem, key_pem;
};

// A fresh EC P-256 key and an X.509 v3 certificate with CN=cn and DNS SANs
// san_dns, valid `days`, signed by issuer (self-signed when nullptr). A CA
// gets basicConstraints CA:TRUE and keyCertSign.
bool make_certificate(const std::string& cn, const std::vector<std::string>& san_dns,
                      const PemPair* issuer, bool is_ca, int days, PemPair* out,
                      std::string* error);

// Where a node's TLS material lives.
struct TlsFiles {
  std::string cert_file, key_file;
  std::vector<std::string> ca_files;
};

// The default certificate when `set local-cert` is empty: state_dir/
// confsync-<serial>.{crt,key}, generated (self-signed, CN and SAN = serial)
// when missing. The peer trusts it by importing the .crt as a CA.
bool ensure_default_certificate(const std::string& state_dir, const std::string& serial,
                                TlsFiles* files, std::string* error);

// The files the configuration names: local-cert's entry in `config system
// certificate local` (or the default one) and every `config system
// certificate ca` entry. Fails with a message naming the missing object.
bool resolve_tls_files(const config::NodeConfig& node, const std::string& serial,
                       const std::string& state_dir, TlsFiles* files, std::string* error);

// A TLS 1.3-only context with our certificate and key and a trust store of
// the imported CAs alone. Peers must present a certificate; chain errors do
// not abort the handshake but are judged by check_peer_certificate(), so
// the refusal can say exactly why. Returns nullptr with *error.
SSL_CTX* make_tls_context(const TlsFiles& files, std::string* error);

// Empty when the peer of an established session carries `serial` in its
// certificate's CN or DNS SANs and chains to an imported CA; otherwise the
// refusal reason the operator sees.
std::string check_peer_certificate(SSL* ssl, const std::string& serial);

// CN then DNS SANs of cert (for messages and tests).
std::vector<std::string> certificate_names(X509* cert);

}  // namespace tandem::confsync
