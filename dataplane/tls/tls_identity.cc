// The device identity of a ZTNA client certificate (docs/ztna.md): the
// subject CN is the device id and every subject OU one tag, which is what
// an EMS-style issuing CA can put in a certificate without a private
// extension. Values that do not fit are cut and flagged, never overrun.
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <cstring>

#include "dataplane/tls/tls.h"

namespace tandem::dp::tls {
namespace {

// Copies entry's UTF-8 value into out (cap bytes + NUL); false if cut.
bool copy_entry(X509_NAME_ENTRY* entry, char* out, std::size_t cap) {
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(entry);
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, value);
  if (len < 0) {
    out[0] = '\0';
    return false;
  }
  std::size_t n = static_cast<std::size_t>(len) < cap ? static_cast<std::size_t>(len) : cap;
  std::memcpy(out, utf8, n);
  out[n] = '\0';
  OPENSSL_free(utf8);
  return n == static_cast<std::size_t>(len) && std::memchr(out, '\0', n) == nullptr;
}

}  // namespace

void extract_identity(const void* x509, DeviceIdentity* out) {
  *out = DeviceIdentity();
  const X509_NAME* subject = X509_get_subject_name(static_cast<const X509*>(x509));
  if (!subject) return;
  int cn = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (cn >= 0 && !copy_entry(X509_NAME_get_entry(subject, cn), out->device_id, kMaxDeviceIdBytes)) {
    out->truncated = true;
  }
  for (int i = X509_NAME_get_index_by_NID(subject, NID_organizationalUnitName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_organizationalUnitName, i)) {
    if (out->tag_count == kMaxTags) {
      out->truncated = true;
      break;
    }
    if (!copy_entry(X509_NAME_get_entry(subject, i), out->tags[out->tag_count], kMaxTagBytes)) out->truncated = true;
    ++out->tag_count;
  }
}

}  // namespace tandem::dp::tls
