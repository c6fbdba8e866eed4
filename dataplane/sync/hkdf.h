// HKDF-SHA256 (RFC 5869) over OpenSSL's EVP_KDF, split into its two steps.
// The one key schedule of the cluster secrets: the HA heartbeat codec
// (controlplane/ha) and the session-pickup streams (sync_stream.cc) both
// derive their AES-256-GCM keys with it. Allocates (OpenSSL fetches the KDF):
// called at start-up and when a frame names a peer boot epoch with no cached
// key (docs/sync.md "Limits": junk frames with new epochs cost one each).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tandem::dp {

// PRK = HMAC-SHA256(salt, ikm). An empty ikm (a cluster without a password)
// is fed as one zero byte: OpenSSL's HKDF refuses an empty key, and such a
// cluster still authenticates its frames (integrity, not secrecy).
bool hkdf_sha256_extract(const uint8_t* ikm, size_t ikm_len, const uint8_t* salt,
                         size_t salt_len, uint8_t* prk, size_t prk_len);
// OKM = HKDF-Expand(prk, info, out_len).
bool hkdf_sha256_expand(const uint8_t* prk, size_t prk_len, const uint8_t* info, size_t info_len,
                        uint8_t* out, size_t out_len);

}  // namespace tandem::dp
