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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "app.h"

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
	return 0;
}

/* Flows: the same JSON as the control socket, one string per flow. */
static int
tel_flows(const char *cmd, const char *params, struct rte_tel_data *d)
{
	unsigned long n = 10;
	char *mem = NULL, *p, *end;
	size_t size = 0;
	FILE *f;
	int depth = 0;

	(void)cmd;
	if (params != NULL && *params != '\0') {
		n = strtoul(params, &end, 10);
		if (*end != '\0' || n == 0 || n > 100)
			return -EINVAL;
	}
	f = open_memstream(&mem, &size);
	if (f == NULL)
		return -ENOMEM;
	ingest_app_flows_json(tel_app, (unsigned int)n, f);
	fclose(f);
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	/* Split the array at its top-level objects. */
	for (p = mem + 1, end = p; *end != '\0'; end++) {
		if (*end == '{')
			depth++;
		else if (*end == '}' && --depth == 0) {
			char save = end[1];

			end[1] = '\0';
			rte_tel_data_add_array_string(d, p);
			end[1] = save;
			p = end + 2; /* skip the comma */
		}
	}
	free(mem);
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
						 "Top flows by rate, as JSON strings. Parameter: "
						 "how many (1-100, default 10)");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/lcx/ingest/sink", tel_sink,
						 "lcx-ingest writer counters. No parameters");
	return ret;
}
