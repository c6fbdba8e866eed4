// Plain types of the HTTP/1.1 parsers (dataplane/http/http.h): what a
// parsed request or response head holds, and the status every parser call
// returns. Text fields are views into the caller's buffer: nothing is
// copied, and they stay valid only while that buffer does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tandem::dp::http {

// Bounds. A head larger than kMaxHeadBytes or with more than kMaxHeaders
// field lines is refused (431), never truncated.
inline constexpr std::size_t kMaxHeadBytes = 16 * 1024;
inline constexpr std::size_t kMaxHeaders = 64;
// A chunk-size line's extension and the whole trailer section.
inline constexpr std::size_t kMaxChunkExtBytes = 1024;
inline constexpr std::size_t kMaxTrailerBytes = 8 * 1024;
// 15 hex digits: a chunk may not exceed 2^60 bytes; longer sizes are refused
// rather than risking overflow.
inline constexpr unsigned kMaxChunkSizeDigits = 15;

enum class Status : uint8_t {
  kNeedMore,   // the input ends inside the element: feed more bytes
  kDone,       // the head (or chunked body) is complete
  kData,       // (chunked decoder) a run of body bytes is returned
  // Errors: the connection gets the status code named and is closed.
  kHeadTooLarge,           // 431: more than kMaxHeadBytes before CRLF CRLF
  kTooManyHeaders,         // 431
  kBadLineEnding,          // 400: CR not followed by LF, or a bare LF
  kBadMethod,              // 400: not a token
  kBadTarget,              // 400: empty, or bytes outside 0x21..0x7e
  kBadVersion,             // 400: not HTTP/d.d
  kUnsupportedVersion,     // 505: HTTP/d.d other than 1.0 and 1.1
  kBadStatusLine,          // 502 (response): status not 100..599 or malformed
  kBadHeaderName,          // 400: empty, not a token, or space before ':'
  kBadHeaderValue,         // 400: control bytes in a value
  kObsoleteLineFolding,    // 400: a field line starting with SP/HTAB
  kBadContentLength,       // 400: not digits, too large, or conflicting copies
  kBadTransferEncoding,    // 501: a coding other than chunked, or chunked not last
  kContentLengthAndChunked,// 400: both framings (request smuggling)
  kMissingHost,            // 400: HTTP/1.1 request without Host
  kDuplicateHost,          // 400
  kBadHost,                // 400: bytes a host[:port] cannot hold
  kBadChunkSize,           // 400/502: not hex, too many digits, or bad extension
  kBadChunkEnd,            // 400/502: chunk data not followed by CRLF
  kTrailerTooLarge,        // 431
};

inline constexpr bool is_error(Status s) { return s > Status::kData; }
const char* status_name(Status s);

enum class Method : uint8_t { kOther, kGet, kHead, kPost, kPut, kDelete, kConnect, kOptions, kTrace, kPatch };

// How the body after a head is delimited (RFC 9112 section 6.3).
enum class BodyFraming : uint8_t {
  kNone,        // no body (requests without CL/TE; 1xx, 204, 304, HEAD replies)
  kLength,      // exactly content_length bytes
  kChunked,     // the chunked coding; decode with ChunkedDecoder
  kUntilClose,  // (responses) everything until the server closes
};

struct Header {
  std::string_view name, value;  // value without surrounding whitespace
};

// What both heads share: the field lines and what framing and connection
// handling need from them.
struct Fields {
  Header headers[kMaxHeaders];
  std::size_t count = 0;
  uint64_t content_length = 0;
  bool has_content_length = false;
  bool chunked = false;           // Transfer-Encoding ends in chunked
  bool has_transfer_encoding = false;
  bool connection_close = false;  // Connection: close
  bool connection_keep_alive = false;
  bool connection_upgrade = false;
  bool upgrade_websocket = false;  // Upgrade lists websocket
};

struct RequestHead {
  Method method = Method::kOther;
  std::string_view method_text, target;
  uint8_t version_minor = 1;  // HTTP/1.<minor>, 0 or 1
  std::string_view host;      // empty when absent
  bool has_host = false;
  // The token68 of `Authorization: Basic <token68>`; empty otherwise.
  std::string_view basic_credentials;
  Fields fields;
  std::size_t head_bytes = 0;  // bytes up to and including CRLF CRLF
  bool keep_alive = false;     // the connection may carry another request
  bool websocket = false;      // GET with Connection: upgrade, Upgrade: websocket
  BodyFraming framing = BodyFraming::kNone;
};

struct ResponseHead {
  uint16_t status = 0;
  std::string_view reason;
  uint8_t version_minor = 1;
  Fields fields;
  std::size_t head_bytes = 0;
  bool keep_alive = false;
  bool switching_protocols = false;  // 101: the connection becomes a tunnel
  BodyFraming framing = BodyFraming::kNone;
};

}  // namespace tandem::dp::http
