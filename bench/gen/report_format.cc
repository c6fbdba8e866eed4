#include "bench/gen/report.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <fstream>

namespace tandem::gen {

namespace {

constexpr uint64_t kLinear = 1ull << kLatencySubBits;

uint64_t bucket_floor(unsigned bucket) {
  if (bucket < kLinear) return bucket;
  const unsigned group = bucket >> kLatencySubBits;
  const uint64_t sub = bucket & (kLinear - 1);
  return (kLinear + sub) << (group - 1);
}

std::string printf_string(const char* format, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof(buf), format, args...);
  return buf;
}

double loss_pct(const TrialResult& r) {
  return r.tx_frames == 0 ? 0.0 : 100.0 * static_cast<double>(r.lost) / static_cast<double>(r.tx_frames);
}

std::string json_trial(const TrialResult& r, const char* indent) {
  std::string out = "{\n";
  auto field = [&](const char* name, const std::string& value, bool last = false) {
    out += std::string(indent) + "  \"" + name + "\": " + value + (last ? "\n" : ",\n");
  };
  auto u = [](uint64_t v) { return std::to_string(v); };
  auto d = [](double v) { return printf_string("%.3f", v); };
  field("offered_pps_per_stream", d(r.offered_pps));
  field("elapsed_s", d(r.elapsed_s));
  field("tx_frames", u(r.tx_frames));
  field("tx_bytes", u(r.tx_bytes));
  field("rx_frames", u(r.rx_frames));
  field("lost", u(r.lost));
  field("loss_pct", printf_string("%.6f", loss_pct(r)));
  field("late", u(r.late));
  field("duplicate", u(r.duplicate));
  field("rx_other", u(r.rx_other));
  field("tx_refused", u(r.tx_refused));
  field("tx_pps", d(r.tx_pps));
  field("rx_pps", d(r.rx_pps));
  std::string streams = "[";
  for (size_t i = 0; i < r.streams.size(); ++i) {
    const StreamResult& s = r.streams[i];
    streams += printf_string("%s{\"name\": \"%s\", \"tx_frames\": %" PRIu64 ", \"rx_frames\": %" PRIu64
                             ", \"lost\": %" PRIu64 ", \"late\": %" PRIu64 ", \"duplicate\": %" PRIu64
                             ", \"flows_with_loss\": %" PRIu64 "}",
                             i == 0 ? "" : ", ", s.name, s.tx_frames, s.rx_frames, s.lost, s.late,
                             s.duplicate, s.flows_with_loss);
  }
  field("streams", streams + "]");
  field("dead_flows", u(r.dead_flows));
  field("silent_flows", u(r.silent_flows));
  field("dead_after_s", d(r.dead_after_s));
  field("flow_revisit_s", printf_string("%.6f", r.flow_revisit_s));
  field("start_unix_ns", std::to_string(r.start_unix_ns));
  field("stopped_early", r.stopped_early ? "true" : "false");
  const LatencyHistogram& h = r.latency;
  field("latency_ns",
        printf_string("{\"samples\": %" PRIu64 ", \"mean\": %.0f, \"p50\": %" PRIu64 ", \"p99\": %" PRIu64
                      ", \"p99_9\": %" PRIu64 ", \"max\": %" PRIu64 "}",
                      h.samples, h.samples ? h.sum_ns / static_cast<double>(h.samples) : 0.0,
                      latency_percentile(h, 0.5), latency_percentile(h, 0.99),
                      latency_percentile(h, 0.999), h.max_ns),
        true);
  return out + indent + "}";
}

}  // namespace

uint64_t latency_percentile(const LatencyHistogram& hist, double q) {
  if (hist.samples == 0) return 0;
  if (q >= 1.0) return hist.max_ns;
  const auto rank = static_cast<uint64_t>(q * static_cast<double>(hist.samples));
  uint64_t seen = 0;
  for (unsigned b = 0; b < kLatencyBuckets; ++b) {
    seen += hist.counts[b];
    if (seen > rank) return std::min(bucket_floor(b), hist.max_ns);
  }
  return hist.max_ns;
}

std::string format_trial(const TrialResult& r, bool histogram) {
  std::string out;
  out += printf_string("offered      %s\n",
                       r.offered_pps > 0 ? printf_string("%.0f pps per stream", r.offered_pps).c_str()
                                         : "max");
  out += printf_string("elapsed      %.3f s\n", r.elapsed_s);
  out += printf_string("tx           %" PRIu64 " frames, %" PRIu64 " bytes, %.3f Mpps\n", r.tx_frames,
                       r.tx_bytes, r.tx_pps / 1e6);
  out += printf_string("rx           %" PRIu64 " frames, %.3f Mpps\n", r.rx_frames, r.rx_pps / 1e6);
  out += printf_string("lost         %" PRIu64 " (%.6f %%)\n", r.lost, loss_pct(r));
  out += printf_string("reordered    %" PRIu64 "\nduplicates   %" PRIu64 "\nother rx     %" PRIu64
                       "\n", r.late, r.duplicate, r.rx_other);
  for (const StreamResult& s : r.streams) {
    out += printf_string("  %-14s tx %" PRIu64 " rx %" PRIu64 " lost %" PRIu64 " late %" PRIu64
                         " dup %" PRIu64 " flows with loss %" PRIu64 "\n",
                         s.name, s.tx_frames, s.rx_frames, s.lost, s.late, s.duplicate,
                         s.flows_with_loss);
  }
  if (r.dead_after_s > 0) {
    out += printf_string("dead flows   %" PRIu64 " (received, then nothing in the last %.0f ms); "
                         "silent %" PRIu64 "; each flow sent every %.1f ms\n",
                         r.dead_flows, r.dead_after_s * 1000, r.silent_flows,
                         r.flow_revisit_s * 1000);
    // A window shorter than two visits of a flow calls live flows dead.
    if (r.flow_revisit_s * 2 > r.dead_after_s) {
      out += printf_string("             WARNING: --dead-after %.0f ms is under twice the flow "
                           "revisit time: raise it or the rate\n",
                           r.dead_after_s * 1000);
    }
  }
  if (r.stopped_early) out += "stopped      early, by a signal\n";
  if (histogram) {
    const LatencyHistogram& h = r.latency;
    out += printf_string("latency ns   p50 %" PRIu64 "  p99 %" PRIu64 "  p99.9 %" PRIu64 "  max %" PRIu64
                         "  (%" PRIu64 " samples)\n",
                         latency_percentile(h, 0.5), latency_percentile(h, 0.99),
                         latency_percentile(h, 0.999), h.max_ns, h.samples);
  }
  return out;
}

std::string format_ndr_trial(const NdrTrial& t, unsigned index) {
  return printf_string("trial %2u  rate %12.0f pps/stream  tx %.3f Mpps  rx %.3f Mpps  lost %" PRIu64
                       " (%.6f %%)  %s\n",
                       index, t.rate_pps, t.result.tx_pps / 1e6, t.result.rx_pps / 1e6, t.result.lost,
                       loss_pct(t.result), t.passed ? "PASS" : "FAIL");
}

std::string format_ndr(const NdrResult& n) {
  std::string out = printf_string("NDR          %.0f pps per stream (%.3f Mpps), searched up to %.0f, %zu trials\n",
                                  n.ndr_pps, n.ndr_pps / 1e6, n.max_pps, n.trials.size());
  return out;
}

bool write_json(const std::string& path, const GenConfig& cfg, const TrialResult& result,
                const NdrResult* ndr, std::string* error) {
  std::ofstream out(path);
  if (!out) {
    *error = "cannot write " + path;
    return false;
  }
  std::string sizes = "[";
  for (size_t i = 0; i < cfg.frame_sizes.size() && i < 16; ++i) {
    sizes += (i ? ", " : "") + std::to_string(cfg.frame_sizes[i]);
  }
  out << "{\n";
  out << "  \"tool\": \"tandem-gen\",\n";
  out << "  \"flows\": " << cfg.flows.flows << ",\n";
  out << "  \"warmup_order\": \"" << (cfg.warmup_order == WarmupOrder::kSpread ? "spread" : "seq") << "\",\n";
  out << "  \"l4\": \"" << (cfg.flows.shape == L4Shape::kTcp ? "tcp" : "udp") << "\",\n";
  out << "  \"frame_sizes\": " << sizes << (cfg.frame_sizes.size() > 16 ? ", \"...\"]" : "]") << ",\n";
  out << "  \"streams\": " << (cfg.directions == Directions::kBoth ? 2 : 1) << ",\n";
  if (ndr != nullptr) {
    out << "  \"ndr_pps_per_stream\": " << printf_string("%.0f", ndr->ndr_pps) << ",\n";
    out << "  \"ndr_mpps_total\": "
        << printf_string("%.6f", ndr->ndr_pps * (cfg.directions == Directions::kBoth ? 2 : 1) / 1e6)
        << ",\n";
    out << "  \"max_pps_per_stream\": " << printf_string("%.0f", ndr->max_pps) << ",\n";
    out << "  \"loss_tolerance_pct\": " << cfg.ndr_loss_pct << ",\n";
    out << "  \"trials\": [";
    for (size_t i = 0; i < ndr->trials.size(); ++i) {
      const NdrTrial& t = ndr->trials[i];
      out << (i ? ",\n" : "\n")
          << printf_string("    {\"rate_pps\": %.0f, \"tx_pps\": %.0f, \"rx_pps\": %.0f, \"lost\": %" PRIu64
                           ", \"tx_frames\": %" PRIu64 ", \"tx_refused\": %" PRIu64 ", \"passed\": %s}",
                           t.rate_pps, t.result.tx_pps, t.result.rx_pps, t.result.lost,
                           t.result.tx_frames, t.result.tx_refused, t.passed ? "true" : "false");
    }
    out << "\n  ],\n";
  }
  out << "  \"result\": " << json_trial(result, "  ") << "\n}\n";
  if (!out.good()) {
    *error = "write to " + path + " failed";
    return false;
  }
  return true;
}

bool write_timeline(const std::string& path, const TrialResult& result, std::string* error) {
  std::ofstream out(path);
  if (!out) {
    *error = "cannot write " + path;
    return false;
  }
  out << "ms,rx_frames,tx_frames,lost_so_far,flows_last_rx\n";
  int64_t tx = 0;
  int64_t rx = 0;
  // Trailing empty milliseconds (drain time nobody used) are left out.
  size_t rows = result.timeline_tx.size();
  auto last_rx = [&](size_t ms) -> uint32_t {
    return ms < result.timeline_last_rx.size() ? result.timeline_last_rx[ms] : 0;
  };
  while (rows > 1 && result.timeline_tx[rows - 1] == 0 && result.timeline_rx[rows - 1] == 0 &&
         last_rx(rows - 1) == 0) {
    --rows;
  }
  for (size_t ms = 0; ms < rows; ++ms) {
    tx += result.timeline_tx[ms];
    rx += result.timeline_rx[ms];
    out << ms << ',' << result.timeline_rx[ms] << ',' << result.timeline_tx[ms] << ',' << (tx - rx)
        << ',' << last_rx(ms) << '\n';
  }
  if (!out.good()) {
    *error = "write to " + path + " failed";
    return false;
  }
  return true;
}

}  // namespace tandem::gen
