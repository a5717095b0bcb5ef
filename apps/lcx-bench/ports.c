/* SPDX-License-Identifier: BSD-3-Clause */
/* lcx-bench's ports: the pool, the tx and rx ports up with their link, the rate resolved
 * against the tx port's link speed. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <lcx/pool.h>
#include <lcx/port.h>

#include "bench.h"
#include "pattern.h"
#include "traffic.h"

/* --rx-timestamp asks the rx port (only) for stamps. */
static enum lcx_port_rx_tstamp_mode
rx_ts_mode(uint16_t port)
{
	if (port != opt.rx_port || opt.rx_ts_mode == BENCH_RXTS_TSC)
		return LCX_PORT_RX_TSTAMP_OFF;
	return opt.rx_ts_mode == BENCH_RXTS_NIC ? LCX_PORT_RX_TSTAMP_ON : LCX_PORT_RX_TSTAMP_AUTO;
}

/* Why port i gives no stamps: what its PMD says (lcx.net.dpdk logs the rest). */
static void
no_stamps_why(uint16_t i, char *why, size_t len)
{
	struct rte_eth_dev_info di;
	char name[RTE_ETH_NAME_MAX_LEN] = "?";

	memset(&di, 0, sizeof(di));
	rte_eth_dev_get_name_by_port(i, name);
	if (rte_eth_dev_info_get(i, &di) == 0 && di.driver_name != NULL &&
	    strcmp(di.driver_name, "net_pcap") == 0)
		snprintf(why, len, "port %u (%s) gives no rx timestamps (net_pcap stamps receive "
			 "times only on an interface: rx_iface, rx_iface_in, iface)", i, name);
	else
		snprintf(why, len, "port %u (%s) gives no rx timestamps (no "
			 "RTE_ETH_RX_OFFLOAD_TIMESTAMP in its rx_offload_capa)", i, name);
}

/*
 * A DEVICE clock's rate: two (device clock, TSC) pairs 100 ms apart, as DPDK's
 * examples/rxtx_callbacks measures it. 0 when the PMD cannot read its clock.
 */
static uint64_t
device_hz(uint16_t port)
{
	uint64_t c0, c1, t0, t1;

	if (lcx_port_rx_tstamp_now(b.ports[port], &c0) < 0)
		return 0;
	t0 = rte_rdtsc();
	rte_delay_us_sleep(100000);
	if (lcx_port_rx_tstamp_now(b.ports[port], &c1) < 0)
		return 0;
	t1 = rte_rdtsc();
	if (c1 <= c0 || t1 <= t0)
		return 0;
	return (uint64_t)((double)(c1 - c0) * (double)b.hz / (double)(t1 - t0) + 0.5);
}

/* The latency clock: the rx port's stamps (--rx-timestamp nic, or auto where it has them). */
static void
rx_clock_choose(void)
{
	struct lcx_port *rx = b.ports[b.rx_ethdev];
	char name[RTE_ETH_NAME_MAX_LEN] = "?";

	rte_eth_dev_get_name_by_port(b.rx_ethdev, name);
	memset(&b.rx_ts, 0, sizeof(b.rx_ts));
	b.rx_nic = false;
	if (opt.rx_ts_mode == BENCH_RXTS_TSC) {
		snprintf(b.rx_ts_why, sizeof(b.rx_ts_why), "--rx-timestamp=tsc");
		return;
	}
	if (lcx_port_rx_tstamp(rx, &b.rx_ts) < 0) {
		/* auto on a port without them (nic died in the create) */
		no_stamps_why(b.rx_ethdev, b.rx_ts_why, sizeof(b.rx_ts_why));
		return;
	}
	b.rx_ts_offered = true;
	if (b.rx_ts.clock == LCX_PORT_TSTAMP_DEVICE) {
		b.rx_ts_hz = device_hz(b.rx_ethdev);
		if (b.rx_ts_hz == 0) {
			snprintf(b.rx_ts_why, sizeof(b.rx_ts_why),
				 "port %u (%s) stamps with its own clock, which "
				 "rte_eth_read_clock() cannot read: its stamps cannot be put on "
				 "the TSC", b.rx_ethdev, name);
			if (opt.rx_ts_mode == BENCH_RXTS_NIC)
				die(1, "--rx-timestamp=nic: %s", b.rx_ts_why);
			return;
		}
		snprintf(b.rx_ts_why, sizeof(b.rx_ts_why),
			 "port %u (%s) stamps with its own clock (%" PRIu64 " Hz measured against "
			 "the TSC), read with rte_eth_read_clock() beside the TSC at each poll",
			 b.rx_ethdev, name, b.rx_ts_hz);
	} else {
		b.rx_ts_hz = b.rx_ts.hz;
		snprintf(b.rx_ts_why, sizeof(b.rx_ts_why),
			 "port %u (%s) stamps with the kernel's receive time (CLOCK_REALTIME, "
			 "us), read beside the TSC at each poll", b.rx_ethdev, name);
	}
	b.rx_ts_res_ns = (1000000000ull + b.rx_ts_hz - 1) / b.rx_ts_hz;
	b.rx_nic = true;
}

void
bench_ports_open(const struct app_devs *devs)
{
	unsigned int missing = app_devs_check(devs, prog);
	uint16_t id;
	uint16_t want[2] = { (uint16_t)opt.tx_port, (uint16_t)opt.rx_port };

	if (missing > 0)
		die(1, "%u device%s named on the EAL command line gave no port", missing,
		    missing == 1 ? "" : "s");
	RTE_ETH_FOREACH_DEV(id)
	b.nb_ports++;
	if (b.nb_ports == 0)
		die(1, "no port: give one with --vdev=... or -a (e.g. --vdev=net_ring0)");
	if (opt.tx_port >= b.nb_ports || opt.rx_port >= b.nb_ports)
		die(EXIT_USAGE, "--%s-port=%" PRIu64 ": there %s %u port%s (0..%u)",
		    opt.tx_port >= b.nb_ports ? "tx" : "rx",
		    opt.tx_port >= b.nb_ports ? opt.tx_port : opt.rx_port,
		    b.nb_ports == 1 ? "is" : "are", b.nb_ports, b.nb_ports == 1 ? "" : "s",
		    b.nb_ports - 1u);
	/* One segment per frame: the data room holds the largest frame asked for (a 9216-byte
	 * frame in a default 2048-byte room would be written past its end). */
	unsigned int largest = opt.sizes.hi;

	if (opt.mode == BENCH_MODE_RFC2544)
		for (unsigned int k = 0; k < opt.nb_frame_sizes; k++)
			if (opt.frame_sizes[k] > largest)
				largest = opt.frame_sizes[k];
	if (largest < RTE_MBUF_DEFAULT_DATAROOM)
		largest = RTE_MBUF_DEFAULT_DATAROOM;
	b.pool = lcx_pktmbuf_pool_create("lcxbench_pool", 8191, 250, 0,
					 (uint16_t)(RTE_PKTMBUF_HEADROOM + largest),
					 (int)rte_socket_id(), LCX_POOL_AUTO);
	if (b.pool == NULL)
		die(1, "cannot create the mbuf pool: %s", rte_strerror(rte_errno));
	for (unsigned int k = 0; k < 2; k++) {
		uint16_t i = want[k];
		char devargs[16];
		struct lcx_port_conf conf = {
			.driver = "dpdk", .devargs = devargs, .nb_rxq = 1, .nb_txq = 1,
			.nb_rxd = 1024, .nb_txd = 1024, .burst = (uint16_t)opt.burst,
			.pool = b.pool, .promiscuous = true,
			.rx_timestamp = rx_ts_mode(i),
		};
		uint64_t deadline;
		int ret;

		if (b.ports[i] != NULL)
			continue;
		snprintf(devargs, sizeof(devargs), "%u", i);
		ret = lcx_port_create(&conf, &b.ports[i]);
		if (ret == -ENOTSUP && conf.rx_timestamp == LCX_PORT_RX_TSTAMP_ON) {
			char why[160];

			no_stamps_why(i, why, sizeof(why));
			die(1, "port %u: --rx-timestamp=nic: %s", i, why);
		}
		if (ret < 0)
			die(1, "port %u: cannot configure: %s", i, strerror(-ret));
		ret = lcx_port_start(b.ports[i]);
		if (ret < 0)
			die(1, "port %u: cannot start: %s", i, strerror(-ret));
		deadline = rte_rdtsc() + BENCH_LINK_WAIT_NS / 1000000 * (b.hz / 1000);
		while (lcx_port_link_check(b.ports[i]) != 1) {
			if (rte_rdtsc() > deadline)
				die(1, "port %u: link down after %.0f s: not measuring", i,
				    (double)BENCH_LINK_WAIT_NS / 1e9);
			rte_delay_us_sleep(10000);
		}
	}
	b.tx_ethdev = (uint16_t)opt.tx_port;
	b.rx_ethdev = (uint16_t)opt.rx_port;
	rx_clock_choose();
}

static double
resolve(const char *name, const char *text, const struct bench_rate *r, double mean_frame)
{
	char err[256];
	double pps;

	if (bench_rate_pps(r, mean_frame, b.link_bps, &pps, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s=%s: %s", name, text, err);
	return pps;
}

double
bench_max_load_for(double mean_frame)
{
	static const struct bench_rate full = { .unit = BENCH_RATE_PERCENT, .value = 100 };

	if (opt.max_load_text != NULL)
		return resolve("--max-load", opt.max_load_text, &opt.max_load, mean_frame);
	if (opt.rate_text != NULL)
		return resolve("--rate", opt.rate_text, &opt.rate, mean_frame);
	if (b.link_bps == 0)
		die(EXIT_USAGE, "%s needs --max-load (or --rate): the link speed of port %u is "
				"not known", opt.mode_name, b.tx_ethdev);
	return resolve("--max-load", "100%", &full, mean_frame);
}

double
bench_min_load_for(double mean_frame, double max_load)
{
	double v;

	if (opt.min_load_text == NULL)
		return max_load / 1000;
	v = resolve("--min-load", opt.min_load_text, &opt.min_load, mean_frame);
	if (v > max_load)
		die(EXIT_USAGE, "--min-load=%s: %.1f pps, above the max load %.1f pps",
		    opt.min_load_text, v, max_load);
	return v;
}

void
bench_rate_resolve(void)
{
	struct rte_eth_link link;

	memset(&link, 0, sizeof(link));
	if (rte_eth_link_get_nowait(b.tx_ethdev, &link) == 0 &&
	    link.link_speed != RTE_ETH_SPEED_NUM_NONE &&
	    link.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN)
		b.link_bps = (uint64_t)link.link_speed * 1000000ull;
	b.mean_frame = traffic_mean_frame(bench_sizes_mean(&opt.sizes));
	if (traffic_rate_optional()) /* a replay at the file's timing (traffic.c) */
		b.rate_pps = traffic_file_pps();
	else if (opt.rate_text != NULL)
		b.rate_pps = resolve("--rate", opt.rate_text, &opt.rate, b.mean_frame);
	if (opt.mode == BENCH_MODE_SEARCH || opt.mode == BENCH_MODE_CALIBRATE) {
		b.max_load_pps = bench_max_load_for(b.mean_frame);
		b.min_load_pps = bench_min_load_for(b.mean_frame, b.max_load_pps);
	}
	if (opt.mode == BENCH_MODE_RFC2544)
		for (unsigned int k = 0; k < opt.nb_frame_sizes; k++) {
			/* each size checked now: a bad --max-load fails before any trial */
			double mx = bench_max_load_for(opt.frame_sizes[k]);

			bench_min_load_for(opt.frame_sizes[k], mx);
		}
	{
		/* a pattern that cannot pace the load (on-off: no packet per window) */
		char err[256];
		double lo = opt.mode == BENCH_MODE_SEARCH ? b.min_load_pps : b.rate_pps;

		if (lo > 0 && pattern_check_rate(lo, err, sizeof(err)) < 0)
			die(EXIT_USAGE, "%s", err);
	}
	if (opt.mode == BENCH_MODE_CALIBRATE)
		b.floor_rate_pps = resolve("--floor-rate", opt.floor_rate_text, &opt.floor_rate,
					   b.mean_frame);
}

void
bench_ports_close(void)
{
	/* The ports closed (their rings give their mbufs back), then the pool counted. */
	for (uint16_t i = 0; i < RTE_MAX_ETHPORTS; i++)
		if (b.ports[i] != NULL) {
			lcx_port_destroy(b.ports[i]);
			b.ports[i] = NULL;
		}
}

int
bench_xstats_read(uint16_t port, struct bench_xstats *out)
{
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *xs = NULL;
	int n, k, ret = 0;

	out->n = 0;
	out->v = NULL;
	n = rte_eth_xstats_get_names(port, NULL, 0);
	if (n < 0)
		return n;
	if (n == 0)
		return 0;
	names = calloc((size_t)n, sizeof(*names));
	xs = calloc((size_t)n, sizeof(*xs));
	out->v = calloc((size_t)n, sizeof(*out->v));
	if (names == NULL || xs == NULL || out->v == NULL) {
		ret = -ENOMEM;
		goto out_free;
	}
	if (rte_eth_xstats_get_names(port, names, (unsigned int)n) != n) {
		ret = -EAGAIN;
		goto out_free;
	}
	k = rte_eth_xstats_get(port, xs, (unsigned int)n);
	if (k != n) {
		ret = k < 0 ? k : -EAGAIN;
		goto out_free;
	}
	for (int i = 0; i < n; i++) {
		if (xs[i].id >= (uint64_t)n) {
			ret = -EPROTO;
			goto out_free;
		}
		snprintf(out->v[i].name, sizeof(out->v[i].name), "%s", names[xs[i].id].name);
		out->v[i].value = xs[i].value;
	}
	out->n = (unsigned int)n;
	free(names);
	free(xs);
	return 0;
out_free:
	free(names);
	free(xs);
	free(out->v);
	out->v = NULL;
	return ret;
}

int
bench_xstats_delta(const struct bench_xstats *a, const struct bench_xstats *z,
		   struct bench_xstats *out)
{
	out->n = 0;
	out->v = NULL;
	if (a->n != z->n)
		return -EPROTO;
	if (z->n == 0)
		return 0;
	out->v = calloc(z->n, sizeof(*out->v));
	if (out->v == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < z->n; i++) {
		if (strcmp(a->v[i].name, z->v[i].name) != 0) {
			free(out->v);
			out->v = NULL;
			out->n = 0;
			return -EPROTO;
		}
		if (z->v[i].value != a->v[i].value) {
			out->v[out->n] = z->v[i];
			out->v[out->n].value = z->v[i].value - a->v[i].value;
			out->n++;
		}
	}
	return 0;
}

int64_t
bench_xstats_find(const struct bench_xstats *x, const char *name)
{
	for (unsigned int i = 0; i < x->n; i++)
		if (strcmp(x->v[i].name, name) == 0)
			return (int64_t)x->v[i].value;
	return -1;
}
