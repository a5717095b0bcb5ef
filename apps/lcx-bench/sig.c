/* SPDX-License-Identifier: BSD-3-Clause */
/* Packet signature and per-stream receiver account (sig.h). */
#include <errno.h>
#include <string.h>

#include "sig.h"

static void
put_be(uint8_t *p, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t
get_be(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

int
bench_sig_write(void *buf, size_t len, const struct bench_sig *sig)
{
	uint8_t *p = buf;

	if (len < BENCH_SIG_LEN)
		return -ENOSPC;
	if (sig->seq > BENCH_SIG_SEQ_MAX)
		return -ERANGE;
	put_be(p, BENCH_SIG_MAGIC, 2);
	put_be(p + 2, sig->stream, 2);
	put_be(p + 4, sig->seq, 6);
	put_be(p + 10, sig->tx_ns, 8);
	return 0;
}

int
bench_sig_read(const void *buf, size_t len, struct bench_sig *sig)
{
	const uint8_t *p = buf;

	if (len < BENCH_SIG_LEN)
		return -EMSGSIZE;
	if (get_be(p, 2) != BENCH_SIG_MAGIC)
		return -EBADMSG;
	sig->stream = (uint16_t)get_be(p + 2, 2);
	sig->seq = get_be(p + 4, 6);
	sig->tx_ns = get_be(p + 10, 8);
	return 0;
}

void
bench_rx_init(struct bench_rx *rx, const struct bench_rx_conf *conf)
{
	memset(rx, 0, sizeof(*rx));
	if (conf != NULL)
		rx->conf = *conf;
}

static bool
bit_get(const struct bench_rx *rx, uint64_t s)
{
	uint64_t b = s % BENCH_RX_WINDOW;

	return (rx->seen[b / 64] >> (b % 64)) & 1u;
}

static void
bit_set(struct bench_rx *rx, uint64_t s, bool on)
{
	uint64_t b = s % BENCH_RX_WINDOW;

	if (on)
		rx->seen[b / 64] |= 1ull << (b % 64);
	else
		rx->seen[b / 64] &= ~(1ull << (b % 64));
}

enum bench_rx_event
bench_rx_add(struct bench_rx *rx, const struct bench_sig *sig, uint64_t rx_ns)
{
	uint64_t s = sig->seq;
	bool late =
	    rx->conf.tmax_ns != 0 && rx_ns > sig->tx_ns && rx_ns - sig->tx_ns > rx->conf.tmax_ns;
	enum bench_rx_event ev;

	if (rx->finished) {
		rx->after_finish++;
		return BENCH_RX_AFTER_FINISH;
	}
	if (s > BENCH_SIG_SEQ_MAX) {
		rx->invalid++;
		return BENCH_RX_INVALID;
	}
	if (s >= rx->next_exp) {
		/* The window moves: the slots of the numbers skipped are new. */
		if (s + 1 - rx->next_exp >= BENCH_RX_WINDOW)
			memset(rx->seen, 0, sizeof(rx->seen));
		else
			for (uint64_t x = rx->next_exp; x < s; x++)
				bit_set(rx, x, false);
		ev = s == rx->next_exp ? BENCH_RX_IN_ORDER : BENCH_RX_GAP;
		rx->next_exp = s + 1;
	} else if (rx->next_exp - s > BENCH_RX_WINDOW) {
		rx->too_old++;
		return BENCH_RX_TOO_OLD;
	} else if (bit_get(rx, s)) {
		rx->duplicate++;
		return BENCH_RX_DUPLICATE;
	} else {
		ev = BENCH_RX_REORDERED;
	}
	bit_set(rx, s, true);
	if (late) {
		rx->late++;
		return BENCH_RX_LATE;
	}
	rx->received++;
	if (ev == BENCH_RX_REORDERED) {
		rx->reordered++;
		if (rx->next_exp - 1 - s > rx->reorder_max)
			rx->reorder_max = rx->next_exp - 1 - s;
	}
	return ev;
}

uint64_t
bench_rx_missing(const struct bench_rx *rx)
{
	uint64_t got = rx->received + rx->late;

	return rx->next_exp > got ? rx->next_exp - got : 0;
}

int
bench_rx_finish(struct bench_rx *rx, uint64_t sent)
{
	rx->finished = true;
	if (rx->received + rx->late > sent || rx->next_exp > sent) {
		rx->lost = 0;
		return -EPROTO;
	}
	rx->lost = sent - rx->received - rx->late;
	return 0;
}
