#include "controlplane/confsync/confsync_tls.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace tandem::confsync {
namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, Free>;

std::string openssl_error(const std::string& what) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return what;
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return what + ": " + buf;
}

std::string to_pem(int (*write)(BIO*, void*), void* object) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get(), object) != 1) return {};
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

int write_cert(BIO* b, void* x) { return PEM_write_bio_X509(b, static_cast<X509*>(x)); }
int write_key(BIO* b, void* k) {
  return PEM_write_bio_PrivateKey(b, static_cast<EVP_PKEY*>(k), nullptr, nullptr, 0, nullptr, nullptr);
}

bool add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Owned<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  *out = s.str();
  return true;
}

bool write_file(const std::string& path, const std::string& data, mode_t mode) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << data;
    if (!out.good()) return false;
  }
  chmod(tmp.c_str(), mode);
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

Owned<X509> cert_from_pem(const std::string& pem) {
  Owned<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Owned<X509>(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

// Never verifies anything itself: the handshake completes and the verify
// result is judged afterwards, so the refusal names the real reason and is
// recorded on the refusing side instead of being a bare TLS alert.
int accept_for_later_check(int, X509_STORE_CTX*) { return 1; }

}  // namespace

bool make_certificate(const std::string& cn, const std::vector<std::string>& san_dns,
                      const PemPair* issuer, bool is_ca, int days, PemPair* out,
                      std::string* error) {
  Owned<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) {
    *error = openssl_error("EC P-256 key generation failed");
    return false;
  }
  Owned<X509> cert(X509_new());
  Owned<X509> issuer_cert;
  Owned<EVP_PKEY> issuer_key;
  if (issuer) {
    issuer_cert = cert_from_pem(issuer->cert_pem);
    Owned<BIO> bio(BIO_new_mem_buf(issuer->key_pem.data(), static_cast<int>(issuer->key_pem.size())));
    issuer_key.reset(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!issuer_cert || !issuer_key) {
      *error = openssl_error("cannot read the issuer certificate or key");
      return false;
    }
  }
  unsigned char serial_bytes[16];
  RAND_bytes(serial_bytes, sizeof serial_bytes);
  serial_bytes[0] &= 0x7f;  // a positive ASN.1 integer
  BIGNUM* bn = BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr);
  bool ok = cert && bn && X509_set_version(cert.get(), 2) == 1 &&
            BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr &&
            X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * days) != nullptr &&
            X509_set_pubkey(cert.get(), key.get()) == 1;
  BN_free(bn);
  X509_NAME* name = X509_get_subject_name(cert.get());
  ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                        reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0) == 1;
  X509* signer = issuer ? issuer_cert.get() : cert.get();
  ok = ok && X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1;
  ok = ok && add_extension(cert.get(), signer, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "CA:FALSE");
  ok = ok && add_extension(cert.get(), signer, NID_key_usage,
                           is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  ok = ok && add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (!san_dns.empty()) {
    std::string sans;
    for (const std::string& s : san_dns) sans += (sans.empty() ? "DNS:" : ",DNS:") + s;
    ok = ok && add_extension(cert.get(), signer, NID_subject_alt_name, sans.c_str());
  }
  ok = ok && X509_sign(cert.get(), issuer ? issuer_key.get() : key.get(), EVP_sha256()) > 0;
  if (!ok) {
    *error = openssl_error("cannot build the certificate for " + cn);
    return false;
  }
  out->cert_pem = to_pem(write_cert, cert.get());
  out->key_pem = to_pem(write_key, key.get());
  return !out->cert_pem.empty() && !out->key_pem.empty();
}

std::vector<std::string> certificate_names(X509* cert) {
  std::vector<std::string> names;
  X509_NAME* subject = X509_get_subject_name(cert);
  for (int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) {
    ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
    names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<std::size_t>(ASN1_STRING_length(s)));
  }
  Owned<GENERAL_NAMES> sans(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans.get(), i);
    if (gn->type != GEN_DNS) continue;
    names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(gn->d.dNSName)),
                       static_cast<std::size_t>(ASN1_STRING_length(gn->d.dNSName)));
  }
  return names;
}

bool ensure_default_certificate(const std::string& state_dir, const std::string& serial,
                                TlsFiles* files, std::string* error) {
  files->cert_file = state_dir + "/confsync-" + serial + ".crt";
  files->key_file = state_dir + "/confsync-" + serial + ".key";
  std::string pem;
  if (read_file(files->cert_file, &pem)) {
    Owned<X509> cert = cert_from_pem(pem);
    if (cert) {
      for (const std::string& n : certificate_names(cert.get())) {
        if (n == serial) return true;
      }
    }
  }
  mkdir(state_dir.c_str(), 0700);
  PemPair pair;
  constexpr int kDefaultCertDays = 3650;
  if (!make_certificate(serial, {serial}, nullptr, false, kDefaultCertDays, &pair, error)) return false;
  // Key first: a certificate on disk always has its key beside it.
  if (!write_file(files->key_file, pair.key_pem, 0600) || !write_file(files->cert_file, pair.cert_pem, 0644)) {
    *error = "cannot write the default config-sync certificate into " + state_dir +
             " (set another state directory or create it)";
    return false;
  }
  return true;
}

bool resolve_tls_files(const config::NodeConfig& node, const std::string& serial,
                       const std::string& state_dir, TlsFiles* files, std::string* error) {
  files->ca_files.clear();
  for (const config::CertificateConfig& ca : node.ca_certificates) {
    if (ca.certificate.empty()) {
      *error = "config system certificate ca \"" + ca.name + "\" has no `set certificate` file";
      return false;
    }
    files->ca_files.push_back(ca.certificate);
  }
  if (node.ha.local_cert.empty()) return ensure_default_certificate(state_dir, serial, files, error);
  for (const config::CertificateConfig& local : node.local_certificates) {
    if (local.name != node.ha.local_cert) continue;
    if (local.certificate.empty() || local.private_key.empty()) {
      *error = "config system certificate local \"" + local.name +
               "\" needs both `set certificate` and `set private-key`";
      return false;
    }
    files->cert_file = local.certificate;
    files->key_file = local.private_key;
    return true;
  }
  *error = "set local-cert \"" + node.ha.local_cert +
           "\" names no entry of config system certificate local";
  return false;
}

SSL_CTX* make_tls_context(const TlsFiles& files, std::string* error) {
  if (files.ca_files.empty()) {
    *error = "no CA imported (config system certificate ca): a peer could not be verified";
    return nullptr;
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  if (!ctx) {
    *error = openssl_error("SSL_CTX_new");
    return nullptr;
  }
  bool ok = SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) == 1;
  if (ok && SSL_CTX_use_certificate_chain_file(ctx, files.cert_file.c_str()) != 1) {
    *error = openssl_error("cannot load local certificate " + files.cert_file);
    ok = false;
  }
  if (ok && SSL_CTX_use_PrivateKey_file(ctx, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    *error = openssl_error("cannot load private key " + files.key_file);
    ok = false;
  }
  if (ok && SSL_CTX_check_private_key(ctx) != 1) {
    *error = openssl_error("private key " + files.key_file + " does not match " + files.cert_file);
    ok = false;
  }
  for (const std::string& ca : files.ca_files) {
    if (ok && SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr) != 1) {
      *error = openssl_error("cannot load CA certificate " + ca);
      ok = false;
    }
  }
  if (!ok) {
    SSL_CTX_free(ctx);
    return nullptr;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_for_later_check);
  // No resumption: every session proves both certificates afresh.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);
  return ctx;
}

std::string check_peer_certificate(SSL* ssl, const std::string& serial) {
  Owned<X509> cert(SSL_get1_peer_certificate(ssl));
  if (!cert) return "peer presented no certificate";
  std::vector<std::string> names = certificate_names(cert.get());
  bool carries = false;
  for (const std::string& n : names) carries = carries || n == serial;
  if (!carries) {
    std::string seen;
    for (const std::string& n : names) seen += (seen.empty() ? "" : ", ") + n;
    return "certificate CN/SAN does not carry serial " + serial + " (it names: " +
           (seen.empty() ? "nothing" : seen) + ")";
  }
  long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    return std::string("certificate not signed by an imported CA: ") +
           X509_verify_cert_error_string(verify);
  }
  return {};
}

}  // namespace tandem::confsync
