/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive timestamps (lcx_port_conf.rx_timestamp) on DPDK 22.11 vdevs, under
 * EAL --no-huge:
 *   - net_ring offers no RTE_ETH_RX_OFFLOAD_TIMESTAMP: the create fails with
 *     -ENOTSUP (LCX_PORT_RX_TSTAMP_ON), and the same device comes up at once
 *     with LCX_PORT_RX_TSTAMP_AUTO, saying it has no stamps;
 *   - net_pcap reading a file writes a stamp on every frame, the file's record
 *     time (checked here against the time this test wrote in the file): no
 *     receive time, so the create fails with -ENOTSUP;
 *   - net_pcap reading an interface (rx_iface_in=lo, root needed: else the
 *     case skips; LCX_PORT_RX_TSTAMP_AUTO) stamps with the kernel's receive time: every frame this test
 *     sends to 127.0.0.1 carries the flag and a stamp (CLOCK_REALTIME, us)
 *     between the test's own clock readings just before the send and just
 *     after it, while the poll comes 50 ms later: the stamp is no poll time.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include <lcx/lcx.h>

#define NB_FRAMES 20
#define MAGIC 0x6c637874u /* "lcxt" */
#define POLL_LATER_NS 50000000ull

static char pcap_path[128];

static uint64_t
realtime_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static struct lcx_port *
make(const char *devargs, enum lcx_port_rx_tstamp_mode ts, int *err)
{
	struct lcx_port_conf c = { .devargs = devargs, .nb_rxd = 256, .nb_txd = 256,
				   .rx_timestamp = ts };
	struct lcx_port *port = NULL;

	*err = lcx_port_create(&c, &port);
	return port;
}

static void
test_ring_refused(void **state)
{
	struct lcx_port *port;
	int err;

	(void)state;
	port = make("net_ring0", LCX_PORT_RX_TSTAMP_ON, &err);
	assert_int_equal(err, -ENOTSUP);
	assert_null(port);
	port = make("net_ring0", LCX_PORT_RX_TSTAMP_AUTO, &err);
	assert_int_equal(err, 0);
	struct lcx_port_rx_tstamp ts;

	assert_int_equal(lcx_port_rx_tstamp(port, &ts), -ENOTSUP);
	lcx_port_destroy(port);
}

/* A pcap file with one 60-byte frame recorded at 1000000000.123456 s. */
static void
write_pcap(void)
{
	static const uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };
	const uint32_t rec[4] = { 1000000000u, 123456u, 60, 60 };
	uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x88, 0xb5 };
	FILE *f;

	snprintf(pcap_path, sizeof(pcap_path), "/tmp/lcx_rxts_%d.pcap", (int)getpid());
	f = fopen(pcap_path, "wx");
	assert_non_null(f);
	assert_int_equal(fwrite(hdr, sizeof(hdr), 1, f), 1);
	assert_int_equal(fwrite(rec, sizeof(rec), 1, f), 1);
	assert_int_equal(fwrite(frame, sizeof(frame), 1, f), 1);
	assert_int_equal(fclose(f), 0);
}

static void
test_pcap_file_refused(void **state)
{
	char devargs[192];
	struct lcx_port *port;
	struct rte_mbuf *m[4];
	int off = -1, err;
	uint64_t flag = 0;
	uint16_t n = 0;

	(void)state;
	write_pcap();
	snprintf(devargs, sizeof(devargs), "net_pcap0,rx_pcap=%s,tx_pcap=/dev/null", pcap_path);
	port = make(devargs, LCX_PORT_RX_TSTAMP_ON, &err);
	assert_int_equal(err, -ENOTSUP);
	assert_null(port);
	/* Why: the PMD does write a stamp, and it is the file's record time. */
	port = make(devargs, LCX_PORT_RX_TSTAMP_OFF, &err);
	assert_int_equal(err, 0);
	assert_int_equal(lcx_port_start(port), 0);
	assert_int_equal(rte_mbuf_dyn_rx_timestamp_register(&off, &flag), 0);
	for (int i = 0; i < 100 && n == 0; i++) {
		n = rte_eth_rx_burst((uint16_t)lcx_port_ethdev_id(port), 0, m, 4);
		if (n == 0)
			usleep(1000);
	}
	assert_int_equal(n, 1);
	assert_true((m[0]->ol_flags & flag) != 0);
	assert_true(*RTE_MBUF_DYNFIELD(m[0], off, rte_mbuf_timestamp_t *) ==
		    1000000000ull * 1000000ull + 123456u);
	rte_pktmbuf_free_bulk(m, n);
	lcx_port_destroy(port);
	unlink(pcap_path);
}

static void
test_pcap_iface_stamps(void **state)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	uint64_t sent_ns[NB_FRAMES], after_ns[NB_FRAMES], poll_ns = 0, clk = 0;
	unsigned int seen = 0, flagged = 0;
	struct lcx_port_rx_tstamp ts;
	struct lcx_port *port;
	int fd, err;

	(void)state;
	if (geteuid() != 0) {
		printf("skip: net_pcap on an interface needs root (CAP_NET_RAW)\n");
		skip();
	}
	port = make("net_pcap1,rx_iface_in=lo", LCX_PORT_RX_TSTAMP_AUTO, &err);
	assert_int_equal(err, 0);
	assert_int_equal(lcx_port_rx_tstamp(port, &ts), 0);
	assert_int_equal(ts.clock, LCX_PORT_TSTAMP_REALTIME_US);
	assert_true(ts.hz == 1000000 && ts.flag != 0 && ts.offset >= 0);
	assert_int_equal(lcx_port_start(port), 0);
	uint64_t a = realtime_ns();

	assert_int_equal(lcx_port_rx_tstamp_now(port, &clk), 0);
	assert_true(clk >= a / 1000 && clk <= realtime_ns() / 1000);

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (unsigned int i = 0; i < NB_FRAMES; i++) {
		uint32_t pl[2] = { htonl(MAGIC), htonl(i) };

		sent_ns[i] = realtime_ns();
		assert_true(sendto(fd, pl, sizeof(pl), 0, (struct sockaddr *)&to, sizeof(to)) ==
			    (ssize_t)sizeof(pl));
		after_ns[i] = realtime_ns();
		usleep(2000);
	}
	close(fd);
	usleep(POLL_LATER_NS / 1000); /* the frames wait in the ring: the poll comes later */
	for (int round = 0; round < 200 && seen < NB_FRAMES; round++) {
		struct rte_mbuf *m[32];
		uint16_t n = rte_eth_rx_burst((uint16_t)lcx_port_ethdev_id(port), 0, m, 32);

		poll_ns = realtime_ns();
		for (uint16_t k = 0; k < n; k++) {
			const uint8_t *p = rte_pktmbuf_mtod(m[k], const uint8_t *);
			uint32_t pl[2];

			/* Ethernet (14) + IPv4 (20) + UDP (8): ours carry the magic. */
			if (m[k]->data_len < 14 + 20 + 8 + 8)
				continue;
			memcpy(pl, p + 42, sizeof(pl));
			if (ntohl(pl[0]) != MAGIC || ntohl(pl[1]) >= NB_FRAMES)
				continue;
			unsigned int i = ntohl(pl[1]);
			uint64_t st = *RTE_MBUF_DYNFIELD(m[k], ts.offset, rte_mbuf_timestamp_t *);

			seen++;
			if ((m[k]->ol_flags & ts.flag) == 0)
				continue;
			flagged++;
			/* Within the test's readings (the stamp is the start of its us). */
			if (st * 1000 + 999 < sent_ns[i] || st * 1000 > after_ns[i])
				fail_msg("frame %u: stamp %lu us outside [%lu, %lu] ns", i,
					 (unsigned long)st, (unsigned long)sent_ns[i],
					 (unsigned long)after_ns[i]);
			assert_true(poll_ns - st * 1000 >= POLL_LATER_NS / 2);
		}
		rte_pktmbuf_free_bulk(m, n);
		if (n == 0)
			usleep(1000);
	}
	assert_int_equal(seen, NB_FRAMES);
	assert_int_equal(flagged, NB_FRAMES);
	lcx_port_destroy(port);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_refused),
		cmocka_unit_test(test_pcap_file_refused),
		cmocka_unit_test(test_pcap_iface_stamps),
	};
	char pfx[64];
	char *eal[] = { argv[0], "--no-huge", "-m", "256", "--no-pci", "--lcores=0@0",
			"--log-level=lib.eal:error", pfx };
	const char *tag = getenv("LCX_TEST_TAG");
	int ret;

	(void)argc;
	snprintf(pfx, sizeof(pfx), "--file-prefix=lcxrxts_%s_%d", tag != NULL ? tag : "",
		 (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "test_rx_tstamp: rte_eal_init failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	lcx_eal_attach();
	ret = cmocka_run_group_tests_name("rx_tstamp", tests, NULL, NULL);
	rte_eal_cleanup();
	return ret;
}
