/* SPDX-License-Identifier: BSD-3-Clause */
/* Summing and printing the accounts (see acct.h). */
#include <inttypes.h>
#include <string.h>

#include "acct.h"

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

static void
by_reason(FILE *f, const struct ingest_totals *t, unsigned int from, unsigned int to)
{
	unsigned int v;
	const char *sep = "";

	fputc('{', f);
	for (v = from; v < to; v++) {
		fprintf(f, "%s\"%s\":%" PRIu64, sep, ingest_verdict_name(v), t->verdict[v]);
		sep = ",";
	}
	fputc('}', f);
}

void
ingest_totals_json(const struct ingest_totals *t, FILE *f)
{
	fprintf(f,
		"{\"rx_total\":%" PRIu64 ",\"rx_bytes\":%" PRIu64 ",\"accepted\":%" PRIu64
		",\"accepted_bytes\":%" PRIu64 ",\"filtered\":%" PRIu64 ",\"malformed\":%" PRIu64
		",\"sink_dropped\":%" PRIu64 ",\"balanced\":%s,\"port_rx_missed\":%" PRIu64
		",\"port_rx_nombuf\":%" PRIu64 ",\"port_rx_errors\":%" PRIu64 ",\"filtered_by\":",
		t->rx_total, t->rx_bytes, t->accepted, t->accepted_bytes, t->filtered,
		t->malformed, t->sink_dropped, ingest_totals_balanced(t) ? "true" : "false",
		t->port_rx_missed, t->port_rx_nombuf, t->port_rx_errors);
	by_reason(f, t, INGEST_FILTER_FIRST, INGEST_MALFORMED_FIRST);
	fputs(",\"malformed_by\":", f);
	by_reason(f, t, INGEST_MALFORMED_FIRST, INGEST_VERDICT_MAX);
	fprintf(f,
		",\"sink\":{\"queue_full\":%" PRIu64 ",\"write_errors\":%" PRIu64
		",\"nomem\":%" PRIu64 ",\"in_flight\":%" PRIu64 ",\"written\":%" PRIu64
		",\"written_bytes\":%" PRIu64 ",\"files\":%" PRIu64 ",\"rotations\":%" PRIu64
		",\"over_limit\":%" PRIu64 ",\"removed\":%" PRIu64 ",\"rotated_out\":%" PRIu64
		",\"files_deleted\":%" PRIu64 "}",
		t->sink_queue_full, t->sink_write_errors, t->sink_nomem, t->sink_in_flight,
		t->sink_written, t->sink_written_bytes, t->sink_files, t->sink_rotations,
		t->sink_over_limit, t->sink_removed, t->sink_rotated_out, t->sink_files_deleted);
	fprintf(f,
		",\"seq\":{\"received\":%" PRIu64 ",\"expected\":%" PRIu64 ",\"lost\":%" PRIu64
		",\"reordered\":%" PRIu64 ",\"duplicate\":%" PRIu64 ",\"out_of_range\":%" PRIu64
		",\"resyncs\":%" PRIu64 ",\"no_seq\":%" PRIu64 "}",
		t->seq_received, t->seq_expected, t->seq_lost, t->seq_reordered, t->seq_duplicate,
		t->seq_out_of_range, t->seq_resyncs, t->seq_no_seq);
	fprintf(f, ",\"flows\":{\"active\":%" PRIu64 ",\"created\":%" PRIu64
		",\"evicted\":%" PRIu64 "}}",
		t->flows, t->flow_inserts, t->flow_evictions);
}
