#include "dataplane/sync/hkdf.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

namespace tandem::dp {
namespace {

bool hkdf(int mode, const uint8_t* key, size_t key_len, const uint8_t* salt, size_t salt_len,
          const uint8_t* info, size_t info_len, uint8_t* out, size_t out_len) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr);
  if (kdf == nullptr) return false;
  EVP_KDF_CTX* kctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (kctx == nullptr) return false;
  char digest[] = "SHA256";
  static const uint8_t kZero = 0;
  OSSL_PARAM params[6];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_octet_string(
      OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(key_len ? key : &kZero), key_len ? key_len : 1);
  if (salt_len)
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                    const_cast<uint8_t*>(salt), salt_len);
  if (info_len)
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                    const_cast<uint8_t*>(info), info_len);
  params[n] = OSSL_PARAM_construct_end();
  bool ok = EVP_KDF_derive(kctx, out, out_len, params) == 1;
  EVP_KDF_CTX_free(kctx);
  return ok;
}

}  // namespace

bool hkdf_sha256_extract(const uint8_t* ikm, size_t ikm_len, const uint8_t* salt,
                         size_t salt_len, uint8_t* prk, size_t prk_len) {
  return hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, ikm, ikm_len, salt, salt_len, nullptr, 0, prk,
              prk_len);
}

bool hkdf_sha256_expand(const uint8_t* prk, size_t prk_len, const uint8_t* info, size_t info_len,
                        uint8_t* out, size_t out_len) {
  return hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, prk_len, nullptr, 0, info, info_len, out,
              out_len);
}

}  // namespace tandem::dp
