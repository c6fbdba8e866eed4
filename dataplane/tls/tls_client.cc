// The proxy's TLS client toward real servers (service https): the per-worker
// context, and a Conn started in connect state over the same memory BIOs
// as the server side.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <cstdio>

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

}  // namespace

bool ClientContext::init(const char* const* ca_files, std::size_t ca_count, char* error, std::size_t error_size) {
  SSL_CTX_free(ctx_);
  ctx_ = SSL_CTX_new(TLS_client_method());
  verify_ = ca_count > 0;
  if (ctx_ == nullptr || SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION) != 1) {
    return failed(&ctx_, error, error_size, "no context");
  }
  for (std::size_t i = 0; i < ca_count; ++i) {
    if (SSL_CTX_load_verify_file(ctx_, ca_files[i]) != 1) return failed(&ctx_, error, error_size, ca_files[i]);
  }
  SSL_CTX_set_verify(ctx_, verify_ ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_options(ctx_, SSL_OP_NO_RENEGOTIATION);
  // One handshake per server connection: no client session cache to keep.
  SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
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
