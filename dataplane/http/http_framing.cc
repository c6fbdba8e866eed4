// Where a message ends in a stream the proxy relays unchanged: the body
// framer counts Content-Length bytes or walks the chunked coding, and the
// response framer collects each response head (1xx interim heads
// included), parses it and then frames its body (RFC 9112 section 6.3).
#include <cstring>

#include "dataplane/http/http.h"

namespace tandem::dp::http {

void BodyFramer::start(BodyFraming framing, uint64_t content_length) {
  *this = BodyFramer();
  framing_ = framing;
  remaining_ = content_length;
  done_ = framing == BodyFraming::kNone || (framing == BodyFraming::kLength && content_length == 0);
}

Status BodyFramer::feed(std::string_view in, std::size_t* consumed) {
  *consumed = 0;
  if (done_) return Status::kDone;
  switch (framing_) {
    case BodyFraming::kNone:
      return Status::kDone;
    case BodyFraming::kUntilClose:
      *consumed = in.size();
      return Status::kNeedMore;
    case BodyFraming::kLength: {
      uint64_t take = in.size() < remaining_ ? in.size() : remaining_;
      *consumed = static_cast<std::size_t>(take);
      remaining_ -= take;
      done_ = remaining_ == 0;
      return done_ ? Status::kDone : Status::kNeedMore;
    }
    case BodyFraming::kChunked:
      for (;;) {
        std::size_t used = 0;
        std::string_view data;
        Status s = chunked_.feed(in.substr(*consumed), &used, &data);
        *consumed += used;
        if (s == Status::kData) continue;
        if (s == Status::kDone) done_ = true;
        return s;
      }
  }
  return Status::kBadTransferEncoding;
}

void ResponseFramer::start(bool request_was_head) {
  request_was_head_ = request_was_head;
  head_len_ = 0;
  parser_.reset();
  in_body_ = false;
  last_ = Status::kNeedMore;
  interim_ = 0;
}

Status ResponseFramer::feed(std::string_view in, std::size_t* consumed) {
  *consumed = 0;
  if (last_ != Status::kNeedMore) return last_;
  while (*consumed < in.size() || in_body_) {
    if (in_body_) {
      std::size_t used = 0;
      Status s = body_.feed(in.substr(*consumed), &used);
      *consumed += used;
      if (s != Status::kDone) {
        if (is_error(s)) last_ = s;
        return s;
      }
      last_ = Status::kDone;
      return last_;
    }
    // Head bytes are copied until the head ends: the parser wants them in
    // one piece, and the caller's buffer is gone by the next call.
    std::size_t room = sizeof buf_ - head_len_;
    std::size_t take = in.size() - *consumed < room ? in.size() - *consumed : room;
    std::memcpy(buf_ + head_len_, in.data() + *consumed, take);
    std::size_t before = head_len_;
    head_len_ += take;
    Status s = parser_.feed(std::string_view(buf_, head_len_), request_was_head_);
    if (s == Status::kNeedMore) {
      *consumed += take;
      if (head_len_ == sizeof buf_) return last_ = Status::kHeadTooLarge;
      return Status::kNeedMore;
    }
    if (is_error(s)) return last_ = s;
    // Only the head's own bytes are consumed; the rest is body.
    *consumed += parser_.head().head_bytes - before;
    head_ = parser_.head();
    if (head_.status < 200 && !head_.switching_protocols) {
      // 100 Continue, 103 Early Hints: a final response follows. head()
      // is this one until the next call.
      ++interim_;
      head_len_ = 0;
      parser_.reset();
      return Status::kData;
    }
    if (head_.switching_protocols) {
      last_ = Status::kDone;  // a tunnel from here on: the next call says so
      return Status::kData;
    }
    in_body_ = true;
    body_.start(head_.framing, head_.fields.content_length);
    return Status::kData;
  }
  return Status::kNeedMore;
}

}  // namespace tandem::dp::http
