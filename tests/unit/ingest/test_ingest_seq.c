/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lcx-ingest sequence tracking (no EAL). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "seq.h"

static struct ingest_seq_conf
conf_of(const char *spec)
{
	struct ingest_seq_conf c;

	assert_int_equal(ingest_seq_conf_parse(&c, spec), 0);
	return c;
}

static void
check_invariant(const struct ingest_seq *s)
{
	assert_int_equal(s->received - s->duplicate - s->out_of_range + s->lost, s->expected);
}

static void
test_conf_parse(void **state)
{
	struct ingest_seq_conf c;

	(void)state;
	c = conf_of("8:4");
	assert_int_equal(c.mode, INGEST_SEQ_FIELD);
	assert_int_equal(c.offset, 8);
	assert_int_equal(c.width, 4);
	assert_int_equal(c.max_jump, 1u << 20);
	c = conf_of("0:1");
	assert_int_equal(c.max_jump, 127);
	c = conf_of("0:2");
	assert_int_equal(c.max_jump, 32767);
	c = conf_of("0:8:5");
	assert_int_equal(c.max_jump, 5);
	c = conf_of("rtp");
	assert_int_equal(c.mode, INGEST_SEQ_RTP);
	assert_int_equal(c.max_jump, 3000);
	c = conf_of("rtp:100");
	assert_int_equal(c.max_jump, 100);
	assert_int_equal(ingest_seq_conf_parse(&c, "0:3"), -EINVAL);
	assert_int_equal(ingest_seq_conf_parse(&c, "0"), -EINVAL);
	assert_int_equal(ingest_seq_conf_parse(&c, ":4"), -EINVAL);
	assert_int_equal(ingest_seq_conf_parse(&c, "70000:4"), -EINVAL);
	assert_int_equal(ingest_seq_conf_parse(&c, "0:4:"), -EINVAL);
	assert_int_equal(ingest_seq_conf_parse(&c, "0:4:0"), -EINVAL);
	assert_int_equal(ingest_seq_conf_parse(&c, "0:4x"), -EINVAL);
	assert_int_equal(ingest_seq_conf_parse(&c, "rtpx"), -EINVAL);
	assert_int_equal(ingest_seq_conf_parse(&c, ""), -EINVAL);
}

static void
test_extract(void **state)
{
	const uint8_t p[16] = {0x80, 96, 0x12, 0x34, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	struct ingest_seq_conf c;
	uint64_t raw;

	(void)state;
	c = conf_of("rtp");
	assert_true(ingest_seq_extract(&c, p, 12, &raw));
	assert_int_equal(raw, 0x1234);
	assert_false(ingest_seq_extract(&c, p, 11, &raw));
	{
		uint8_t q[12];

		memcpy(q, p, 12);
		q[0] = 0x40; /* RTP version 1 */
		assert_false(ingest_seq_extract(&c, q, 12, &raw));
	}
	c = conf_of("4:4");
	assert_true(ingest_seq_extract(&c, p, 8, &raw));
	assert_int_equal(raw, 0x01020304);
	assert_false(ingest_seq_extract(&c, p, 7, &raw));
	c = conf_of("8:8");
	assert_true(ingest_seq_extract(&c, p, 16, &raw));
	assert_int_equal(raw, 0x05060708090a0b0cull);
	c = conf_of("15:1");
	assert_true(ingest_seq_extract(&c, p, 16, &raw));
	assert_int_equal(raw, 12);
	c = conf_of("1:2");
	assert_true(ingest_seq_extract(&c, p, 3, &raw));
	assert_int_equal(raw, 0x6012);
}

static void
test_basic_events(void **state)
{
	struct ingest_seq_conf c = conf_of("0:4");
	struct ingest_seq s = {0};

	(void)state;
	assert_int_equal(ingest_seq_update(&s, &c, 10), INGEST_SEQ_EV_FIRST);
	assert_int_equal(ingest_seq_update(&s, &c, 11), INGEST_SEQ_EV_IN_ORDER);
	assert_int_equal(ingest_seq_update(&s, &c, 14), INGEST_SEQ_EV_GAP); /* 12, 13 lost */
	assert_int_equal(s.lost, 2);
	assert_int_equal(ingest_seq_update(&s, &c, 12), INGEST_SEQ_EV_REORDERED);
	assert_int_equal(s.lost, 1);
	assert_int_equal(ingest_seq_update(&s, &c, 12), INGEST_SEQ_EV_DUPLICATE);
	assert_int_equal(ingest_seq_update(&s, &c, 14), INGEST_SEQ_EV_DUPLICATE);
	assert_int_equal(ingest_seq_update(&s, &c, 10), INGEST_SEQ_EV_DUPLICATE);
	assert_int_equal(s.lost, 1);
	/* Before the first: the run grows backwards, 9 is reordered, 8 lost. */
	assert_int_equal(ingest_seq_update(&s, &c, 8), INGEST_SEQ_EV_REORDERED);
	assert_int_equal(s.lost, 2);
	assert_int_equal(s.expected, 7); /* 8..14 */
	assert_int_equal(ingest_seq_update(&s, &c, 9), INGEST_SEQ_EV_REORDERED);
	assert_int_equal(s.lost, 1);
	assert_int_equal(ingest_seq_update(&s, &c, 13), INGEST_SEQ_EV_REORDERED);
	assert_int_equal(s.lost, 0);
	assert_int_equal(s.received, 10);
	assert_int_equal(s.duplicate, 3);
	assert_int_equal(s.reordered, 4);
	check_invariant(&s);
	assert_int_equal(ingest_seq_high_raw(&s, &c), 14);
}

static void
test_wrap_each_width(void **state)
{
	static const char *const specs[] = {"0:1", "0:2", "0:4", "0:8"};
	unsigned int w;

	(void)state;
	for (w = 0; w < 4; w++) {
		struct ingest_seq_conf c = conf_of(specs[w]);
		uint64_t mask = c.width == 8 ? UINT64_MAX : (1ull << (8 * c.width)) - 1;
		struct ingest_seq s = {0};
		uint64_t x = mask - 5; /* start 6 before the wrap */
		unsigned int i;

		assert_int_equal(ingest_seq_update(&s, &c, x), INGEST_SEQ_EV_FIRST);
		for (i = 1; i <= 20; i++) {
			x = (x + 1) & mask;
			if (i == 8) /* the wrap is at i == 6; lose 2 after it */
				x = (x + 2) & mask;
			assert_int_not_equal(ingest_seq_update(&s, &c, x), INGEST_SEQ_EV_OUT_OF_RANGE);
		}
		assert_int_equal(s.lost, 2);
		assert_int_equal(s.out_of_range, 0);
		assert_int_equal(s.expected, 23);
		/* One lost number arrives late, across the wrap. */
		assert_int_equal(ingest_seq_update(&s, &c, (mask - 5 + 8) & mask),
				 INGEST_SEQ_EV_REORDERED);
		assert_int_equal(s.lost, 1);
		/* A duplicate from before the wrap. */
		assert_int_equal(ingest_seq_update(&s, &c, mask), INGEST_SEQ_EV_DUPLICATE);
		check_invariant(&s);
		assert_int_equal(ingest_seq_high_raw(&s, &c), x);
	}
}

static void
test_out_of_range_and_resync(void **state)
{
	struct ingest_seq_conf c = conf_of("0:2");
	struct ingest_seq s = {0};
	unsigned int i;

	(void)state;
	for (i = 0; i < 5000; i++)
		ingest_seq_update(&s, &c, i);
	assert_int_equal(s.lost, 0);
	/* The sender restarts at 0: 5000 behind, more than the window. */
	assert_int_equal(ingest_seq_update(&s, &c, 0), INGEST_SEQ_EV_OUT_OF_RANGE);
	assert_int_equal(ingest_seq_update(&s, &c, 1), INGEST_SEQ_EV_RESYNC);
	assert_int_equal(s.out_of_range, 0);
	assert_int_equal(s.resyncs, 1);
	assert_int_equal(ingest_seq_update(&s, &c, 2), INGEST_SEQ_EV_IN_ORDER);
	assert_int_equal(s.lost, 0);
	assert_int_equal(s.expected, 5003);
	check_invariant(&s);
	/* A lone stray value far away: out of range, then back to normal. */
	assert_int_equal(ingest_seq_update(&s, &c, 40000), INGEST_SEQ_EV_OUT_OF_RANGE);
	assert_int_equal(ingest_seq_update(&s, &c, 3), INGEST_SEQ_EV_IN_ORDER);
	assert_int_equal(ingest_seq_update(&s, &c, 40001), INGEST_SEQ_EV_OUT_OF_RANGE);
	assert_int_equal(s.out_of_range, 2);
	check_invariant(&s);
	/* RTP's max jump of 3000: a jump of 3001 is out of range, 3000 is loss. */
	{
		struct ingest_seq_conf r = conf_of("rtp");
		struct ingest_seq t = {0};

		ingest_seq_update(&t, &r, 65000);
		assert_int_equal(ingest_seq_update(&t, &r, (65000 + 3000) & 0xffff),
				 INGEST_SEQ_EV_GAP);
		assert_int_equal(t.lost, 2999);
		assert_int_equal(ingest_seq_update(&t, &r, (65000 + 6001) & 0xffff),
				 INGEST_SEQ_EV_OUT_OF_RANGE);
		check_invariant(&t);
	}
	/* Behind by exactly the window: out of range; one less: reordered. */
	{
		struct ingest_seq_conf w = conf_of("0:4");
		struct ingest_seq t = {0};

		ingest_seq_update(&t, &w, 100);
		ingest_seq_update(&t, &w, 100 + INGEST_SEQ_WINDOW + 5);
		assert_int_equal(ingest_seq_update(&t, &w, 105), INGEST_SEQ_EV_OUT_OF_RANGE);
		assert_int_equal(ingest_seq_update(&t, &w, 107), INGEST_SEQ_EV_REORDERED);
		check_invariant(&t);
	}
}

/* A reference model over a lossy, duplicating, reordering channel. */
static uint64_t rng = 88172645463325252ull;

static uint64_t
xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct slot {
	uint64_t key, v;
};

static int
slot_cmp(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static void
simulate(const char *spec, uint64_t start, unsigned int n, unsigned int max_disp)
{
	struct ingest_seq_conf c = conf_of(spec);
	uint64_t mask = c.width == 8 ? UINT64_MAX : (1ull << (8 * c.width)) - 1;
	uint64_t *out = calloc(4 * n, sizeof(*out)); /* ext numbers, in arrival order */
	uint8_t *seen = calloc(n, 1);
	struct ingest_seq s = {0};
	unsigned int m = 0, i, uniq = 0, dup = 0, reord = 0;
	uint64_t hi = 0, lo = 0;
	int started = 0;

	for (i = 0; i < n; i++) {
		uint64_t r = xorshift() % 100;

		if (r < 5)
			continue; /* lost */
		out[m++] = i;
		if (r >= 97)
			out[m++] = i; /* duplicated */
	}
	/* Local reordering: some packets are held back by up to max_disp places
	 * (sort on position + delay, ties kept in order), so none is displaced
	 * by more than max_disp. */
	{
		struct slot *sl = calloc(m, sizeof(*sl));

		for (i = 0; i < m; i++) {
			sl[i].key = (uint64_t)i * 2;
			if (xorshift() % 100 < 10)
				sl[i].key += 2 * (1 + xorshift() % max_disp) + 1;
			sl[i].v = out[i];
		}
		qsort(sl, m, sizeof(*sl), slot_cmp);
		for (i = 0; i < m; i++)
			out[i] = sl[i].v;
		free(sl);
	}
	for (i = 0; i < m; i++) {
		uint64_t e = out[i];

		if (seen[e]) {
			dup++;
		} else {
			if (started && (e < hi))
				reord++;
			seen[e] = 1;
			uniq++;
		}
		if (!started) {
			hi = lo = e;
			started = 1;
		}
		if (e > hi)
			hi = e;
		if (e < lo)
			lo = e;
		if (ingest_seq_update(&s, &c, (start + e) & mask) == INGEST_SEQ_EV_OUT_OF_RANGE)
			fail_msg("%s: packet %u (number %llu) out of range", spec, i,
				 (unsigned long long)e);
	}
	assert_int_equal(s.received, m);
	assert_int_equal(s.duplicate, dup);
	assert_int_equal(s.reordered, reord);
	assert_int_equal(s.expected, hi - lo + 1);
	assert_int_equal(s.lost, hi - lo + 1 - uniq);
	assert_int_equal(s.out_of_range, 0);
	check_invariant(&s);
	free(out);
	free(seen);
}

static void
test_model(void **state)
{
	(void)state;
	simulate("0:1", 200, 5000, 20);
	simulate("0:2", 65000, 100000, 200);
	simulate("0:4", 0xfffff000u, 100000, 900);
	simulate("0:8", UINT64_MAX - 5000, 100000, 900);
	simulate("rtp", 60000, 100000, 100);
}

/* The inline fast path ends in exactly the state the general path does. */
static void
test_fast_path_same(void **state)
{
	struct ingest_seq_conf c = conf_of("2:4");
	struct ingest_seq a, b;
	uint8_t p[8] = {0};
	uint32_t v = 0xfffffff0u;
	unsigned int i;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	for (i = 0; i < 20000; i++) {
		uint64_t r = xorshift() % 100;

		if (r < 80)
			v++;
		else if (r < 90)
			v += 3;
		else if (r < 95)
			v -= 2;
		else if (r < 97)
			v += 5000000; /* out of range, then maybe a resync */
		p[2] = (uint8_t)(v >> 24), p[3] = (uint8_t)(v >> 16);
		p[4] = (uint8_t)(v >> 8), p[5] = (uint8_t)v;
		assert_int_equal(ingest_seq_packet(&a, &c, p, sizeof(p)),
				 ingest_seq_packet_fast(&b, &c, p, sizeof(p)));
		assert_memory_equal(&a, &b, sizeof(a));
	}
	assert_true(a.resyncs > 0 || a.out_of_range > 0);
	check_invariant(&a);
}

static void
test_packet_no_seq(void **state)
{
	struct ingest_seq_conf c = conf_of("4:4");
	struct ingest_seq s = {0};
	const uint8_t p[8] = {0, 0, 0, 0, 0, 0, 0, 7};

	(void)state;
	assert_int_equal(ingest_seq_packet(&s, &c, p, 7), INGEST_SEQ_EV_NO_SEQ);
	assert_int_equal(s.no_seq, 1);
	assert_int_equal(s.received, 0);
	assert_int_equal(ingest_seq_packet(&s, &c, p, 8), INGEST_SEQ_EV_FIRST);
	assert_int_equal(ingest_seq_high_raw(&s, &c), 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_parse),
		cmocka_unit_test(test_extract),
		cmocka_unit_test(test_basic_events),
		cmocka_unit_test(test_wrap_each_width),
		cmocka_unit_test(test_out_of_range_and_resync),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_fast_path_same),
		cmocka_unit_test(test_packet_no_seq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
