/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow walker and frame writer (apps/lcx-bench/flow.h): the odometer's order
 * and wrap against nested loops, address carries, the random walk's range,
 * coverage and reproducibility, and the frames read back by an independent
 * parser: written to a pcap file (libpcap) and decoded by tshark, with its
 * IPv4 and UDP checksum validation on (a frame spoiled on purpose must be
 * flagged, so the check can fail). Every UDP port is decoded as plain data
 * (-d udp.port==1-65535,data): a port that names a protocol (53) would
 * otherwise be read as that protocol and called malformed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "flow.h"
#include "sig.h"
#include "spec.h"

static void
parse(const char *s, struct bench_flow *f)
{
	char err[256];
	int ret = bench_parse_flow(s, f, err, sizeof(err));

	if (ret != 0)
		fail_msg("%s: %s", s, err);
}

static uint32_t
v4(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

static void
test_odometer_order_wrap(void **state)
{
	struct bench_flow f;
	struct bench_flow_walk w;
	struct bench_tuple t;
	uint64_t i = 0, idx;

	(void)state;
	parse("src=198.18.0.1-198.18.0.2,dst=198.19.0.1-198.19.0.3,sport=1000-1002,"
	      "dport=2000-2001",
	      &f);
	assert_int_equal(bench_flow_walk_init(&w, &f, 0), 0);
	assert_int_equal(bench_flow_walk_period(&w), 2 * 3 * 3 * 2);
	assert_int_equal(bench_flow_walk_period(&w), bench_flow_count(&f));
	/* sport fastest, then dport, src, dst (spec.h): nested loops, dst outermost. */
	for (uint32_t d = 0; d < 3; d++)
		for (uint32_t s = 0; s < 2; s++)
			for (unsigned int dp = 2000; dp <= 2001; dp++)
				for (unsigned int sp = 1000; sp <= 1002; sp++, i++) {
					bench_flow_tuple(&w, i, &t);
					assert_int_equal(v4(t.src), 0xC6120001u + s);
					assert_int_equal(v4(t.dst), 0xC6130001u + d);
					assert_int_equal(t.sport, sp);
					assert_int_equal(t.dport, dp);
					assert_int_equal(bench_flow_index(&w, &t, &idx), 0);
					assert_int_equal(idx, i);
				}
	assert_int_equal(i, 36);
	/* The wrap: packet 36 + k is packet k, and far out too. */
	for (uint64_t k = 0; k < 36; k++) {
		struct bench_tuple a, b2;

		bench_flow_tuple(&w, k, &a);
		bench_flow_tuple(&w, 36 + k, &b2);
		assert_memory_equal(&a, &b2, sizeof(a));
		bench_flow_tuple(&w, 36 * 1000003ull + k, &b2);
		assert_memory_equal(&a, &b2, sizeof(a));
	}
	/* A tuple outside the ranges is no flow of the spec. */
	bench_flow_tuple(&w, 0, &t);
	t.sport = 999;
	assert_int_equal(bench_flow_index(&w, &t, &idx), -ENOENT);
	bench_flow_tuple(&w, 0, &t);
	t.dst[3] = 4;
	assert_int_equal(bench_flow_index(&w, &t, &idx), -ENOENT);
}

static void
test_address_carry(void **state)
{
	struct bench_flow f;
	struct bench_flow_walk w;
	struct bench_tuple t;
	uint8_t want[16];
	const char *v4want[] = {"10.0.0.254", "10.0.0.255", "10.0.1.0", "10.0.1.1"};
	const char *v6want[] = {"2001:db8::ffff:fffe", "2001:db8::ffff:ffff", "2001:db8::1:0:0",
				"2001:db8::1:0:1"};

	(void)state;
	parse("src=10.0.0.254-10.0.1.1,dst=10.9.9.9", &f);
	assert_int_equal(bench_flow_walk_init(&w, &f, 0), 0);
	assert_int_equal(bench_flow_walk_period(&w), 4);
	for (int i = 0; i < 4; i++) {
		bench_flow_tuple(&w, (uint64_t)i, &t);
		assert_int_equal(inet_pton(AF_INET, v4want[i], want), 1);
		assert_memory_equal(t.src, want, 4);
		assert_int_equal(t.sport, 9);
		assert_int_equal(t.dport, 9);
	}
	parse("src=2001:db8::1,dst=2001:db8::ffff:fffe-2001:db8::1:0:1,sport=7", &f);
	assert_int_equal(f.family, AF_INET6);
	assert_int_equal(bench_flow_walk_init(&w, &f, 0), 0);
	for (int i = 0; i < 4; i++) {
		uint64_t idx;

		bench_flow_tuple(&w, (uint64_t)i, &t);
		assert_int_equal(inet_pton(AF_INET6, v6want[i], want), 1);
		assert_memory_equal(t.dst, want, 16);
		assert_int_equal(bench_flow_index(&w, &t, &idx), 0);
		assert_int_equal(idx, i);
	}
	/* The largest range: 2^32 addresses, the last one. */
	parse("src=::-::ffff:ffff,dst=::1", &f);
	assert_int_equal(bench_flow_walk_init(&w, &f, 0), 0);
	bench_flow_tuple(&w, (1ull << 32) - 1, &t);
	assert_int_equal(inet_pton(AF_INET6, "::ffff:ffff", want), 1);
	assert_memory_equal(t.src, want, 16);
	bench_flow_tuple(&w, 1ull << 32, &t); /* wrapped */
	assert_int_equal(inet_pton(AF_INET6, "::", want), 1);
	assert_memory_equal(t.src, want, 16);
}

static void
test_random(void **state)
{
	struct bench_flow f;
	struct bench_flow_walk w, w2, w3;
	struct bench_tuple t, t2;
	enum { N = 200000, NS = 100, ND = 7, NA = 50 };
	static unsigned int cs[NS], cd[ND], ca[NA], cb[2];
	unsigned int same = 0;

	(void)state;
	parse("src=198.18.0.0-198.18.0.49,dst=198.19.0.1-198.19.0.2,sport=1-100,"
	      "dport=65529-65535,vary=rand",
	      &f);
	assert_int_equal(bench_flow_walk_init(&w, &f, 42), 0);
	assert_int_equal(bench_flow_walk_init(&w2, &f, 42), 0);
	assert_int_equal(bench_flow_walk_init(&w3, &f, 43), 0);
	assert_int_equal(bench_flow_walk_period(&w), NS * ND * NA * 2);
	for (uint64_t i = 0; i < N; i++) {
		uint64_t idx;

		bench_flow_tuple(&w, i, &t);
		assert_in_range(t.sport, 1, 100);
		assert_in_range(t.dport, 65529, 65535);
		assert_in_range(v4(t.src), 0xC6120000u, 0xC6120000u + NA - 1);
		assert_in_range(v4(t.dst), 0xC6130001u, 0xC6130002u);
		assert_int_equal(bench_flow_index(&w, &t, &idx), 0);
		cs[t.sport - 1]++;
		cd[t.dport - 65529]++;
		ca[v4(t.src) - 0xC6120000u]++;
		cb[v4(t.dst) - 0xC6130001u]++;
		/* Reproducible: the same seed, the same tuple, however often asked. */
		bench_flow_tuple(&w2, i, &t2);
		assert_memory_equal(&t, &t2, sizeof(t));
		bench_flow_tuple(&w3, i, &t2);
		same += memcmp(&t, &t2, sizeof(t)) == 0;
	}
	/* Coverage: each value of each field, near its share (6 binomial sigmas at most). */
	for (int k = 0; k < NS; k++)
		assert_in_range(cs[k], N / NS - 6 * 45, N / NS + 6 * 45);
	for (int k = 0; k < ND; k++)
		assert_in_range(cd[k], N / ND - 6 * 155, N / ND + 6 * 155);
	for (int k = 0; k < NA; k++)
		assert_in_range(ca[k], N / NA - 6 * 63, N / NA + 6 * 63);
	assert_in_range(cb[0], N / 2 - 6 * 224, N / 2 + 6 * 224);
	/* Another seed, another walk: the same tuple by chance about once in 70 000. */
	assert_true(same < 20);
	/* Not the odometer: the first 100 tuples do not walk sport 1, 2, 3, ... */
	bench_flow_tuple(&w, 0, &t);
	bench_flow_tuple(&w, 1, &t2);
	assert_false(t.sport + 1 == t2.sport && t.dport == t2.dport &&
		     memcmp(t.src, t2.src, 4) == 0);
}

static void
test_walk_refusals(void **state)
{
	struct bench_flow f = {0};
	struct bench_flow_walk w;

	(void)state;
	assert_int_equal(bench_flow_walk_init(&w, &f, 0), -EINVAL); /* no family */
	parse("src=1.1.1.1,dst=2.2.2.2", &f);
	f.src.count = 0;
	assert_int_equal(bench_flow_walk_init(&w, &f, 0), -EINVAL);
}

static const uint8_t MAC_A[6] = {0x02, 0, 0, 0, 0, 0xa};
static const uint8_t MAC_B[6] = {0x02, 0, 0, 0, 0, 0xb};

static void
test_write_refusals(void **state)
{
	struct bench_frame_conf c4 = {.family = AF_INET}, c6 = {.family = AF_INET6},
				cx = {.family = 0};
	struct bench_tuple t = {.sport = 1, .dport = 2};
	struct bench_sig sig = {.stream = 0, .seq = 1, .tx_ns = 2};
	uint8_t buf[BENCH_FRAME_MAX + 64];

	(void)state;
	assert_int_equal(bench_frame_min(AF_INET), 64);
	assert_int_equal(bench_frame_min(AF_INET6), 84);
	assert_int_equal(bench_frame_write(buf, sizeof(buf), &c4, &t, 64, &sig), 60);
	assert_int_equal(bench_frame_write(buf, sizeof(buf), &c4, &t, 63, &sig), -EINVAL);
	assert_int_equal(bench_frame_write(buf, sizeof(buf), &c6, &t, 84, &sig), 80);
	assert_int_equal(bench_frame_write(buf, sizeof(buf), &c6, &t, 83, &sig), -EINVAL);
	assert_int_equal(bench_frame_write(buf, sizeof(buf), &c6, &t, BENCH_FRAME_MAX + 1, &sig),
			 -EINVAL);
	assert_int_equal(bench_frame_write(buf, sizeof(buf), &cx, &t, 128, &sig), -EINVAL);
	assert_int_equal(bench_frame_write(buf, 79, &c6, &t, 84, &sig), -ENOSPC);
	sig.seq = BENCH_SIG_SEQ_MAX + 1;
	assert_int_equal(bench_frame_write(buf, sizeof(buf), &c4, &t, 64, &sig), -EINVAL);
}

/* Frames of the test: (flow spec, size) pairs, a few packets each. */
struct wcase {
	const char *flow;
	unsigned int size;
	unsigned int count;
};

static const struct wcase cases[] = {
    {"src=198.18.0.1-198.18.0.3,dst=198.19.0.1,sport=1000-1001,dport=53", 64, 7},
    {"src=198.18.0.1,dst=198.19.255.255-198.20.0.0,sport=65535,dport=1-2", 1518, 3},
    {"src=2001:db8::1-2001:db8::2,dst=2001:db8:1::ffff,sport=4000-4002,dport=9", 84, 7},
    {"src=fe80::1,dst=2001:db8::1,sport=12345,dport=54321,vary=rand", 1518, 3},
    {"src=2001:db8::a,dst=2001:db8::b", 9216, 1},
    {"src=198.18.0.9,dst=198.19.0.9", 9216, 1},
    {"src=2001:db8::1,dst=2001:db8::2,sport=1-65535,vary=rand", 85, 5},
};

#define MAXF 64

struct wframe {
	int family;
	struct bench_tuple t;
	unsigned int size;
	struct bench_sig sig;
};

static int
run_tshark(const char *path, char *out, size_t outlen)
{
	char cmd[1024];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r %s -d udp.port==1-65535,data -o ip.check_checksum:TRUE -o "
		 "udp.check_checksum:TRUE "
		 "-T fields -E separator=/t -e frame.len -e eth.src -e eth.dst -e ip.src "
		 "-e ip.dst -e ip.len -e ip.ttl -e ip.checksum.status -e ipv6.src -e ipv6.dst "
		 "-e ipv6.plen -e ipv6.hlim -e udp.srcport -e udp.dstport -e udp.length "
		 "-e udp.checksum -e udp.checksum.status -e data.data -e _ws.expert.message "
		 "2>/dev/null",
		 path);
	p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	return pclose(p);
}

/* Split a tab-separated line into at most nf fields (in place). */
static int
split(char *line, char **f, int nf)
{
	int n = 0;

	f[n++] = line;
	for (char *c = line; *c != '\0' && n < nf; c++)
		if (*c == '\t') {
			*c = '\0';
			f[n++] = c + 1;
		}
	return n;
}

static void
test_frames_by_tshark(void **state)
{
	static struct wframe wf[MAXF];
	static uint8_t buf[BENCH_FRAME_MAX];
	static char out[1 << 20];
	char path[] = "/tmp/test_bench_flow_XXXXXX";
	unsigned int nf = 0, bad_index;
	pcap_t *dead;
	pcap_dumper_t *d;
	char *line, *save = NULL;
	int fd;

	(void)state;
	if (system("command -v tshark >/dev/null 2>&1") != 0)
		skip();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	dead = pcap_open_dead(DLT_EN10MB, 65535);
	assert_non_null(dead);
	d = pcap_dump_open(dead, path);
	assert_non_null(d);
	for (unsigned int c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct bench_flow f;
		struct bench_flow_walk w;
		struct bench_frame_conf fc;

		parse(cases[c].flow, &f);
		assert_int_equal(bench_flow_walk_init(&w, &f, 7), 0);
		memcpy(fc.src_mac, MAC_A, 6);
		memcpy(fc.dst_mac, MAC_B, 6);
		fc.family = f.family;
		for (unsigned int k = 0; k < cases[c].count; k++) {
			struct wframe *x = &wf[nf];
			struct pcap_pkthdr h = {0};
			int len;

			x->family = f.family;
			x->size = cases[c].size;
			x->sig = (struct bench_sig){.stream = (uint16_t)c,
						    .seq = 1000 + k,
						    .tx_ns = 0x0102030405060708ull + nf};
			bench_flow_tuple(&w, k, &x->t);
			len = bench_frame_write(buf, sizeof(buf), &fc, &x->t, x->size, &x->sig);
			assert_int_equal(len, (int)x->size - 4);
			h.caplen = h.len = (bpf_u_int32)len;
			h.ts.tv_sec = (time_t)nf;
			pcap_dump((u_char *)d, &h, buf);
			nf++;
		}
	}
	/* One IPv6 frame spoiled after its checksum: tshark must call it bad. */
	{
		struct bench_flow f;
		struct bench_flow_walk w;
		struct bench_frame_conf fc = {.family = AF_INET6};
		struct pcap_pkthdr h = {0};
		struct bench_sig s = {.stream = 1, .seq = 5, .tx_ns = 5};
		int len;

		parse("src=2001:db8::1,dst=2001:db8::2", &f);
		assert_int_equal(bench_flow_walk_init(&w, &f, 0), 0);
		bench_flow_tuple(&w, 0, &wf[nf].t);
		len = bench_frame_write(buf, sizeof(buf), &fc, &wf[nf].t, 100, &s);
		buf[80] ^= 0x40; /* in the padding after the signature */
		h.caplen = h.len = (bpf_u_int32)len;
		pcap_dump((u_char *)d, &h, buf);
		bad_index = nf;
		/* And an IPv4 one whose TTL changed after its header checksum. */
		fc.family = AF_INET;
		parse("src=198.18.0.1,dst=198.19.0.1", &f);
		assert_int_equal(bench_flow_walk_init(&w, &f, 0), 0);
		bench_flow_tuple(&w, 0, &wf[nf].t);
		len = bench_frame_write(buf, sizeof(buf), &fc, &wf[nf].t, 64, &s);
		buf[14 + 8] = 63;
		h.caplen = h.len = (bpf_u_int32)len;
		pcap_dump((u_char *)d, &h, buf);
	}
	pcap_dump_close(d);
	pcap_close(dead);

	assert_int_equal(run_tshark(path, out, sizeof(out)), 0);
	if (getenv("LCX_TEST_KEEP") != NULL)
		print_message("kept %s\n", path);
	else
		unlink(path);
	unsigned int i = 0;

	for (line = strtok_r(out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *fld[20];
		char a[INET6_ADDRSTRLEN], b2[INET6_ADDRSTRLEN], hex[64];
		const struct wframe *x = &wf[i];
		int n;

		if (getenv("LCX_TEST_KEEP") != NULL)
			print_message("%s\n", line);
		n = split(line, fld, 20);

		assert_int_equal(n, 19);
		if (i == bad_index) {
			assert_string_equal(fld[16], "0"); /* udp.checksum.status: Bad */
			assert_non_null(strstr(fld[18], "Bad checksum"));
			i++;
			continue;
		}
		if (i == bad_index + 1) {
			assert_string_equal(fld[7], "0"); /* ip.checksum.status: Bad */
			assert_non_null(strstr(fld[18], "Bad checksum"));
			i++;
			continue;
		}
		assert_true(i < nf);
		assert_int_equal(atoi(fld[0]), (int)x->size - 4);
		assert_string_equal(fld[1], "02:00:00:00:00:0a");
		assert_string_equal(fld[2], "02:00:00:00:00:0b");
		inet_ntop(x->family, x->t.src, a, sizeof(a));
		inet_ntop(x->family, x->t.dst, b2, sizeof(b2));
		if (x->family == AF_INET) {
			assert_string_equal(fld[3], a);
			assert_string_equal(fld[4], b2);
			assert_int_equal(atoi(fld[5]), (int)x->size - 4 - 14);
			assert_string_equal(fld[6], "64");
			assert_string_equal(fld[7], "1"); /* ip.checksum.status: Good */
			assert_string_equal(fld[8], "");
			assert_int_equal(atoi(fld[14]), (int)x->size - 4 - 14 - 20);
			assert_string_equal(fld[15], "0x0000"); /* no UDP checksum over IPv4 */
			assert_string_equal(fld[16], "3"); /* udp.checksum.status: Not present */
		} else {
			assert_string_equal(fld[3], "");
			assert_string_equal(fld[8], a);
			assert_string_equal(fld[9], b2);
			assert_int_equal(atoi(fld[10]), (int)x->size - 4 - 14 - 40);
			assert_string_equal(fld[11], "64");
			assert_int_equal(atoi(fld[14]), (int)x->size - 4 - 14 - 40);
			assert_string_not_equal(fld[15], "0x0000");
			assert_string_equal(fld[16], "1"); /* udp.checksum.status: Good */
		}
		assert_int_equal(atoi(fld[12]), x->t.sport);
		assert_int_equal(atoi(fld[13]), x->t.dport);
		/* The payload: the signature (sig.h's layout, written out here), then zeros. */
		snprintf(hex, sizeof(hex), "4c42%04x%012llx%016llx", x->sig.stream,
			 (unsigned long long)x->sig.seq, (unsigned long long)x->sig.tx_ns);
		assert_memory_equal(fld[17], hex, 36);
		for (const char *c = fld[17] + 36; *c != '\0'; c++)
			assert_int_equal(*c, '0');
		assert_int_equal(strlen(fld[17]), 2 * ((size_t)x->size - 4 - 14 -
						       (x->family == AF_INET ? 20 : 40) - 8));
		assert_string_equal(fld[18], ""); /* no expert info: nothing malformed */
		i++;
	}
	assert_int_equal(i, nf + 2);
}

static void
test_parse_back(void **state)
{
	uint8_t buf[2048];
	struct bench_frame_conf c = {.family = AF_INET6};
	struct bench_flow f;
	struct bench_flow_walk w;
	struct bench_tuple t;
	struct bench_frame_info fi;
	struct bench_sig s = {.stream = 3, .seq = 77, .tx_ns = 99}, r;
	int len;

	(void)state;
	parse("src=2001:db8::1,dst=2001:db8::2-2001:db8::5,sport=10-20,dport=30", &f);
	assert_int_equal(bench_flow_walk_init(&w, &f, 0), 0);
	bench_flow_tuple(&w, 25, &t);
	len = bench_frame_write(buf, sizeof(buf), &c, &t, 200, &s);
	assert_int_equal(bench_frame_parse(buf, (size_t)len, &fi), 0);
	assert_int_equal(fi.family, AF_INET6);
	assert_memory_equal(&fi.t, &t, sizeof(t));
	assert_int_equal(fi.payload_len, 200 - 4 - 14 - 40 - 8);
	assert_int_equal(bench_sig_read(buf + fi.payload_off, fi.payload_len, &r), 0);
	assert_int_equal(r.seq, 77);
	/* Short buffers and foreign frames. */
	assert_int_equal(bench_frame_parse(buf, 13, &fi), -EMSGSIZE);
	assert_int_equal(bench_frame_parse(buf, 14 + 40 + 4, &fi), -EMSGSIZE);
	assert_int_equal(bench_frame_parse(buf, (size_t)len - 1, &fi), -EMSGSIZE);
	buf[14 + 6] = 6; /* TCP */
	assert_int_equal(bench_frame_parse(buf, (size_t)len, &fi), -EPROTO);
	buf[12] = 0x08;
	buf[13] = 0x06; /* ARP */
	assert_int_equal(bench_frame_parse(buf, (size_t)len, &fi), -EPROTO);
	/* An IPv4 fragment. */
	c.family = AF_INET;
	parse("src=1.1.1.1,dst=2.2.2.2", &f);
	assert_int_equal(bench_flow_walk_init(&w, &f, 0), 0);
	bench_flow_tuple(&w, 0, &t);
	len = bench_frame_write(buf, sizeof(buf), &c, &t, 64, &s);
	assert_int_equal(bench_frame_parse(buf, (size_t)len, &fi), 0);
	buf[14 + 6] = 0x20; /* MF */
	assert_int_equal(bench_frame_parse(buf, (size_t)len, &fi), -EPROTO);
}

/* Random bytes and random cuts of good frames: the parser answers, never reads beyond len. */
static void
test_parse_random(void **state)
{
	static uint8_t good[2][256];
	struct bench_frame_conf c4 = {.family = AF_INET}, c6 = {.family = AF_INET6};
	struct bench_tuple t = {.src = {1, 2, 3, 4}, .dst = {5, 6, 7, 8}, .sport = 1, .dport = 2};
	struct bench_sig s = {0};
	uint64_t x = 88172645463325252ull;
	unsigned int ok = 0;

	(void)state;
	assert_int_equal(bench_frame_write(good[0], 256, &c4, &t, 200, &s), 196);
	assert_int_equal(bench_frame_write(good[1], 256, &c6, &t, 200, &s), 196);
	for (int i = 0; i < 200000; i++) {
		uint8_t *buf;
		struct bench_frame_info fi;
		size_t len;
		int ret;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		len = x % 197;
		buf = malloc(len > 0 ? len : 1); /* exactly len: ASan sees any read beyond */
		assert_non_null(buf);
		memcpy(buf, good[x >> 63], len);
		if ((x >> 8) % 4 != 0) /* mostly: a byte of the headers changed */
			buf[len > 0 ? (x >> 16) % (len < 70 ? len : 70) : 0] ^=
			    (uint8_t)(x >> 32) | 1;
		ret = bench_frame_parse(buf, len, &fi);
		if (ret == 0) {
			ok++;
			assert_true(fi.payload_off + fi.payload_len <= len);
		} else {
			assert_true(ret == -EPROTO || ret == -EMSGSIZE);
		}
		free(buf);
	}
	assert_true(ok > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_odometer_order_wrap),
	    cmocka_unit_test(test_address_carry),
	    cmocka_unit_test(test_random),
	    cmocka_unit_test(test_walk_refusals),
	    cmocka_unit_test(test_write_refusals),
	    cmocka_unit_test(test_parse_back),
	    cmocka_unit_test(test_frames_by_tshark),
	    cmocka_unit_test(test_parse_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
