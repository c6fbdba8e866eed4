// The proxy's TLS client toward real servers (service https): the per-worker
// context, and a Conn started in connect state over the same memory BIOs
// as the server side.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

#include "dataplane/tls/tls.h"

namespace tandem::dp::tls {

ClientContext::~ClientContext() { SSL_CTX_free(ctx_); }

namespace {

bool failed(SSL_CTX** ctx, char* error, std::size_t error_size, const char* what) {
  char reason[160] = "";
  ERR_error_string_n(ERR_peek_last_error(), reason, sizeof reason);
  ERR_clear_error();
  std::snprintf(error, error_size, "TLS client context: %s: %s", what, reason);
  SSL_CTX_free(*ctx);
  *ctx = nullptr;
  return false;
}

const char* default_path(const char* env_name, const char* fallback) {
  const char* v = std::getenv(env_name);
  return v != nullptr && v[0] != '\0' ? v : fallback;
}

bool exists(const char* path) {
  struct stat st;
  return ::stat(path, &st) == 0;
}

}  // namespace

bool ClientContext::start(bool verify, char* error, std::size_t error_size) {
  SSL_CTX_free(ctx_);
  ctx_ = SSL_CTX_new(TLS_client_method());
  verify_ = verify;
  if (ctx_ == nullptr || SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION) != 1) {
    return failed(&ctx_, error, error_size, "no context");
  }
  SSL_CTX_set_verify(ctx_, verify_ ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_options(ctx_, SSL_OP_NO_RENEGOTIATION);
  // One handshake per server connection: no client session cache to keep.
  SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
  return true;
}

bool ClientContext::init(const char* const* ca_files, std::size_t ca_count, char* error, std::size_t error_size) {
  if (!start(ca_count > 0, error, error_size)) return false;
  for (std::size_t i = 0; i < ca_count; ++i) {
    if (SSL_CTX_load_verify_file(ctx_, ca_files[i]) != 1) return failed(&ctx_, error, error_size, ca_files[i]);
  }
  return true;
}

bool ClientContext::init_system_trust(char* error, std::size_t error_size) {
  if (!start(true, error, error_size)) return false;
  const char* file = default_path(X509_get_default_cert_file_env(), X509_get_default_cert_file());
  const char* dir = default_path(X509_get_default_cert_dir_env(), X509_get_default_cert_dir());
  bool has_file = exists(file), has_dir = exists(dir);
  if (!has_file && !has_dir) {
    std::snprintf(error, error_size,
                  "TLS client context: no system CA certificates: neither %s nor %s exists (install "
                  "ca-certificates, or name a realserver-ca)",
                  file, dir);
    SSL_CTX_free(ctx_);
    ctx_ = nullptr;
    return false;
  }
  // The bundle is read now; the directory is looked up per verification.
  if (has_file && SSL_CTX_load_verify_file(ctx_, file) != 1) return failed(&ctx_, error, error_size, file);
  if (has_dir && SSL_CTX_load_verify_dir(ctx_, dir) != 1) return failed(&ctx_, error, error_size, dir);
  return true;
}

bool Conn::start_client(const ClientContext& ctx, const char* sni, const char* ip_text) {
  if (!attach(ctx.native())) return false;
  bool has_sni = sni != nullptr && sni[0] != '\0';
  if (has_sni && SSL_set_tlsext_host_name(ssl_, sni) != 1) {
    release();
    return false;
  }
  // The name the certificate must be for: the SNI, else the address.
  if (ctx.verifies()) {
    bool named = has_sni ? SSL_set1_host(ssl_, sni) == 1
                         : ip_text != nullptr && X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), ip_text) == 1;
    if (!named) {
      release();
      return false;
    }
  }
  SSL_set_connect_state(ssl_);
  state_ = State::kHandshaking;
  return true;
}

}  // namespace tandem::dp::tls
