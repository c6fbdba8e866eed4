// ZtnaConn end to end in memory: a real OpenSSL client with a client
// certificate talks to it; requests are refused (401 challenge, wrong
// password, Host/SNI mismatch, malformed head, policy deny) or allowed,
// and a good login leaves a user entry that later connections reuse.
// Fixtures come from tests/tls/make-certs.sh, run at test time.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "dataplane/user/user_password.h"
#include "dataplane/ztna/ztna_conn.h"

namespace tandem::dp {
namespace {

constexpr uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d) { return a << 24 | b << 16 | c << 8 | d; }
constexpr uint64_t kNow = 1'000'000;

const std::string& fixtures() {
  static const std::string dir = [] {
    const char* script = std::getenv("TANDEM_MAKE_CERTS");
    char tmpl[] = "/tmp/tandem-ztna-test.XXXXXX";
    if (!script || !mkdtemp(tmpl)) return std::string();
    return std::system((std::string(script) + " " + tmpl).c_str()) == 0 ? std::string(tmpl) : std::string();
  }();
  return dir;
}
std::string path(const std::string& name) { return fixtures() + "/" + name; }

class FixtureCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    if (!fixtures().empty()) std::system(("rm -rf " + fixtures()).c_str());
  }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new FixtureCleanup);

// The client side: an OpenSSL client over memory BIOs against one ZtnaConn.
class Client {
 public:
  Client(const char* cert, std::string sni = "app.example.com") {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_file(ctx_, path("ca.pem").c_str());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    if (cert) {
      SSL_CTX_use_certificate_file(ctx_, path(std::string(cert) + ".pem").c_str(), SSL_FILETYPE_PEM);
      SSL_CTX_use_PrivateKey_file(ctx_, path(std::string(cert) + ".key").c_str(), SSL_FILETYPE_PEM);
    }
    ssl_ = SSL_new(ctx_);
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(in_, -1);
    SSL_set_bio(ssl_, in_, out_);
    SSL_set_tlsext_host_name(ssl_, sni.c_str());
    SSL_set_connect_state(ssl_);
  }
  ~Client() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }

  void pump(ZtnaConn* conn) {
    for (int round = 0; round < 10; ++round) {
      SSL_do_handshake(ssl_);
      uint8_t buf[16384];
      int n;
      bool moved = false;
      while ((n = BIO_read(out_, buf, sizeof buf)) > 0) {
        conn->on_client_bytes(buf, static_cast<std::size_t>(n), kNow);
        moved = true;
      }
      std::size_t m;
      while ((m = conn->pull_client(buf, sizeof buf)) > 0) {
        BIO_write(in_, buf, static_cast<int>(m));
        moved = true;
      }
      if (!moved) break;
    }
    ERR_clear_error();
  }

  // Sends text once the handshake is done; returns what came back.
  std::string exchange(ZtnaConn* conn, const std::string& text) {
    pump(conn);
    if (!SSL_is_init_finished(ssl_)) return "handshake failed";
    send(conn, text);
    return more(conn);
  }
  // The handshake is done: text to the proxy, which takes it in.
  void send(ZtnaConn* conn, const std::string& text) {
    SSL_write(ssl_, text.data(), static_cast<int>(text.size()));
    pump(conn);
  }
  // What the proxy has answered since.
  std::string more(ZtnaConn* conn) {
    pump(conn);
    std::string reply;
    char buf[4096];
    int n;
    while ((n = SSL_read(ssl_, buf, sizeof buf)) > 0) reply.append(buf, static_cast<std::size_t>(n));
    ERR_clear_error();
    return reply;
  }
  bool handshake(ZtnaConn* conn) {
    pump(conn);
    return SSL_is_init_finished(ssl_);
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;
  BIO* out_ = nullptr;
};

std::string basic(const std::string& user_colon_password) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  const std::string& s = user_colon_password;
  for (std::size_t i = 0; i < s.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(s[i]) << 16;
    if (i + 1 < s.size()) v |= static_cast<uint8_t>(s[i + 1]) << 8;
    if (i + 2 < s.size()) v |= static_cast<uint8_t>(s[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < s.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < s.size() ? kAlphabet[v & 63] : '=';
  }
  return "Authorization: Basic " + out + "\r\n";
}

void add_name(ZtnaPolicyConf* c, const char* name) {
  ZtnaName& n = c->names[c->nb_names++];
  n.len = static_cast<uint8_t>(std::strlen(name));
  std::memcpy(n.text, name, n.len);
}

class ZtnaConnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(fixtures().empty()) << "make-certs.sh failed (TANDEM_MAKE_CERTS unset?)";
    cert_ = path("server.pem");
    key_ = path("server.key");
    ca_ = path("ca.pem");
    tls::ServerConfig tc;
    tc.certificate_file = cert_.c_str();
    tc.private_key_file = key_.c_str();
    tc.ca_files[0] = ca_.c_str();
    tc.ca_count = 1;
    char error[256];
    ASSERT_TRUE(tls_.init(tc, nullptr, error, sizeof error)) << error;

    policies_ = std::make_unique<ZtnaPolicyConf>();
    std::memset(policies_.get(), 0, sizeof *policies_);
    ZtnaPolicyConf& c = *policies_;
    c.addrs[c.nb_addrs++] = {ip(10, 1, 100, 0), ip(10, 1, 100, 255)};
    c.addrs[c.nb_addrs++] = {ip(10, 1, 200, 0), ip(10, 1, 200, 255)};
    // 1: LAN users, by name. 2: managed devices of 10.1.200/24, no login. 3: deny the rest.
    c.policies[0] = {1, 1, UINT32_MAX, 0, 1, 0, 0, c.nb_names, 1, 0, 0, false, true, false, true};
    add_name(&c, "localuser1");
    c.policies[1] = {2, 1, UINT32_MAX, 1, 1, 0, 0, 0, 0, c.nb_names, 1, false, true, false, true};
    add_name(&c, "managed");
    c.policies[2] = {3, 1, UINT32_MAX, 0, 0, 0, 0, 0, 0, 0, 0, false, false, false, true};
    c.nb_policies = 3;

    users_db_ = std::make_unique<ZtnaUserDb>();
    std::memset(users_db_.get(), 0, sizeof *users_db_);
    ZtnaUserCred& u = users_db_->users[users_db_->count++];
    u.name.len = 10;
    std::memcpy(u.name.text, "localuser1", 10);
    ASSERT_GT(user_password_hash("s3cret", 1, u.hash, sizeof u.hash), 0u);
    u.enabled = true;

    conf_ = {0, policies_.get(), users_db_.get(), 600, true, "Tandem ZTNA"};
    ASSERT_TRUE(table_.init(16, 0));
  }

  // One connection from src: returns the reply text and the final state.
  std::string request(uint32_t src, const std::string& text, ZtnaConn::State* state,
                      const char* cert = "client", std::string sni = "app.example.com") {
    conn_ = std::make_unique<ZtnaConn>();
    EXPECT_TRUE(conn_->start(tls_, &conf_, &table_, src, 0));
    Client client(cert, sni);
    std::string reply = client.exchange(conn_.get(), text);
    // A login: the check ztna_app.cc hands to the verifier thread, here.
    if (conn_->state() == ZtnaConn::State::kLoginWait) {
      ZtnaConn::LoginCheck check = conn_->login();
      EXPECT_EQ(reply, "") << "nothing is answered before the password is checked";
      conn_->finish_login(user_password_verify(check.hash, check.password), kNow);
      reply += client.more(conn_.get());
    }
    *state = conn_->state();
    return reply;
  }

  std::string cert_, key_, ca_;
  tls::ServerContext tls_;
  std::unique_ptr<ZtnaPolicyConf> policies_;
  std::unique_ptr<ZtnaUserDb> users_db_;
  ZtnaProxyConf conf_;
  UserTable table_;
  std::unique_ptr<ZtnaConn> conn_;
};

const std::string kGet = "GET /app/ HTTP/1.1\r\nHost: app.example.com\r\n";

TEST_F(ZtnaConnTest, ChallengeThenLoginThenKnownUser) {
  ZtnaConn::State state;
  std::string reply = request(ip(10, 1, 100, 22), kGet + "\r\n", &state);
  EXPECT_EQ(state, ZtnaConn::State::kClosing);
  EXPECT_EQ(reply.substr(0, 25), "HTTP/1.1 401 Unauthorized");
  EXPECT_NE(reply.find("WWW-Authenticate: Basic realm=\"Tandem ZTNA\""), std::string::npos) << reply;
  EXPECT_EQ(table_.size(), 0u);

  reply = request(ip(10, 1, 100, 22), kGet + basic("localuser1:s3cret") + "\r\n", &state);
  ASSERT_EQ(state, ZtnaConn::State::kForward) << reply;
  EXPECT_EQ(conn_->decision().policy_id, 1u);
  EXPECT_EQ(conn_->request().target, "/app/");
  const UserEntry* e = table_.lookup(ip(10, 1, 100, 22), kNow);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(std::string(e->name, e->name_len), "localuser1");
  EXPECT_EQ(e->policy_id, 1u);
  EXPECT_EQ(e->expire_ms, kNow + 600'000);

  // The source is known now: no credentials needed.
  request(ip(10, 1, 100, 22), kGet + "\r\n", &state);
  EXPECT_EQ(state, ZtnaConn::State::kForward);
  // Another source still is asked.
  request(ip(10, 1, 100, 23), kGet + "\r\n", &state);
  EXPECT_EQ(conn_->refused_with(), 401);
}

TEST_F(ZtnaConnTest, WrongPasswordOrUnknownUserIsChallengedAgain) {
  ZtnaConn::State state;
  request(ip(10, 1, 100, 22), kGet + basic("localuser1:wrong") + "\r\n", &state);
  EXPECT_EQ(conn_->refused_with(), 401);
  request(ip(10, 1, 100, 22), kGet + basic("nobody:s3cret") + "\r\n", &state);
  EXPECT_EQ(conn_->refused_with(), 401);
  users_db_->users[0].enabled = false;
  request(ip(10, 1, 100, 22), kGet + basic("localuser1:s3cret") + "\r\n", &state);
  EXPECT_EQ(conn_->refused_with(), 401);
  EXPECT_EQ(table_.size(), 0u);
}

TEST_F(ZtnaConnTest, DeviceTagsAllowWithoutLoginAndTheRestIsDenied) {
  ZtnaConn::State state;
  request(ip(10, 1, 200, 5), kGet + "\r\n", &state);  // client.pem has OU managed
  EXPECT_EQ(state, ZtnaConn::State::kForward);
  EXPECT_EQ(conn_->decision().policy_id, 2u);
  std::string reply = request(ip(192, 168, 1, 1), kGet + "\r\n", &state);
  EXPECT_EQ(conn_->refused_with(), 403);
  EXPECT_EQ(reply.substr(0, 22), "HTTP/1.1 403 Forbidden");
  // revoked.pem (no CRL configured here) carries OU corp only: not managed.
  request(ip(10, 1, 200, 5), kGet + "\r\n", &state, "revoked");
  EXPECT_EQ(conn_->decision().policy_id, 3u);
  EXPECT_EQ(conn_->refused_with(), 403);
}

TEST_F(ZtnaConnTest, HostMustMatchSni) {
  ZtnaConn::State state;
  std::string reply = request(ip(10, 1, 200, 5), "GET / HTTP/1.1\r\nHost: other.example.com\r\n\r\n", &state);
  EXPECT_EQ(conn_->refused_with(), 421);
  EXPECT_EQ(reply.substr(0, 32), "HTTP/1.1 421 Misdirected Request");
}

TEST_F(ZtnaConnTest, MalformedHeadsGetTheirStatus) {
  ZtnaConn::State state;
  request(ip(10, 1, 200, 5), "GET / HTTP/1.1\nHost: a\n\n", &state);
  EXPECT_EQ(conn_->refused_with(), 400);
  request(ip(10, 1, 200, 5), "GET / HTTP/2.0\r\nHost: app.example.com\r\n\r\n", &state);
  EXPECT_EQ(conn_->refused_with(), 505);
  request(ip(10, 1, 200, 5), "GET / HTTP/1.1\r\nHost: app.example.com\r\nX: " + std::string(20000, 'a'), &state);
  EXPECT_EQ(conn_->refused_with(), 431);
}

TEST_F(ZtnaConnTest, NoClientCertificateFailsTheHandshake) {
  ZtnaConn::State state;
  std::string reply = request(ip(10, 1, 200, 5), kGet + "\r\n", &state, nullptr);
  EXPECT_EQ(state, ZtnaConn::State::kFailed);
  // In TLS 1.3 the client finishes before the server judges its (missing)
  // certificate, so it writes the request and reads only the alert.
  EXPECT_EQ(reply, "");
  EXPECT_EQ(conn_->refused_with(), 0);
}

// Keep-alive: two pipelined requests in one write. The first is forwarded
// with its body; once the relay consumed it, the second is decided from
// what is left (the user entry answers) and the third, a bad one, refused.
TEST_F(ZtnaConnTest, PipelinedRequestsAreDecidedInTurn) {
  ZtnaConn::State state;
  request(ip(10, 1, 100, 22),
          "POST /a HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 3\r\n" + basic("localuser1:s3cret") +
              "\r\nabcGET /b HTTP/1.1\r\nHost: app.example.com\r\n\r\nGET /c HTTP/1.1\r\nHost: x.example.com\r\n\r\n",
          &state);
  ASSERT_EQ(state, ZtnaConn::State::kForward);
  EXPECT_EQ(conn_->request().target, "/a");
  EXPECT_EQ(conn_->body_bytes().substr(0, 3), "abc");
  conn_->consume_forwarded(3);
  ASSERT_EQ(conn_->next_request(kNow), ZtnaConn::State::kForward);
  EXPECT_EQ(conn_->request().target, "/b");
  EXPECT_EQ(conn_->decision().policy_id, 1u);
  EXPECT_STREQ(conn_->user(), "localuser1");
  conn_->consume_forwarded(0);
  EXPECT_EQ(conn_->next_request(kNow), ZtnaConn::State::kClosing);
  EXPECT_EQ(conn_->deny_reason(), ZtnaDenyReason::kSniHostMismatch);
}

// Every refusal names its reason for the traffic log, and the page says it
// to the person at the browser.
TEST_F(ZtnaConnTest, DenialsNameTheirReason) {
  ZtnaConn::State state;
  std::string reply = request(ip(10, 1, 100, 22), kGet + "\r\n", &state);
  EXPECT_EQ(conn_->deny_reason(), ZtnaDenyReason::kNone) << "a plain challenge is not a denial";
  EXPECT_NE(reply.find("Content-Type: text/html"), std::string::npos) << reply;

  reply = request(ip(10, 1, 100, 22), kGet + basic("localuser1:wrong") + "\r\n", &state);
  EXPECT_EQ(conn_->deny_reason(), ZtnaDenyReason::kBadCredentials);
  EXPECT_STREQ(conn_->user(), "localuser1");
  EXPECT_NE(reply.find("The user name or password is not valid."), std::string::npos) << reply;

  reply = request(ip(192, 168, 1, 1), kGet + "\r\n", &state);
  EXPECT_EQ(conn_->deny_reason(), ZtnaDenyReason::kPolicyDeny);
  EXPECT_EQ(conn_->decision().policy_id, 3u);
  EXPECT_NE(reply.find("A ZTNA proxy policy denies this request."), std::string::npos) << reply;
  policies_->nb_policies = 2;  // without the deny-all policy: the implicit deny
  reply = request(ip(192, 168, 1, 1), kGet + "\r\n", &state);
  EXPECT_EQ(conn_->refused_with(), 403);
  EXPECT_EQ(conn_->deny_reason(), ZtnaDenyReason::kImplicitDeny);
  EXPECT_EQ(conn_->decision().policy_index, -1);
  EXPECT_NE(reply.find("implicit deny"), std::string::npos) << reply;

  reply = request(ip(10, 1, 200, 5), "GET / HTTP/1.1\r\nHost: other.example.com\r\n\r\n", &state);
  EXPECT_EQ(conn_->deny_reason(), ZtnaDenyReason::kSniHostMismatch);
  EXPECT_NE(reply.find("does not match the server name (SNI)"), std::string::npos) << reply;

  request(ip(10, 1, 200, 5), "GET / HTTP/2.0\r\nHost: app.example.com\r\n\r\n", &state);
  EXPECT_EQ(conn_->deny_reason(), ZtnaDenyReason::kBadRequest);

  request(ip(10, 1, 200, 5), kGet + "\r\n", &state, nullptr);
  EXPECT_EQ(state, ZtnaConn::State::kFailed);
  EXPECT_EQ(conn_->deny_reason(), ZtnaDenyReason::kNoClientCert) << conn_->deny_detail();

  // stranger.pem is issued by a CA this proxy does not trust.
  request(ip(10, 1, 200, 5), kGet + "\r\n", &state, "stranger");
  EXPECT_EQ(state, ZtnaConn::State::kFailed);
  EXPECT_EQ(conn_->deny_reason(), ZtnaDenyReason::kCertVerify);
  EXPECT_NE(conn_->tls().client_cert().verify_error, 0);
  EXPECT_STRNE(conn_->deny_detail(), "");
}

// PBKDF2 never runs inside ZtnaConn: a login parks the connection with the
// check described, however costly the hash, and the answer resumes it.
TEST_F(ZtnaConnTest, LoginWaitsForAPasswordCheckItDoesNotRun) {
  constexpr unsigned kSlowIterations = 200'000;  // about 150 ms of PBKDF2 here
  char* word = users_db_->users[0].hash;
  ASSERT_GT(user_password_hash("s3cret", kSlowIterations, word, sizeof users_db_->users[0].hash), 0u);
  conn_ = std::make_unique<ZtnaConn>();
  ASSERT_TRUE(conn_->start(tls_, &conf_, &table_, ip(10, 1, 100, 22), 0));
  Client client("client");
  ASSERT_TRUE(client.handshake(conn_.get()));
  auto t0 = std::chrono::steady_clock::now();
  client.send(conn_.get(), kGet + basic("localuser1:s3cret") + "\r\n");
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(conn_->state(), ZtnaConn::State::kLoginWait);
  auto t1 = std::chrono::steady_clock::now();
  ZtnaConn::LoginCheck check = conn_->login();
  EXPECT_EQ(check.user, "localuser1");
  EXPECT_EQ(check.password, "s3cret");
  EXPECT_EQ(check.hash, users_db_->users[0].hash);
  bool ok = user_password_verify(check.hash, check.password);
  auto pbkdf2 = std::chrono::steady_clock::now() - t1;
  EXPECT_TRUE(ok);
  // The request was taken in far faster than one check runs.
  EXPECT_LT(took * 10, pbkdf2) << "request " << std::chrono::duration<double, std::milli>(took).count()
                               << " ms, PBKDF2 " << std::chrono::duration<double, std::milli>(pbkdf2).count() << " ms";
  EXPECT_EQ(client.more(conn_.get()), "") << "no answer while the check runs";
  EXPECT_EQ(table_.size(), 0u);
  EXPECT_EQ(conn_->finish_login(true, kNow), ZtnaConn::State::kForward);
  EXPECT_STREQ(conn_->user(), "localuser1");
  EXPECT_EQ(conn_->login().password, "") << "the password copy is wiped";
  EXPECT_NE(table_.lookup(ip(10, 1, 100, 22), kNow), nullptr);
  // A second answer changes nothing.
  EXPECT_EQ(conn_->finish_login(false, kNow), ZtnaConn::State::kForward);
}

TEST_F(ZtnaConnTest, AWrongPasswordAnswerIs401AndNoLogin) {
  conn_ = std::make_unique<ZtnaConn>();
  ASSERT_TRUE(conn_->start(tls_, &conf_, &table_, ip(10, 1, 100, 22), 0));
  Client client("client");
  ASSERT_TRUE(client.handshake(conn_.get()));
  client.send(conn_.get(), kGet + basic("localuser1:wrong") + "\r\n");
  ASSERT_EQ(conn_->state(), ZtnaConn::State::kLoginWait);
  EXPECT_EQ(conn_->finish_login(false, kNow), ZtnaConn::State::kClosing);
  std::string reply = client.more(conn_.get());
  EXPECT_EQ(reply.substr(0, 25), "HTTP/1.1 401 Unauthorized") << reply;
  EXPECT_EQ(conn_->deny_reason(), ZtnaDenyReason::kBadCredentials);
  EXPECT_STREQ(conn_->user(), "localuser1");
  EXPECT_EQ(table_.size(), 0u);
}

// No room to queue the check: 503 with Retry-After, and the log says why.
TEST_F(ZtnaConnTest, ALoginThatCannotBeQueuedIs503) {
  conn_ = std::make_unique<ZtnaConn>();
  ASSERT_TRUE(conn_->start(tls_, &conf_, &table_, ip(10, 1, 100, 22), 0));
  Client client("client");
  ASSERT_TRUE(client.handshake(conn_.get()));
  client.send(conn_.get(), kGet + basic("localuser1:s3cret") + "\r\n");
  ASSERT_EQ(conn_->state(), ZtnaConn::State::kLoginWait);
  conn_->refuse_login_busy();
  EXPECT_EQ(conn_->state(), ZtnaConn::State::kClosing);
  std::string reply = client.more(conn_.get());
  EXPECT_EQ(reply.substr(0, 32), "HTTP/1.1 503 Service Unavailable") << reply;
  EXPECT_NE(reply.find("Retry-After: 1\r\n"), std::string::npos) << reply;
  EXPECT_EQ(conn_->deny_reason(), ZtnaDenyReason::kLoginBusy);
  EXPECT_EQ(table_.size(), 0u);
}

// Credentials no check could accept are answered at once: an unknown
// user, or a password longer than any FortiOS accepts.
TEST_F(ZtnaConnTest, CredentialsOfNoUserAreRefusedWithoutACheck) {
  const std::string too_long = "localuser1:" + std::string(kZtnaPasswordMax + 1, 'x');
  for (const std::string& cred : {std::string("nobody:s3cret"), too_long}) {
    conn_ = std::make_unique<ZtnaConn>();
    ASSERT_TRUE(conn_->start(tls_, &conf_, &table_, ip(10, 1, 100, 22), 0));
    Client client("client");
    ASSERT_TRUE(client.handshake(conn_.get()));
    client.send(conn_.get(), kGet + basic(cred) + "\r\n");
    EXPECT_EQ(conn_->state(), ZtnaConn::State::kClosing);
    EXPECT_EQ(conn_->refused_with(), 401);
  }
}

}  // namespace
}  // namespace tandem::dp
