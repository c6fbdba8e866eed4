// dataplane/tls against a real OpenSSL client, both in memory: handshakes
// in TLS 1.2 and 1.3, client certificates verified, refused (wrong CA,
// revoked) or absent under both empty-cert-actions, the device identity,
// session resumption through a second context holding the same ticket
// keys (what the HA pair relies on after failover), and TLS 1.2
// session-id resumption through the shared SessionCache: on another
// worker's context, and on the peer after the entry went through the sync
// record codec (encode, fragments, reassembly, install); the client-chain
// verification cache, and one TLS 1.3 ticket per handshake.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "dataplane/sync/sync_records.h"
#include "dataplane/tls/session_cache.h"
#include "dataplane/tls/tls.h"

namespace tandem::dp::tls {
namespace {

// The fixture directory, made once per test binary by make-certs.sh.
const std::string& fixtures() {
  static const std::string dir = [] {
    const char* script = std::getenv("TANDEM_MAKE_CERTS");
    char tmpl[] = "/tmp/tandem-tls-test.XXXXXX";
    if (!script || !mkdtemp(tmpl)) return std::string();
    std::string cmd = std::string(script) + " " + tmpl;
    return std::system(cmd.c_str()) == 0 ? std::string(tmpl) : std::string();
  }();
  return dir;
}

std::string path(const char* name) { return fixtures() + "/" + name; }

// Removes the fixture directory when the binary ends.
class FixtureCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    if (!fixtures().empty()) std::system(("rm -rf " + fixtures()).c_str());
  }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new FixtureCleanup);

struct Server {
  std::string cert = path("server.pem"), key = path("server.key"), ca = path("ca.pem"), crl = path("crl.pem");
  ServerConfig config;
  Server(bool empty_cert_accept = false, bool with_crl = true) {
    config.certificate_file = cert.c_str();
    config.private_key_file = key.c_str();
    config.ca_files[0] = ca.c_str();
    config.ca_count = 1;
    if (with_crl) {
      config.crl_files[0] = crl.c_str();
      config.crl_count = 1;
    }
    config.empty_cert_accept = empty_cert_accept;
  }
};

// An OpenSSL client with its own memory BIOs.
class Client {
 public:
  explicit Client(const char* cert_name, int max_version = TLS1_3_VERSION, SSL_SESSION* resume = nullptr) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_max_proto_version(ctx_, max_version);
    SSL_CTX_load_verify_file(ctx_, path("ca.pem").c_str());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    if (cert_name) {
      SSL_CTX_use_certificate_file(ctx_, path((std::string(cert_name) + ".pem").c_str()).c_str(), SSL_FILETYPE_PEM);
      SSL_CTX_use_PrivateKey_file(ctx_, path((std::string(cert_name) + ".key").c_str()).c_str(), SSL_FILETYPE_PEM);
    }
    ssl_ = SSL_new(ctx_);
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(in_, -1);
    SSL_set_bio(ssl_, in_, out_);
    SSL_set_tlsext_host_name(ssl_, "app.example.com");
    SSL_set1_host(ssl_, "app.example.com");
    if (resume) SSL_set_session(ssl_, resume);
    SSL_set_connect_state(ssl_);
  }
  ~Client() {
    // SSL_free without a shutdown marks the session not resumable (an
    // aborted connection's session is suspect); these tests close cleanly.
    SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  SSL* ssl() { return ssl_; }

  // Runs the handshake against conn until both sides stop moving.
  // Returns whether the client finished its handshake.
  bool handshake(Conn* conn) {
    bool done = false;
    for (int round = 0; round < 20; ++round) {
      if (!done) done = SSL_do_handshake(ssl_) == 1;
      move_to_server(conn);
      uint8_t sink[256];
      conn->read_plaintext(sink, sizeof sink);
      move_to_client(conn);
      if (conn->state() == Conn::State::kFailed) {
        SSL_do_handshake(ssl_);  // read the alert
        return false;
      }
      if (done && conn->state() == Conn::State::kEstablished && conn->pending_ciphertext() == 0) break;
    }
    // TLS 1.3 tickets arrive after the handshake; a read consumes them.
    char byte;
    SSL_read(ssl_, &byte, 1);
    ERR_clear_error();
    return done;
  }

  void move_to_server(Conn* conn) {
    uint8_t buf[16384];
    int n;
    while ((n = BIO_read(out_, buf, sizeof buf)) > 0) conn->push_ciphertext(buf, static_cast<std::size_t>(n));
  }
  void move_to_client(Conn* conn) {
    uint8_t buf[16384];
    std::size_t n;
    while ((n = conn->pull_ciphertext(buf, sizeof buf)) > 0) BIO_write(in_, buf, static_cast<int>(n));
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;
  BIO* out_ = nullptr;
};

TicketKeyRing fresh_ring() {
  TicketKeyRing ring;
  EXPECT_TRUE(ticket_ring_rotate(&ring));
  return ring;
}

// The session (with its ticket) of a full TLS 1.3 handshake on ctx, or
// nullptr when the handshake failed.
SSL_SESSION* full_handshake_session(const ServerContext& ctx) {
  Conn conn;
  if (!conn.start(ctx)) return nullptr;
  Client client("client");
  if (!client.handshake(&conn)) return nullptr;
  return SSL_get1_session(client.ssl());
}

class Tls : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(fixtures().empty()) << "make-certs.sh failed (TANDEM_MAKE_CERTS unset?)"; }
  char error_[256] = "";
};

TEST_F(Tls, Tls13HandshakeWithVerifiedClientCertAndData) {
  Server s;
  TicketKeyRing ring = fresh_ring();
  ServerContext ctx;
  ASSERT_TRUE(ctx.init(s.config, &ring, error_, sizeof error_)) << error_;
  Conn conn;
  ASSERT_TRUE(conn.start(ctx));
  Client client("client");
  ASSERT_TRUE(client.handshake(&conn)) << conn.failure_reason();
  ASSERT_EQ(conn.state(), Conn::State::kEstablished);
  EXPECT_EQ(SSL_version(conn.native()), TLS1_3_VERSION);
  EXPECT_EQ(conn.sni(), "app.example.com");
  EXPECT_FALSE(conn.resumed());
  const ClientCertResult& cert = conn.client_cert();
  EXPECT_EQ(cert.status, ClientCertStatus::kVerified);
  EXPECT_STREQ(cert.identity.device_id, "device-0001");
  ASSERT_EQ(cert.identity.tag_count, 2u);
  EXPECT_STREQ(cert.identity.tags[0], "corp");
  EXPECT_STREQ(cert.identity.tags[1], "managed");
  EXPECT_FALSE(cert.identity.truncated);

  // Application data both ways.
  const char request[] = "GET / HTTP/1.1\r\nHost: app.example.com\r\n\r\n";
  ASSERT_EQ(SSL_write(client.ssl(), request, sizeof request - 1), static_cast<int>(sizeof request - 1));
  client.move_to_server(&conn);
  uint8_t plain[256];
  std::size_t n = conn.read_plaintext(plain, sizeof plain);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(plain), n), request);
  const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(conn.write_plaintext(reinterpret_cast<const uint8_t*>(reply), sizeof reply - 1), sizeof reply - 1);
  client.move_to_client(&conn);
  char got[256];
  int r = SSL_read(client.ssl(), got, sizeof got);
  ASSERT_GT(r, 0);
  EXPECT_EQ(std::string(got, static_cast<std::size_t>(r)), reply);

  conn.shutdown();
  client.move_to_client(&conn);
  EXPECT_EQ(SSL_read(client.ssl(), got, sizeof got), 0);
  EXPECT_EQ(SSL_get_error(client.ssl(), 0), SSL_ERROR_ZERO_RETURN);
}

TEST_F(Tls, Tls12HandshakeWithClientCert) {
  Server s;
  ServerContext ctx;
  ASSERT_TRUE(ctx.init(s.config, nullptr, error_, sizeof error_)) << error_;
  Conn conn;
  ASSERT_TRUE(conn.start(ctx));
  Client client("client", TLS1_2_VERSION);
  ASSERT_TRUE(client.handshake(&conn)) << conn.failure_reason();
  EXPECT_EQ(SSL_version(conn.native()), TLS1_2_VERSION);
  EXPECT_EQ(conn.client_cert().status, ClientCertStatus::kVerified);
  EXPECT_STREQ(conn.client_cert().identity.device_id, "device-0001");
}

TEST_F(Tls, CertificateOfAnotherCaIsRefused) {
  Server s;
  ServerContext ctx;
  ASSERT_TRUE(ctx.init(s.config, nullptr, error_, sizeof error_)) << error_;
  Conn conn;
  ASSERT_TRUE(conn.start(ctx));
  Client client("stranger");
  EXPECT_FALSE(client.handshake(&conn));
  EXPECT_EQ(conn.state(), Conn::State::kFailed);
  EXPECT_EQ(conn.client_cert().status, ClientCertStatus::kFailed);
  EXPECT_EQ(conn.client_cert().verify_error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  EXPECT_STRNE(conn.failure_reason(), "");
}

TEST_F(Tls, RevokedCertificateIsRefusedOnlyWithTheCrl) {
  {
    Server s;
    ServerContext ctx;
    ASSERT_TRUE(ctx.init(s.config, nullptr, error_, sizeof error_)) << error_;
    Conn conn;
    ASSERT_TRUE(conn.start(ctx));
    Client client("revoked");
    EXPECT_FALSE(client.handshake(&conn));
    EXPECT_EQ(conn.client_cert().status, ClientCertStatus::kFailed);
    EXPECT_EQ(conn.client_cert().verify_error, X509_V_ERR_CERT_REVOKED);
  }
  Server without_crl(false, false);
  ServerContext ctx;
  ASSERT_TRUE(ctx.init(without_crl.config, nullptr, error_, sizeof error_)) << error_;
  Conn conn;
  ASSERT_TRUE(conn.start(ctx));
  Client client("revoked");
  EXPECT_TRUE(client.handshake(&conn));
  EXPECT_EQ(conn.client_cert().status, ClientCertStatus::kVerified);
}

TEST_F(Tls, NoCertificateUnderBlockAndAccept) {
  for (bool accept : {false, true}) {
    Server s(accept);
    ServerContext ctx;
    ASSERT_TRUE(ctx.init(s.config, nullptr, error_, sizeof error_)) << error_;
    Conn conn;
    ASSERT_TRUE(conn.start(ctx));
    Client client(nullptr);
    bool ok = client.handshake(&conn);
    EXPECT_EQ(conn.client_cert().status, ClientCertStatus::kNone) << accept;
    if (accept) {
      EXPECT_TRUE(ok);
      EXPECT_EQ(conn.state(), Conn::State::kEstablished);
    } else {
      EXPECT_EQ(conn.state(), Conn::State::kFailed);
    }
  }
}

// Two contexts built separately (as on the two nodes), each with its own
// ring holding the same key: a session from the first resumes on the
// second, certificate result and identity included.
void resume_across_contexts(int version, bool same_key, char* error, std::size_t error_size,
                            const char* b_context = "tandem-ztna") {
  Server s;
  TicketKeyRing ring_a = fresh_ring();
  TicketKeyRing ring_b = same_key ? ring_a : fresh_ring();
  ServerContext a, b;
  ASSERT_TRUE(a.init(s.config, &ring_a, error, error_size)) << error;
  Server s_b;
  s_b.config.session_id_context = b_context;
  ASSERT_TRUE(b.init(s_b.config, &ring_b, error, error_size)) << error;
  const bool resumes = same_key && std::string(b_context) == s.config.session_id_context;

  SSL_SESSION* session = nullptr;
  {
    Conn conn;
    ASSERT_TRUE(conn.start(a));
    Client client("client", version);
    ASSERT_TRUE(client.handshake(&conn)) << conn.failure_reason();
    session = SSL_get1_session(client.ssl());
    ASSERT_NE(session, nullptr);
    ASSERT_EQ(SSL_SESSION_is_resumable(session), 1);
  }
  Conn conn;
  ASSERT_TRUE(conn.start(b));
  Client client("client", version, session);
  ASSERT_TRUE(client.handshake(&conn)) << conn.failure_reason();
  SSL_SESSION_free(session);
  EXPECT_EQ(conn.resumed(), resumes);
  EXPECT_EQ(SSL_session_reused(client.ssl()) == 1, resumes);
  EXPECT_EQ(conn.client_cert().status, ClientCertStatus::kVerified);
  EXPECT_STREQ(conn.client_cert().identity.device_id, "device-0001");
}

TEST_F(Tls, Tls13SessionResumesOnTheOtherContextWithTheSameTicketKey) {
  resume_across_contexts(TLS1_3_VERSION, true, error_, sizeof error_);
}
TEST_F(Tls, Tls12SessionResumesOnTheOtherContextWithTheSameTicketKey) {
  resume_across_contexts(TLS1_2_VERSION, true, error_, sizeof error_);
}
TEST_F(Tls, ADifferentTicketKeyMeansAFullHandshake) {
  resume_across_contexts(TLS1_3_VERSION, false, error_, sizeof error_);
}
// Another access proxy (another session id context; any length) shares the
// keys but not the sessions.
TEST_F(Tls, AnotherProxysContextDoesNotResume) {
  resume_across_contexts(TLS1_3_VERSION, true, error_, sizeof error_,
                         "another-access-proxy-with-a-name-longer-than-thirty-two-bytes");
  resume_across_contexts(TLS1_2_VERSION, true, error_, sizeof error_, "other");
}

// A resumed TLS 1.3 connection hands the client a fresh ticket, so a
// client that uses each ticket once resumes every time.
TEST_F(Tls, Tls13ResumptionIssuesAFreshTicket) {
  Server s;
  TicketKeyRing ring = fresh_ring();
  ServerContext ctx;
  ASSERT_TRUE(ctx.init(s.config, &ring, error_, sizeof error_)) << error_;
  SSL_SESSION* first = full_handshake_session(ctx);
  ASSERT_NE(first, nullptr);
  Conn conn;
  ASSERT_TRUE(conn.start(ctx));
  Client client("client", TLS1_3_VERSION, first);
  ASSERT_TRUE(client.handshake(&conn));
  EXPECT_TRUE(conn.resumed());
  SSL_SESSION* second = SSL_get1_session(client.ssl());
  const unsigned char *t1 = nullptr, *t2 = nullptr;
  std::size_t n1 = 0, n2 = 0;
  SSL_SESSION_get0_ticket(first, &t1, &n1);
  SSL_SESSION_get0_ticket(second, &t2, &n2);
  ASSERT_GT(n1, 0u);
  ASSERT_GT(n2, 0u);
  EXPECT_FALSE(n1 == n2 && std::memcmp(t1, t2, n1) == 0) << "no new ticket after the resumption";
  SSL_SESSION_free(first);
  SSL_SESSION_free(second);
}

TEST_F(Tls, OlderRingKeysStillDecrypt) {
  Server s;
  TicketKeyRing ring = fresh_ring();
  ServerContext ctx;
  ASSERT_TRUE(ctx.init(s.config, &ring, error_, sizeof error_)) << error_;
  SSL_SESSION* session = full_handshake_session(ctx);
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(ticket_ring_rotate(&ring));  // the ticket's key is no longer current
  Conn conn;
  ASSERT_TRUE(conn.start(ctx));
  Client client("client", TLS1_3_VERSION, session);
  ASSERT_TRUE(client.handshake(&conn));
  SSL_SESSION_free(session);
  EXPECT_TRUE(conn.resumed());
  // Rotating the whole ring away drops it.
  for (std::size_t i = 0; i < kTicketRingSize; ++i) ASSERT_TRUE(ticket_ring_rotate(&ring));
  session = SSL_get1_session(client.ssl());
  Conn again;
  ASSERT_TRUE(again.start(ctx));
  Client third("client", TLS1_3_VERSION, session);
  ASSERT_TRUE(third.handshake(&again));
  SSL_SESSION_free(session);
  EXPECT_FALSE(again.resumed());
}

TEST_F(Tls, RotationBumpsTheVersionAndEqualityIsByContent) {
  TicketKeyRing a = fresh_ring();
  EXPECT_EQ(a.version, 1u);
  TicketKeyRing b = a;  // what the secondary assembles from the sync records
  EXPECT_TRUE(ticket_ring_equal(a, b));
  ASSERT_TRUE(ticket_ring_rotate(&b));
  EXPECT_EQ(b.version, 2u);
  EXPECT_FALSE(ticket_ring_equal(a, b));
  TicketKeyRing c = a;
  c.keys[c.current].hmac_key[31] ^= 1;
  EXPECT_FALSE(ticket_ring_equal(a, c)) << "same version, another key";
}

// TLS 1.2 session-id resumption needs the server-side cache: a context
// built without one (ServerConfig::session_cache nullptr) makes a client
// that offers no ticket do a full handshake even on the context that
// issued the session. With a ticket the same client resumes
// (Tls12SessionResumes... above); with the cache, see below.
TEST_F(Tls, Tls12WithoutATicketOrACacheIsAFullHandshake) {
  Server s;
  TicketKeyRing ring = fresh_ring();
  ServerContext ctx;
  ASSERT_TRUE(ctx.init(s.config, &ring, error_, sizeof error_)) << error_;
  SSL_SESSION* session = nullptr;
  {
    Conn conn;
    ASSERT_TRUE(conn.start(ctx));
    Client client("client", TLS1_2_VERSION);
    SSL_set_options(client.ssl(), SSL_OP_NO_TICKET);
    ASSERT_TRUE(client.handshake(&conn)) << conn.failure_reason();
    session = SSL_get1_session(client.ssl());
    ASSERT_NE(session, nullptr);
  }
  Conn conn;
  ASSERT_TRUE(conn.start(ctx));
  Client client("client", TLS1_2_VERSION, session);
  SSL_set_options(client.ssl(), SSL_OP_NO_TICKET);
  ASSERT_TRUE(client.handshake(&conn)) << conn.failure_reason();
  SSL_SESSION_free(session);
  EXPECT_FALSE(conn.resumed());
  EXPECT_EQ(conn.client_cert().status, ClientCertStatus::kVerified) << "the full handshake verifies again";
}

// ---- The TLS 1.2 session-id cache (session_cache.h).

// A full TLS 1.2 handshake of a client that takes no ticket on ctx: its
// session (the caller frees it), and whether the server put it in the cache.
SSL_SESSION* no_ticket_session(const ServerContext& ctx, bool* cached) {
  Conn conn;
  if (!conn.start(ctx)) return nullptr;
  Client client("client", TLS1_2_VERSION);
  SSL_set_options(client.ssl(), SSL_OP_NO_TICKET);
  if (!client.handshake(&conn) || conn.resumed()) return nullptr;
  *cached = conn.new_cache_entry();
  return SSL_get1_session(client.ssl());
}

// The client offers session (no ticket) to ctx: whether it resumed, and the
// certificate result the proxy then reads.
bool resumes_by_id(const ServerContext& ctx, SSL_SESSION* session, ClientCertResult* cert = nullptr) {
  Conn conn;
  EXPECT_TRUE(conn.start(ctx));
  Client client("client", TLS1_2_VERSION, session);
  SSL_set_options(client.ssl(), SSL_OP_NO_TICKET);
  EXPECT_TRUE(client.handshake(&conn)) << conn.failure_reason();
  EXPECT_EQ(conn.resumed(), SSL_session_reused(client.ssl()) == 1);
  if (cert) *cert = conn.client_cert();
  return conn.resumed();
}

// Two workers' contexts of one proxy (built separately, as tandemd does)
// and the ticket ring of the proxy: a TLS 1.2 client without tickets
// resumes on the other worker, certificate and identity included, and
// the resumption puts nothing new in the cache.
TEST_F(Tls, Tls12NoTicketResumesOnAnotherWorkersContextThroughTheSharedCache) {
  Server s;
  SessionCache cache(16);
  s.config.session_cache = &cache;
  TicketKeyRing ring = fresh_ring();
  ServerContext worker0, worker1;
  ASSERT_TRUE(worker0.init(s.config, &ring, error_, sizeof error_)) << error_;
  ASSERT_TRUE(worker1.init(s.config, &ring, error_, sizeof error_)) << error_;
  bool cached = false;
  SSL_SESSION* session = no_ticket_session(worker0, &cached);
  ASSERT_NE(session, nullptr);
  EXPECT_TRUE(cached);
  EXPECT_EQ(cache.size(), 1u);
  unsigned id_len = 0;
  SSL_SESSION_get_id(session, &id_len);
  EXPECT_GT(id_len, 0u) << "the server handed out a session id";
  ClientCertResult cert;
  EXPECT_TRUE(resumes_by_id(worker1, session, &cert));
  EXPECT_EQ(cert.status, ClientCertStatus::kVerified);
  EXPECT_STREQ(cert.identity.device_id, "device-0001");
  ASSERT_EQ(cert.identity.tag_count, 2u);
  EXPECT_STREQ(cert.identity.tags[1], "managed");
  EXPECT_TRUE(resumes_by_id(worker0, session)) << "and again on the first";
  SSL_SESSION_free(session);
  SessionCacheCounters c = cache.counters();
  EXPECT_EQ(c.entries, 1u);
  EXPECT_EQ(c.stored, 1u);
  EXPECT_EQ(c.hits, 2u);
  EXPECT_EQ(c.misses, 0u);
}

// Tickets cover TLS 1.3 and TLS 1.2 clients that take one: their sessions
// stay out of the cache (and off the sync stream).
TEST_F(Tls, SessionsWithTicketsAreNotCached) {
  Server s;
  SessionCache cache(16);
  s.config.session_cache = &cache;
  TicketKeyRing ring = fresh_ring();
  ServerContext ctx;
  ASSERT_TRUE(ctx.init(s.config, &ring, error_, sizeof error_)) << error_;
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    Conn conn;
    ASSERT_TRUE(conn.start(ctx));
    Client client("client", version);
    ASSERT_TRUE(client.handshake(&conn)) << conn.failure_reason();
    EXPECT_FALSE(conn.new_cache_entry()) << version;
  }
  EXPECT_EQ(cache.size(), 0u);
  // Without a ring (no tickets at all) a TLS 1.2 session is cached.
  ServerContext no_ring;
  ASSERT_TRUE(no_ring.init(s.config, nullptr, error_, sizeof error_)) << error_;
  Conn conn;
  ASSERT_TRUE(conn.start(no_ring));
  Client client("client", TLS1_2_VERSION);
  ASSERT_TRUE(client.handshake(&conn));
  EXPECT_TRUE(conn.new_cache_entry());
  EXPECT_EQ(cache.size(), 1u);
}

// What the HA pair does: the primary's entry (export_of, as the proxy
// sends it) through the sync record codec (blob, fragments, reassembly)
// into the peer's own cache, where a context of the peer resumes it.
TEST_F(Tls, EntryReplicatedThroughTheRecordsResumesOnThePeer) {
  Server s;
  SessionCache primary(16), peer(16);
  s.config.session_cache = &primary;
  Server s_peer;
  s_peer.config.session_cache = &peer;
  ServerContext a, b;
  ASSERT_TRUE(a.init(s.config, nullptr, error_, sizeof error_)) << error_;
  ASSERT_TRUE(b.init(s_peer.config, nullptr, error_, sizeof error_)) << error_;

  SSL_SESSION* session = nullptr;
  static SessionCacheEntry entry;
  {
    Conn conn;
    ASSERT_TRUE(conn.start(a));
    Client client("client", TLS1_2_VERSION);
    SSL_set_options(client.ssl(), SSL_OP_NO_TICKET);
    ASSERT_TRUE(client.handshake(&conn));
    ASSERT_TRUE(conn.new_cache_entry());
    ASSERT_TRUE(primary.export_of(conn.native(), SessionCache::now_s(), &entry));
    session = SSL_get1_session(client.ssl());
  }
  EXPECT_GT(entry.der_len, 255u) << "a session with a certificate needs fragments";
  EXPECT_EQ(entry.timeout_s, kTicketLifetimeS);
  EXPECT_FALSE(resumes_by_id(b, session)) << "the peer does not have it yet";

  static uint8_t blob[kTlsSessionBlobMax];
  size_t total = tls_session_entry_encode(entry, blob, sizeof blob);
  ASSERT_GT(total, 0u);
  unsigned count = tls_session_fragment_count(total);
  ASSERT_GT(count, 1u);
  static TlsSessionAssembler assembler;
  bool complete = false;
  for (unsigned i = 0; i < count; ++i) {
    uint8_t body[255];
    size_t n = tls_session_fragment_encode(42, blob, total, i, body);
    ASSERT_GT(n, 0u);
    TlsSessionFragment f;
    ASSERT_TRUE(tls_session_fragment_decode(body, n, &f)) << i;
    complete = assembler.add(f, 1000);
    EXPECT_EQ(complete, i + 1 == count) << i;
  }
  ASSERT_TRUE(complete);
  static SessionCacheEntry got;
  ASSERT_TRUE(tls_session_entry_decode(assembler.blob, assembler.total, &got));
  ASSERT_TRUE(peer.install(got, SessionCache::now_s()));
  ClientCertResult cert;
  EXPECT_TRUE(resumes_by_id(b, session, &cert));
  EXPECT_EQ(cert.status, ClientCertStatus::kVerified) << "the certificate came with the session";
  EXPECT_STREQ(cert.identity.device_id, "device-0001");
  SSL_SESSION_free(session);
  EXPECT_EQ(peer.counters().replicated_in, 1u);
}

// A fatal alert on a connection of a cached session makes OpenSSL drop the
// entry; the worker takes its key and sends it (record type 8), and the
// peer drops its replicated copy: neither node resumes the session.
TEST_F(Tls, AnEntryOpenSslDropsIsDroppedOnThePeerToo) {
  Server s, s_peer;
  SessionCache primary(16), peer(16);
  s.config.session_cache = &primary;
  s_peer.config.session_cache = &peer;
  ServerContext a, b;
  ASSERT_TRUE(a.init(s.config, nullptr, error_, sizeof error_)) << error_;
  ASSERT_TRUE(b.init(s_peer.config, nullptr, error_, sizeof error_)) << error_;
  SessionCacheKey ignored[kRemovedQueue];
  SessionCache::take_removed(ignored, kRemovedQueue);  // this thread's queue starts empty

  bool cached = false;
  SSL_SESSION* session = no_ticket_session(a, &cached);
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(cached);
  static SessionCacheEntry entry;
  std::size_t cursor = 0;
  ASSERT_TRUE(primary.export_next(&cursor, SessionCache::now_s(), &entry));
  ASSERT_TRUE(peer.install(entry, SessionCache::now_s()));
  ASSERT_TRUE(resumes_by_id(b, session)) << "replicated";

  {  // Resumed on the primary, then a record that does not authenticate.
    Conn conn;
    ASSERT_TRUE(conn.start(a));
    Client client("client", TLS1_2_VERSION, session);
    SSL_set_options(client.ssl(), SSL_OP_NO_TICKET);
    ASSERT_TRUE(client.handshake(&conn));
    ASSERT_TRUE(conn.resumed());
    uint8_t bad[5 + 40] = {0x17, 0x03, 0x03, 0x00, 40};
    for (std::size_t i = 5; i < sizeof bad; ++i) bad[i] = static_cast<uint8_t>(i * 7);
    conn.push_ciphertext(bad, sizeof bad);
    uint8_t sink[64];
    conn.read_plaintext(sink, sizeof sink);
    EXPECT_EQ(conn.state(), Conn::State::kFailed);
  }
  EXPECT_EQ(primary.size(), 0u);
  EXPECT_EQ(primary.counters().removed, 1u);
  EXPECT_FALSE(resumes_by_id(a, session));

  SessionCacheKey keys[kRemovedQueue];
  ASSERT_EQ(SessionCache::take_removed(keys, kRemovedQueue), 1u);
  EXPECT_EQ(SessionCache::take_removed(keys + 1, kRemovedQueue), 0u) << "taken once";
  unsigned id_len = 0;
  const unsigned char* id = SSL_SESSION_get_id(session, &id_len);
  ASSERT_EQ(keys[0].id_len, id_len);
  EXPECT_EQ(std::memcmp(keys[0].id, id, id_len), 0);

  uint8_t body[kTlsSessionKeyMax];
  size_t n = tls_session_key_encode(keys[0], body, sizeof body);
  ASSERT_GT(n, 0u);
  SessionCacheKey got;
  EXPECT_FALSE(tls_session_key_decode(body, n - 1, &got)) << "truncated";
  ASSERT_TRUE(tls_session_key_decode(body, n, &got));
  EXPECT_TRUE(peer.remove_replicated(got));
  EXPECT_FALSE(peer.remove_replicated(got)) << "gone already";
  EXPECT_EQ(peer.counters().removed_in, 1u);
  EXPECT_EQ(peer.counters().removed, 0u);
  EXPECT_EQ(SessionCache::take_removed(keys, kRemovedQueue), 0u) << "a replicated removal is not sent back";
  EXPECT_FALSE(resumes_by_id(b, session));
  SSL_SESSION_free(session);
}

// Another access proxy (another session id context) shares the cache but
// never resumes a session of this one.
TEST_F(Tls, AnotherProxysContextDoesNotResumeFromTheCache) {
  Server s;
  SessionCache cache(16);
  s.config.session_cache = &cache;
  Server other;
  other.config.session_cache = &cache;
  other.config.session_id_context = "another-access-proxy";
  ServerContext ours, theirs;
  ASSERT_TRUE(ours.init(s.config, nullptr, error_, sizeof error_)) << error_;
  ASSERT_TRUE(theirs.init(other.config, nullptr, error_, sizeof error_)) << error_;
  bool cached = false;
  SSL_SESSION* session = no_ticket_session(ours, &cached);
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(cached);
  ClientCertResult cert;
  EXPECT_FALSE(resumes_by_id(theirs, session, &cert));
  EXPECT_EQ(cert.status, ClientCertStatus::kVerified) << "a full handshake verifies the certificate again";
  EXPECT_EQ(cache.counters().misses, 1u);
  EXPECT_TRUE(resumes_by_id(ours, session));
  SSL_SESSION_free(session);
}

// Full at capacity: the oldest entry makes room, the newer ones resume.
TEST_F(Tls, CacheEvictsTheOldestAtCapacity) {
  Server s;
  SessionCache cache(2);
  s.config.session_cache = &cache;
  ServerContext ctx;
  ASSERT_TRUE(ctx.init(s.config, nullptr, error_, sizeof error_)) << error_;
  SSL_SESSION* sessions[3];
  for (auto& session : sessions) {
    bool cached = false;
    session = no_ticket_session(ctx, &cached);
    ASSERT_NE(session, nullptr);
    EXPECT_TRUE(cached);
  }
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.counters().evictions, 1u);
  EXPECT_TRUE(resumes_by_id(ctx, sessions[2]));
  EXPECT_TRUE(resumes_by_id(ctx, sessions[1]));
  EXPECT_FALSE(resumes_by_id(ctx, sessions[0])) << "the oldest was evicted";
  for (SSL_SESSION* session : sessions) SSL_SESSION_free(session);
  // The full handshake of the last call stored a new session: the oldest
  // (sessions[1]) made room again.
  EXPECT_EQ(cache.counters().evictions, 2u);
}

// A session past its lifetime is a miss (and is dropped); the bulk walk
// does not send it.
TEST_F(Tls, ExpiredEntriesAreMissesAndNotExported) {
  Server s;
  SessionCache cache(4);
  s.config.session_cache = &cache;
  ServerContext ctx;
  ASSERT_TRUE(ctx.init(s.config, nullptr, error_, sizeof error_)) << error_;
  bool cached = false;
  SSL_SESSION* session = no_ticket_session(ctx, &cached);
  ASSERT_NE(session, nullptr);
  static SessionCacheEntry entry;
  std::size_t cursor = 0;
  uint64_t now = SessionCache::now_s();
  ASSERT_TRUE(cache.export_next(&cursor, now, &entry));
  EXPECT_FALSE(cache.export_next(&cursor, now, &entry)) << "one entry";
  cursor = 0;
  EXPECT_FALSE(cache.export_next(&cursor, now + kTicketLifetimeS, &entry));
  EXPECT_EQ(cache.fetch(entry.sid_ctx, entry.sid_ctx_len, entry.id, entry.id_len, now + kTicketLifetimeS), nullptr);
  SessionCacheCounters c = cache.counters();
  EXPECT_EQ(c.expired, 1u);
  EXPECT_EQ(c.misses, 1u);
  EXPECT_EQ(c.entries, 0u);
  SSL_SESSION_free(session);
}

// What the peer sends is checked before it goes in: DER that is not a
// session, a session under another id or context, a lifetime already over.
TEST_F(Tls, CacheRefusesBadEntriesFromThePeer) {
  Server s;
  SessionCache primary(4), peer(4);
  s.config.session_cache = &primary;
  ServerContext ctx;
  ASSERT_TRUE(ctx.init(s.config, nullptr, error_, sizeof error_)) << error_;
  bool cached = false;
  SSL_SESSION* session = no_ticket_session(ctx, &cached);
  ASSERT_NE(session, nullptr);
  SSL_SESSION_free(session);
  static SessionCacheEntry good, bad;
  std::size_t cursor = 0;
  uint64_t now = SessionCache::now_s();
  ASSERT_TRUE(primary.export_next(&cursor, now, &good));
  bad = good;
  bad.der[bad.der_len / 2] ^= 0xff;
  bad.der[0] = 0x01;  // not even a SEQUENCE
  EXPECT_FALSE(peer.install(bad, now));
  bad = good;
  bad.id[0] ^= 1;
  EXPECT_FALSE(peer.install(bad, now)) << "the DER is another session id's";
  bad = good;
  bad.sid_ctx[0] ^= 1;
  EXPECT_FALSE(peer.install(bad, now)) << "the DER is another proxy's";
  bad = good;
  bad.der_len = static_cast<uint16_t>(good.der_len - 1);
  EXPECT_FALSE(peer.install(bad, now)) << "cut short";
  bad = good;
  bad.age_s = bad.timeout_s;
  EXPECT_FALSE(peer.install(bad, now)) << "already expired";
  EXPECT_EQ(peer.size(), 0u);
  SessionCacheCounters c = peer.counters();
  EXPECT_EQ(c.rejected_in, 4u);
  EXPECT_EQ(c.expired, 1u);
  EXPECT_TRUE(peer.install(good, now));
  EXPECT_EQ(peer.size(), 1u);
}

// A full handshake of the device `who` (a fixture name) on ctx, in conn;
// whether the client finished it.
bool connect_as(const ServerContext& ctx, const char* who, Conn* conn) {
  if (!conn->start(ctx)) return false;
  Client client(who);
  return client.handshake(conn);
}

// A device that connects again presents the same chain: the second full
// handshake takes the verdict from the context's cache, and still yields
// the identity and a verified status.
TEST_F(Tls, ASecondFullHandshakeTakesTheChainFromTheVerifyCache) {
  Server s;
  ServerContext ctx;
  ASSERT_TRUE(ctx.init(s.config, nullptr, error_, sizeof error_)) << error_;
  for (int round = 0; round < 3; ++round) {
    Conn conn;
    ASSERT_TRUE(connect_as(ctx, "client", &conn)) << conn.failure_reason();
    EXPECT_FALSE(conn.resumed());
    EXPECT_EQ(conn.cert_cached(), round > 0) << round;
    EXPECT_EQ(conn.client_cert().status, ClientCertStatus::kVerified);
    EXPECT_STREQ(conn.client_cert().identity.device_id, "device-0001");
    EXPECT_EQ(SSL_get_verify_result(conn.native()), X509_V_OK);
  }
  const VerifyCacheCounters& c = ctx.verify_cache_counters();
  EXPECT_EQ(c.misses, 1u);
  EXPECT_EQ(c.hits, 2u);
  EXPECT_EQ(c.stored, 1u);
}

// Refusals are verified every time (and keep their reason); a chain that
// passed is not remembered by another context, which is what a config
// change (a new CRL) builds.
TEST_F(Tls, RefusedChainsAreNeverCachedAndANewContextStartsEmpty) {
  Server s;
  ServerContext ctx;
  ASSERT_TRUE(ctx.init(s.config, nullptr, error_, sizeof error_)) << error_;
  for (int round = 0; round < 2; ++round) {
    for (const char* who : {"revoked", "stranger"}) {
      Conn conn;
      EXPECT_FALSE(connect_as(ctx, who, &conn)) << who;
      EXPECT_FALSE(conn.cert_cached());
      EXPECT_EQ(conn.client_cert().verify_error, std::string(who) == "revoked"
                                                      ? X509_V_ERR_CERT_REVOKED
                                                      : X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    }
  }
  EXPECT_EQ(ctx.verify_cache_counters().stored, 0u);
  EXPECT_EQ(ctx.verify_cache_counters().hits, 0u);

  // Without the CRL the revoked device passes and is remembered there...
  Server without_crl(false, false);
  ServerContext lax;
  ASSERT_TRUE(lax.init(without_crl.config, nullptr, error_, sizeof error_)) << error_;
  for (int round = 0; round < 2; ++round) {
    Conn conn;
    EXPECT_TRUE(connect_as(lax, "revoked", &conn));
    EXPECT_EQ(conn.cert_cached(), round == 1);
  }
  // ...and a context built with the CRL refuses it at once.
  ServerContext strict;
  ASSERT_TRUE(strict.init(s.config, nullptr, error_, sizeof error_)) << error_;
  Conn conn;
  EXPECT_FALSE(connect_as(strict, "revoked", &conn));
  EXPECT_EQ(conn.client_cert().verify_error, X509_V_ERR_CERT_REVOKED);
}

TEST_F(Tls, VerifyCacheOffVerifiesEveryChain) {
  Server s;
  s.config.verify_cache = false;
  ServerContext ctx;
  ASSERT_TRUE(ctx.init(s.config, nullptr, error_, sizeof error_)) << error_;
  for (int round = 0; round < 2; ++round) {
    Conn conn;
    ASSERT_TRUE(connect_as(ctx, "client", &conn));
    EXPECT_FALSE(conn.cert_cached());
    EXPECT_EQ(conn.client_cert().status, ClientCertStatus::kVerified);
  }
  EXPECT_EQ(ctx.verify_cache_counters().misses, 0u);
}

TEST(VerifyCache, VerdictsExpireAndCollisionsOnlyMiss) {
  VerifyCache cache;
  uint8_t a[kChainKeyBytes] = {1, 2, 3}, b[kChainKeyBytes] = {1, 2, 3};
  b[31] = 9;  // same slot (the first 8 bytes), another key
  EXPECT_FALSE(cache.hit(a, 100));  // not initialised: never hits
  ASSERT_TRUE(cache.init());
  EXPECT_FALSE(cache.hit(a, 100));
  cache.store(a, 100, 110);
  EXPECT_TRUE(cache.hit(a, 109));
  EXPECT_FALSE(cache.hit(b, 109));
  EXPECT_FALSE(cache.hit(a, 110));  // expired, and dropped
  EXPECT_FALSE(cache.hit(a, 105));
  cache.store(a, 100, 100);  // already expired: not kept
  EXPECT_FALSE(cache.hit(a, 100));
  cache.store(a, 100, 200);
  cache.store(b, 100, 200);  // takes the slot
  EXPECT_FALSE(cache.hit(a, 150));
  EXPECT_TRUE(cache.hit(b, 150));
  const VerifyCacheCounters& c = cache.counters();
  EXPECT_EQ(c.hits, 2u);
  EXPECT_EQ(c.stored, 3u);
  EXPECT_EQ(c.expired, 1u);
  EXPECT_EQ(c.misses, 6u);  // the call before init counts nothing
}

int count_ticket(SSL* ssl, SSL_SESSION*) {
  ++*static_cast<int*>(SSL_get_app_data(ssl));
  return 0;
}

// One TLS 1.3 ticket after a full handshake, and a fresh one after each
// resumption (OpenSSL's default would be two).
TEST_F(Tls, OneTicketPerHandshake) {
  Server s;
  TicketKeyRing ring = fresh_ring();
  ServerContext ctx;
  ASSERT_TRUE(ctx.init(s.config, &ring, error_, sizeof error_)) << error_;
  SSL_SESSION* resume = nullptr;
  for (int round = 0; round < 2; ++round) {
    Conn conn;
    ASSERT_TRUE(conn.start(ctx));
    Client client("client", TLS1_3_VERSION, resume);
    int tickets = 0;
    SSL_CTX* cctx = SSL_get_SSL_CTX(client.ssl());
    SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(cctx, count_ticket);
    SSL_set_app_data(client.ssl(), &tickets);
    ASSERT_TRUE(client.handshake(&conn));
    EXPECT_EQ(conn.resumed(), round == 1);
    EXPECT_EQ(tickets, 1) << round;
    SSL_SESSION_free(resume);
    resume = SSL_get1_session(client.ssl());
  }
  SSL_SESSION_free(resume);
}

TEST_F(Tls, BadFilesNameThemselves) {
  Server s;
  std::string missing = fixtures() + "/missing.pem";
  s.config.ca_files[0] = missing.c_str();
  ServerContext ctx;
  EXPECT_FALSE(ctx.init(s.config, nullptr, error_, sizeof error_));
  EXPECT_NE(std::string(error_).find("missing.pem"), std::string::npos) << error_;
  Server wrong_key;
  std::string client_key = path("client.key");
  wrong_key.config.private_key_file = client_key.c_str();
  EXPECT_FALSE(ctx.init(wrong_key.config, nullptr, error_, sizeof error_));
  EXPECT_NE(std::string(error_).find("private key"), std::string::npos) << error_;
}

TEST_F(Tls, PoolHandsOutEachConnOnce) {
  ConnPool pool;
  ASSERT_TRUE(pool.init(3));
  Conn* a = pool.acquire();
  Conn* b = pool.acquire();
  Conn* c = pool.acquire();
  EXPECT_EQ(pool.acquire(), nullptr);
  EXPECT_TRUE(a != b && b != c && a != c);
  pool.put(b);
  EXPECT_EQ(pool.available(), 1u);
  EXPECT_EQ(pool.acquire(), b);
}

// Ten rounds of a proxy-side client Conn and a server Conn feeding each
// other's ciphertext in memory: enough for any handshake to settle.
void exchange(Conn* client, Conn* server) {
  uint8_t buf[16384], sink[64];
  for (int round = 0; round < 10; ++round) {
    client->read_plaintext(sink, sizeof sink);  // the first writes the ClientHello
    for (std::size_t n; (n = client->pull_ciphertext(buf, sizeof buf)) > 0;) server->push_ciphertext(buf, n);
    server->read_plaintext(sink, sizeof sink);
    for (std::size_t n; (n = server->pull_ciphertext(buf, sizeof buf)) > 0;) client->push_ciphertext(buf, n);
  }
}

// The proxy's client side toward a real server (service https): a Conn in
// connect state with the SNI, against a server Conn in memory, data both
// ways; no client certificate, and the server's is not verified.
TEST_F(Tls, ClientConnTalksToAServerWithTheSni) {
  Server s(/*empty_cert_accept=*/true);
  ServerContext sctx;
  ASSERT_TRUE(sctx.init(s.config, nullptr, error_, sizeof error_)) << error_;
  ClientContext cctx;
  ASSERT_TRUE(cctx.init(nullptr, 0, error_, sizeof error_)) << error_;
  Conn server, client;
  ASSERT_TRUE(server.start(sctx));
  ASSERT_TRUE(client.start_client(cctx, "api.example.com"));
  auto move = [](Conn* from, Conn* to) {
    uint8_t buf[16384];
    std::size_t n;
    while ((n = from->pull_ciphertext(buf, sizeof buf)) > 0) to->push_ciphertext(buf, n);
  };
  exchange(&client, &server);
  ASSERT_EQ(client.state(), Conn::State::kEstablished) << client.failure_reason();
  ASSERT_EQ(server.state(), Conn::State::kEstablished) << server.failure_reason();
  EXPECT_EQ(server.sni(), "api.example.com");
  EXPECT_EQ(server.client_cert().status, ClientCertStatus::kNone);
  const char request[] = "GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n";
  ASSERT_EQ(client.write_plaintext(reinterpret_cast<const uint8_t*>(request), sizeof request - 1),
            sizeof request - 1);
  move(&client, &server);
  uint8_t plain[256];
  std::size_t n = server.read_plaintext(plain, sizeof plain);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(plain), n), request);
  const char reply[] = "HTTP/1.1 204 No Content\r\n\r\n";
  ASSERT_EQ(server.write_plaintext(reinterpret_cast<const uint8_t*>(reply), sizeof reply - 1), sizeof reply - 1);
  move(&server, &client);
  n = client.read_plaintext(plain, sizeof plain);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(plain), n), reply);
}

// Without SNI (a real server named by its address) the handshake works too.
TEST_F(Tls, ClientConnWithoutSni) {
  Server s(true);
  ServerContext sctx;
  ASSERT_TRUE(sctx.init(s.config, nullptr, error_, sizeof error_)) << error_;
  ClientContext cctx;
  ASSERT_TRUE(cctx.init(nullptr, 0, error_, sizeof error_)) << error_;
  Conn server, client;
  ASSERT_TRUE(server.start(sctx));
  ASSERT_TRUE(client.start_client(cctx, nullptr));
  exchange(&client, &server);
  EXPECT_EQ(client.state(), Conn::State::kEstablished) << client.failure_reason();
  EXPECT_EQ(server.sni(), "");
}

// A proxy-side client Conn (ctx, sni, ip as start_client takes them)
// against a server Conn of sctx, in memory: the client's state after the
// exchange settles (kIdle when start_client refused).
Conn::State client_handshake(const ServerContext& sctx, const ClientContext& ctx, const char* sni, const char* ip) {
  Conn server, client;
  EXPECT_TRUE(server.start(sctx));
  if (!client.start_client(ctx, sni, ip)) return Conn::State::kIdle;
  exchange(&client, &server);
  return client.state();
}

// verify-cert: with the gateway's CA the chain must verify and the
// certificate must name the SNI (or the address when there is none).
TEST_F(Tls, VerifyingClientChecksTheChainAndTheName) {
  Server s(true);
  ServerContext sctx;
  ASSERT_TRUE(sctx.init(s.config, nullptr, error_, sizeof error_)) << error_;
  std::string ca = path("ca.pem"), other = path("other-ca.pem");
  const char* good[] = {ca.c_str()};
  const char* wrong[] = {other.c_str()};
  ClientContext right_ca, other_ca;
  ASSERT_TRUE(right_ca.init(good, 1, error_, sizeof error_)) << error_;
  ASSERT_TRUE(other_ca.init(wrong, 1, error_, sizeof error_)) << error_;
  EXPECT_TRUE(right_ca.verifies());
  auto handshake = [&](const ClientContext& ctx, const char* sni, const char* ip) {
    return client_handshake(sctx, ctx, sni, ip);
  };
  EXPECT_EQ(handshake(right_ca, "app.example.com", "172.16.200.209"), Conn::State::kEstablished);
  EXPECT_EQ(handshake(right_ca, "api.example.com", nullptr), Conn::State::kEstablished);  // a SAN too
  EXPECT_EQ(handshake(right_ca, "other.example.com", nullptr), Conn::State::kFailed);  // not its name
  EXPECT_EQ(handshake(other_ca, "app.example.com", nullptr), Conn::State::kFailed);    // not its CA
  EXPECT_EQ(handshake(right_ca, nullptr, "172.16.200.209"), Conn::State::kFailed);     // no IP SAN
  EXPECT_EQ(handshake(right_ca, nullptr, nullptr), Conn::State::kIdle);  // nothing to check against
  ClientContext none;
  ASSERT_TRUE(none.init(nullptr, 0, error_, sizeof error_));
  EXPECT_EQ(handshake(none, "other.example.com", nullptr), Conn::State::kEstablished);  // no verification
  ClientContext missing;
  const char* nofile[] = {"/nonexistent/ca.pem"};
  EXPECT_FALSE(missing.init(nofile, 1, error_, sizeof error_));
  EXPECT_NE(std::string(error_).find("/nonexistent/ca.pem"), std::string::npos) << error_;
}

// verify-cert without realserver-ca: the system's CA certificates, found
// where OpenSSL looks (SSL_CERT_FILE / SSL_CERT_DIR stand in for the
// system bundle here, as they override it for any OpenSSL program).
TEST_F(Tls, VerifyingClientWithoutCaFilesUsesTheSystemTrustStore) {
  Server s(true);
  ServerContext sctx;
  ASSERT_TRUE(sctx.init(s.config, nullptr, error_, sizeof error_)) << error_;
  auto handshake = [&](const ClientContext& ctx, const char* sni) { return client_handshake(sctx, ctx, sni, nullptr); };
  struct Env {  // restores SSL_CERT_FILE / SSL_CERT_DIR
    ~Env() {
      unsetenv("SSL_CERT_FILE");
      unsetenv("SSL_CERT_DIR");
    }
  } restore;
  std::string empty_dir = path("no-such-dir");
  setenv("SSL_CERT_DIR", empty_dir.c_str(), 1);
  setenv("SSL_CERT_FILE", path("ca.pem").c_str(), 1);
  ClientContext ours;  // "the system" trusts the CA that signed the server
  ASSERT_TRUE(ours.init_system_trust(error_, sizeof error_)) << error_;
  EXPECT_TRUE(ours.verifies());
  EXPECT_EQ(handshake(ours, "app.example.com"), Conn::State::kEstablished);
  EXPECT_EQ(handshake(ours, "other.example.com"), Conn::State::kFailed);  // the name still counts
  setenv("SSL_CERT_FILE", path("other-ca.pem").c_str(), 1);
  ClientContext theirs;  // it does not
  ASSERT_TRUE(theirs.init_system_trust(error_, sizeof error_)) << error_;
  EXPECT_EQ(handshake(theirs, "app.example.com"), Conn::State::kFailed);
  setenv("SSL_CERT_FILE", path("no-such-bundle.pem").c_str(), 1);
  ClientContext none;  // no bundle, no directory: refused, naming both
  EXPECT_FALSE(none.init_system_trust(error_, sizeof error_));
  EXPECT_NE(std::string(error_).find("no-such-bundle.pem"), std::string::npos) << error_;
  EXPECT_NE(std::string(error_).find("no-such-dir"), std::string::npos) << error_;
}

}  // namespace
}  // namespace tandem::dp::tls
