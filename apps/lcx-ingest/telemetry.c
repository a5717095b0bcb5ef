/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands, so that dpdk-telemetry.py reads the same figures
 * as the control socket and the summary:
 *   /lcx/ingest/stats     the totals (rx_total, accepted, ..., by reason)
 *   /lcx/ingest/flows,N   the top N flows by rate (default 10, at most 100)
 *   /lcx/ingest/sink      the writer's counters
 * They run on the telemetry thread and read the counters with relaxed loads;
 * flows enter each rx context to read its table.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "app.h"
#include "appmetrics.h"

static struct ingest_app *tel_app;

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct ingest_totals t;
	unsigned int v;

	(void)cmd;
	(void)params;
	ingest_app_totals(tel_app, &t);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx_total", t.rx_total);
	rte_tel_data_add_dict_u64(d, "rx_bytes", t.rx_bytes);
	rte_tel_data_add_dict_u64(d, "accepted", t.accepted);
	rte_tel_data_add_dict_u64(d, "filtered", t.filtered);
	rte_tel_data_add_dict_u64(d, "malformed", t.malformed);
	rte_tel_data_add_dict_u64(d, "sink_dropped", t.sink_dropped);
	rte_tel_data_add_dict_u64(d, "port_rx_missed", t.port_rx_missed);
	rte_tel_data_add_dict_u64(d, "port_rx_nombuf", t.port_rx_nombuf);
	rte_tel_data_add_dict_u64(d, "port_rx_errors", t.port_rx_errors);
	for (v = INGEST_FILTER_FIRST; v < INGEST_VERDICT_MAX; v++) {
		char name[64];

		snprintf(name, sizeof(name), "%s_%s",
			 ingest_verdict_is_filter(v) ? "filtered" : "malformed",
			 ingest_verdict_name(v));
		rte_tel_data_add_dict_u64(d, name, t.verdict[v]);
	}
	rte_tel_data_add_dict_u64(d, "flows", t.flows);
	rte_tel_data_add_dict_u64(d, "flows_evicted", t.flow_evictions);
	rte_tel_data_add_dict_u64(d, "seq_received", t.seq_received);
	rte_tel_data_add_dict_u64(d, "seq_lost", t.seq_lost);
	rte_tel_data_add_dict_u64(d, "seq_reordered", t.seq_reordered);
	rte_tel_data_add_dict_u64(d, "seq_duplicate", t.seq_duplicate);
	rte_tel_data_add_dict_u64(d, "seq_out_of_range", t.seq_out_of_range);
	return 0;
}

static int
tel_sink(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct ingest_totals t;

	(void)cmd;
	(void)params;
	ingest_app_totals(tel_app, &t);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "queue_full", t.sink_queue_full);
	rte_tel_data_add_dict_u64(d, "write_errors", t.sink_write_errors);
	rte_tel_data_add_dict_u64(d, "nomem", t.sink_nomem);
	rte_tel_data_add_dict_u64(d, "written", t.sink_written);
	rte_tel_data_add_dict_u64(d, "written_bytes", t.sink_written_bytes);
	rte_tel_data_add_dict_u64(d, "files", t.sink_files);
	rte_tel_data_add_dict_u64(d, "rotations", t.sink_rotations);
	rte_tel_data_add_dict_u64(d, "over_limit", t.sink_over_limit);
	rte_tel_data_add_dict_u64(d, "removed", t.sink_removed);
	rte_tel_data_add_dict_u64(d, "rotated_out", t.sink_rotated_out);
	rte_tel_data_add_dict_u64(d, "files_deleted", t.sink_files_deleted);
	return 0;
}

/* Flows: DPDK 22.11 nests only arrays and takes only plain names, so the
 * answer is a dict: "fields" names the columns, "flows" lists the 5-tuples
 * (highest rate first), and entry "0", "1", ... holds flow i's values. */
static int
tel_flows(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char *const fields[] = {
		"packets", "bytes", "rate_pps", "rate_bps", "idle_ms", "seq_received", "seq_lost",
		"seq_reordered", "seq_duplicate", "seq_out_of_range",
	};
	struct ingest_flow fl[100];
	struct ingest_flow_rate rate[100];
	uint64_t now[100];
	struct rte_tel_data *c;
	unsigned long n = 10;
	unsigned int k;
	char *end;
	int i, m;

	(void)cmd;
	if (params != NULL && *params != '\0') {
		n = strtoul(params, &end, 10);
		if (*end != '\0' || n == 0 || n > 100)
			return -EINVAL;
	}
	m = ingest_app_top_flows(tel_app, (unsigned int)n, fl, rate, now);
	if (m < 0)
		return m;
	rte_tel_data_start_dict(d);
	c = rte_tel_data_alloc();
	if (c == NULL)
		return -ENOMEM;
	rte_tel_data_start_array(c, RTE_TEL_STRING_VAL);
	for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
		rte_tel_data_add_array_string(c, fields[k]);
	if (rte_tel_data_add_dict_container(d, "fields", c, 0) < 0)
		rte_tel_data_free(c);
	c = rte_tel_data_alloc();
	if (c == NULL)
		return -ENOMEM;
	rte_tel_data_start_array(c, RTE_TEL_STRING_VAL);
	for (i = 0; i < m; i++) {
		char key[128];

		rte_tel_data_add_array_string(c, ingest_flow_key_str(&fl[i].key, key, sizeof(key)));
	}
	if (rte_tel_data_add_dict_container(d, "flows", c, 0) < 0)
		rte_tel_data_free(c);
	for (i = 0; i < m; i++) {
		const struct ingest_seq *q = &fl[i].seq;
		char key[128];

		c = rte_tel_data_alloc();
		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_array(c, RTE_TEL_U64_VAL);
		rte_tel_data_add_array_u64(c, fl[i].pkts);
		rte_tel_data_add_array_u64(c, fl[i].bytes);
		rte_tel_data_add_array_u64(c, rate[i].pps);
		rte_tel_data_add_array_u64(c, rate[i].bps);
		rte_tel_data_add_array_u64(c, (now[i] - fl[i].last_ns) / 1000000);
		rte_tel_data_add_array_u64(c, q->received);
		rte_tel_data_add_array_u64(c, q->lost);
		rte_tel_data_add_array_u64(c, q->reordered);
		rte_tel_data_add_array_u64(c, q->duplicate);
		rte_tel_data_add_array_u64(c, q->out_of_range);
		snprintf(key, sizeof(key), "%d", i);
		if (rte_tel_data_add_dict_container(d, key, c, 0) < 0)
			rte_tel_data_free(c);
	}
	return 0;
}

int
ingest_telemetry_register(struct ingest_app *app)
{
	int ret;

	tel_app = app;
	ret = rte_telemetry_register_cmd("/lcx/ingest/stats", tel_stats,
					 "lcx-ingest totals: rx_total = accepted + filtered + "
					 "malformed + sink_dropped, by reason. No parameters");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/lcx/ingest/flows", tel_flows,
						 "Top flows by rate. Parameter: "
						 "how many (1-100, default 10)");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/lcx/ingest/sink", tel_sink,
						 "lcx-ingest writer counters. No parameters");
	return ret;
}

/* --- --metrics: the same totals as /lcx/ingest/stats, in Prometheus's names --- */

static int
metrics_by_reason(struct lcx_metrics_writer *w, const char *name, const char *help,
		  const struct ingest_totals *t, bool filter)
{
	int ret = lcx_metrics_family(w, name, LCX_METRICS_COUNTER, help, NULL);

	for (unsigned int v = INGEST_FILTER_FIRST; ret == 0 && v < INGEST_VERDICT_MAX; v++) {
		const struct lcx_metrics_label l = { "reason", ingest_verdict_name(v) };

		if (ingest_verdict_is_filter(v) == filter)
			ret = lcx_metrics_sample_u64(w, &l, 1, t->verdict[v]);
	}
	return ret;
}

int
ingest_metrics_collect(struct lcx_metrics_writer *w, void *arg)
{
	struct ingest_app *a = arg;
	struct ingest_totals t;
	const struct {
		const char *cause;
		const uint64_t *v;
	} drops[] = {
		{ "queue_full", &t.sink_queue_full }, { "write_error", &t.sink_write_errors },
		{ "nomem", &t.sink_nomem }, { "over_limit", &t.sink_over_limit },
		{ "removed", &t.sink_removed }, { "rotated_out", &t.sink_rotated_out },
	};
	int ret;

	ingest_app_totals(a, &t);
	ret = app_metrics_counter(w, "lcx_ingest_rx_frames_total",
				  "Frames received (rx_total): accepted + filtered + malformed "
				  "+ sink_dropped.", NULL, t.rx_total);
	ret = ret ?: app_metrics_counter(w, "lcx_ingest_rx_bytes_total",
					 "Bytes of the frames received.", "bytes", t.rx_bytes);
	ret = ret ?: app_metrics_counter(w, "lcx_ingest_accepted_frames_total",
					 "Frames accepted (parsed, for our ports, taken by the sink).",
					 NULL, t.accepted);
	ret = ret ?: app_metrics_counter(w, "lcx_ingest_accepted_bytes_total",
					 "Bytes of the frames accepted.", "bytes", t.accepted_bytes);
	ret = ret ?: metrics_by_reason(w, "lcx_ingest_filtered_frames_total",
				       "Valid frames not for us, by reason.", &t, true);
	ret = ret ?: metrics_by_reason(w, "lcx_ingest_malformed_frames_total",
				       "Frames dropped as malformed, by reason.", &t, false);
	ret = ret ?: lcx_metrics_family(w, "lcx_ingest_sink_dropped_frames_total",
					LCX_METRICS_COUNTER,
					"Accepted frames the sink lost, by cause (their sum is "
					"sink_dropped).", NULL);
	for (unsigned int i = 0; ret == 0 && i < sizeof(drops) / sizeof(drops[0]); i++) {
		const struct lcx_metrics_label l = { "cause", drops[i].cause };

		ret = lcx_metrics_sample_u64(w, &l, 1, *drops[i].v);
	}
	ret = ret ?: app_metrics_gauge(w, "lcx_ingest_sink_written_frames",
				       "Frames in the files lcx keeps (goes down when a file is "
				       "found removed or deleted by --rotate-files).", NULL,
				       t.sink_written);
	ret = ret ?: app_metrics_gauge(w, "lcx_ingest_sink_written_bytes",
				       "Bytes in the files lcx keeps, file format included.", "bytes",
				       t.sink_written_bytes);
	ret = ret ?: app_metrics_counter(w, "lcx_ingest_sink_files_total", "Files created.",
					 NULL, t.sink_files);
	ret = ret ?: app_metrics_gauge(w, "lcx_ingest_sink_in_flight_frames",
				       "Frames taken by the sink, not yet written or lost.", NULL,
				       t.sink_in_flight);
	ret = ret ?: app_metrics_counter(w, "lcx_ingest_seq_received_total",
					 "Packets with a sequence counter (--seq).", NULL,
					 t.seq_received);
	ret = ret ?: app_metrics_gauge(w, "lcx_ingest_seq_lost",
				       "Sequence numbers skipped and not received since (goes down "
				       "when a late one comes).", NULL, t.seq_lost);
	ret = ret ?: app_metrics_counter(w, "lcx_ingest_seq_reordered_total",
					 "Packets that came after a later number.", NULL,
					 t.seq_reordered);
	ret = ret ?: app_metrics_counter(w, "lcx_ingest_seq_duplicate_total",
					 "Packets with a number received already.", NULL,
					 t.seq_duplicate);
	ret = ret ?: app_metrics_counter(w, "lcx_ingest_seq_out_of_range_total",
					 "Packets with a number past the largest jump.", NULL,
					 t.seq_out_of_range);
	ret = ret ?: app_metrics_gauge(w, "lcx_ingest_flows", "Flows held now.", NULL, t.flows);
	ret = ret ?: app_metrics_counter(w, "lcx_ingest_flows_created_total", "Flows created.",
					 NULL, t.flow_inserts);
	ret = ret ?: app_metrics_counter(w, "lcx_ingest_flows_evicted_total",
					 "Flows evicted from a full table.", NULL, t.flow_evictions);
	return ret == -ENOBUFS || ret == -ENOMEM ? ret : 0;
}
