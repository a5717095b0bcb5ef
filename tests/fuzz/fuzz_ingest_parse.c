/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the lcx-ingest parser, and behind it the engine (flow
 * table and sequence tracking), on arbitrary bytes: as a frame of every link
 * type, and as a chain of two pieces. Besides crashes and sanitizer reports
 * it traps when a parser result breaks its own contract.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "parse.h"

static struct ingest_engine eng;
static struct ingest_portset ports;
static int ready;

/* The smallest IP offset of each link type. */
static const uint16_t l3_min[INGEST_LINK_MAX] = {14, 0, 16, 20, 4};

static void
check_link(size_t size, enum ingest_link l, enum ingest_verdict v, const struct ingest_pkt *p)
{
	if ((unsigned int)v >= INGEST_VERDICT_MAX)
		__builtin_trap();
	if (v != INGEST_OK && v != INGEST_F_PORT)
		return;
	if (p->key.proto != 17 || (p->key.ipver != 4 && p->key.ipver != 6))
		__builtin_trap();
	if (p->l3_off < l3_min[l] || p->l4_off <= p->l3_off || p->payload_off != p->l4_off + 8)
		__builtin_trap();
	if ((size_t)p->payload_off + p->payload_len > size)
		__builtin_trap();
}

/* Two pieces, each allocated to its exact size (ASan sees a read past one). */
struct two {
	const uint8_t *p[2];
	uint32_t len[2];
};

static const void *
two_read(const void *frame, uint32_t off, uint32_t n, void *buf)
{
	const struct two *t = frame;
	uint8_t *o = buf;
	uint32_t k;

	if (off + n > t->len[0] + t->len[1])
		return NULL;
	if (off + n <= t->len[0])
		return t->p[0] + off;
	if (off >= t->len[0])
		return t->p[1] + (off - t->len[0]);
	k = t->len[0] - off;
	memcpy(o, t->p[0] + off, k);
	memcpy(o + k, t->p[1], n - k);
	return buf;
}

static void
check(const uint8_t *data, size_t size, enum ingest_verdict v, const struct ingest_pkt *p)
{
	(void)data;
	if ((unsigned int)v >= INGEST_VERDICT_MAX)
		__builtin_trap();
	if (v != INGEST_OK && v != INGEST_F_PORT)
		return;
	if (p->key.proto != 17 || (p->key.ipver != 4 && p->key.ipver != 6))
		__builtin_trap();
	if (p->l3_off < 14 || p->l4_off <= p->l3_off || p->payload_off != p->l4_off + 8)
		__builtin_trap();
	if ((size_t)p->payload_off + p->payload_len > size)
		__builtin_trap();
	if (p->nb_vlan > INGEST_VLAN_MAX)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest_pkt pkt;
	enum ingest_verdict v;
	static uint64_t now;

	if (!ready) {
		struct ingest_seq_conf sc;

		ingest_portset_parse(&ports, "5000-5999,7000");
		ingest_seq_conf_parse(&sc, "0:4");
		if (ingest_engine_init(&eng, NULL, &sc, 64) != 0)
			__builtin_trap();
		ready = 1;
	}
	v = ingest_parse(data, (uint32_t)size, NULL, &pkt);
	check(data, size, v, &pkt);
	v = ingest_parse(data, (uint32_t)size, &ports, &pkt);
	check(data, size, v, &pkt);
	/* The engine: a small table so evictions happen, seq on the payload. */
	now += 1000;
	v = ingest_engine_frame(&eng, data, (uint32_t)size, now, &pkt);
	check(data, size, v, &pkt);
	/* The burst path: the input cut into up to 8 frames (first byte). */
	if (size > 1) {
		const uint8_t *fr[8];
		uint32_t ln[8];
		uint8_t vd[8];
		unsigned int k = (unsigned int)(data[0] % 8) + 1, i;
		size_t part = (size - 1) / k, off = 1;

		for (i = 0; i < k; i++) {
			fr[i] = data + off;
			ln[i] = (uint32_t)(i + 1 == k ? size - off : part);
			off += part;
		}
		now += 1000;
		ingest_engine_burst(&eng, INGEST_LINK_ETH, fr, ln, k, now, vd);
		for (i = 0; i < k; i++) {
			struct ingest_pkt p2;

			if (vd[i] != (uint8_t)ingest_parse(fr[i], ln[i], NULL, &p2))
				__builtin_trap();
		}
	}
	/* Every link type. */
	for (unsigned int l = 0; l < INGEST_LINK_MAX; l++) {
		v = ingest_parse_link(l, data, (uint32_t)size, (uint32_t)size, &ports, &pkt);
		check_link(size, l, v, &pkt);
	}
	/* A chain of two pieces cut where the first byte says: the verdict of
	 * the whole frame, or chain_hdr when its headers pass what the engine
	 * sees in one piece: the first piece, or the first INGEST_CHAIN_HDR_MAX
	 * bytes when the first piece is shorter than that. */
	if (size > 1) {
		size_t cut = (size_t)data[0] * size / 256;
		uint8_t *a = malloc(cut ? cut : 1), *b = malloc(size - cut);
		struct two t = {{a, b}, {(uint32_t)cut, (uint32_t)(size - cut)}};
		struct ingest_chain c = {.first = a, .first_len = (uint32_t)cut,
					 .len = (uint32_t)size, .read = two_read, .frame = &t};
		struct ingest_pkt p2;
		enum ingest_verdict vw = ingest_parse(data, (uint32_t)size, NULL, &p2);
		size_t seen = cut >= INGEST_CHAIN_HDR_MAX ? cut
			      : size < INGEST_CHAIN_HDR_MAX ? size : INGEST_CHAIN_HDR_MAX;

		memcpy(a, data, cut);
		memcpy(b, data + cut, size - cut);
		now += 1000;
		v = ingest_engine_chain(&eng, INGEST_LINK_ETH, &c, now, &pkt);
		if (v != vw && !(v == INGEST_M_CHAIN_HDR && seen < size))
			__builtin_trap();
		if (v == INGEST_OK && memcmp(&pkt, &p2, sizeof(pkt)) != 0)
			__builtin_trap();
		free(a);
		free(b);
	}
	{
		struct ingest_totals t;
		const struct ingest_acct *a = &eng.acct;

		ingest_totals_sum(&a, 1, NULL, &t);
		/* No sink: every OK frame is accepted by the caller, here none. */
		if (t.rx_total != t.verdict[INGEST_OK] + t.filtered + t.malformed)
			__builtin_trap();
		if (eng.flows->count > 64)
			__builtin_trap();
	}
	return 0;
}
