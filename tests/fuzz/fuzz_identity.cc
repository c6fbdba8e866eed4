// libFuzzer target for the device identity of a ZTNA client certificate
// (dataplane/tls/tls_identity.cc: subject CN -> device id, each subject OU
// -> a tag; docs/ztna.md). Byte 0 picks what the rest is:
//   even: a DER certificate, parsed by OpenSSL's d2i_X509 as a handshake
//         would receive it;
//   odd:  a subject built here, so the values reach the mapping without
//         first having to be a valid certificate: each entry is
//         [nid selector][string type selector][length][bytes], added with
//         X509_NAME_add_entry_by_NID (CN, OU, O or C). Four types go
//         through OpenSSL's conversion and its length limits (64 for a CN
//         or an OU), four are stored raw (UTF8String, BMPString,
//         PrintableString, IA5String) and can be any length or malformed,
//         as a certificate on the wire can.
// Checked for every input: every value ends with a NUL inside its buffer,
// no more than kMaxTags tags, and when nothing is flagged truncated, one
// tag per OU, the device id is the CN's UTF-8 text and each tag its OU's.
// Any breach aborts.
// Seeds: tests/fuzz/corpus/fuzz_identity/ (the lab's device certificate in
// DER, and built subjects).
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "dataplane/tls/tls.h"
#include "tests/fuzz/fuzz_require.h"

using namespace tandem::dp::tls;

namespace {

using tandem::fuzz::require;

// Whether out holds exactly the entry's UTF-8 text.
bool same_text(const X509_NAME_ENTRY* entry, const char* out) {
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
  if (len < 0) return false;
  bool same = std::strlen(out) == static_cast<std::size_t>(len) &&
              std::memcmp(out, utf8, static_cast<std::size_t>(len)) == 0;
  OPENSSL_free(utf8);
  return same;
}

// The checks every extraction must pass, against OpenSSL's own reading.
void check(X509* cert) {
  DeviceIdentity id;
  extract_identity(cert, &id);
  require(std::memchr(id.device_id, '\0', sizeof id.device_id) != nullptr, "device id not terminated");
  require(id.tag_count <= kMaxTags, "more tags than slots");
  for (std::size_t i = 0; i < kMaxTags; ++i) {
    require(std::memchr(id.tags[i], '\0', sizeof id.tags[i]) != nullptr, "tag not terminated");
    if (i >= id.tag_count) require(id.tags[i][0] == '\0', "a tag beyond tag_count");
  }
  if (id.truncated) return;
  const X509_NAME* subject = X509_get_subject_name(cert);
  if (subject == nullptr) {
    require(id.device_id[0] == '\0' && id.tag_count == 0, "identity without a subject");
    return;
  }
  std::size_t ous = 0;
  for (int i = X509_NAME_get_index_by_NID(subject, NID_organizationalUnitName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_organizationalUnitName, i)) {
    require(ous < id.tag_count && same_text(X509_NAME_get_entry(subject, i), id.tags[ous]),
            "a tag differs from its OU (or is missing) but nothing is flagged");
    ++ous;
  }
  require(ous == id.tag_count, "tag count differs from the subject's OUs");
  int cn = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (cn < 0) {
    require(id.device_id[0] == '\0', "a device id without a CN");
    return;
  }
  require(same_text(X509_NAME_get_entry(subject, cn), id.device_id),
          "the device id differs from the CN but nothing is flagged");
}

void from_der(const std::uint8_t* data, std::size_t size) {
  const unsigned char* p = data;
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(size));
  if (cert == nullptr) return;
  check(cert);
  X509_free(cert);
}

void from_subject(const std::uint8_t* data, std::size_t size) {
  static constexpr int kNids[] = {NID_commonName, NID_organizationalUnitName, NID_organizationName,
                                  NID_countryName};
  static constexpr int kTypes[] = {MBSTRING_UTF8,      MBSTRING_BMP,     MBSTRING_UNIV,
                                   MBSTRING_ASC,       V_ASN1_UTF8STRING, V_ASN1_BMPSTRING,
                                   V_ASN1_PRINTABLESTRING, V_ASN1_IA5STRING};
  X509* cert = X509_new();
  X509_NAME* name = X509_NAME_new();
  std::size_t at = 0;
  while (size - at >= 3) {
    int nid = kNids[data[at] % 4];
    int type = kTypes[data[at + 1] % 8];
    std::size_t len = data[at + 2];
    at += 3;
    if (len > size - at) len = size - at;
    // The converting types refuse what does not fit (a bad BMP length, a
    // PrintableString with '@', a CN over 64): the entry is left out.
    X509_NAME_add_entry_by_NID(name, nid, type, data + at, static_cast<int>(len), -1, 0);
    at += len;
  }
  X509_set_subject_name(cert, name);
  check(cert);
  X509_NAME_free(name);
  X509_free(cert);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  if (data[0] & 1) {
    from_subject(data + 1, size - 1);
  } else {
    from_der(data + 1, size - 1);
  }
  return 0;
}
