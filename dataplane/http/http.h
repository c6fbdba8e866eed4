// HTTP/1.1 message framing for the ZTNA proxy (RFC 9112): an incremental
// request-head parser (client side), a response-head parser (relaying from
// real servers), a chunked-body decoder, body and response framers that
// find where a relayed message ends (keep-alive), and the small helpers the proxy
// needs around them (Basic credentials, Host vs SNI). Strict where
// leniency lets a client and a server disagree on framing (request
// smuggling): bare LF, obs-fold, Content-Length with Transfer-Encoding and
// conflicting Content-Lengths are errors. No allocation, no exceptions;
// results are views into the caller's buffer.
//
// Incremental use: the caller keeps the bytes received so far in one
// contiguous buffer and passes all of them on every call; the parser
// remembers how far it has looked for the end of the head, so total work
// stays linear in the head size however the bytes arrive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/http/http_types.h"

namespace tandem::dp::http {

class RequestParser {
 public:
  // buffered: every byte received since reset(), same start each call.
  // kDone fills head() (views into buffered); kNeedMore asks for more; an
  // error is final until reset().
  Status feed(std::string_view buffered);
  const RequestHead& head() const { return head_; }
  void reset() { *this = RequestParser(); }

 private:
  std::size_t scanned_ = 0;  // bytes known not to hold the end of the head
  Status last_ = Status::kNeedMore;
  RequestHead head_;
};

class ResponseParser {
 public:
  // As RequestParser::feed. request_was_head: the request was HEAD, so the
  // response has no body whatever its fields say.
  Status feed(std::string_view buffered, bool request_was_head);
  const ResponseHead& head() const { return head_; }
  void reset() { *this = ResponseParser(); }

 private:
  std::size_t scanned_ = 0;
  Status last_ = Status::kNeedMore;
  ResponseHead head_;
};

// One-shot forms of the above (the whole head is in text).
Status parse_request_head(std::string_view text, RequestHead* out);
Status parse_response_head(std::string_view text, bool request_was_head, ResponseHead* out);

// The chunked transfer coding, decoded over input split anywhere. Each
// call consumes a prefix of `in`: it returns kData with one run of body
// bytes (a view into in), kNeedMore when in is used up, kDone at the end
// of the trailer section (*consumed stops right after it), or an error.
class ChunkedDecoder {
 public:
  Status feed(std::string_view in, std::size_t* consumed, std::string_view* data);
  bool done() const { return state_ == State::kDone; }
  uint64_t body_bytes() const { return body_bytes_; }
  void reset() { *this = ChunkedDecoder(); }

 private:
  enum class State : uint8_t {
    kSize,        // chunk-size hex digits
    kExtension,   // after the size: BWS, ';' chunk-ext, up to CR
    kSizeLf,      // CR seen after the size line
    kData,        // `remaining_` bytes of chunk data
    kDataCr,      // CRLF after the data
    kDataLf,
    kTrailerStart,  // start of a trailer line, or the final CRLF
    kTrailerLine,   // inside a trailer field line
    kTrailerLf,     // CR seen at the end of a trailer line
    kEndLf,         // CR of the final CRLF seen
    kDone,
    kError,
  };
  State state_ = State::kSize;
  unsigned digits_ = 0;
  uint64_t remaining_ = 0;
  std::size_t ext_bytes_ = 0;
  std::size_t trailer_bytes_ = 0;
  uint64_t body_bytes_ = 0;
};

// Where a message body ends in a stream relayed unchanged: Content-Length
// bytes counted, the chunked coding walked (not decoded: the bytes go on as
// they are), kNone done at once, kUntilClose never done (the peer's close
// ends it). feed consumes a prefix of in: kNeedMore when all of in belongs
// to the body and more is to come, kDone with *consumed stopping right
// after the body's last byte, or a chunked-coding error (final).
class BodyFramer {
 public:
  void start(BodyFraming framing, uint64_t content_length);
  Status feed(std::string_view in, std::size_t* consumed);
  bool done() const { return done_; }
  BodyFraming framing() const { return framing_; }

 private:
  BodyFraming framing_ = BodyFraming::kNone;
  uint64_t remaining_ = 0;
  bool done_ = true;
  ChunkedDecoder chunked_;
};

// One response from a real server, framed as it streams by, so the proxy
// can rewrite its heads and pass the body on unchanged. Each head (1xx
// interim ones included) is copied into the framer's own buffer until it
// ends (the caller's buffer may change between calls) and parsed; then the
// final response's body is framed. feed consumes a prefix of in:
//   kData      a head ended at *consumed: head() is it (status < 200 and
//              not 101: an interim head, more follow); call again
//   kNeedMore  all of in is this response's body (or head), more to come
//   kDone      the response ends after *consumed bytes (a 101 ends at its
//              head: the rest of the stream is a tunnel)
//   an error   final
// head() views stay valid until the next head starts or start().
class ResponseFramer {
 public:
  void start(bool request_was_head);
  Status feed(std::string_view in, std::size_t* consumed);
  bool in_body() const { return in_body_; }
  const ResponseHead& head() const { return head_; }
  unsigned interim() const { return interim_; }  // 1xx heads passed over

 private:
  bool request_was_head_ = false;
  bool in_body_ = false;
  Status last_ = Status::kNeedMore;
  unsigned interim_ = 0;
  std::size_t head_len_ = 0;
  ResponseParser parser_;
  ResponseHead head_;
  BodyFramer body_;
  char buf_[kMaxHeadBytes + 4];
};

// Decodes `Authorization: Basic` credentials (RFC 7617) into out (at least
// (token68 size / 4) * 3 bytes): user and password are views into out. False
// when the token is not base64 or holds no ':'.
bool decode_basic_credentials(std::string_view token68, char* out, std::size_t out_size,
                              std::string_view* user, std::string_view* password);

// Whether a Host field value names the TLS SNI: host part (port stripped,
// case-insensitive, one trailing dot ignored) equal to sni.
bool host_matches_sni(std::string_view host, std::string_view sni);

}  // namespace tandem::dp::http
