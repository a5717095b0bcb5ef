/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pcap replay source (apps/lcx-bench/replay.h) and the pacer's TRACE
 * pattern that times it: capture files written by the test with libpcap
 * (pcap with nanosecond stamps; pcapng by editcap), each kind of frame
 * (signable IPv4 and IPv6 UDP, TCP, ARP, a UDP payload too short, a record
 * captured short, one too long, a stamp going back), the frames built with a
 * signature read back by tshark with checksum validation; and bad files
 * (missing, a directory, not a capture, cut in a record, no frame, a link
 * type other than Ethernet): each one error, never a crash.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "flow.h"
#include "pacer.h"
#include "replay.h"
#include "sig.h"
#include "spec.h"

static char dir[] = "/tmp/test_bench_replay_XXXXXX";

static void
path_of(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

/* A frame from the flow writer: family, size, ports. */
static int
frame(uint8_t *buf, int family, unsigned int size, uint16_t sport)
{
	struct bench_flow f;
	struct bench_flow_walk w;
	struct bench_tuple t;
	struct bench_frame_conf c = {
	    .src_mac = {2, 0, 0, 0, 0, 1}, .dst_mac = {2, 0, 0, 0, 0, 2}, .family = family};
	struct bench_sig s = {.stream = 9, .seq = 9, .tx_ns = 9};
	char err[128];

	assert_int_equal(bench_parse_flow(family == AF_INET ? "src=198.18.0.1,dst=198.19.0.1"
							    : "src=2001:db8::1,dst=2001:db8::2",
					  &f, err, sizeof(err)),
			 0);
	assert_int_equal(bench_flow_walk_init(&w, &f, 0), 0);
	bench_flow_tuple(&w, 0, &t);
	t.sport = sport;
	return bench_frame_write(buf, 16384, &c, &t, size, &s);
}

struct rec {
	uint64_t ts_ns;
	uint32_t caplen, len;
	uint8_t data[2048];
};

static void
write_pcap(const char *path, int dlt, const struct rec *r, unsigned int n)
{
	pcap_t *dead = pcap_open_dead_with_tstamp_precision(dlt, 65535, PCAP_TSTAMP_PRECISION_NANO);
	pcap_dumper_t *d;

	assert_non_null(dead);
	d = pcap_dump_open(dead, path);
	assert_non_null(d);
	for (unsigned int i = 0; i < n; i++) {
		struct pcap_pkthdr h = {0};

		h.ts.tv_sec = (time_t)(r[i].ts_ns / 1000000000u);
		h.ts.tv_usec = (suseconds_t)(r[i].ts_ns % 1000000000u); /* ns: nano precision */
		h.caplen = r[i].caplen;
		h.len = r[i].len;
		pcap_dump((u_char *)d, &h, r[i].data);
	}
	pcap_dump_close(d);
	pcap_close(dead);
}

static struct rec recs[10];
static unsigned int nrecs;

/* The file of the tests: what each record is, and what replay.h makes of it. */
static void
make_mixed(const char *path)
{
	const uint64_t t0 = 1700000000ull * 1000000000u + 123456789u;
	int len;

	memset(recs, 0, sizeof(recs));
	nrecs = 0;
	/* 0: IPv4 UDP, 128 bytes: signable */
	len = frame(recs[nrecs].data, AF_INET, 128, 1111);
	recs[nrecs].ts_ns = t0;
	recs[nrecs].caplen = recs[nrecs].len = (uint32_t)len;
	nrecs++;
	/* 1: IPv6 UDP, 200 bytes, 1.5 ms later: signable */
	len = frame(recs[nrecs].data, AF_INET6, 200, 2222);
	recs[nrecs].ts_ns = t0 + 1500000;
	recs[nrecs].caplen = recs[nrecs].len = (uint32_t)len;
	nrecs++;
	/* 2: IPv4 TCP (protocol 6), 100 bytes: unsigned */
	len = frame(recs[nrecs].data, AF_INET, 100, 3333);
	recs[nrecs].data[14 + 9] = 6;
	recs[nrecs].ts_ns = t0 + 1500001;
	recs[nrecs].caplen = recs[nrecs].len = (uint32_t)len;
	nrecs++;
	/* 3: ARP, 42 bytes: unsigned */
	memset(recs[nrecs].data, 0xff, 6);
	recs[nrecs].data[12] = 0x08;
	recs[nrecs].data[13] = 0x06;
	recs[nrecs].ts_ns = t0 + 2000000;
	recs[nrecs].caplen = recs[nrecs].len = 42;
	nrecs++;
	/* 4: IPv4 UDP with 10 bytes of payload (below the signature): unsigned */
	len = frame(recs[nrecs].data, AF_INET, 64, 4444);
	recs[nrecs].data[14 + 3] = 20 + 8 + 10;			   /* IP total length */
	recs[nrecs].data[14 + 20 + 5] = 8 + 10;			   /* UDP length */
	recs[nrecs].data[14 + 10] = recs[nrecs].data[14 + 11] = 0; /* (checksum not checked) */
	recs[nrecs].ts_ns = t0 + 3000000;
	recs[nrecs].caplen = recs[nrecs].len = 14 + 20 + 8 + 10;
	nrecs++;
	/* 5: captured short (caplen 60 of 1000): skipped */
	len = frame(recs[nrecs].data, AF_INET, 1004, 5555);
	recs[nrecs].ts_ns = t0 + 4000000;
	recs[nrecs].caplen = 60;
	recs[nrecs].len = (uint32_t)len;
	nrecs++;
	/* 6: IPv4 UDP, 2000 bytes: beyond max_len 1600, skipped */
	len = frame(recs[nrecs].data, AF_INET, 2004, 6666);
	recs[nrecs].ts_ns = t0 + 5000000;
	recs[nrecs].caplen = recs[nrecs].len = (uint32_t)len;
	nrecs++;
	/* 7: stamped 1 ms before record 4 (a stamp going back): held at 3 ms; signable */
	len = frame(recs[nrecs].data, AF_INET, 64, 7777);
	recs[nrecs].ts_ns = t0 + 2000000;
	recs[nrecs].caplen = recs[nrecs].len = (uint32_t)len;
	nrecs++;
	/* 8: IPv6 UDP 1518, 1 s after the first: signable */
	len = frame(recs[nrecs].data, AF_INET6, 1518, 8888);
	recs[nrecs].ts_ns = t0 + 1000000000;
	recs[nrecs].caplen = recs[nrecs].len = (uint32_t)len;
	nrecs++;
	write_pcap(path, DLT_EN10MB, recs, nrecs);
}

/* Records kept (not skipped), in order, and their expected times. */
static const unsigned int kept[] = {0, 1, 2, 3, 4, 7, 8};
static const uint64_t kept_t[] = {0, 1500000, 1500001, 2000000, 3000000, 3000000, 1000000000};
static const bool kept_signed[] = {true, true, false, false, false, true, true};

static void
check_mixed(const struct bench_replay *r)
{
	assert_int_equal(r->records, 9);
	assert_int_equal(r->n, 7);
	assert_int_equal(r->skipped_truncated, 1);
	assert_int_equal(r->skipped_too_big, 1);
	assert_int_equal(r->ts_backwards, 1);
	assert_int_equal(r->signable, 4);
	for (unsigned int i = 0; i < r->n; i++) {
		assert_int_equal(bench_replay_len(r, i), recs[kept[i]].caplen);
		assert_int_equal(r->t_ns[i], kept_t[i]);
		assert_int_equal(bench_replay_signable(r, i), kept_signed[i]);
	}
}

static void
test_load_mixed(void **state)
{
	char p[256];
	char err[256] = "";
	struct bench_replay *r;
	uint64_t bytes = 0;

	(void)state;
	path_of(p, sizeof(p), "mixed.pcap");
	make_mixed(p);
	assert_int_equal(bench_replay_open(p, 1600, &r, err, sizeof(err)), 0);
	check_mixed(r);
	for (unsigned int i = 0; i < 7; i++)
		bytes += recs[kept[i]].caplen;
	assert_int_equal(r->bytes, bytes);
	assert_true(bench_replay_mean_frame(r) == (double)bytes / 7 + 4);
	bench_replay_close(r);
	bench_replay_close(NULL);
}

static void
test_pcapng(void **state)
{
	char p[256], q[256], cmd[600];
	char err[256] = "";
	struct bench_replay *r;

	(void)state;
	if (system("command -v editcap >/dev/null 2>&1") != 0)
		skip();
	path_of(p, sizeof(p), "ng-src.pcap");
	path_of(q, sizeof(q), "mixed.pcapng");
	make_mixed(p);
	snprintf(cmd, sizeof(cmd), "editcap -F pcapng %s %s", p, q);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(bench_replay_open(q, 1600, &r, err, sizeof(err)), 0);
	check_mixed(r);
	bench_replay_close(r);
}

/* Build every frame with a signature into a pcap; tshark checks sizes, payloads, checksums. */
static void
test_build_by_tshark(void **state)
{
	char p[256], q[256], cmd[1024], line[8192];
	char err[256] = "";
	struct bench_replay *r;
	static struct rec out[10];
	uint8_t small[8];
	FILE *f;
	unsigned int i = 0;

	(void)state;
	path_of(p, sizeof(p), "build-in.pcap");
	path_of(q, sizeof(q), "build-out.pcap");
	make_mixed(p);
	assert_int_equal(bench_replay_open(p, 1600, &r, err, sizeof(err)), 0);
	for (unsigned int k = 0; k < r->n; k++) {
		struct bench_sig s = {.stream = 0x77, .seq = 100 + k, .tx_ns = 0xabcdef00ull + k},
				 back;
		int len = bench_replay_build(r, k, out[k].data, sizeof(out[k].data), &s);
		const struct rec *in = &recs[kept[k]];

		assert_int_equal(len, (int)in->caplen);
		out[k].caplen = out[k].len = (uint32_t)len;
		out[k].ts_ns = in->ts_ns;
		if (!kept_signed[k]) {
			/* Unsigned frames go out as they are in the file. */
			assert_memory_equal(out[k].data, in->data, in->caplen);
			continue;
		}
		/* The signature at the start of the UDP payload; all else as in the file. */
		{
			struct bench_frame_info fi;

			assert_int_equal(bench_frame_parse(out[k].data, (size_t)len, &fi), 0);
			assert_int_equal(
			    bench_sig_read(out[k].data + fi.payload_off, fi.payload_len, &back), 0);
			assert_int_equal(back.seq, 100 + k);
			assert_memory_equal(out[k].data, in->data, fi.l4_off + 6);
			assert_memory_equal(out[k].data + fi.payload_off + BENCH_SIG_LEN,
					    in->data + fi.payload_off + BENCH_SIG_LEN,
					    fi.payload_len - BENCH_SIG_LEN);
		}
		/* Without a signature: the file's bytes. */
		assert_int_equal(bench_replay_build(r, k, out[9].data, sizeof(out[9].data), NULL),
				 len);
		assert_memory_equal(out[9].data, in->data, in->caplen);
	}
	assert_int_equal(bench_replay_build(r, r->n, out[9].data, sizeof(out[9].data), NULL),
			 -ERANGE);
	assert_int_equal(bench_replay_build(r, 0, small, sizeof(small), NULL), -ENOSPC);
	write_pcap(q, DLT_EN10MB, out, (unsigned int)r->n);
	bench_replay_close(r);
	if (system("command -v tshark >/dev/null 2>&1") != 0)
		skip();
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r %s -d udp.port==1-65535,data -o ip.check_checksum:TRUE "
		 "-o udp.check_checksum:TRUE -T fields -E separator=/t -e frame.len "
		 "-e ip.checksum.status -e udp.checksum.status -e data.data "
		 "-e _ws.expert.message 2>/dev/null",
		 q);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char want[64];
		const char *udp_status = strchr(line, '\t');

		assert_true(i < 7);
		assert_int_equal(atoi(line), (int)recs[kept[i]].caplen);
		if (kept_signed[i]) {
			/* IPv4: the writer's frames carry no UDP checksum (3: not present),
			 * IPv6: good (1). */
			bool v6 = recs[kept[i]].data[13] == 0xdd;

			snprintf(want, sizeof(want), "\t%s\t%s\t4c420077%012x%016llx",
				 v6 ? "" : "1", v6 ? "1" : "3", 100 + i, 0xabcdef00ull + i);
			assert_memory_equal(udp_status, want, strlen(want));
			assert_null(strstr(line, "Bad checksum"));
		}
		i++;
	}
	assert_int_equal(pclose(f), 0);
	assert_int_equal(i, 7);
}

/* An IPv4 UDP frame that had a checksum gets a right one after the signature. */
static void
test_ipv4_checksum_kept(void **state)
{
	char p[256], cmd[600], line[256];
	char err[256] = "";
	struct bench_replay *r;
	static struct rec in[1], out[1];
	struct bench_sig s = {.stream = 1, .seq = 2, .tx_ns = 3};
	FILE *f;

	(void)state;
	if (system("command -v tshark >/dev/null 2>&1") != 0)
		skip();
	in[0].caplen = in[0].len = (uint32_t)frame(in[0].data, AF_INET, 100, 1234);
	in[0].data[14 + 20 + 6] = 0x12; /* a non-zero (wrong) checksum: it gets recomputed */
	path_of(p, sizeof(p), "v4ck.pcap");
	write_pcap(p, DLT_EN10MB, in, 1);
	assert_int_equal(bench_replay_open(p, 1600, &r, err, sizeof(err)), 0);
	out[0].caplen = out[0].len =
	    (uint32_t)bench_replay_build(r, 0, out[0].data, sizeof(out[0].data), &s);
	bench_replay_close(r);
	path_of(p, sizeof(p), "v4ck-out.pcap");
	write_pcap(p, DLT_EN10MB, out, 1);
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r %s -d udp.port==1-65535,data -o udp.check_checksum:TRUE "
		 "-T fields -e udp.checksum.status 2>/dev/null",
		 p);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "1\n");
	assert_int_equal(pclose(f), 0);
}

static void
test_bad_files(void **state)
{
	char p[256], q[256];
	char err[256];
	struct bench_replay *r = (void *)1;
	FILE *f;
	struct stat st;

	(void)state;
	path_of(p, sizeof(p), "missing.pcap");
	err[0] = '\0';
	assert_int_equal(bench_replay_open(p, 1600, &r, err, sizeof(err)), -ENOENT);
	assert_null(r);
	assert_non_null(strstr(err, "missing.pcap"));
	assert_int_equal(bench_replay_open(dir, 1600, &r, err, sizeof(err)), -EISDIR);
	/* Not a capture. */
	path_of(p, sizeof(p), "text.pcap");
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("this is not a capture file at all\n", f);
	fclose(f);
	err[0] = '\0';
	assert_int_equal(bench_replay_open(p, 1600, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a pcap or pcapng"));
	/* Empty file. */
	path_of(p, sizeof(p), "empty.pcap");
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(bench_replay_open(p, 1600, &r, err, sizeof(err)), -EINVAL);
	/* Cut in the middle of its last record: every cut point gives one error, no crash. */
	path_of(q, sizeof(q), "whole.pcap");
	make_mixed(q);
	assert_int_equal(stat(q, &st), 0);
	for (off_t cut = 24 + 1; cut < st.st_size; cut += 7) {
		char cmd[600];
		int ret;

		path_of(p, sizeof(p), "cut.pcap");
		snprintf(cmd, sizeof(cmd), "head -c %lld %s > %s", (long long)cut, q, p);
		assert_int_equal(system(cmd), 0);
		err[0] = '\0';
		ret = bench_replay_open(p, 1600, &r, err, sizeof(err));
		if (ret == 0) {
			/* A cut exactly between records is a shorter, whole file. */
			assert_true(r->records < 9);
			bench_replay_close(r);
			continue;
		}
		assert_int_equal(ret, -EBADMSG);
		assert_null(r);
		assert_non_null(strstr(err, "truncated or corrupt"));
	}
	/* A header only: no frame. */
	path_of(p, sizeof(p), "hdr.pcap");
	write_pcap(p, DLT_EN10MB, recs, 0);
	err[0] = '\0';
	assert_int_equal(bench_replay_open(p, 1600, &r, err, sizeof(err)), -ENODATA);
	assert_non_null(strstr(err, "no frame"));
	/* Only records captured short: no frame either, and it says why. */
	recs[0].caplen = 40;
	write_pcap(p, DLT_EN10MB, recs, 1);
	assert_int_equal(bench_replay_open(p, 1600, &r, err, sizeof(err)), -ENODATA);
	assert_non_null(strstr(err, "1 captured shorter"));
	/* Raw IP link type. */
	path_of(p, sizeof(p), "raw.pcap");
	write_pcap(p, DLT_RAW, recs, 1);
	err[0] = '\0';
	assert_int_equal(bench_replay_open(p, 1600, &r, err, sizeof(err)), -EPROTONOSUPPORT);
	assert_non_null(strstr(err, "only Ethernet"));
	/* Garbage record header: a caplen of 4 GiB. */
	path_of(q, sizeof(q), "whole.pcap");
	make_mixed(q);
	f = fopen(q, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, 24 + 8, SEEK_SET), 0);
	fwrite("\xff\xff\xff\xff", 1, 4, f);
	fclose(f);
	err[0] = '\0';
	assert_int_equal(bench_replay_open(q, 1600, &r, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "record 1"));
}

/* A good file with random bytes changed, 300 times: loaded or refused, never a crash. */
static void
test_mutated_files(void **state)
{
	char src[256], p[256];
	static uint8_t data[1 << 16];
	uint64_t x = 0x2545F4914F6CDD1Dull;
	size_t n;
	FILE *f;
	unsigned int loaded = 0, refused = 0;

	(void)state;
	path_of(src, sizeof(src), "mut-src.pcap");
	make_mixed(src);
	f = fopen(src, "rb");
	assert_non_null(f);
	n = fread(data, 1, sizeof(data), f);
	fclose(f);
	path_of(p, sizeof(p), "mut.pcap");
	for (int k = 0; k < 300; k++) {
		static uint8_t m[1 << 16];
		struct bench_replay *r;
		char err[256];
		int ret;

		memcpy(m, data, n);
		for (int j = 0; j < 4; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			m[x % n] = (uint8_t)(x >> 40);
		}
		f = fopen(p, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(m, 1, n, f), n);
		fclose(f);
		ret = bench_replay_open(p, 1600, &r, err, sizeof(err));
		if (ret == 0) {
			uint8_t buf[1600];
			struct bench_sig s = {.stream = 1, .seq = 0, .tx_ns = 0};

			for (uint64_t i = 0; i < r->n; i++)
				assert_true(bench_replay_build(r, i, buf, sizeof(buf), &s) > 0);
			bench_replay_close(r);
			loaded++;
		} else {
			assert_true(strlen(err) > 0);
			refused++;
		}
	}
	print_message("mutated files: %u loaded, %u refused\n", loaded, refused);
	assert_true(loaded > 0 && refused > 0);
}

/* The pacer's TRACE pattern: each frame due at t0 + its time, the account as for any pattern. */
static void
test_trace_pacer(void **state)
{
	const uint64_t t[] = {0, 1500000, 1500001, 2000000, 3000000, 3000000, 1000000000};
	struct bench_pacer p;
	struct bench_pacer_conf c = {.pattern = BENCH_PACER_TRACE,
				     .policy = BENCH_PACER_SEND_LATE,
				     .hz = 2500000000ull, /* a 2.5 GHz TSC */
				     .count = 7,
				     .trace_ns = t};
	struct bench_pacer_stats st;
	const uint64_t t0 = 1000;

	(void)state;
	assert_int_equal(bench_pacer_init(&p, &c), 0);
	bench_pacer_start(&p, t0);
	assert_int_equal(bench_pacer_total(&p), 7);
	assert_int_equal(bench_pacer_owed(&p, t0 - 1, 32), 0);
	assert_int_equal(bench_pacer_owed(&p, t0, 32), 1);
	bench_pacer_account(&p, t0, 1, 1);
	/* 1.5 ms = 3 750 000 ticks: one tick before, nothing. */
	assert_int_equal(bench_pacer_next_deadline(&p), t0 + 3750000);
	assert_int_equal(bench_pacer_owed(&p, t0 + 3749999, 32), 0);
	assert_int_equal(bench_pacer_owed(&p, t0 + 3750000, 32), 1);
	/* 1 500 001 ns = 3 750 002.5 ticks: floor. */
	assert_int_equal(bench_pacer_owed(&p, t0 + 3750002, 32), 2);
	bench_pacer_account(&p, t0 + 3750002, 2, 1); /* one refused: stays owed */
	assert_int_equal(bench_pacer_owed(&p, t0 + 3750002, 32), 1);
	/* Late by 10 ms: the two due at 3 ms and the one at 2 ms, not the one at 1 s. */
	assert_int_equal(bench_pacer_owed(&p, t0 + 25000000, 32), 4);
	bench_pacer_account(&p, t0 + 25000000, 4, 4);
	assert_false(bench_pacer_done(&p));
	assert_int_equal(bench_pacer_next_deadline(&p), t0 + 2500000000ull);
	assert_int_equal(bench_pacer_owed(&p, t0 + 2500000000ull, 32), 1);
	bench_pacer_account(&p, t0 + 2500000000ull, 1, 1);
	assert_true(bench_pacer_done(&p));
	assert_int_equal(bench_pacer_owed(&p, UINT64_MAX, 32), 0);
	bench_pacer_stats(&p, &st);
	assert_int_equal(st.intended, 7);
	assert_int_equal(st.offered, 7);
	assert_int_equal(st.refused, 1);
	/* A duration cuts the trace: frames due before t0 + 2 ms only. */
	c.duration = 5000000; /* 2 ms in ticks */
	assert_int_equal(bench_pacer_init(&p, &c), 0);
	bench_pacer_start(&p, t0);
	assert_int_equal(bench_pacer_total(&p), 3);
	/* Bad configurations. */
	c.trace_ns = NULL;
	assert_int_equal(bench_pacer_init(&p, &c), -EINVAL);
	c.trace_ns = t;
	c.count = 0;
	assert_int_equal(bench_pacer_init(&p, &c), -EINVAL);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	if (getenv("LCX_TEST_KEEP") != NULL)
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load_mixed),	    cmocka_unit_test(test_pcapng),
	    cmocka_unit_test(test_build_by_tshark), cmocka_unit_test(test_ipv4_checksum_kept),
	    cmocka_unit_test(test_bad_files),	    cmocka_unit_test(test_trace_pacer),
	    cmocka_unit_test(test_mutated_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
