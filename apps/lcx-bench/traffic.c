/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-bench's traffic options and their hooks (traffic.h): --flow (flow.c)
 * and --pcap-replay (replay.c). Without either, nothing here is active and
 * gen.c builds its IPv4 frames as before.
 */

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <jansson.h>

#include "applog.h"
#include "bench.h"
#include "flow.h"
#include "replay.h"
#include "traffic.h"

static struct {
	const char *flow_text;
	struct bench_flow flow;
	bool flow_set;
	uint64_t seed;
	bool seed_set;
	const char *replay_path;
	const char *timing_text;
	bool timing_rate; /* --replay-timing=rate */
	const char *mult_text;
	double mult;
	/* set up by traffic_check() */
	struct bench_flow_walk walk;
	struct bench_flow_walk odo; /* the same spec walked incrementing: flow k's tuple */
	struct bench_frame_conf fc;
	struct bench_replay *rp;
	uint64_t *sig_before; /* n + 1: signable frames before frame i */
	uint64_t *trace_ns;   /* the file's times / the multiplier */
} tr = {.seed = 1, .mult = 1.0};

static const char *const names[] = {
    "--flow", "--flow-seed", "--pcap-replay", "--replay-timing", "--replay-multiplier", NULL,
};

bool
traffic_is_option(const char *arg)
{
	for (unsigned int i = 0; names[i] != NULL; i++) {
		size_t n = strlen(names[i]);

		if (strncmp(arg, names[i], n) == 0 && (arg[n] == '=' || arg[n] == '\0'))
			return true;
	}
	return false;
}

bool
traffic_option(const char *name, const char *val)
{
	char err[256];

	if (strcmp(name, "--flow") == 0) {
		if (bench_parse_flow(val, &tr.flow, err, sizeof(err)) < 0)
			die(EXIT_USAGE, "--flow=%s: %s", val, err);
		tr.flow_text = val;
		tr.flow_set = true;
	} else if (strcmp(name, "--flow-seed") == 0) {
		int ret = app_parse_u64(val, 0, UINT64_MAX, &tr.seed);

		if (ret < 0)
			die(EXIT_USAGE, "--flow-seed=%s: %s", val, app_parse_why(ret));
		tr.seed_set = true;
	} else if (strcmp(name, "--pcap-replay") == 0) {
		if (*val == '\0')
			die(EXIT_USAGE, "--pcap-replay: a capture file (pcap or pcapng)");
		tr.replay_path = val;
	} else if (strcmp(name, "--replay-timing") == 0) {
		if (strcmp(val, "file") == 0)
			tr.timing_rate = false;
		else if (strcmp(val, "rate") == 0)
			tr.timing_rate = true;
		else
			die(EXIT_USAGE,
			    "--replay-timing=%s: file (the capture's own times) or "
			    "rate (--rate)",
			    val);
		tr.timing_text = val;
	} else if (strcmp(name, "--replay-multiplier") == 0) {
		char *end;

		errno = 0;
		tr.mult = strtod(val, &end);
		if (*val == '\0' || *end != '\0' || errno != 0 || !(tr.mult >= 0.001) ||
		    !(tr.mult <= 1000))
			die(EXIT_USAGE, "--replay-multiplier=%s: a number in [0.001, 1000]", val);
		tr.mult_text = val;
	} else {
		return false;
	}
	return true;
}

unsigned int
traffic_min_frame(void)
{
	return tr.flow_set ? bench_frame_min(tr.flow.family) : BENCH_SIG_MIN_FRAME_V4;
}

bool
traffic_is_replay(void)
{
	return tr.replay_path != NULL;
}

bool
traffic_rate_optional(void)
{
	return tr.replay_path != NULL && !tr.timing_rate;
}

static void
replay_load(unsigned int frame_room)
{
	char err[512];
	int ret = bench_replay_open(tr.replay_path, frame_room, &tr.rp, err, sizeof(err));
	uint64_t n;

	if (ret < 0)
		die(ret == -ENOMEM ? 1 : EXIT_USAGE, "--pcap-replay: %s", err);
	n = tr.rp->n;
	tr.sig_before = malloc((n + 1) * sizeof(*tr.sig_before));
	tr.trace_ns = malloc(n * sizeof(*tr.trace_ns));
	if (tr.sig_before == NULL || tr.trace_ns == NULL)
		die(1, "--pcap-replay: out of memory");
	tr.sig_before[0] = 0;
	for (uint64_t i = 0; i < n; i++) {
		tr.sig_before[i + 1] = tr.sig_before[i] + bench_replay_signable(tr.rp, i);
		tr.trace_ns[i] = (uint64_t)((double)tr.rp->t_ns[i] / tr.mult);
	}
	app_log_raw(APP_LOG_NOTICE,
		    "%s: %s: %" PRIu64 " frames to replay (%" PRIu64 " with a signature, %" PRIu64
		    " without) over %.6f s; not replayed: %" PRIu64
		    " captured shorter than sent, %" PRIu64 " longer than %u bytes",
		prog, tr.replay_path, n, tr.rp->signable, n - tr.rp->signable,
		(double)tr.rp->t_ns[n - 1] / 1e9, tr.rp->skipped_truncated, tr.rp->skipped_too_big,
		frame_room);
}

void
traffic_check(void)
{
	if (tr.flow_set && opt.mode == BENCH_MODE_RFC2544)
		for (unsigned int k = 0; k < opt.nb_frame_sizes; k++)
			if (opt.frame_sizes[k] < traffic_min_frame())
				die(EXIT_USAGE,
				    "--frame-sizes=%s: %u bytes: an IPv6 --flow needs "
				    "frames of at least %u bytes",
				    opt.frame_sizes_text, opt.frame_sizes[k], traffic_min_frame());
	if (tr.seed_set && !(tr.flow_set && tr.flow.vary == BENCH_FLOW_RAND))
		die(EXIT_USAGE, "--flow-seed: only with --flow=...,vary=rand");
	if (tr.replay_path == NULL) {
		if (tr.timing_text != NULL || tr.mult_text != NULL)
			die(EXIT_USAGE, "--%s: only with --pcap-replay",
			    tr.timing_text != NULL ? "replay-timing" : "replay-multiplier");
	} else {
		if (tr.flow_set)
			die(EXIT_USAGE, "--flow and --pcap-replay: one traffic source only");
		if (opt.mode != BENCH_MODE_RUN)
			die(EXIT_USAGE, "--pcap-replay: MODE run only (a replay is one pass of its "
					"file, not a load a search can set)");
		if (tr.timing_rate && opt.rate_text == NULL)
			die(EXIT_USAGE, "--replay-timing=rate needs --rate");
		if (!tr.timing_rate && opt.rate_text != NULL)
			die(EXIT_USAGE, "--rate with --pcap-replay: the file's own timing is used; "
					"give --replay-timing=rate to send it at --rate");
		if (tr.timing_rate && tr.mult_text != NULL)
			die(EXIT_USAGE, "--replay-multiplier: only with --replay-timing=file");
		if (strcmp(opt.sizes_text, "64") != 0)
			die(EXIT_USAGE,
			    "--frame-size with --pcap-replay: the file's frames are sent "
			    "as they are");
		replay_load(BENCH_FRAME_MAX - BENCH_FCS_LEN);
		/* The sizes are the file's: the figures say so, the pool holds its largest. */
		opt.sizes_text = "pcap";
		opt.sizes.lo = opt.sizes.hi = BENCH_SIG_MIN_FRAME_V4;
		for (uint64_t i = 0; i < tr.rp->n; i++)
			if (bench_replay_len(tr.rp, i) + BENCH_FCS_LEN > opt.sizes.hi)
				opt.sizes.hi =
				    (uint16_t)(bench_replay_len(tr.rp, i) + BENCH_FCS_LEN);
	}
	if (tr.flow_set && bench_flow_walk_init(&tr.walk, &tr.flow, tr.seed) < 0)
		die(EXIT_USAGE, "--flow=%s: cannot walk it", tr.flow_text);
	if (tr.flow_set) {
		struct bench_flow inc = tr.flow;

		inc.vary = BENCH_FLOW_INC;
		if (bench_flow_walk_init(&tr.odo, &inc, 0) < 0)
			die(EXIT_USAGE, "--flow=%s: cannot walk it", tr.flow_text);
	}
	tr.fc.family = tr.flow.family;
}

double
traffic_mean_frame(double sizes_mean)
{
	return tr.rp != NULL ? bench_replay_mean_frame(tr.rp) : sizes_mean;
}

double
traffic_file_pps(void)
{
	uint64_t n = tr.rp->n;
	uint64_t span = tr.trace_ns[n - 1];

	/* frames / span; a file of one instant: all at once (the pacer's rate is not used). */
	return span > 0 ? (double)(n > 1 ? n - 1 : 1) * 1e9 / (double)span : 1e9;
}

uint64_t
traffic_run_ns(uint64_t duration_ns, bool duration_set, double rate_pps)
{
	uint64_t file_ns;

	if (tr.rp == NULL)
		return duration_ns;
	file_ns = tr.timing_rate ? (uint64_t)((double)tr.rp->n / rate_pps * 1e9)
				 : tr.trace_ns[tr.rp->n - 1];
	return duration_set && duration_ns < file_ns ? duration_ns : file_ns;
}

void
traffic_trial_req(struct bench_trial_req *req, bool duration_set)
{
	if (tr.rp == NULL)
		return;
	req->count = tr.rp->n;
	if (!duration_set)
		req->duration_ns = 0;
}

void
traffic_pacer_conf(struct bench_pacer_conf *pc)
{
	if (tr.rp == NULL)
		return;
	if (pc->count == 0 || pc->count > tr.rp->n)
		pc->count = tr.rp->n;
	if (!tr.timing_rate) {
		pc->pattern = BENCH_PACER_TRACE;
		pc->trace_ns = tr.trace_ns;
	}
}

bool
traffic_active(void)
{
	return tr.flow_set || tr.rp != NULL;
}

void
traffic_gen_init(const uint8_t src_mac[6], const uint8_t dst_mac[6])
{
	memcpy(tr.fc.src_mac, src_mac, 6);
	memcpy(tr.fc.dst_mac, dst_mac, 6);
}

int
traffic_frame_fill(uint8_t *p, size_t room, unsigned int size, uint16_t stream, uint64_t seq,
		   uint64_t tx_ns)
{
	struct bench_sig sig = {.stream = stream, .seq = seq, .tx_ns = tx_ns};

	if (tr.rp != NULL) {
		if (seq >= tr.rp->n)
			return -ERANGE;
		sig.seq = tr.sig_before[seq];
		return bench_replay_build(tr.rp, seq, p, room, &sig);
	}
	struct bench_tuple t;

	bench_flow_tuple(&tr.walk, seq, &t);
	return bench_frame_write(p, room, &tr.fc, &t, size, &sig);
}

uint64_t
traffic_signed(uint64_t offered)
{
	if (tr.rp == NULL)
		return offered;
	return tr.sig_before[offered < tr.rp->n ? offered : tr.rp->n];
}

int
traffic_sig_read(const void *frame, size_t len, struct bench_sig *sig)
{
	struct bench_frame_info fi;
	int ret = bench_frame_parse(frame, len, &fi);

	if (ret < 0)
		return ret;
	return bench_sig_read((const uint8_t *)frame + fi.payload_off, fi.payload_len, sig);
}

uint64_t
traffic_flow_tuples(void)
{
	return tr.flow_set ? bench_flow_walk_period(&tr.walk) : 0;
}

int64_t
traffic_flow_of(const void *frame, size_t len)
{
	struct bench_frame_info fi;
	uint64_t k;

	if (!tr.flow_set || bench_frame_parse(frame, len, &fi) < 0 ||
	    fi.family != tr.flow.family || bench_flow_index(&tr.walk, &fi.t, &k) < 0 ||
	    k > INT64_MAX)
		return -1;
	return (int64_t)k;
}

bool
traffic_flow_is(uint64_t seq, uint64_t index)
{
	struct bench_tuple t;
	uint64_t k;

	if (tr.flow.vary == BENCH_FLOW_INC)
		return seq % bench_flow_walk_period(&tr.walk) == index;
	bench_flow_tuple(&tr.walk, seq, &t);
	return bench_flow_index(&tr.walk, &t, &k) == 0 && k == index;
}

void
traffic_flow_sent(uint64_t offered, struct bench_flows *f)
{
	uint64_t p = f->tuples;

	for (unsigned int k = 0; k < f->counted; k++)
		f->flow[k].sent = 0;
	f->beyond_cap.sent = 0;
	if (tr.flow.vary == BENCH_FLOW_INC) {
		/* the numbers i with i mod p == k: floor(offered / p), one more when
		 * k < offered mod p */
		for (unsigned int k = 0; k < f->counted; k++)
			f->flow[k].sent = offered / p + (k < offered % p ? 1 : 0);
		uint64_t counted = 0;

		for (unsigned int k = 0; k < f->counted; k++)
			counted += f->flow[k].sent;
		f->beyond_cap.sent = offered - counted;
		return;
	}
	for (uint64_t i = 0; i < offered; i++) {
		struct bench_tuple t;
		uint64_t k;

		bench_flow_tuple(&tr.walk, i, &t);
		if (bench_flow_index(&tr.walk, &t, &k) == 0 && k < f->counted)
			f->flow[k].sent++;
		else
			f->beyond_cap.sent++;
	}
}

static json_t *
flow_count_json(const struct bench_flow_count *c)
{
	return json_pack("{sIsIsIsI}", "sent", (json_int_t)c->sent, "received",
			 (json_int_t)c->received, "late", (json_int_t)c->late, "lost",
			 (json_int_t)c->lost);
}

json_t *
traffic_flows_json(const struct bench_flows *f)
{
	json_t *o, *a;

	if (f == NULL)
		return json_null();
	o = json_object();
	a = json_array();
	for (unsigned int k = 0; k < f->counted; k++) {
		struct bench_tuple t;
		char src[64], dst[64];
		json_t *e = flow_count_json(&f->flow[k]);
		int fam = tr.flow.family;

		bench_flow_tuple(&tr.odo, k, &t);
		inet_ntop(fam, t.src, src, sizeof(src));
		inet_ntop(fam, t.dst, dst, sizeof(dst));
		json_object_set_new(e, "index", json_integer(k));
		json_object_set_new(e, "src", json_string(src));
		json_object_set_new(e, "dst", json_string(dst));
		json_object_set_new(e, "sport", json_integer(t.sport));
		json_object_set_new(e, "dport", json_integer(t.dport));
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "tuples", json_integer((json_int_t)f->tuples));
	json_object_set_new(o, "cap", json_integer(BENCH_FLOWS_MAX));
	json_object_set_new(o, "capped", json_boolean(f->tuples > f->counted));
	json_object_set_new(o, "counted", json_integer(f->counted));
	json_object_set_new(o, "per_flow", a);
	json_object_set_new(o, "beyond_cap", f->tuples > f->counted
						  ? flow_count_json(&f->beyond_cap)
						  : json_null());
	json_object_set_new(o, "unknown", json_integer((json_int_t)f->unknown));
	json_object_set_new(o, "mismatch", json_integer((json_int_t)f->mismatch));
	return o;
}

json_t *
traffic_config_json(void)
{
	json_t *o = json_object();

	json_object_set_new(o, "source",
			    json_string(tr.rp != NULL ? "pcap-replay"
					: tr.flow_set ? "flow"
						      : "fixed"));
	json_object_set_new(o, "family",
			    json_integer(tr.flow_set && tr.flow.family == AF_INET6 ? 6 : 4));
	if (tr.flow_set) {
		json_object_set_new(o, "flow", json_string(tr.flow_text));
		json_object_set_new(o, "vary",
				    json_string(tr.flow.vary == BENCH_FLOW_RAND ? "rand" : "inc"));
		json_object_set_new(o, "tuples",
				    json_integer((json_int_t)bench_flow_walk_period(&tr.walk)));
		json_object_set_new(o, "seed",
				    tr.flow.vary == BENCH_FLOW_RAND
					? json_integer((json_int_t)tr.seed)
					: json_null());
	}
	if (tr.rp != NULL) {
		const struct bench_replay *rp = tr.rp;

		json_object_set_new(
		    o, "replay",
		    json_pack("{sssssfsIsIsIsIsIsIsf}", "file", tr.replay_path, "timing",
			      tr.timing_rate ? "rate" : "file", "multiplier", tr.mult, "records",
			      (json_int_t)rp->records, "frames", (json_int_t)rp->n, "signable",
			      (json_int_t)rp->signable, "skipped_truncated",
			      (json_int_t)rp->skipped_truncated, "skipped_too_big",
			      (json_int_t)rp->skipped_too_big, "ts_backwards",
			      (json_int_t)rp->ts_backwards, "span_s",
			      (double)rp->t_ns[rp->n - 1] / 1e9));
	}
	return o;
}

json_t *
traffic_trial_json(const struct bench_trial_result *r)
{
	uint64_t s = traffic_signed(r->tx.offered);

	return json_pack("{sIsI}", "offered_signed", (json_int_t)s, "offered_unsigned",
			 (json_int_t)(r->tx.offered - s));
}

void
traffic_text(FILE *f, const struct bench_trial_result *r)
{
	if (tr.flow_set)
		fprintf(f, "  flow %s: IPv%d, %" PRIu64 " tuples, %s\n", tr.flow_text,
			tr.flow.family == AF_INET6 ? 6 : 4, bench_flow_walk_period(&tr.walk),
			tr.flow.vary == BENCH_FLOW_RAND ? "random" : "incrementing");
	if (tr.rp != NULL) {
		uint64_t s = traffic_signed(r->tx.offered);

		fprintf(f,
			"  replay %s at %s timing: %" PRIu64 " of %" PRIu64
			" frames offered, %" PRIu64 " with a signature, %" PRIu64
			" without (counted unsigned, not "
			"lost)\n",
			tr.replay_path, tr.timing_rate ? "rate" : "file", r->tx.offered, tr.rp->n,
			s, r->tx.offered - s);
	}
}
