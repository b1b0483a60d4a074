/* Counter names and offsets (generated once from layout.h; keep in sync). */
#include "shm/describe.h"

#include <stdint.h>

const tp_counter_desc tp_counter_descs[] = {
    {"packets.a", offsetof(tp_shm_counters, packets) + 0 * 8},
    {"packets.b", offsetof(tp_shm_counters, packets) + 1 * 8},
    {"packets.retrans", offsetof(tp_shm_counters, packets) + 2 * 8},
    {"packets.snapshot", offsetof(tp_shm_counters, packets) + 3 * 8},
    {"bytes", offsetof(tp_shm_counters, bytes)},
    {"messages", offsetof(tp_shm_counters, messages)},
    {"live", offsetof(tp_shm_counters, live)},
    {"recovered", offsetof(tp_shm_counters, recovered)},
    {"duplicates", offsetof(tp_shm_counters, duplicates)},
    {"buffered", offsetof(tp_shm_counters, buffered)},
    {"drops", offsetof(tp_shm_counters, drops)},
    {"gaps", offsetof(tp_shm_counters, gaps)},
    {"gaps_closed", offsetof(tp_shm_counters, gaps_closed)},
    {"rerequests", offsetof(tp_shm_counters, rerequests)},
    {"rerequested_msgs", offsetof(tp_shm_counters, rerequested_msgs)},
    {"snapshots", offsetof(tp_shm_counters, snapshots)},
    {"snapshot_msgs", offsetof(tp_shm_counters, snapshot_msgs)},
    {"stale_books", offsetof(tp_shm_counters, stale_books)},
    {"stale_ns", offsetof(tp_shm_counters, stale_ns)},
    {"stale", offsetof(tp_shm_counters, stale)},
    {"heartbeats", offsetof(tp_shm_counters, heartbeats)},
    {"end_of_session", offsetof(tp_shm_counters, end_of_session)},
    {"wrong_session", offsetof(tp_shm_counters, wrong_session)},
    {"malformed.short_header", offsetof(tp_shm_counters, malformed) + 3 * 8},
    {"malformed.count_past_end", offsetof(tp_shm_counters, malformed) + 4 * 8},
    {"malformed.bad_length", offsetof(tp_shm_counters, malformed) + 5 * 8},
    {"frame_malformed.short", offsetof(tp_shm_counters, frame_malformed) + 1 * 8},
    {"frame_malformed.not_ipv4", offsetof(tp_shm_counters, frame_malformed) + 2 * 8},
    {"frame_malformed.bad_ihl", offsetof(tp_shm_counters, frame_malformed) + 3 * 8},
    {"frame_malformed.bad_ip_len", offsetof(tp_shm_counters, frame_malformed) + 4 * 8},
    {"frame_malformed.fragment", offsetof(tp_shm_counters, frame_malformed) + 5 * 8},
    {"frame_malformed.not_udp", offsetof(tp_shm_counters, frame_malformed) + 6 * 8},
    {"frame_malformed.bad_udp_len", offsetof(tp_shm_counters, frame_malformed) + 7 * 8},
    {"not_feed_port", offsetof(tp_shm_counters, not_feed_port)},
    {"book_errors", offsetof(tp_shm_counters, book_errors)},
    {"bbo_events", offsetof(tp_shm_counters, bbo_events)},
    {"trade_events", offsetof(tp_shm_counters, trade_events)},
    {"events_suppressed", offsetof(tp_shm_counters, events_suppressed)},
    {"ring_full", offsetof(tp_shm_counters, ring_full)},
    {"next_seq", offsetof(tp_shm_counters, next_seq)},
    {"high_seq", offsetof(tp_shm_counters, high_seq)},
    {"last_rx_ns.a", offsetof(tp_shm_counters, last_rx_ns) + 0 * 8},
    {"last_rx_ns.b", offsetof(tp_shm_counters, last_rx_ns) + 1 * 8},
    {"rx_polls", offsetof(tp_shm_counters, rx_polls)},
    {"rx_empty_polls", offsetof(tp_shm_counters, rx_empty_polls)},
    {"session_changes", offsetof(tp_shm_counters, session_changes)},
    {"seq_resets", offsetof(tp_shm_counters, seq_resets)},
    {"seq_jumps", offsetof(tp_shm_counters, seq_jumps)},
    {"seq_jumps_confirmed", offsetof(tp_shm_counters, seq_jumps_confirmed)},
    {"backward_packets", offsetof(tp_shm_counters, backward_packets)},
    {"resyncs", offsetof(tp_shm_counters, resyncs)},
    {"snapshot_failures", offsetof(tp_shm_counters, snapshot_failures)},
    {"old_stream_packets", offsetof(tp_shm_counters, old_stream_packets)},
};
const size_t tp_counter_ndescs = sizeof tp_counter_descs / sizeof tp_counter_descs[0];

void tp_shm_print_counters(FILE *out, const tp_shm_counters *c)
{
    for (size_t i = 0; i < tp_counter_ndescs; i++) {
        uint64_t v;
        __builtin_memcpy(&v, (const char *)c + tp_counter_descs[i].offset, sizeof v);
        fprintf(out, "%s\"%s\": %llu", i ? ", " : "", tp_counter_descs[i].name,
                (unsigned long long)v);
    }
}

#define HF(f) fprintf(out, "    {\"name\": \"%s\", \"offset\": %zu, \"size\": %zu},\n", #f, \
                      offsetof(tp_shm_header, f), sizeof(((tp_shm_header *)0)->f))
#define EF(f) fprintf(out, "    {\"name\": \"%s\", \"offset\": %zu, \"size\": %zu},\n", #f, \
                      offsetof(tp_shm_event, f), sizeof(((tp_shm_event *)0)->f))
#define BF(f) fprintf(out, "    {\"name\": \"%s\", \"offset\": %zu, \"size\": %zu},\n", #f, \
                      offsetof(tp_shm_bbo, f), sizeof(((tp_shm_bbo *)0)->f))

void tp_shm_print_layout(FILE *out)
{
    fprintf(out, "{\n  \"magic\": \"0x%016llx\", \"version\": %u,\n  \"header\": [\n",
            (unsigned long long)TP_SHM_MAGIC, TP_SHM_VERSION);
    HF(magic); HF(version); HF(header_size); HF(total_size); HF(counters_off);
    HF(counters_size); HF(hist_off); HF(hist_count); HF(hist_size); HF(events_off);
    HF(events_cap); HF(event_size); HF(bbo_off); HF(bbo_count); HF(bbo_size); HF(book_off);
    HF(book_size); HF(transport); HF(state); HF(pid); HF(start_realtime_ns); HF(session);
    HF(transport_name); HF(heartbeat_ns);
    fprintf(out, "    {\"name\": \"end\", \"offset\": %zu, \"size\": 0}\n  ],\n", sizeof(tp_shm_header));
    fprintf(out, "  \"counters\": [\n");
    for (size_t i = 0; i < tp_counter_ndescs; i++)
        fprintf(out, "    {\"name\": \"%s\", \"offset\": %zu, \"size\": 8}%s\n",
                tp_counter_descs[i].name, tp_counter_descs[i].offset,
                i + 1 < tp_counter_ndescs ? "," : "");
    fprintf(out, "  ],\n  \"counters_size\": %zu,\n", sizeof(tp_shm_counters));
    fprintf(out, "  \"event_ring_header_size\": %zu,\n  \"event\": [\n", sizeof(tp_shm_event_ring));
    EF(idx); EF(mold_seq); EF(ts_ns); EF(locate); EF(type); EF(side); EF(bid_price);
    EF(ask_price); EF(bid_orders); EF(bid_shares); EF(ask_shares);
    fprintf(out, "    {\"name\": \"ask_orders\", \"offset\": %zu, \"size\": 4}\n  ],\n",
            offsetof(tp_shm_event, ask_orders));
    fprintf(out, "  \"bbo\": [\n");
    BF(seq); BF(stale); BF(mold_seq); BF(bid_price); BF(ask_price); BF(bid_shares);
    BF(ask_shares); BF(bid_orders); BF(ask_orders);
    fprintf(out, "    {\"name\": \"updates\", \"offset\": %zu, \"size\": 8}\n  ],\n",
            offsetof(tp_shm_bbo, updates));
    fprintf(out, "  \"hist_size\": %zu, \"hist_buckets_offset\": %zu,\n", sizeof(tp_hist),
            offsetof(tp_hist, buckets));
    fprintf(out, "  \"transports\": [\"kernel\", \"kernel-blocking\", \"afxdp\", \"dpdk\", \"onload\"],\n");
    fprintf(out, "  \"hist_kinds\": [\"rx_to_book\", \"wire_to_book\"]\n}\n");
}
