/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Microbenchmark of lcx-ingest's per-packet path without EAL: bursts of
 * generated frames (N IPv4 UDP flows interleaved, as bench/ingest-dpdk.sh
 * replays them, 4-byte counter at payload offset 0) fed to
 * ingest_engine_burst() in a loop. Meant to be run under
 *   valgrind --tool=callgrind --toggle-collect=ingest_engine_burst
 * for a deterministic instruction count per packet (A/B of code changes on a
 * shared machine), or alone for a rough ns/packet.
 *
 *   ingest_engine_bench [-n PACKETS] [-f FLOWS] [-m MAX_FLOWS] [-b BURST]
 *                       [-s none|dup|fresh] [-p PORTS]
 *
 * -s dup (default): counters repeat every 16 rounds as in the replay (every
 * packet after the first pass is a duplicate); fresh: counters keep
 * increasing (the in-order path); none: no sequence tracking. -m 0: parse and
 * count only. Prints the totals as JSON; exit 1 if they do not balance.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "gen.h"

#define FRAME_ROOM 256

static void
set_seq(uint8_t *frame, uint32_t len, uint32_t v)
{
	/* The counter is the first 4 payload bytes: the frame's last 64 start it. */
	uint8_t *p = frame + len - 64;

	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int
main(int argc, char **argv)
{
	uint64_t npkts = 1000000, done = 0, t0, t1;
	unsigned int flows = 1000, burst = 32, maxf = 4096, i, pos = 0, round = 0;
	const char *seqmode = "dup", *ports_spec = NULL;
	struct ingest_seq_conf seq = {0};
	struct ingest_portset ports;
	struct ingest_engine e;
	struct ingest_gen_udp g = {
		.ipver = 4, .dst = 0xc6120101, .sport = 4000, .payload_len = 64, .seq_width = 4,
	};
	const uint8_t *data[INGEST_ENGINE_BURST_MAX];
	uint32_t len[INGEST_ENGINE_BURST_MAX], *flen;
	uint8_t verdict[INGEST_ENGINE_BURST_MAX], *frames;
	const struct ingest_acct *ap;
	struct ingest_totals tot;
	struct timespec ts;
	int opt;

	while ((opt = getopt(argc, argv, "n:f:m:b:s:p:")) != -1) {
		switch (opt) {
		case 'n': npkts = strtoull(optarg, NULL, 0); break;
		case 'f': flows = (unsigned int)atoi(optarg); break;
		case 'm': maxf = (unsigned int)atoi(optarg); break;
		case 'b': burst = (unsigned int)atoi(optarg); break;
		case 's': seqmode = optarg; break;
		case 'p': ports_spec = optarg; break;
		default:
			fprintf(stderr, "usage: %s [-n PKTS] [-f FLOWS] [-m MAX_FLOWS] [-b BURST] "
				"[-s none|dup|fresh] [-p PORTS]\n", argv[0]);
			return 2;
		}
	}
	if (flows == 0 || burst == 0 || burst > INGEST_ENGINE_BURST_MAX) {
		fprintf(stderr, "bad flows or burst\n");
		return 2;
	}
	if (strcmp(seqmode, "none") != 0 && ingest_seq_conf_parse(&seq, "0:4") < 0)
		return 1;
	if (ports_spec != NULL && ingest_portset_parse(&ports, ports_spec) < 0) {
		fprintf(stderr, "bad ports\n");
		return 2;
	}
	frames = aligned_alloc(64, (size_t)flows * FRAME_ROOM);
	flen = calloc(flows, sizeof(*flen));
	if (frames == NULL || flen == NULL)
		return 1;
	for (i = 0; i < flows; i++) {
		g.src = 0xc6120000u + 2 + (i >> 8) * 256 + (i & 0xff);
		g.dport = (uint16_t)(5000 + i % 1000);
		g.sport = (uint16_t)(4000 + i / 1000);
		flen[i] = (uint32_t)ingest_gen_frame(frames + (size_t)i * FRAME_ROOM, FRAME_ROOM,
						     &g);
		if (flen[i] == 0)
			return 1;
	}
	if (ingest_engine_init(&e, ports_spec != NULL ? &ports : NULL, &seq, maxf) < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	while (done < npkts) {
		unsigned int n = burst;

		if (npkts - done < n)
			n = (unsigned int)(npkts - done);
		for (i = 0; i < n; i++) {
			uint8_t *fr = frames + (size_t)pos * FRAME_ROOM;

			set_seq(fr, flen[pos], strcmp(seqmode, "fresh") == 0 ? round : round % 16);
			data[i] = fr;
			len[i] = flen[pos];
			if (++pos == flows) {
				pos = 0;
				round++;
			}
		}
		ingest_engine_burst(&e, INGEST_LINK_ETH, data, len, n, 1000000000ull + done, verdict);
		done += n;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t1 = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	/* No sink: every passed frame counts as accepted, as rx_handler does. */
	e.acct.accepted = e.acct.verdict[INGEST_OK];
	ap = &e.acct;
	ingest_totals_sum(&ap, 1, NULL, &tot);
	printf("{\"packets\":%llu,\"ns_per_packet\":%.2f,\"totals\":",
	       (unsigned long long)done, (double)(t1 - t0) / (double)(done ? done : 1));
	ingest_totals_json(&tot, stdout);
	printf("}\n");
	ingest_engine_fini(&e);
	free(frames);
	free(flen);
	return ingest_totals_balanced(&tot) ? 0 : 1;
}
