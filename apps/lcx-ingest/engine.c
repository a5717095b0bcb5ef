/* SPDX-License-Identifier: BSD-3-Clause */
/* The per-context receive engine (see engine.h). */
#include <errno.h>
#include <string.h>

#include "engine.h"

int
ingest_engine_init(struct ingest_engine *e, const struct ingest_portset *ports,
		   const struct ingest_seq_conf *seq, uint32_t max_flows)
{
	int ret;

	memset(e, 0, sizeof(*e));
	e->ports = ports;
	if (seq != NULL)
		e->seq = *seq;
	if (max_flows == 0) {
		e->seq.mode = INGEST_SEQ_NONE;
		return 0;
	}
	ret = ingest_flow_table_create(max_flows, &e->flows);
	return ret;
}

void
ingest_engine_fini(struct ingest_engine *e)
{
	ingest_flow_table_destroy(e->flows);
	e->flows = NULL;
}

/* Publish the flow table's figures (they change on inserts only). */
static inline void
publish_flows(struct ingest_engine *e)
{
	struct ingest_acct *a = &e->acct;
	const struct ingest_flow_table *t = e->flows;

	if (a->flow_inserts != t->inserts) {
		INGEST_ADD(a->flows, (uint64_t)t->count - a->flows);
		INGEST_ADD(a->flow_inserts, t->inserts - a->flow_inserts);
		INGEST_ADD(a->flow_evictions, t->evictions - a->flow_evictions);
	}
}

/* Count a packet on its flow and track its sequence number. */
static inline void
track(struct ingest_engine *e, struct ingest_flow *f, const uint8_t *data, uint32_t len,
      uint64_t now, const struct ingest_pkt *pkt)
{
	struct ingest_acct *a = &e->acct;
	uint64_t lost0, exp0;
	struct ingest_seq *s;

	ingest_flow_count(f, len, now);
	if (e->seq.mode == INGEST_SEQ_NONE)
		return;
	s = &f->seq;
	lost0 = s->lost;
	exp0 = s->expected;
	switch (ingest_seq_packet_fast(s, &e->seq, data + pkt->payload_off, pkt->payload_len)) {
	case INGEST_SEQ_EV_NO_SEQ:
		INGEST_ADD(a->seq_no_seq, 1);
		return;
	case INGEST_SEQ_EV_REORDERED:
		INGEST_ADD(a->seq_reordered, 1);
		break;
	case INGEST_SEQ_EV_DUPLICATE:
		INGEST_ADD(a->seq_duplicate, 1);
		break;
	case INGEST_SEQ_EV_OUT_OF_RANGE:
		INGEST_ADD(a->seq_out_of_range, 1);
		break;
	case INGEST_SEQ_EV_RESYNC:
		INGEST_ADD(a->seq_resyncs, 1);
		INGEST_ADD(a->seq_out_of_range, (uint64_t)-1);
		break;
	default:
		break;
	}
	INGEST_ADD(a->seq_received, 1);
	if (s->lost != lost0)
		INGEST_ADD(a->seq_lost, s->lost - lost0);
	INGEST_ADD(a->seq_expected, s->expected - exp0);
}

enum ingest_verdict
ingest_engine_frame(struct ingest_engine *e, const uint8_t *data, uint32_t len, uint64_t now_ns,
		    struct ingest_pkt *pkt)
{
	enum ingest_verdict v = ingest_parse(data, len, e->ports, pkt);

	INGEST_ADD(e->acct.rx_total, 1);
	INGEST_ADD(e->acct.rx_bytes, len);
	INGEST_ADD(e->acct.verdict[v], 1);
	if (v == INGEST_OK && e->flows != NULL) {
		track(e, ingest_flow_get(e->flows, &pkt->key, now_ns), data, len, now_ns, pkt);
		publish_flows(e);
	}
	return v;
}

#define AHEAD 4

void
ingest_engine_burst(struct ingest_engine *e, const uint8_t *const *data, const uint32_t *len,
		    unsigned int n, uint64_t now_ns, uint8_t *verdict)
{
	struct ingest_pkt pkt[INGEST_ENGINE_BURST_MAX];
	uint64_t h[INGEST_ENGINE_BURST_MAX];
	struct ingest_flow *f[INGEST_ENGINE_BURST_MAX];
	uint16_t ok[INGEST_ENGINE_BURST_MAX];
	struct ingest_flow_table *t = e->flows;
	uint64_t bytes = 0, ev0;
	unsigned int i, k, nok = 0;

	if (n > INGEST_ENGINE_BURST_MAX)
		n = INGEST_ENGINE_BURST_MAX;
	/* 1: parse. */
	for (i = 0; i < n && i < AHEAD; i++)
		__builtin_prefetch(data[i]);
	for (i = 0; i < n; i++) {
		enum ingest_verdict v;

		if (i + AHEAD < n)
			__builtin_prefetch(data[i + AHEAD]);
		v = ingest_parse(data[i], len[i], e->ports, &pkt[i]);
		verdict[i] = (uint8_t)v;
		bytes += len[i];
		INGEST_ADD(e->acct.verdict[v], 1);
		if (v == INGEST_OK)
			ok[nok++] = (uint16_t)i;
	}
	INGEST_ADD(e->acct.rx_total, n);
	INGEST_ADD(e->acct.rx_bytes, bytes);
	if (t == NULL || nok == 0)
		return;
	/* 2: hash, prefetch the buckets. */
	for (k = 0; k < nok; k++) {
		h[k] = ingest_flow_hash(&pkt[ok[k]].key);
		ingest_flow_prefetch(t, h[k]);
	}
	/* 3: find (no insert: an eviction would move flows found before it):
	 * the signatures first, prefetching the flow they point to, then the
	 * keys; prefetch what tracking reads. */
	for (k = 0; k < nok; k++) {
		f[k] = ingest_flow_sig_match(t, h[k]);
		if (f[k] != NULL)
			__builtin_prefetch(f[k]);
	}
	for (k = 0; k < nok; k++) {
		if (f[k] == NULL || !ingest__flow_key_eq(&f[k]->key, &pkt[ok[k]].key))
			f[k] = ingest_flow_find_h(t, &pkt[ok[k]].key, h[k]);
		if (f[k] != NULL && e->seq.mode != INGEST_SEQ_NONE)
			__builtin_prefetch(&f[k]->seq, 1);
	}
	/* 4: count and track; flows not found are made now, and once an
	 * insert evicted something the later lookups are done again. */
	ev0 = t->evictions;
	for (k = 0; k < nok; k++) {
		i = ok[k];
		if (f[k] == NULL || t->evictions != ev0)
			f[k] = ingest_flow_get_h(t, &pkt[i].key, h[k], now_ns);
		track(e, f[k], data[i], len[i], now_ns, &pkt[i]);
	}
	publish_flows(e);
}
