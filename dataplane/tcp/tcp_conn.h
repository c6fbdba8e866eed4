// Connection-level internals shared by the TCP engine's source files
// (tcp.cc: table and API; tcp_input.cc: segment arrival; tcp_output.cc:
// sending and timers). Not for callers outside dataplane/tcp.
#pragma once

#include <cstdint>

#include "dataplane/tcp/tcp.h"

namespace tandem::dp {

// tcp_input.cc: a segment for an existing connection.
void conn_input(TcpStack* s, TcpConn* c, const TcpSegment& seg);

// tcp_output.cc
void conn_output(TcpStack* s, TcpConn* c);             // whatever the state allows
void conn_output_forced(TcpStack* s, TcpConn* c);      // ... without sender SWS avoidance
void conn_send_syn(TcpStack* s, TcpConn* c);           // SYN or SYN-ACK (state decides)
void conn_send_ack(TcpStack* s, TcpConn* c);           // a pure ACK now
void conn_send_challenge_ack(TcpStack* s, TcpConn* c); // RFC 5961, rate-limited
void conn_send_rst(TcpStack* s, TcpConn* c);           // RST at snd_nxt
// RST for a segment with no connection (RFC 9293 3.10.7.1).
void send_rst_for(TcpStack* s, const TcpSegment& seg);
void conn_timer_fire(TcpStack* s, TcpConn* c, uint64_t now_us);
void conn_rearm(TcpStack* s, TcpConn* c);              // wheel node at the earliest deadline
uint16_t conn_rcv_window_field(const TcpStack* s, const TcpConn* c, bool syn);
uint32_t tcp_ts_now(const TcpStack* s);

// tcp.cc
void conn_set_state(TcpStack* s, TcpConn* c, TcpConnStateId st);
// Ends the connection: unhashed, timers off, on_closed (if the app holds
// it), slot freed when the outermost call returns.
void conn_finish(TcpStack* s, TcpConn* c, TcpCloseReason why);
// The connection reached ESTABLISHED (accept callback or on_established).
// Returns false when it was refused and is finished.
bool conn_established(TcpStack* s, TcpConn* c);
// Enters TIME_WAIT: on_closed now, the slot lingers 2 MSL.
void conn_enter_time_wait(TcpStack* s, TcpConn* c);
// RFC 6298 2.2/2.3 from one RTT sample.
void conn_rtt_sample(TcpStack* s, TcpConn* c, uint64_t rtt_us);
bool conn_dead(const TcpConn* c);
// MSS, window scale, timestamps and SACK from the peer's SYN (or the
// options a SYN cookie remembered); initial windows.
void conn_take_syn_options(TcpStack* s, TcpConn* c, const TcpSegment& seg);
// Tells the app about new data/room (after input or a timer).
void conn_notify(TcpStack* s, TcpConn* c, bool readable, bool writable);

}  // namespace tandem::dp
