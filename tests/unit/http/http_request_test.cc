// The request-head parser: fields, framing and connection decisions, the
// error of each malformed or ambiguous form, and incremental feeding that
// must give the one-shot result whatever the split.
#include <gtest/gtest.h>

#include <string>

#include "dataplane/http/http.h"

namespace tandem::dp::http {
namespace {

Status parse(std::string_view text, RequestHead* out) { return parse_request_head(text, out); }

Status status_of(std::string_view text) {
  RequestHead h;
  return parse(text, &h);
}

TEST(HttpRequest, GetWithHostAndBasicAuth) {
  std::string text =
      "GET /app/index.html?x=1 HTTP/1.1\r\n"
      "Host: App.Example.com:443\r\n"
      "Authorization: Basic bG9jYWx1c2VyMTpzM2NyZXQ=\r\n"
      "User-Agent:curl/8\r\n"
      "\r\n"
      "next request bytes";
  RequestHead h;
  ASSERT_EQ(parse(text, &h), Status::kDone);
  EXPECT_EQ(h.method, Method::kGet);
  EXPECT_EQ(h.target, "/app/index.html?x=1");
  EXPECT_EQ(h.version_minor, 1);
  EXPECT_EQ(h.host, "App.Example.com:443");
  EXPECT_EQ(h.basic_credentials, "bG9jYWx1c2VyMTpzM2NyZXQ=");
  EXPECT_EQ(h.fields.count, 3u);
  EXPECT_EQ(h.fields.headers[2].name, "User-Agent");
  EXPECT_EQ(h.fields.headers[2].value, "curl/8");
  EXPECT_EQ(h.head_bytes, text.find("next"));
  EXPECT_EQ(h.framing, BodyFraming::kNone);
  EXPECT_TRUE(h.keep_alive);
  EXPECT_FALSE(h.websocket);
  // Zero copy: the views point into the input.
  EXPECT_EQ(h.target.data(), text.data() + 4);

  char buf[64];
  std::string_view user, password;
  ASSERT_TRUE(decode_basic_credentials(h.basic_credentials, buf, sizeof buf, &user, &password));
  EXPECT_EQ(user, "localuser1");
  EXPECT_EQ(password, "s3cret");
  EXPECT_TRUE(host_matches_sni(h.host, "app.example.com"));
  EXPECT_FALSE(host_matches_sni(h.host, "other.example.com"));
}

TEST(HttpRequest, EverySplitGivesTheOneShotResult) {
  std::string text =
      "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world";
  RequestHead whole;
  ASSERT_EQ(parse(text, &whole), Status::kDone);
  EXPECT_EQ(whole.framing, BodyFraming::kLength);
  EXPECT_EQ(whole.fields.content_length, 11u);
  EXPECT_FALSE(whole.keep_alive);
  for (std::size_t split = 0; split <= whole.head_bytes; ++split) {
    for (std::size_t step = 1; step <= 3; ++step) {
      RequestParser p;
      Status s = Status::kNeedMore;
      std::size_t have = split;
      while (s == Status::kNeedMore && have <= text.size()) {
        s = p.feed(std::string_view(text).substr(0, have));
        have += step;
      }
      ASSERT_EQ(s, Status::kDone) << split << " " << step;
      EXPECT_EQ(p.head().head_bytes, whole.head_bytes);
      EXPECT_EQ(p.head().fields.content_length, 11u);
      EXPECT_EQ(p.head().target, "/upload");
    }
  }
}

TEST(HttpRequest, ChunkedKeepAliveAndHttp10) {
  RequestHead h;
  ASSERT_EQ(parse("PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n", &h), Status::kDone);
  EXPECT_EQ(h.framing, BodyFraming::kChunked);
  ASSERT_EQ(parse("GET / HTTP/1.0\r\n\r\n", &h), Status::kDone);  // no Host needed in 1.0
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &h), Status::kDone);
  EXPECT_TRUE(h.keep_alive);
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n", &h), Status::kDone);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(parse("BREW /pot HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", &h), Status::kDone);
  EXPECT_EQ(h.method, Method::kOther);
  EXPECT_EQ(h.method_text, "BREW");
  EXPECT_EQ(h.framing, BodyFraming::kNone);
}

TEST(HttpRequest, WebSocketUpgrade) {
  RequestHead h;
  ASSERT_EQ(parse("GET /chat HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n"
                  "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n",
                  &h),
            Status::kDone);
  EXPECT_TRUE(h.websocket);
  ASSERT_EQ(parse("GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n", &h), Status::kDone);
  EXPECT_FALSE(h.websocket);  // Connection must list upgrade
  ASSERT_EQ(parse("POST /chat HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n", &h),
            Status::kDone);
  EXPECT_FALSE(h.websocket);  // only GET
}

TEST(HttpRequest, MalformedFormsHaveTheirOwnError) {
  struct Case {
    const char* text;
    Status want;
  } cases[] = {
      {"GET / HTTP/1.1\nHost: a\r\n\r\n", Status::kBadLineEnding},
      {"GET / HTTP/1.1\r\nHost: a\rX\r\n\r\n", Status::kBadLineEnding},
      {"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", Status::kBadMethod},
      {" GET / HTTP/1.1\r\nHost: a\r\n\r\n", Status::kBadMethod},
      {"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", Status::kBadTarget},
      {"GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", Status::kBadTarget},
      {"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", Status::kBadVersion},
      {"GET / HTTQ/1.1\r\nHost: a\r\n\r\n", Status::kBadVersion},
      {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", Status::kUnsupportedVersion},
      {"GET / HTTP/1.1\r\n\r\n", Status::kMissingHost},
      {"GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", Status::kDuplicateHost},
      {"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", Status::kBadHost},
      {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", Status::kBadHeaderName},
      {"GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n", Status::kBadHeaderName},
      {"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", Status::kBadHeaderName},
      {"GET / HTTP/1.1\r\nHost: a\r\nX: a\x01" "b\r\n\r\n", Status::kBadHeaderValue},
      {"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", Status::kObsoleteLineFolding},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n", Status::kBadContentLength},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", Status::kBadContentLength},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", Status::kBadContentLength},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1234567890123456789\r\n\r\n", Status::kBadContentLength},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", Status::kBadTransferEncoding},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", Status::kBadTransferEncoding},
      {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", Status::kBadTransferEncoding},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
       Status::kContentLengthAndChunked},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(status_name(status_of(c.text)), std::string(status_name(c.want))) << c.text;
  }
  // Identical copies of Content-Length are one value (RFC 9110 8.6).
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"), Status::kDone);
}

TEST(HttpRequest, BoundsAreErrorsNotTruncation) {
  std::string big = "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(kMaxHeadBytes, 'a') + "\r\n\r\n";
  EXPECT_EQ(status_of(big), Status::kHeadTooLarge);
  RequestParser p;  // without the end of the head in sight
  EXPECT_EQ(p.feed(std::string(kMaxHeadBytes, 'a')), Status::kHeadTooLarge);
  std::string many = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (std::size_t i = 0; i < kMaxHeaders; ++i) many += "X: 1\r\n";
  EXPECT_EQ(status_of(many + "\r\n"), Status::kTooManyHeaders);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\n"), Status::kNeedMore);
}

TEST(HttpRequest, ErrorsAreFinalUntilReset) {
  RequestParser p;
  EXPECT_EQ(p.feed("GET / HTTP/1.1\n"), Status::kBadLineEnding);
  EXPECT_EQ(p.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), Status::kBadLineEnding);
  p.reset();
  EXPECT_EQ(p.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), Status::kDone);
}

TEST(HttpRequest, BasicCredentialsDecoding) {
  char buf[64];
  std::string_view user, password;
  ASSERT_TRUE(decode_basic_credentials("dTpw", buf, sizeof buf, &user, &password));  // "u:p"
  EXPECT_EQ(user, "u");
  EXPECT_EQ(password, "p");
  ASSERT_TRUE(decode_basic_credentials("dTo=", buf, sizeof buf, &user, &password));  // "u:"
  EXPECT_EQ(password, "");
  ASSERT_TRUE(decode_basic_credentials("dTpwOnE=", buf, sizeof buf, &user, &password));  // "u:p:q"
  EXPECT_EQ(password, "p:q");
  EXPECT_FALSE(decode_basic_credentials("dXNlcg==", buf, sizeof buf, &user, &password));  // "user": no ':'
  EXPECT_FALSE(decode_basic_credentials("dTp", buf, sizeof buf, &user, &password));
  EXPECT_FALSE(decode_basic_credentials("d=pw", buf, sizeof buf, &user, &password));
  EXPECT_FALSE(decode_basic_credentials("dTpw", buf, 2, &user, &password));  // output too small
  RequestHead h;
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer xyz\r\n\r\n", &h), Status::kDone);
  EXPECT_EQ(h.basic_credentials, "");
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nAuthorization: basic   dTpw\r\n\r\n", &h), Status::kDone);
  EXPECT_EQ(h.basic_credentials, "dTpw");
}

TEST(HttpRequest, HostAgainstSni) {
  EXPECT_TRUE(host_matches_sni("a.example", "A.Example"));
  EXPECT_TRUE(host_matches_sni("a.example.:8443", "a.example"));
  EXPECT_FALSE(host_matches_sni("a.example.evil", "a.example"));
  EXPECT_FALSE(host_matches_sni("", ""));
  EXPECT_FALSE(host_matches_sni("[::1]:443", "::1"));
}

}  // namespace
}  // namespace tandem::dp::http
