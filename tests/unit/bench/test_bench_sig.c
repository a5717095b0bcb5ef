/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Signature and receiver account (apps/lcx-bench/sig.h): the byte layout,
 * refusals, and sequences with each event (gap, reordering, duplicate, late,
 * too old, after finish), the invariant received + late + lost == sent.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sig.h"

static void
test_layout(void **state)
{
	uint8_t buf[32];
	const uint8_t want[BENCH_SIG_LEN] = {0x4C, 0x42, 0x12, 0x34, 0xAB, 0xCD, 0xEF, 0x01, 0x23,
					     0x45, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
	struct bench_sig s = {.stream = 0x1234,
			      .seq = 0xABCDEF012345ull,
			      .tx_ns = 0x0102030405060708ull},
			 r;

	(void)state;
	assert_int_equal(BENCH_SIG_LEN, 2 + 2 + 6 + 8);
	assert_int_equal(BENCH_SIG_MIN_FRAME_V4, 64);
	assert_int_equal(BENCH_SIG_MIN_FRAME_V6, 84);
	assert_int_equal(bench_sig_write(buf, sizeof(buf), &s), 0);
	assert_memory_equal(buf, want, BENCH_SIG_LEN);
	assert_int_equal(bench_sig_read(buf, BENCH_SIG_LEN, &r), 0);
	assert_int_equal(r.stream, s.stream);
	assert_int_equal(r.seq, s.seq);
	assert_int_equal(r.tx_ns, s.tx_ns);
	assert_int_equal(bench_sig_write(buf, BENCH_SIG_LEN - 1, &s), -ENOSPC);
	assert_int_equal(bench_sig_read(buf, BENCH_SIG_LEN - 1, &r), -EMSGSIZE);
	buf[1] ^= 1;
	assert_int_equal(bench_sig_read(buf, BENCH_SIG_LEN, &r), -EBADMSG);
	s.seq = BENCH_SIG_SEQ_MAX + 1;
	assert_int_equal(bench_sig_write(buf, sizeof(buf), &s), -ERANGE);
}

static enum bench_rx_event
arrive(struct bench_rx *rx, uint64_t seq, uint64_t delay)
{
	struct bench_sig s = {.stream = 1, .seq = seq, .tx_ns = 1000000 + seq * 1000};

	return bench_rx_add(rx, &s, s.tx_ns + delay);
}

static void
test_events(void **state)
{
	struct bench_rx rx;
	struct bench_rx_conf c = {.tmax_ns = 1000000}; /* 1 ms */

	(void)state;
	bench_rx_init(&rx, &c);
	assert_int_equal(arrive(&rx, 0, 10), BENCH_RX_IN_ORDER);
	assert_int_equal(arrive(&rx, 1, 10), BENCH_RX_IN_ORDER);
	assert_int_equal(arrive(&rx, 4, 10), BENCH_RX_GAP); /* 2, 3 missing */
	assert_int_equal(bench_rx_missing(&rx), 2);
	assert_int_equal(arrive(&rx, 2, 10), BENCH_RX_REORDERED);
	assert_int_equal(arrive(&rx, 2, 10), BENCH_RX_DUPLICATE);
	assert_int_equal(arrive(&rx, 4, 10), BENCH_RX_DUPLICATE);
	assert_int_equal(arrive(&rx, 5, 2000000), BENCH_RX_LATE); /* 2 ms > Tmax */
	assert_int_equal(arrive(&rx, 5, 10), BENCH_RX_DUPLICATE);
	assert_int_equal(arrive(&rx, 6, 10), BENCH_RX_IN_ORDER);
	assert_int_equal(rx.received, 5);
	assert_int_equal(rx.late, 1);
	assert_int_equal(rx.duplicate, 3);
	assert_int_equal(rx.reordered, 1);
	assert_int_equal(rx.reorder_max, 2);	    /* 2 arrived with NextExp 5 */
	assert_int_equal(bench_rx_missing(&rx), 1); /* 3 */
	/* Sent 0 .. 9: lost 3, 7, 8, 9. */
	assert_int_equal(bench_rx_finish(&rx, 10), 0);
	assert_int_equal(rx.lost, 4);
	assert_int_equal(rx.received + rx.late + rx.lost, 10);
	assert_int_equal(arrive(&rx, 3, 10), BENCH_RX_AFTER_FINISH);
	assert_int_equal(rx.after_finish, 1);
	assert_int_equal(rx.lost, 4);
}

static void
test_window(void **state)
{
	struct bench_rx rx;

	(void)state;
	bench_rx_init(&rx, NULL);
	for (uint64_t s = 0; s < 10000; s++)
		assert_int_equal(arrive(&rx, s, 5), BENCH_RX_IN_ORDER);
	assert_int_equal(arrive(&rx, 9999 - 100, 5), BENCH_RX_DUPLICATE);
	assert_int_equal(arrive(&rx, 10000 - BENCH_RX_WINDOW, 5), BENCH_RX_DUPLICATE);
	assert_int_equal(arrive(&rx, 10000 - BENCH_RX_WINDOW - 1, 5), BENCH_RX_TOO_OLD);
	/* A jump beyond the window: the old marks are gone, the skipped ones reorder in. */
	assert_int_equal(arrive(&rx, 20000, 5), BENCH_RX_GAP);
	assert_int_equal(arrive(&rx, 19000, 5), BENCH_RX_REORDERED);
	assert_int_equal(arrive(&rx, 19000, 5), BENCH_RX_DUPLICATE);
	assert_int_equal(arrive(&rx, 16000, 5), BENCH_RX_REORDERED);
	assert_int_equal(rx.reorder_max, 4000);
	assert_int_equal(rx.too_old, 1);
	assert_int_equal(bench_rx_missing(&rx), 20001 - 10003);
	/* A 48-bit number is fine, one above is not. */
	assert_int_equal(arrive(&rx, BENCH_SIG_SEQ_MAX + 1, 5), BENCH_RX_INVALID);
	assert_int_equal(rx.invalid, 1);
	/* More distinct numbers than sent: the account is refused. */
	assert_int_equal(bench_rx_finish(&rx, 100), -EPROTO);
	assert_int_equal(rx.lost, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_events),
	    cmocka_unit_test(test_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
