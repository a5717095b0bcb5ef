/* SPDX-License-Identifier: BSD-3-Clause */
/* The per-context receive engine (see engine.h). */
#include <errno.h>
#include <stdbool.h>
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
		APP_COUNTER_ADD(a->flows, (uint64_t)t->count - a->flows);
		APP_COUNTER_ADD(a->flow_inserts, t->inserts - a->flow_inserts);
		APP_COUNTER_ADD(a->flow_evictions, t->evictions - a->flow_evictions);
	}
}

/* Sequence totals of a burst, published once at its end. */
struct seq_sums {
	uint64_t received, expected, lost, reordered, duplicate, out_of_range, resyncs, no_seq;
};

/* Account what ingest_seq_packet() did to s (lost and expected from before it). */
static void
seq_sums_slow(struct seq_sums *c, const struct ingest_seq *s, enum ingest_seq_event ev,
	      uint64_t lost0, uint64_t exp0)
{
	switch (ev) {
	case INGEST_SEQ_EV_NO_SEQ:
		c->no_seq++;
		return;
	case INGEST_SEQ_EV_REORDERED:
		c->reordered++;
		break;
	case INGEST_SEQ_EV_DUPLICATE:
		c->duplicate++;
		break;
	case INGEST_SEQ_EV_OUT_OF_RANGE:
		c->out_of_range++;
		break;
	case INGEST_SEQ_EV_RESYNC:
		c->resyncs++;
		c->out_of_range--;
		break;
	default:
		break;
	}
	c->received++;
	c->lost += s->lost - lost0;
	c->expected += s->expected - exp0;
}

/* Track the sequence number of a packet of flow f. field4: the
 * configuration is a 4-byte field (the inline cases apply). */
static inline void
track_seq(struct seq_sums *c, const struct ingest_seq_conf *conf, bool field4,
	  struct ingest_flow *f, const uint8_t *payload, uint32_t plen)
{
	struct ingest_seq *s = &f->seq;
	enum ingest_seq_event ev;
	uint64_t lost0, exp0;

	if (field4 && ingest_seq_try_field4(s, conf->offset, payload, plen, &ev)) {
		/* In order: one more expected; duplicate: nothing lost or expected. */
		c->received++;
		if (ev == INGEST_SEQ_EV_IN_ORDER)
			c->expected++;
		else
			c->duplicate++;
		return;
	}
	lost0 = s->lost;
	exp0 = s->expected;
	ev = ingest_seq_packet(s, conf, payload, plen);
	seq_sums_slow(c, s, ev, lost0, exp0);
}

static inline void
seq_sums_publish(struct ingest_acct *a, const struct seq_sums *c)
{
	APP_COUNTER_ADD(a->seq_received, c->received);
	APP_COUNTER_ADD(a->seq_expected, c->expected);
	APP_COUNTER_ADD(a->seq_lost, c->lost);
	APP_COUNTER_ADD(a->seq_reordered, c->reordered);
	APP_COUNTER_ADD(a->seq_duplicate, c->duplicate);
	APP_COUNTER_ADD(a->seq_out_of_range, c->out_of_range);
	APP_COUNTER_ADD(a->seq_resyncs, c->resyncs);
	APP_COUNTER_ADD(a->seq_no_seq, c->no_seq);
}

static inline bool
conf_field4(const struct ingest_seq_conf *conf)
{
	return conf->mode == INGEST_SEQ_FIELD && conf->width == 4;
}

/* Count a frame of len bytes that passed on its flow, and track its sequence
 * counter: payload points at the UDP payload (plen bytes), of which at least
 * the bytes the counter needs are readable. */
static void
frame_ok(struct ingest_engine *e, const struct ingest_pkt *pkt, uint32_t len,
	 const struct ingest_seq_conf *conf, const uint8_t *payload, uint32_t plen,
	 uint64_t now_ns)
{
	struct ingest_flow *f = ingest_flow_get(e->flows, &pkt->key, now_ns);

	ingest_flow_count(f, len, now_ns);
	if (conf->mode != INGEST_SEQ_NONE) {
		struct seq_sums c = {0};

		track_seq(&c, conf, conf_field4(conf), f, payload, plen);
		seq_sums_publish(&e->acct, &c);
	}
	publish_flows(e);
}

enum ingest_verdict
ingest_engine_frame(struct ingest_engine *e, const uint8_t *data, uint32_t len, uint64_t now_ns,
		    struct ingest_pkt *pkt)
{
	enum ingest_verdict v = ingest_parse(data, len, e->ports, pkt);

	APP_COUNTER_ADD(e->acct.rx_total, 1);
	APP_COUNTER_ADD(e->acct.rx_bytes, len);
	APP_COUNTER_ADD(e->acct.verdict[v], 1);
	if (v == INGEST_OK && e->flows != NULL)
		frame_ok(e, pkt, len, &e->seq, data + pkt->payload_off, pkt->payload_len, now_ns);
	return v;
}

enum ingest_verdict
ingest_engine_chain(struct ingest_engine *e, enum ingest_link link, const struct ingest_chain *c,
		    uint64_t now_ns, struct ingest_pkt *pkt)
{
	uint8_t hdr[INGEST_CHAIN_HDR_MAX], sbuf[16];
	const uint8_t *h = c->first, *payload;
	uint32_t avail = c->first_len < c->len ? c->first_len : c->len, so, sn;
	struct ingest_seq_conf conf = e->seq;
	enum ingest_verdict v;

	/* The headers in one piece: the first segment, or a copy of the
	 * frame's first bytes when that segment is short. */
	if (avail < c->len && avail < INGEST_CHAIN_HDR_MAX) {
		uint32_t n = c->len < INGEST_CHAIN_HDR_MAX ? c->len : INGEST_CHAIN_HDR_MAX;
		const uint8_t *p = c->read(c->frame, 0, n, hdr);

		if (p != NULL) {
			h = p;
			avail = n;
		}
	}
	v = ingest_parse_link(link, h, avail, c->len, e->ports, pkt);
	APP_COUNTER_ADD(e->acct.rx_total, 1);
	APP_COUNTER_ADD(e->acct.rx_bytes, c->len);
	APP_COUNTER_ADD(e->acct.verdict[v], 1);
	if (v != INGEST_OK || e->flows == NULL)
		return v;
	/* The bytes of the payload the counter is read from: [so, so + sn). */
	payload = h + pkt->payload_off;
	if (conf.mode == INGEST_SEQ_RTP) {
		so = 0;
		sn = 12;
	} else {
		so = conf.offset;
		sn = conf.width;
	}
	if (conf.mode != INGEST_SEQ_NONE && so + sn <= pkt->payload_len &&
	    !(pkt->payload_off + so + sn <= avail)) {
		/* Not in the header piece: read (or gather) just those bytes, and
		 * track them as a payload that starts with the counter. */
		const uint8_t *p = c->read(c->frame, pkt->payload_off + so, sn, sbuf);

		if (conf.mode == INGEST_SEQ_FIELD)
			conf.offset = 0;
		/* A reader that fails (not with a frame as long as it says):
		 * no counter, nothing read. */
		frame_ok(e, pkt, c->len, &conf, p != NULL ? p : sbuf, p != NULL ? sn : 0, now_ns);
		return v;
	}
	/* The counter in the header piece, or none in the payload (too short:
	 * no_seq, nothing read). */
	frame_ok(e, pkt, c->len, &conf, payload, pkt->payload_len, now_ns);
	return v;
}

#define AHEAD 4

/* One pass of ingest_engine_burst(), n <= INGEST_ENGINE_BURST_MAX. Inline
 * with a constant link for Ethernet, so that its loop keeps the inline parser
 * and no test of the link per frame. */
static inline __attribute__((always_inline)) void
burst_pass(struct ingest_engine *e, enum ingest_link link, const uint8_t *const *data,
	   const uint32_t *len, unsigned int n, uint64_t now_ns, uint8_t *verdict)
{
	struct ingest_pkt pkt[INGEST_ENGINE_BURST_MAX]; /* of the accepted frames, packed */
	uint64_t h[INGEST_ENGINE_BURST_MAX];
	struct ingest_flow *f[INGEST_ENGINE_BURST_MAX];
	uint16_t ok[INGEST_ENGINE_BURST_MAX];
	struct ingest_acct *a = &e->acct;
	struct ingest_flow_table *t = e->flows;
	const struct ingest_portset *ports = e->ports;
	const struct ingest_seq_conf conf = e->seq;
	const bool seq = conf.mode != INGEST_SEQ_NONE, field4 = conf_field4(&conf);
	struct seq_sums c = {0};
	uint64_t bytes = 0, ev0;
	unsigned int i, k, nok = 0;

	/* 1: parse (prefetching the next frames); for accepted frames hash the
	 * 5-tuple and prefetch its bucket. Counters are summed in locals and
	 * published once: only this thread writes them. */
	for (i = 0; i < n && i < AHEAD; i++)
		__builtin_prefetch(data[i]);
	for (i = 0; i < n; i++) {
		enum ingest_verdict v;

		if (i + AHEAD < n)
			__builtin_prefetch(data[i + AHEAD]);
		if (link == INGEST_LINK_ETH)
			v = ingest__parse_fast(data[i], len[i], ports, &pkt[nok]);
		else
			v = ingest_parse_link(link, data[i], len[i], len[i], ports, &pkt[nok]);
		verdict[i] = (uint8_t)v;
		bytes += len[i];
		if (__builtin_expect(v == INGEST_OK, 1)) {
			ok[nok] = (uint16_t)i;
			if (t != NULL) {
				h[nok] = ingest_flow_hash(&pkt[nok].key);
				ingest_flow_prefetch(t, h[nok]);
			}
			nok++;
		} else {
			APP_COUNTER_ADD(a->verdict[v], 1);
		}
	}
	APP_COUNTER_ADD(a->verdict[INGEST_OK], nok);
	APP_COUNTER_ADD(a->rx_total, n);
	APP_COUNTER_ADD(a->rx_bytes, bytes);
	if (t == NULL || nok == 0)
		return;
	/* 2: the first flow whose signature matches (a likely hit), prefetched
	 * with what tracking reads. */
	for (k = 0; k < nok; k++) {
		f[k] = ingest_flow_sig_match(t, h[k]);
		if (f[k] != NULL) {
			__builtin_prefetch(f[k]);
			if (seq)
				__builtin_prefetch(&f[k]->seq, 1);
		}
	}
	/* 3: check the key, count and track. A signature that matched another
	 * flow, or no match, goes through the full lookup, which makes the flow
	 * if needed; once an insert evicted something, every later lookup is
	 * done again (the flow found in stage 2 may have been replaced). */
	ev0 = t->evictions;
	for (k = 0; k < nok; k++) {
		struct ingest_flow *fl = f[k];

		i = ok[k];
		if (__builtin_expect(fl == NULL || t->evictions != ev0 ||
				     !ingest__flow_key_eq(&fl->key, &pkt[k].key), 0))
			fl = ingest_flow_get_h(t, &pkt[k].key, h[k], now_ns);
		ingest_flow_count(fl, len[i], now_ns);
		if (seq)
			track_seq(&c, &conf, field4, fl, data[i] + pkt[k].payload_off,
				  pkt[k].payload_len);
	}
	if (seq)
		seq_sums_publish(a, &c);
	publish_flows(e);
}

/* Other links, and bursts longer than one pass. */
static __attribute__((noinline)) void
burst_other(struct ingest_engine *e, enum ingest_link link, const uint8_t *const *data,
	    const uint32_t *len, unsigned int n, uint64_t now_ns, uint8_t *verdict)
{
	unsigned int k;

	while (n > 0) {
		k = n < INGEST_ENGINE_BURST_MAX ? n : INGEST_ENGINE_BURST_MAX;
		if (link == INGEST_LINK_ETH)
			ingest_engine_burst(e, INGEST_LINK_ETH, data, len, k, now_ns, verdict);
		else
			burst_pass(e, link, data, len, k, now_ns, verdict);
		n -= k;
		data += k;
		len += k;
		verdict += k;
	}
}

void
ingest_engine_burst(struct ingest_engine *e, enum ingest_link link, const uint8_t *const *data,
		    const uint32_t *len, unsigned int n, uint64_t now_ns, uint8_t *verdict)
{
	if (__builtin_expect(link != INGEST_LINK_ETH || n > INGEST_ENGINE_BURST_MAX, 0))
		burst_other(e, link, data, len, n, now_ns, verdict);
	else
		burst_pass(e, INGEST_LINK_ETH, data, len, n, now_ns, verdict);
}
