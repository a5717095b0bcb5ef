/* SPDX-License-Identifier: BSD-3-Clause */
/* lcx-bench's output: the text summary and --json. */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "bench.h"
#include "traffic.h"

static double
us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

static void
port_json(FILE *f, uint16_t id, const struct rte_eth_stats *sp)
{
	const struct rte_eth_stats s = *sp;

	fprintf(f, "{\"index\":%u,\"opackets\":%" PRIu64 ",\"ipackets\":%" PRIu64
		   ",\"imissed\":%" PRIu64 ",\"ierrors\":%" PRIu64 ",\"oerrors\":%" PRIu64
		   ",\"rx_nombuf\":%" PRIu64 "}",
		id, s.opackets, s.ipackets, s.imissed, s.ierrors, s.oerrors, s.rx_nombuf);
}

static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int
bench_output_json(FILE *f)
{
	const struct bench_trial_result *r = &b.trials[0];
	const struct bench_pacer_stats *st = &r->tx;
	const struct bench_rx *rx = &r->rx;
	const struct bench_hist *h = r->lat;
	double elapsed_s = r->elapsed_s;
	bool limited = r->generator_limited;
	uint64_t unsent = r->unsent;

	fprintf(f, "{\"schema\":\"lcx-bench\",\"schema_version\":%d,\"mode\":\"run\",",
		1);
	fputs("\"stopped_by\":", f);
	json_string(f, b.ctl.stop_reason != NULL ? b.ctl.stop_reason : "duration");
	fputs(",\"config\":{\"rate\":", f);
	json_string(f, opt.rate_text);
	fprintf(f, ",\"rate_pps\":%.3f,\"frame_size\":", b.rate_pps);
	json_string(f, opt.sizes_text);
	fprintf(f, ",\"mean_frame_bytes\":%.3f,\"duration_s\":%.9f,\"drain_s\":%.9f,"
		   "\"tmax_s\":%.9f,\"burst\":%" PRIu64 ",\"throttle_us\":%" PRIu64
		   ",\"tx_port\":%" PRIu64 ",\"rx_port\":%" PRIu64 ",\"link_bps\":%" PRIu64
		   ",\"streams\":1},",
		b.mean_frame, (double)opt.duration_ns / 1e9, (double)opt.drain_ns / 1e9,
		(double)opt.tmax_ns / 1e9, opt.burst, opt.throttle_us, opt.tx_port, opt.rx_port,
		b.link_bps);
	fprintf(f, "\"elapsed_s\":%.9f,", elapsed_s);
	fprintf(f, "\"tx\":{\"intended\":%" PRIu64 ",\"offered\":%" PRIu64 ",\"refused\":%" PRIu64
		   ",\"skipped\":%" PRIu64 ",\"unsent\":%" PRIu64 ",\"nombuf\":%" PRIu64
		   ",\"late\":%" PRIu64 ",\"late_max_ns\":%" PRIu64 ",\"sends\":%" PRIu64
		   ",\"gap_min_ns\":%" PRIu64 ",\"gap_max_ns\":%" PRIu64 "},",
		st->intended, st->offered, st->refused, st->skipped, unsent, r->nombuf,
		st->late, (uint64_t)((unsigned __int128)st->late_max * 1000000000u / b.hz),
		st->sends, st->gap_min == UINT64_MAX ? 0 : st->gap_min, st->gap_max);
	fprintf(f, "\"generator_limited\":%s,", limited ? "true" : "false");
	traffic_json(f, r);
	fprintf(f, "\"rx\":{\"received\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"late\":%" PRIu64
		   ",\"duplicate\":%" PRIu64 ",\"reordered\":%" PRIu64 ",\"reorder_max\":%" PRIu64
		   ",\"too_old\":%" PRIu64 ",\"invalid\":%" PRIu64 ",\"unsigned\":%" PRIu64
		   ",\"other_stream\":%" PRIu64 ",\"hw_timestamps\":%" PRIu64 ",\"polls\":%" PRIu64
		   ",\"account_consistent\":%s},",
		rx->received, rx->lost, rx->late, rx->duplicate, rx->reordered, rx->reorder_max,
		rx->too_old, rx->invalid, r->unsigned_frames, r->other_stream,
		r->hw_timestamps, r->polls, r->account_consistent ? "true" : "false");
	fprintf(f, "\"loss_ratio\":%.9g,",
		r->loss_ratio);
	fprintf(f, "\"latency_ns\":{\"count\":%" PRIu64 ",\"min\":%" PRIu64 ",\"mean\":%.3f"
		   ",\"p50\":%" PRIu64 ",\"p90\":%" PRIu64 ",\"p99\":%" PRIu64 ",\"p999\":%" PRIu64
		   ",\"max\":%" PRIu64 ",\"over\":%" PRIu64 ",\"error_max_ns\":%" PRIu64
		   ",\"clock\":\"tsc at the poll\"},",
		h->count, h->count > 0 ? h->min : 0, bench_hist_mean(h),
		bench_hist_percentile(h, 0.5), bench_hist_percentile(h, 0.9),
		bench_hist_percentile(h, 0.99), bench_hist_percentile(h, 0.999), h->max, h->over,
		r->poll_gap_max_ns);
	fputs("\"ports\":{\"tx\":", f);
	port_json(f, b.tx_ethdev, &b.port_st[0]);
	fputs(",\"rx\":", f);
	port_json(f, b.rx_ethdev, &b.port_st[1]);
	fputs("},\"mbuf_pools\":", f);
	app_pools_json(f);
	fputs("}\n", f);
	return 0;
}

void
bench_output_text(FILE *f)
{
	const struct bench_trial_result *r = &b.trials[0];
	const struct bench_pacer_stats *st = &r->tx;
	const struct bench_rx *rx = &r->rx;
	const struct bench_hist *h = r->lat;
	double elapsed_s = r->elapsed_s;
	bool limited = r->generator_limited;
	uint64_t unsent = r->unsent;

	fprintf(f, "%s run: %s (%.0f pps), frames %s (mean %.1f bytes), %.3f s + drain %.3f s, "
		   "stopped by %s\n",
		prog, opt.rate_text, b.rate_pps, opt.sizes_text, b.mean_frame, elapsed_s,
		(double)opt.drain_ns / 1e9,
		b.ctl.stop_reason != NULL ? b.ctl.stop_reason : "duration");
	traffic_text(f, r);
	fprintf(f, "  tx   intended %" PRIu64 "  offered %" PRIu64 "  refused %" PRIu64
		   "  skipped %" PRIu64 "  unsent %" PRIu64 "  late %" PRIu64 "\n",
		st->intended, st->offered, st->refused, st->skipped, unsent, st->late);
	fprintf(f, "  rx   received %" PRIu64 "  lost %" PRIu64 "  late %" PRIu64
		   "  duplicate %" PRIu64 "  reordered %" PRIu64 "  unsigned %" PRIu64
		   "  other stream %" PRIu64 "\n",
		rx->received, rx->lost, rx->late, rx->duplicate, rx->reordered,
		r->unsigned_frames, r->other_stream);
	fprintf(f, "  latency (us)  min %.3f  p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  "
		   "(+ up to %.3f: the poll gap)\n",
		us(h->count > 0 ? h->min : 0), us(bench_hist_percentile(h, 0.5)),
		us(bench_hist_percentile(h, 0.99)), us(bench_hist_percentile(h, 0.999)),
		us(h->max), us(r->poll_gap_max_ns));
	if (limited)
		fprintf(f, "  GENERATOR-LIMITED: offered differs from intended by more than 0.1%% "
			   "or packets were refused: this trial measured the generator\n");
}

