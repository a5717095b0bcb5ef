/* SPDX-License-Identifier: BSD-3-Clause */
/* Summing and printing the accounts (see acct.h). */
#include <inttypes.h>
#include <string.h>

#include "acct.h"
#include "jout.h"

void
ingest_totals_sum(const struct ingest_acct *const *accts, unsigned int n,
		  const struct ingest_sink_acct *sink, struct ingest_totals *t)
{
	unsigned int i, v;
	uint64_t lost;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < n; i++) {
		const struct ingest_acct *a = accts[i];

		/* Read while the owner runs, the sums are a moment's view and
		 * may be off by the frames of one burst; once it has stopped
		 * they balance exactly. */
		for (v = 0; v < INGEST_VERDICT_MAX; v++)
			t->verdict[v] += APP_COUNTER_GET(a->verdict[v]);
		t->accepted += APP_COUNTER_GET(a->accepted);
		t->accepted_bytes += APP_COUNTER_GET(a->accepted_bytes);
		t->sink_queue_full += APP_COUNTER_GET(a->sink_queue_full);
		t->seq_received += APP_COUNTER_GET(a->seq_received);
		t->seq_expected += APP_COUNTER_GET(a->seq_expected);
		t->seq_lost += APP_COUNTER_GET(a->seq_lost);
		t->seq_reordered += APP_COUNTER_GET(a->seq_reordered);
		t->seq_duplicate += APP_COUNTER_GET(a->seq_duplicate);
		t->seq_out_of_range += APP_COUNTER_GET(a->seq_out_of_range);
		t->seq_resyncs += APP_COUNTER_GET(a->seq_resyncs);
		t->seq_no_seq += APP_COUNTER_GET(a->seq_no_seq);
		t->flows += APP_COUNTER_GET(a->flows);
		t->flow_inserts += APP_COUNTER_GET(a->flow_inserts);
		t->flow_evictions += APP_COUNTER_GET(a->flow_evictions);
		t->rx_bytes += APP_COUNTER_GET(a->rx_bytes);
		t->rx_total += APP_COUNTER_GET(a->rx_total);
	}
	for (v = INGEST_FILTER_FIRST; v < INGEST_MALFORMED_FIRST; v++)
		t->filtered += t->verdict[v];
	for (v = INGEST_MALFORMED_FIRST; v < INGEST_VERDICT_MAX; v++)
		t->malformed += t->verdict[v];
	if (sink != NULL) {
		t->sink_write_errors = APP_COUNTER_GET(sink->write_errors);
		t->sink_nomem = APP_COUNTER_GET(sink->nomem);
		t->sink_written = APP_COUNTER_GET(sink->written);
		t->sink_written_bytes = APP_COUNTER_GET(sink->written_bytes);
		t->sink_files = APP_COUNTER_GET(sink->files);
		t->sink_rotations = APP_COUNTER_GET(sink->rotations);
		t->sink_over_limit = APP_COUNTER_GET(sink->over_limit);
		t->sink_removed = APP_COUNTER_GET(sink->removed);
		t->sink_rotated_out = APP_COUNTER_GET(sink->rotated_out);
		t->sink_files_deleted = APP_COUNTER_GET(sink->files_deleted);
		lost = t->sink_write_errors + t->sink_nomem + t->sink_over_limit +
		       t->sink_removed + t->sink_rotated_out;
		t->accepted = t->accepted >= lost ? t->accepted - lost : 0;
		t->sink_in_flight = t->accepted - (t->sink_written <= t->accepted ?
						   t->sink_written : t->accepted);
	}
	t->sink_dropped = t->sink_queue_full + t->sink_write_errors + t->sink_nomem +
			  t->sink_over_limit + t->sink_removed + t->sink_rotated_out;
}

bool
ingest_totals_balanced(const struct ingest_totals *t)
{
	return t->rx_total == t->accepted + t->filtered + t->malformed + t->sink_dropped;
}

static json_t *
by_reason(const struct ingest_totals *t, unsigned int from, unsigned int to)
{
	json_t *o = json_object();
	unsigned int v;

	for (v = from; v < to && o != NULL; v++)
		if (json_object_set_new(o, ingest_verdict_name(v),
					json_integer(app_jout_u64(t->verdict[v]))) < 0) {
			json_decref(o);
			o = NULL;
		}
	return o;
}

json_t *
ingest_totals_jobj(const struct ingest_totals *t)
{
	json_t *o;

	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:I, s:I, s:I, s:o, s:o}",
		      "rx_total", app_jout_u64(t->rx_total), "rx_bytes", app_jout_u64(t->rx_bytes),
		      "accepted", app_jout_u64(t->accepted),
		      "accepted_bytes", app_jout_u64(t->accepted_bytes),
		      "filtered", app_jout_u64(t->filtered), "malformed", app_jout_u64(t->malformed),
		      "sink_dropped", app_jout_u64(t->sink_dropped),
		      "balanced", ingest_totals_balanced(t),
		      "port_rx_missed", app_jout_u64(t->port_rx_missed),
		      "port_rx_nombuf", app_jout_u64(t->port_rx_nombuf),
		      "port_rx_errors", app_jout_u64(t->port_rx_errors),
		      "filtered_by", by_reason(t, INGEST_FILTER_FIRST, INGEST_MALFORMED_FIRST),
		      "malformed_by", by_reason(t, INGEST_MALFORMED_FIRST, INGEST_VERDICT_MAX));
	if (o == NULL)
		return NULL;
	if (json_object_set_new(o, "sink",
		json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			  "queue_full", app_jout_u64(t->sink_queue_full),
			  "write_errors", app_jout_u64(t->sink_write_errors),
			  "nomem", app_jout_u64(t->sink_nomem),
			  "in_flight", app_jout_u64(t->sink_in_flight),
			  "written", app_jout_u64(t->sink_written),
			  "written_bytes", app_jout_u64(t->sink_written_bytes),
			  "files", app_jout_u64(t->sink_files),
			  "rotations", app_jout_u64(t->sink_rotations),
			  "over_limit", app_jout_u64(t->sink_over_limit),
			  "removed", app_jout_u64(t->sink_removed),
			  "rotated_out", app_jout_u64(t->sink_rotated_out),
			  "files_deleted", app_jout_u64(t->sink_files_deleted))) < 0 ||
	    json_object_set_new(o, "seq",
		json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			  "received", app_jout_u64(t->seq_received),
			  "expected", app_jout_u64(t->seq_expected),
			  "lost", app_jout_u64(t->seq_lost),
			  "reordered", app_jout_u64(t->seq_reordered),
			  "duplicate", app_jout_u64(t->seq_duplicate),
			  "out_of_range", app_jout_u64(t->seq_out_of_range),
			  "resyncs", app_jout_u64(t->seq_resyncs),
			  "no_seq", app_jout_u64(t->seq_no_seq))) < 0 ||
	    json_object_set_new(o, "flows",
		json_pack("{s:I, s:I, s:I}", "active", app_jout_u64(t->flows),
			  "created", app_jout_u64(t->flow_inserts),
			  "evicted", app_jout_u64(t->flow_evictions))) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
ingest_totals_json(const struct ingest_totals *t, FILE *f)
{
	return app_jout_dump(ingest_totals_jobj(t), f, 0);
}
