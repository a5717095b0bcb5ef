/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-ingest's receive path and what reads its state: the rx contexts and
 * their engines, the rx handler (port -> engine -> sink), and the queries
 * the control socket, telemetry and the summary make of the counters and
 * flow tables (ingest_app_totals(), ingest_app_top_flows(), ...).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <lcx/lcx.h>
#include <lcx/port.h>

#include "applog.h"
#include "app.h"
#include "jout.h"

/* --- the receive path --- */

/* ingest_chain's reader over an mbuf chain. */
static const void *
mbuf_read(const void *frame, uint32_t off, uint32_t n, void *buf)
{
	return rte_pktmbuf_read(frame, off, n, buf);
}

/* Hand a frame that passed to the sink. */
static inline void
rx_pass(struct rte_mbuf *m, uint32_t len, uint16_t iface, uint16_t q, uint64_t tsc,
	struct ingest_sink_item *items, uint64_t *qbytes, unsigned int *k)
{
	qbytes[*k] = len;
	items[(*k)++] = (struct ingest_sink_item){.m = m, .tsc = tsc, .iface = iface, .queue = q};
}

/*
 * One rx burst: parse, count and track it in the engine, then hand what
 * passed to the sink and free the rest. With no sink every frame is freed,
 * as one bulk of the burst itself, and what passed is counted accepted.
 * Frames in one segment go through the engine's burst path; a chained frame
 * (a jumbo frame, a large datagram from the socket port) is parsed in place,
 * segment by segment (ingest_engine_chain()), and counted at its pkt_len.
 * Frames reach the engine and the sink in the order they came.
 */
void
ingest_rx_handler(struct lcx_port *port, uint16_t q, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	struct ingest_rxq_bind *b = arg;
	struct ingest_rx *rx = b->rx;
	struct ingest_sink *sink = rx->app->sink;
	struct ingest_sink_item items[LCX_PORT_BURST_MAX];
	struct rte_mbuf *drop[LCX_PORT_BURST_MAX];
	const uint8_t *data[LCX_PORT_BURST_MAX];
	uint32_t len[LCX_PORT_BURST_MAX];
	uint8_t verdict[LCX_PORT_BURST_MAX];
	uint64_t now = lcx_context_now(rx->ctx), tsc = sink != NULL ? rte_rdtsc() : 0;
	uint64_t acc = 0, acc_bytes = 0, qbytes[LCX_PORT_BURST_MAX];
	unsigned int k = 0, nd = 0, run = 0, i, done;

	(void)port;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		data[i] = rte_pktmbuf_mtod(m, const uint8_t *);
		len[i] = rte_pktmbuf_pkt_len(m);
		if (unlikely(m->nb_segs != 1)) {
			/* In order: the one-segment frames before it first. */
			struct ingest_chain c = {
				.first = data[i],
				.first_len = rte_pktmbuf_data_len(m),
				.len = len[i],
				.read = mbuf_read,
				.frame = m,
			};
			struct ingest_pkt pkt;

			if (i > run)
				ingest_engine_burst(&rx->eng, b->link, data + run, len + run, i - run,
						    now, verdict + run);
			verdict[i] = (uint8_t)ingest_engine_chain(&rx->eng, b->link, &c, now, &pkt);
			run = i + 1;
		}
	}
	if (n > run)
		ingest_engine_burst(&rx->eng, b->link, data + run, len + run, n - run, now,
				    verdict + run);
	if (sink == NULL) {
		for (i = 0; i < n; i++) {
			uint64_t pass = verdict[i] == INGEST_OK;

			acc += pass;
			acc_bytes += len[i] & -pass;
		}
		rte_pktmbuf_free_bulk(pkts, n);
	} else {
		for (i = 0; i < n; i++) {
			if (verdict[i] == INGEST_OK)
				rx_pass(pkts[i], len[i], b->iface, q, tsc, items, qbytes, &k);
			else
				drop[nd++] = pkts[i];
		}
		if (k > 0) {
			done = ingest_sink_enqueue(sink, items, k);
			for (i = 0; i < done; i++) {
				acc++;
				acc_bytes += qbytes[i];
			}
			if (done < k) {
				APP_COUNTER_ADD(rx->eng.acct.sink_queue_full, k - done);
				ingest_sink_count_full(sink, b->iface, k - done);
				for (i = done; i < k; i++)
					drop[nd++] = items[i].m;
			}
		}
		if (nd)
			rte_pktmbuf_free_bulk(drop, nd);
	}
	if (acc) {
		APP_COUNTER_ADD(rx->eng.acct.accepted, acc);
		APP_COUNTER_ADD(rx->eng.acct.accepted_bytes, acc_bytes);
	}
}

/* Run fn as the owner of ctx: through the loop while it runs, directly once
 * it has stopped (lcx_context_stop() joined its thread). */
int
ingest_run_on(struct lcx_context *ctx, lcx_enter_fn fn, void *arg)
{
	if (lcx_context_is_stopping(ctx))
		return fn(ctx, arg);
	return lcx_context_enter(ctx, fn, arg);
}

static int
rx_engine_init(struct lcx_context *ctx, void *arg)
{
	struct ingest_rx *rx = arg;
	struct ingest_opts *o = &rx->app->o;

	(void)ctx;
	rx->engine_ret = ingest_engine_init(&rx->eng, o->ports_given ? &o->ports : NULL,
					    o->seq_given ? &o->seq : NULL, o->max_flows);
	return rx->engine_ret;
}

static int
rx_engine_fini(struct lcx_context *ctx, void *arg)
{
	struct ingest_rx *rx = arg;

	(void)ctx;
	ingest_engine_fini(&rx->eng);
	return 0;
}

int
ingest_rx_create(struct ingest_app *a, unsigned int id, int lcore)
{
	char name[LCX_NAME_MAX];
	struct lcx_context_conf cc = {
		.name = name,
		.throttle_ns = a->o.throttle_ns,
		.launch = lcore >= 0 ? LCX_LAUNCH_LCORE : LCX_LAUNCH_THREAD,
		.lcore_id = lcore >= 0 ? (unsigned int)lcore : 0,
		.cpu = -1,
		.socket_id = -1,
	};
	struct ingest_rx *rx = calloc(1, sizeof(*rx));
	int ret;

	if (rx == NULL)
		return -ENOMEM;
	snprintf(name, sizeof(name), "ingest-rx%u", id);
	rx->app = a;
	rx->id = id;
	ret = lcx_context_acquire(&cc, &rx->ctx);
	if (ret < 0) {
		app_log_raw(APP_LOG_ERR,
		            "lcx-ingest: cannot start context %s: %s", name, strerror(-ret));
		free(rx);
		return ret;
	}
	a->rx[a->nb_rx++] = rx;
	ret = lcx_context_enter(rx->ctx, rx_engine_init, rx);
	if (ret < 0)
		app_log_raw(APP_LOG_ERR, "lcx-ingest: flow table of %u flows: %s", a->o.max_flows,
			strerror(-ret));
	return ret;
}

void
ingest_rx_stop(struct ingest_app *a)
{
	for (unsigned int i = 0; i < a->nb_rx; i++)
		lcx_context_stop(a->rx[i]->ctx);
}

void
ingest_rx_destroy(struct ingest_app *a)
{
	for (unsigned int i = 0; i < a->nb_rx; i++) {
		ingest_run_on(a->rx[i]->ctx, rx_engine_fini, a->rx[i]);
		lcx_context_release(a->rx[i]->ctx);
		free(a->rx[i]);
		a->rx[i] = NULL;
	}
	a->nb_rx = 0;
}

void
ingest_app_totals(const struct ingest_app *a, struct ingest_totals *t)
{
	const struct ingest_acct *accts[INGEST_RX_MAX];
	unsigned int i;

	for (i = 0; i < a->nb_rx; i++)
		accts[i] = &a->rx[i]->eng.acct;
	ingest_totals_sum(accts, a->nb_rx, a->sink ? ingest_sink_acct(a->sink) : NULL, t);
	for (i = 0; i < a->nb_ports; i++) {
		struct lcx_port_stats ps;

		if (lcx_port_stats(a->ports[i], &ps) == 0) {
			t->port_rx_missed += ps.rx_missed;
			t->port_rx_nombuf += ps.rx_nombuf;
			t->port_rx_errors += ps.rx_errors;
		}
	}
}

/* Flows: each rx context copies its top n, then they are merged here. */
struct flows_snap {
	struct ingest_rx *rx;
	unsigned int n, got;
	uint64_t now;
	struct ingest_flow *copy;
};

static int
flows_snapshot(struct lcx_context *ctx, void *arg)
{
	struct flows_snap *fs = arg;
	struct ingest_rx *rx = fs->rx;
	const struct ingest_flow **top;
	unsigned int i;

	fs->got = 0;
	if (rx == NULL || rx->eng.flows == NULL)
		return 0;
	top = calloc(fs->n, sizeof(*top));
	if (top == NULL)
		return -ENOMEM;
	fs->now = lcx_context_clock(ctx);
	fs->got = ingest_flow_top(rx->eng.flows, fs->now, top, fs->n);
	for (i = 0; i < fs->got; i++)
		fs->copy[i] = *top[i];
	free(top);
	return 0;
}

struct ranked {
	const struct ingest_flow *f;
	struct ingest_flow_rate rate;
	uint64_t now;
};

static int
ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	return x->rate.pps < y->rate.pps ? 1 : x->rate.pps > y->rate.pps ? -1 : 0;
}

int
ingest_app_top_flows(struct ingest_app *a, unsigned int n, struct ingest_flow *out,
		     struct ingest_flow_rate *rate, uint64_t *now)
{
	struct flows_snap *snaps;
	struct ranked *all;
	unsigned int i, j, m = 0;
	int ret = 0;

	if (n == 0)
		return 0;
	snaps = calloc(a->nb_rx, sizeof(*snaps));
	all = calloc((size_t)a->nb_rx * n + 1, sizeof(*all));
	if (snaps == NULL || all == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < a->nb_rx; i++) {
		snaps[i].rx = a->rx[i];
		snaps[i].n = n;
		snaps[i].copy = calloc(n, sizeof(struct ingest_flow));
		if (snaps[i].copy == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		if (ingest_run_on(a->rx[i]->ctx, flows_snapshot, &snaps[i]) < 0)
			snaps[i].got = 0;
		for (j = 0; j < snaps[i].got; j++) {
			all[m].f = &snaps[i].copy[j];
			all[m].now = snaps[i].now;
			all[m].rate = ingest_flow_rate(all[m].f, all[m].now);
			m++;
		}
	}
	qsort(all, m, sizeof(*all), ranked_cmp);
	for (i = 0; i < m && i < n; i++) {
		out[i] = *all[i].f;
		rate[i] = all[i].rate;
		now[i] = all[i].now;
	}
	ret = (int)i;
out:
	for (i = 0; snaps != NULL && i < a->nb_rx; i++)
		free(snaps[i].copy);
	free(snaps);
	free(all);
	return ret;
}

json_t *
ingest_app_flows_jobj(struct ingest_app *a, unsigned int n)
{
	struct ingest_flow *fl = calloc(n ? n : 1, sizeof(*fl));
	struct ingest_flow_rate *rate = calloc(n ? n : 1, sizeof(*rate));
	uint64_t *now = calloc(n ? n : 1, sizeof(*now));
	json_t *arr = NULL;
	int i, m;

	if (fl == NULL || rate == NULL || now == NULL)
		goto out;
	m = ingest_app_top_flows(a, n, fl, rate, now);
	if (m < 0)
		goto out;
	arr = json_array();
	for (i = 0; i < m && arr != NULL; i++) {
		char key[128];
		json_t *o;

		ingest_flow_key_str(&fl[i].key, key, sizeof(key));
		o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:f, s:f}", "flow", key,
			      "packets", app_jout_u64(fl[i].pkts),
			      "bytes", app_jout_u64(fl[i].bytes),
			      "rate_pps", app_jout_u64(rate[i].pps),
			      "rate_bps", app_jout_u64(rate[i].bps),
			      "age_s", app_jout_round((double)(now[i] - fl[i].first_ns) / 1e9, 3),
			      "idle_s", app_jout_round((double)(now[i] - fl[i].last_ns) / 1e9, 3));
		if (o != NULL && a->o.seq_given &&
		    json_object_set_new(o, "seq",
			json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
				  "received", app_jout_u64(fl[i].seq.received),
				  "lost", app_jout_u64(fl[i].seq.lost),
				  "reordered", app_jout_u64(fl[i].seq.reordered),
				  "duplicate", app_jout_u64(fl[i].seq.duplicate),
				  "out_of_range", app_jout_u64(fl[i].seq.out_of_range),
				  "resyncs", app_jout_u64(fl[i].seq.resyncs),
				  "no_seq", app_jout_u64(fl[i].seq.no_seq),
				  "highest", app_jout_u64(ingest_seq_high_raw(&fl[i].seq,
									       &a->o.seq)))) < 0) {
			json_decref(o);
			o = NULL;
		}
		if (json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
out:
	free(fl);
	free(rate);
	free(now);
	return arr;
}
