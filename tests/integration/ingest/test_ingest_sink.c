/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The lcx-ingest writer (apps/lcx-ingest/sink.c) under EAL --no-huge, fed
 * by hand: chained mbufs (a 65507-byte UDP payload over 2000-byte segments,
 * as the socket backend delivers long datagrams) must reach the pcapng and
 * payload files whole, and each packet's time must be the wall-clock time of
 * the TSC reading handed with it. Files are read back with tshark (pcapng)
 * and byte by byte (payload files).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "sink.h"

#define SEG 2000
#define NFRAMES 4

static struct rte_mempool *pool;
static char tmp[64];
/* Payload lengths: the largest UDP/IPv4 datagram first. The payload writer
 * parses each frame again, and the parser (parse.c) takes frames of at most
 * 65535 bytes: there the first is 65493 bytes (a 65535-byte frame). */
static uint32_t plens[NFRAMES] = {65507, 100, 3000, 1};

static uint8_t
pat(uint32_t frame, uint32_t i)
{
	return (uint8_t)(i * 7 + frame * 13 + (i >> 8));
}

/* An Ethernet/IPv4/UDP frame of plen payload bytes, chained over SEG-byte segments. */
static struct rte_mbuf *
frame(uint32_t f, uint32_t plen)
{
	uint8_t h[42] = {0};
	uint32_t len = 42 + plen, off = 0;
	struct rte_mbuf *head = NULL;

	h[12] = 0x08; /* IPv4 */
	h[14] = 0x45;
	h[16] = (uint8_t)((20 + 8 + plen) >> 8);
	h[17] = (uint8_t)(20 + 8 + plen);
	h[22] = 64;
	h[23] = 17;
	memcpy(h + 26, (uint8_t[]){198, 18, 0, 1, 198, 18, 0, 2}, 8);
	h[34] = 4000 >> 8, h[35] = 4000 & 0xff;
	h[36] = (uint8_t)((5000 + f) >> 8), h[37] = (uint8_t)(5000 + f);
	h[38] = (uint8_t)((8 + plen) >> 8), h[39] = (uint8_t)(8 + plen);
	while (off < len) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint32_t n = len - off < SEG ? len - off : SEG, i;
		uint8_t *d;

		assert_non_null(m);
		d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)n);
		assert_non_null(d);
		for (i = 0; i < n; i++)
			d[i] = off + i < 42 ? h[off + i] : pat(f, off + i - 42);
		if (head == NULL)
			head = m;
		else
			assert_int_equal(rte_pktmbuf_chain(head, m), 0);
		off += n;
	}
	return head;
}

static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Run the sink of kind over the NFRAMES frames; wall[] gets each frame's time. */
static void
run_sink(enum ingest_sink_kind kind, const char *path, uint64_t *wall)
{
	struct ingest_sink_conf sc = {
		.kind = kind, .path = path, .socket_id = SOCKET_ID_ANY, .with_socket_iface = 1,
	};
	struct ingest_sink *s;
	const struct ingest_sink_acct *a;
	int open_err, f;

	assert_int_equal(ingest_sink_create(&sc, &s, &open_err), 0);
	assert_int_equal(open_err, 0);
	/* Let DPDK's own pcapng clock take its reference first, as in lcx-ingest,
	 * where the frames were received before the writer copies them. */
	usleep(20000);
	for (f = 0; f < NFRAMES; f++) {
		struct ingest_sink_item it = {
			.m = frame((uint32_t)f, plens[f]), .iface = INGEST_IFACE_SOCKET,
		};

		it.tsc = rte_rdtsc();
		wall[f] = wall_ns();
		assert_true(it.m->nb_segs == (plens[f] + 42 + SEG - 1) / SEG);
		assert_int_equal(ingest_sink_enqueue(s, &it, 1), 1);
		usleep(30000);
	}
	assert_int_equal(ingest_sink_drain(s), 0);
	a = ingest_sink_acct(s);
	assert_int_equal(a->dequeued, NFRAMES);
	assert_int_equal(a->written, NFRAMES);
	assert_int_equal(a->write_errors + a->nomem, 0);
	ingest_sink_destroy(s);
}

static void
test_chained_pcapng(void **state)
{
	char path[128], cmd[256], line[512];
	uint64_t wall[NFRAMES];
	FILE *p;
	int f = 0;

	(void)state;
	if (system("command -v tshark >/dev/null") != 0)
		skip();
	snprintf(path, sizeof(path), "%s/c.pcapng", tmp);
	run_sink(INGEST_SINK_PCAPNG, path, wall);
	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -T fields -e frame.len -e frame.cap_len -e udp.length "
		 "-e frame.time_epoch -e frame.interface_name 2>/dev/null", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		unsigned int len, cap, ulen;
		unsigned long long sec, nsec;
		char ifname[64];
		int64_t d;

		if (sscanf(line, "%u %u %u %llu.%llu %63s", &len, &cap, &ulen, &sec, &nsec,
			   ifname) != 6)
			fail_msg("tshark: %s", line);
		assert_true(f < NFRAMES);
		/* The time of the TSC reading, within 1 ms. */
		d = (int64_t)(sec * 1000000000ull + nsec) - (int64_t)wall[f];
		if (d < -1000000 || d > 1000000)
			fail_msg("frame %d: capture time %llu.%09llu is %.3f ms off the wall "
				 "clock at its TSC reading", f, sec, nsec, (double)d / 1e6);
		/* Every segment written: the whole frame, nothing cut. */
		assert_int_equal(len, 42 + plens[f]);
		assert_int_equal(cap, len);
		assert_int_equal(ulen, 8 + plens[f]);
		assert_string_equal(ifname, "lcx-socket");
		f++;
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(f, NFRAMES);
	/* The payload bytes of the long chained frame, as tshark reads them. */
	snprintf(cmd, sizeof(cmd), "tshark -r %s -c 1 -T fields -e udp.payload 2>/dev/null", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	{
		static char hex[2 * 65507 + 16];
		uint32_t i;

		assert_non_null(fgets(hex, sizeof(hex), p));
		for (i = 0; i < plens[0]; i++) {
			unsigned int b;

			assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
			if (b != pat(0, i))
				fail_msg("payload byte %u: %02x, sent %02x", i, b, pat(0, i));
		}
	}
	pclose(p);
}

static void
test_chained_payload(void **state)
{
	char dir[128], name[256];
	uint64_t wall[NFRAMES];
	static uint8_t buf[70000];
	int f;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/pl", tmp);
	plens[0] = 65535 - 42;
	run_sink(INGEST_SINK_PAYLOAD, dir, wall);
	for (f = 0; f < NFRAMES; f++) {
		struct stat st;
		ssize_t r;
		uint32_t i;
		int fd;

		snprintf(name, sizeof(name), "%s/198.18.0.1_4000-198.18.0.2_%d.bin", dir, 5000 + f);
		fd = open(name, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(fstat(fd, &st), 0);
		assert_int_equal(st.st_size, plens[f]);
		assert_int_equal(st.st_mode & 0777, 0600);
		r = read(fd, buf, sizeof(buf));
		close(fd);
		assert_int_equal(r, plens[f]);
		for (i = 0; i < plens[f]; i++)
			if (buf[i] != pat((uint32_t)f, i))
				fail_msg("%s byte %u: %02x, sent %02x", name, i, buf[i],
					 pat((uint32_t)f, i));
	}
}

int
main(int argc, char **argv)
{
	const char *tag = getenv("LCX_TEST_TAG");
	char pfx[64];
	char *eal[] = {argv[0], "--no-huge", "-m", "256", "--no-pci", "-l", "0", pfx,
		       "--log-level=lcx.*:notice"};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chained_pcapng),
		cmocka_unit_test(test_chained_payload),
	};
	int ret;

	(void)argc;
	snprintf(pfx, sizeof(pfx), "--file-prefix=lcxsink%s", tag != NULL ? tag : "");
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0) {
		fprintf(stderr, "SKIP: EAL init failed\n");
		return 77;
	}
	pool = rte_pktmbuf_pool_create("sinktest", 2048, 0, 0, RTE_PKTMBUF_HEADROOM + SEG,
				       SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	snprintf(tmp, sizeof(tmp), "/tmp/lcxsink-XXXXXX");
	if (mkdtemp(tmp) == NULL)
		return 1;
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	if (ret == 0) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
		if (system(cmd) != 0)
			ret = 1;
	}
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return ret;
}
