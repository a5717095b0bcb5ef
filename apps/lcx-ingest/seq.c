/* SPDX-License-Identifier: BSD-3-Clause */
/* Sequence tracking (see seq.h for the rules). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "seq.h"

#define RTP_MAX_DROPOUT 3000

static uint64_t
width_mask(uint8_t width)
{
	return width >= 8 ? UINT64_MAX : (1ull << (8 * width)) - 1;
}

static uint64_t
default_jump(uint8_t width)
{
	uint64_t half = width >= 8 ? (1ull << 63) : (1ull << (8 * width - 1));

	return half - 1 < (1ull << 20) ? half - 1 : (1ull << 20);
}

static int
parse_u64(const char *s, char **end, uint64_t *out)
{
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, end, 10);
	return errno ? -EINVAL : 0;
}

int
ingest_seq_conf_parse(struct ingest_seq_conf *conf, const char *spec)
{
	uint64_t off, width, jump;
	const char *rest;
	char *end;

	memset(conf, 0, sizeof(*conf));
	if (spec == NULL)
		return -EINVAL;
	if (strncmp(spec, "rtp", 3) == 0) {
		conf->mode = INGEST_SEQ_RTP;
		conf->offset = 2;
		conf->width = 2;
		conf->max_jump = RTP_MAX_DROPOUT;
		rest = spec + 3;
	} else {
		if (parse_u64(spec, &end, &off) < 0 || off > 65535 || *end != ':')
			return -EINVAL;
		if (parse_u64(end + 1, &end, &width) < 0)
			return -EINVAL;
		if (width != 1 && width != 2 && width != 4 && width != 8)
			return -EINVAL;
		conf->mode = INGEST_SEQ_FIELD;
		conf->offset = (uint16_t)off;
		conf->width = (uint8_t)width;
		conf->max_jump = default_jump(conf->width);
		rest = end;
	}
	if (*rest == '\0')
		return 0;
	if (*rest != ':' || parse_u64(rest + 1, &end, &jump) < 0 || *end != '\0' || jump == 0)
		return -EINVAL;
	conf->max_jump = jump;
	return 0;
}

bool
ingest_seq_extract(const struct ingest_seq_conf *conf, const uint8_t *p, uint32_t len,
		   uint64_t *raw)
{
	uint64_t v = 0;
	unsigned int i;

	switch (conf->mode) {
	case INGEST_SEQ_RTP:
		if (len < 12 || (p[0] >> 6) != 2)
			return false;
		*raw = (uint64_t)p[2] << 8 | p[3];
		return true;
	case INGEST_SEQ_FIELD:
		if ((uint32_t)conf->offset + conf->width > len)
			return false;
		p += conf->offset;
		for (i = 0; i < conf->width; i++)
			v = v << 8 | p[i];
		*raw = v;
		return true;
	default:
		return false;
	}
}

static inline void
bit_set(struct ingest_seq *s, uint64_t ext)
{
	uint64_t i = ext % INGEST_SEQ_WINDOW;

	s->window[i / 64] |= 1ull << (i % 64);
}

static inline bool
bit_test(const struct ingest_seq *s, uint64_t ext)
{
	uint64_t i = ext % INGEST_SEQ_WINDOW;

	return (s->window[i / 64] >> (i % 64)) & 1;
}

/* Clear the bits of ext from..from+n-1. */
static void
bits_clear(struct ingest_seq *s, uint64_t from, uint64_t n)
{
	if (n >= INGEST_SEQ_WINDOW) {
		memset(s->window, 0, sizeof(s->window));
		return;
	}
	while (n > 0) {
		uint64_t i = from % INGEST_SEQ_WINDOW, w = i / 64, b = i % 64;
		uint64_t k = 64 - b < n ? 64 - b : n;
		uint64_t m = k == 64 ? UINT64_MAX : ((1ull << k) - 1) << b;

		s->window[w] &= ~m;
		from += k;
		n -= k;
	}
}

/* Start a run at ext (one packet received). */
static void
run_start(struct ingest_seq *s, uint64_t ext)
{
	memset(s->window, 0, sizeof(s->window));
	s->first = ext;
	s->high = ext;
	s->expected++;
	bit_set(s, ext);
}

enum ingest_seq_event
ingest_seq_update(struct ingest_seq *s, const struct ingest_seq_conf *conf, uint64_t raw)
{
	uint64_t mask = width_mask(conf->width), half = (mask >> 1) + 1;
	uint64_t d, b, ext;
	uint8_t had_cand;

	raw &= mask;
	s->received++;
	if (!s->started) {
		s->started = 1;
		run_start(s, raw);
		return INGEST_SEQ_EV_FIRST;
	}
	had_cand = s->has_cand;
	s->has_cand = 0;
	if (had_cand && raw == s->cand) {
		/* Sender restart: the out-of-range packet opens the new run. */
		uint64_t prev = (raw - 1) & mask;

		s->out_of_range--;
		s->resyncs++;
		run_start(s, prev);
		s->high = prev + 1;
		s->expected++;
		bit_set(s, s->high);
		return INGEST_SEQ_EV_RESYNC;
	}
	d = (raw - s->high) & mask;
	if (d != 0 && d < half && d <= conf->max_jump) {
		ext = s->high + d;
		bits_clear(s, s->high + 1, d);
		bit_set(s, ext);
		s->high = ext;
		s->expected += d;
		s->lost += d - 1;
		return d == 1 ? INGEST_SEQ_EV_IN_ORDER : INGEST_SEQ_EV_GAP;
	}
	b = d == 0 ? 0 : (mask - d) + 1; /* how far behind */
	if (d == 0 || (d >= half && b < INGEST_SEQ_WINDOW)) {
		ext = s->high - b;
		if (b > s->high - s->first) {
			/* Before the first of the run: the run grows backwards. */
			uint64_t grow = s->first - ext;

			s->expected += grow;
			s->lost += grow - 1;
			s->first = ext;
			bit_set(s, ext);
			s->reordered++;
			return INGEST_SEQ_EV_REORDERED;
		}
		if (bit_test(s, ext)) {
			s->duplicate++;
			return INGEST_SEQ_EV_DUPLICATE;
		}
		bit_set(s, ext);
		s->lost--;
		s->reordered++;
		return INGEST_SEQ_EV_REORDERED;
	}
	s->out_of_range++;
	s->cand = (raw + 1) & mask;
	s->has_cand = 1;
	return INGEST_SEQ_EV_OUT_OF_RANGE;
}

enum ingest_seq_event
ingest_seq_packet(struct ingest_seq *s, const struct ingest_seq_conf *conf, const uint8_t *payload,
		  uint32_t len)
{
	uint64_t raw;

	if (!ingest_seq_extract(conf, payload, len, &raw)) {
		s->no_seq++;
		return INGEST_SEQ_EV_NO_SEQ;
	}
	return ingest_seq_update(s, conf, raw);
}

uint64_t
ingest_seq_high_raw(const struct ingest_seq *s, const struct ingest_seq_conf *conf)
{
	return s->high & width_mask(conf->width);
}
