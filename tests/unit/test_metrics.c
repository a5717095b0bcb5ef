/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The metrics endpoint (lcx/metrics.h): requests served, bad requests
 * answered and counted, slow and idle clients closed, many clients, the
 * writer's escaping and rules, the library's own families (contexts, ports
 * of a fake driver), destruction.
 *
 * The server runs on an LCX_LAUNCH_NONE context driven with
 * lcx_context_run_once() on a manual clock, one throttle per step, so every
 * step reacts. Clients are TCP sockets of the test thread on 127.0.0.1,
 * read between steps.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <lcx/driver/port.h>
#include <lcx/lcx.h>

#include "unit_ctx.h"

#define MS 1000000ull
#define THROTTLE MS
#define IDLE (50 * MS)
/* Steps to wait for something the server should do within a few. */
#define PATIENCE 200

enum mode { M_PLAIN, M_ESCAPE, M_RULES, M_FAIL, M_BIG, M_DESTROY };

struct fix {
	struct unit_fix u; /* first */
	struct lcx_metrics *m;
	enum mode mode;
	unsigned int big; /* M_BIG: samples to write */
	unsigned int collects;
	int rets[64]; /* M_RULES: what each writer call returned */
	unsigned int nrets;
};

static int
setup(void **state)
{
	return unit_fix_setup(state, sizeof(struct fix), "metrics", THROTTLE);
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	lcx_metrics_destroy(f->m);
	unit_fix_free(&f->u);
	return 0;
}


/* --- the program's families --- */

static void
rec(struct fix *f, int r)
{
	if (f->nrets < 64)
		f->rets[f->nrets++] = r;
}

static int
collect(struct lcx_metrics_writer *w, void *arg)
{
	struct fix *f = arg;
	const struct lcx_metrics_label l1 = {"k", "v"};

	f->collects++;
	switch (f->mode) {
	case M_PLAIN:
		assert_int_equal(lcx_metrics_family(w, "test_requests_total", LCX_METRICS_COUNTER,
						    "Requests.", NULL),
				 0);
		assert_int_equal(lcx_metrics_sample_u64(w, &l1, 1, 42), 0);
		assert_int_equal(lcx_metrics_family(w, "test_temperature_celsius",
						    LCX_METRICS_GAUGE, "Heat.", "celsius"),
				 0);
		assert_int_equal(lcx_metrics_sample(w, NULL, 0, 21.5), 0);
		assert_int_equal(lcx_metrics_sample(w, &l1, 1, NAN), 0);
		assert_int_equal(
		    lcx_metrics_sample(w, (struct lcx_metrics_label[]){{"k", "p"}}, 1, INFINITY),
		    0);
		assert_int_equal(
		    lcx_metrics_sample(w, (struct lcx_metrics_label[]){{"k", "n"}}, 1, -INFINITY),
		    0);
		assert_int_equal(
		    lcx_metrics_sample(w, (struct lcx_metrics_label[]){{"k", "t"}}, 1, 0.1), 0);
		assert_int_equal(lcx_metrics_sample_u64(
				     w, (struct lcx_metrics_label[]){{"k", "big"}}, 1, UINT64_MAX),
				 0);
		return 0;
	case M_ESCAPE: {
		const struct lcx_metrics_label l[2] = {
		    {"a", "back\\slash \"quote\" new\nline"},
		    {"b", "bad \xff\xfe utf8 \xc3\xa9 \xe2\x82"},
		};

		assert_int_equal(lcx_metrics_family(w, "test_esc", LCX_METRICS_GAUGE,
						    "Help with \\ and\nnewline and \"quotes\".",
						    NULL),
				 0);
		assert_int_equal(lcx_metrics_sample_u64(w, l, 2, 1), 0);
		return 0;
	}
	case M_RULES: {
		struct lcx_metrics_label many[17];

		for (int i = 0; i < 17; i++) {
			static char names[17][8];

			snprintf(names[i], sizeof(names[i]), "l%d", i);
			many[i] = (struct lcx_metrics_label){names[i], "x"};
		}
		/* 0: a sample before any family */
		rec(f, lcx_metrics_sample_u64(w, NULL, 0, 1));
		/* 1-9: bad families */
		rec(f, lcx_metrics_family(w, "1abc", LCX_METRICS_GAUGE, "h", NULL));
		rec(f, lcx_metrics_family(w, "a-b", LCX_METRICS_GAUGE, "h", NULL));
		rec(f, lcx_metrics_family(w, "", LCX_METRICS_GAUGE, "h", NULL));
		rec(f, lcx_metrics_family(w, "test_c", LCX_METRICS_COUNTER, "h", NULL));
		rec(f, lcx_metrics_family(w, "test_g_total", LCX_METRICS_GAUGE, "h", NULL));
		rec(f, lcx_metrics_family(w, "test_ms", LCX_METRICS_GAUGE, "h", "seconds"));
		rec(f, lcx_metrics_family(w, "test_x_count", LCX_METRICS_GAUGE, "h", NULL));
		rec(f, lcx_metrics_family(w, "test_nohelp", LCX_METRICS_GAUGE, "", NULL));
		rec(f, lcx_metrics_family(w, "test_type", (enum lcx_metrics_type)9, "h", NULL));
		/* 10: a sample after a refused family */
		rec(f, lcx_metrics_sample_u64(w, NULL, 0, 1));
		/* 11: a good one; 12: the same name again (not counted as a family) */
		rec(f, lcx_metrics_family(w, "test_ok_seconds_total", LCX_METRICS_COUNTER, "h",
					  "seconds"));
		rec(f,
		    lcx_metrics_family(w, "test_ok_seconds_total", LCX_METRICS_COUNTER, "h", NULL));
		/* 13: samples of test_ok... are refused since the refused family */
		rec(f, lcx_metrics_sample_u64(w, NULL, 0, 1));
		rec(f, lcx_metrics_family(w, "test_good_total", LCX_METRICS_COUNTER, "h", NULL));
		/* 15-22: bad samples of a counter */
		rec(f, lcx_metrics_sample(w, NULL, 0, -1.0));
		rec(f, lcx_metrics_sample(w, NULL, 0, NAN));
		rec(f, lcx_metrics_sample(w, (struct lcx_metrics_label[]){{"__x", "v"}}, 1, 1));
		rec(f, lcx_metrics_sample(w, (struct lcx_metrics_label[]){{"le", "v"}}, 1, 1));
		rec(f,
		    lcx_metrics_sample(w, (struct lcx_metrics_label[]){{"quantile", "1"}}, 1, 1));
		rec(f, lcx_metrics_sample(w, (struct lcx_metrics_label[]){{"a", "v"}, {"a", "w"}},
					  2, 1));
		rec(f, lcx_metrics_sample(w, many, 17, 1));
		rec(f, lcx_metrics_sample(w, (struct lcx_metrics_label[]){{"a", NULL}}, 1, 1));
		/* 23: a good sample with 16 labels */
		rec(f, lcx_metrics_sample(w, many, 16, 2));
		/* 24-25: a summary: a sample without quantile, one with */
		rec(f,
		    lcx_metrics_family(w, "test_lat_seconds", LCX_METRICS_SUMMARY, "h", "seconds"));
		rec(f, lcx_metrics_sample(w, NULL, 0, 1));
		rec(f, lcx_metrics_sample(w, (struct lcx_metrics_label[]){{"quantile", "0.5"}}, 1,
					  0.25));
		/* NULL writer */
		rec(f, lcx_metrics_family(NULL, "x", LCX_METRICS_GAUGE, "h", NULL));
		rec(f, lcx_metrics_sample(NULL, NULL, 0, 1));
		return 0;
	}
	case M_FAIL:
		assert_int_equal(
		    lcx_metrics_family(w, "test_partial", LCX_METRICS_GAUGE, "h", NULL), 0);
		return -EIO;
	case M_BIG:
		assert_int_equal(
		    lcx_metrics_family(w, "test_big", LCX_METRICS_GAUGE, "A lot.", NULL), 0);
		for (unsigned int i = 0; i < f->big; i++) {
			char v[16];
			struct lcx_metrics_label l = {"i", v};
			int r;

			snprintf(v, sizeof(v), "%u", i);
			r = lcx_metrics_sample_u64(w, &l, 1, i);
			if (r < 0) {
				rec(f, r);
				return r;
			}
		}
		return 0;
	case M_DESTROY:
		lcx_metrics_destroy(f->m);
		f->m = NULL;
		return 0;
	}
	return 0;
}

static void
start_conf(struct fix *f, struct lcx_metrics_conf *conf)
{
	if (conf->listen == NULL)
		conf->listen = "127.0.0.1:0";
	if (conf->idle_ns == 0)
		conf->idle_ns = IDLE;
	conf->collect = collect;
	conf->arg = f;
	assert_int_equal(lcx_metrics_create(f->u.ctx, conf, &f->m), 0);
	assert_true(lcx_metrics_listen_port(f->m) != 0);
}

static void
start(struct fix *f)
{
	struct lcx_metrics_conf conf = {0};

	start_conf(f, &conf);
}

static struct lcx_metrics_stats
stats(struct fix *f)
{
	struct lcx_metrics_stats st;

	assert_int_equal(lcx_metrics_stats(f->m, &st), 0);
	return st;
}

/* --- clients --- */

static int
cl_connect_buf(struct fix *f, int rcvbuf)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(lcx_metrics_listen_port(f->m)),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	if (rcvbuf > 0)
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static int
cl_connect(struct fix *f)
{
	return cl_connect_buf(f, 0);
}

static void
cl_send(int fd, const void *buf, size_t n)
{
	assert_int_equal(send(fd, buf, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Send it all, stepping the server while the socket is full. */
static void
cl_send_all(struct fix *f, int fd, const char *buf, size_t n)
{
	for (int i = 0; n > 0 && i < 10 * PATIENCE; i++) {
		ssize_t k = send(fd, buf, n, MSG_NOSIGNAL);

		if (k > 0) {
			buf += k;
			n -= (size_t)k;
		} else {
			assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
			unit_step(&f->u);
		}
	}
	assert_int_equal(n, 0);
}

struct resp {
	char *data;
	size_t len;
	bool eof;
	bool reset;
};

/* Read what is there now; note the end of the stream. */
static void
cl_drain(int fd, struct resp *r, size_t most)
{
	char buf[65536];
	size_t got = 0;

	while (!r->eof && got < most) {
		size_t want = most - got < sizeof(buf) ? most - got : sizeof(buf);
		ssize_t n = recv(fd, buf, want, 0);

		if (n > 0) {
			r->data = realloc(r->data, r->len + (size_t)n + 1);
			assert_non_null(r->data);
			memcpy(r->data + r->len, buf, (size_t)n);
			r->len += (size_t)n;
			r->data[r->len] = '\0';
			got += (size_t)n;
		} else if (n == 0) {
			r->eof = true;
		} else if (errno == ECONNRESET) {
			r->eof = r->reset = true;
		} else {
			break;
		}
	}
}

/* Step until the server closed fd's stream; fd is closed. */
static struct resp
cl_wait(struct fix *f, int fd)
{
	struct resp r = {0};

	for (int i = 0; i < PATIENCE && !r.eof; i++) {
		unit_step(&f->u);
		cl_drain(fd, &r, SIZE_MAX);
	}
	assert_true(r.eof);
	close(fd);
	unit_steps(&f->u, 2); /* the server sees our close and lets the client go */
	if (r.data == NULL)
		r.data = calloc(1, 1);
	return r;
}

static struct resp
exchange(struct fix *f, const char *req)
{
	int fd = cl_connect(f);

	cl_send(fd, req, strlen(req));
	return cl_wait(f, fd);
}

static int
code_of(const struct resp *r)
{
	int code = 0;

	if (sscanf(r->data, "HTTP/1.1 %d ", &code) != 1)
		return -1;
	return code;
}

static const char *
body_of(const struct resp *r)
{
	const char *b = strstr(r->data, "\r\n\r\n");

	assert_non_null(b);
	return b + 4;
}

static long
content_length(const struct resp *r)
{
	const char *h = strstr(r->data, "\r\nContent-Length: ");

	assert_non_null(h);
	return strtol(h + 18, NULL, 10);
}

/* The value of the sample line "NAME{LABELS} VALUE" (or "NAME VALUE"); -1 if absent. */
static double
sample_of(const char *body, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = body; p != NULL && *p != '\0';) {
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

static void
resp_free(struct resp *r)
{
	free(r->data);
	r->data = NULL;
}

/* --- tests --- */

static void
test_scrape(void **state)
{
	struct fix *f = *state;
	struct resp r;
	const char *b;
	char series[128];

	start(f);
	unit_steps(&f->u, 5);
	r = exchange(f, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
	assert_int_equal(code_of(&r), 200);
	assert_non_null(
	    strstr(r.data, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_non_null(strstr(r.data, "\r\nConnection: close\r\n"));
	b = body_of(&r);
	assert_int_equal(content_length(&r), (long)strlen(b));
	/* The program's families, as written. */
	assert_non_null(strstr(b, "# HELP test_requests_total Requests.\n"
				  "# TYPE test_requests_total counter\n"
				  "test_requests_total{k=\"v\"} 42\n"));
	assert_non_null(strstr(b, "# TYPE test_temperature_celsius gauge\n"
				  "test_temperature_celsius 21.5\n"
				  "test_temperature_celsius{k=\"v\"} NaN\n"
				  "test_temperature_celsius{k=\"p\"} +Inf\n"
				  "test_temperature_celsius{k=\"n\"} -Inf\n"
				  "test_temperature_celsius{k=\"t\"} 0.1\n"
				  "test_temperature_celsius{k=\"big\"} 18446744073709551615\n"));
	/* The context's families: its figures on the manual clock. */
	struct lcx_context_stats cs;

	assert_int_equal(lcx_context_stats(f->u.ctx, &cs), 0);
	snprintf(series, sizeof(series), "lcx_context_throttle_seconds{context=\"%s\"}",
		 lcx_context_name(f->u.ctx));
	assert_true(sample_of(b, series) == 0.001);
	snprintf(series, sizeof(series), "lcx_context_reacts_total{context=\"%s\"}",
		 lcx_context_name(f->u.ctx));
	/* Read during the scrape's own iteration: at most what the context says now. */
	assert_true(sample_of(b, series) >= 5 && sample_of(b, series) <= (double)cs.reacts);
	assert_non_null(strstr(b, "# TYPE lcx_context_timer_lateness_seconds summary\n"));
	snprintf(series, sizeof(series),
		 "lcx_context_timer_lateness_seconds{context=\"%s\",quantile=\"0.99\"}",
		 lcx_context_name(f->u.ctx));
	assert_true(sample_of(b, series) >= 0);
	/* No port registered: no port family. */
	assert_null(strstr(b, "lcx_port_"));
	assert_true(sample_of(b, "lcx_metrics_write_errors_total") == 0);
	resp_free(&r);

	/* HEAD: the same headers, no body. */
	r = exchange(f, "HEAD /metrics?x=1 HTTP/1.0\r\n\r\n");
	assert_int_equal(code_of(&r), 200);
	assert_true(content_length(&r) > 1000);
	assert_string_equal(body_of(&r), "");
	resp_free(&r);

	assert_int_equal(f->collects, 2);
	struct lcx_metrics_stats st = stats(f);

	assert_int_equal(st.scrapes, 2);
	assert_int_equal(st.accepted, 2);
	assert_int_equal(st.write_errors, 0);
	assert_int_equal(st.clients, 0);
}

static void
test_bad_requests(void **state)
{
	struct fix *f = *state;
	static const struct {
		const char *req;
		int code;
	} cases[] = {
	    {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 200},
	    {"GET /?q HTTP/1.0\n\n", 200},
	    {"GET /nope HTTP/1.1\r\n\r\n", 404},
	    {"GET /metrics/ HTTP/1.1\r\n\r\n", 404},
	    {"HEAD /nope HTTP/1.1\r\n\r\n", 404},
	    {"POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 405},
	    {"get /metrics HTTP/1.1\r\n\r\n", 405},
	    {"DELETE / HTTP/1.0\r\n\r\n", 405},
	    {"GET /metrics HTTP/2.0\r\n\r\n", 505},
	    {"GET /metrics HTTP/0.9\r\n\r\n", 505},
	    {"\x16\x03\x01\x02\xfc\x01\xff\xfe\x03\x03\r\n\r\n", 400},
	    {"GET /metrics\r\n\r\n", 400},
	    {"GET  /metrics HTTP/1.1\r\n\r\n", 400},
	    {"GET metrics HTTP/1.1\r\n\r\n", 400},
	    {"GET /metrics HTTP/1.1 \r\n\r\n", 400},
	    {"GET /metrics HTTP/1.1\r\nNo colon here\r\n\r\n", 400},
	    {"GET /metrics HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400},
	    {"GET /metrics HTTP/1.1\r\nX: a\x01b\r\n\r\n", 400},
	    {"GET /metrics HTTP/1.1\r\n: empty name\r\n\r\n", 400},
	    {"\r\n\r\n", 400},
	};
	unsigned int want[600] = {0};
	struct lcx_metrics_stats st;
	struct resp r;

	start(f);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = exchange(f, cases[i].req);
		if (code_of(&r) != cases[i].code)
			fail_msg("request %zu (%s): %d, expected %d", i, cases[i].req, code_of(&r),
				 cases[i].code);
		if (cases[i].code == 405)
			assert_non_null(strstr(r.data, "\r\nAllow: GET, HEAD\r\n"));
		if (cases[i].code == 200)
			assert_non_null(strstr(r.data, "<a href=\"/metrics\">"));
		want[cases[i].code]++;
		resp_free(&r);
	}
	/* A request cut short by the client's shutdown: 400. */
	int fd = cl_connect(f);

	cl_send(fd, "GET /metr", 9);
	shutdown(fd, SHUT_WR);
	r = cl_wait(f, fd);
	assert_int_equal(code_of(&r), 400);
	want[400]++;
	resp_free(&r);
	/* Connected and gone without a byte: nothing to answer, nothing counted. */
	fd = cl_connect(f);
	close(fd);
	unit_steps(&f->u, 3);

	st = stats(f);
	assert_int_equal(st.pages, want[200]);
	assert_int_equal(st.not_found, want[404]);
	assert_int_equal(st.bad_methods, want[405]);
	assert_int_equal(st.bad_versions, want[505]);
	assert_int_equal(st.bad_requests, want[400]);
	assert_int_equal(st.scrapes, 0);
	assert_int_equal(st.clients, 0);
	/* The scrape says the same. */
	r = exchange(f, "GET /metrics HTTP/1.1\r\n\r\n");
	assert_int_equal(code_of(&r), 200);
	assert_true(sample_of(body_of(&r), "lcx_metrics_http_responses_total{code=\"400\"}") ==
		    want[400]);
	assert_true(sample_of(body_of(&r), "lcx_metrics_http_responses_total{code=\"404\"}") ==
		    want[404]);
	assert_true(sample_of(body_of(&r), "lcx_metrics_http_responses_total{code=\"405\"}") ==
		    want[405]);
	assert_true(sample_of(body_of(&r), "lcx_metrics_http_responses_total{code=\"505\"}") ==
		    want[505]);
	assert_true(sample_of(body_of(&r), "lcx_metrics_http_responses_total{code=\"200\"}") ==
		    want[200]);
	resp_free(&r);
}

static void
test_split_and_long(void **state)
{
	struct fix *f = *state;
	struct lcx_metrics_conf conf = {.request_max = 256};
	const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	char big[400];
	struct resp r = {0};
	int fd;

	start_conf(f, &conf);
	/* One byte per step: the end of the headers is found across reads. */
	fd = cl_connect(f);
	for (size_t i = 0; i < strlen(req); i++) {
		cl_send(fd, req + i, 1);
		unit_step(&f->u);
		cl_drain(fd, &r, SIZE_MAX);
		if (i + 1 < strlen(req))
			assert_int_equal(r.len, 0);
	}
	free(r.data);
	r = cl_wait(f, fd);
	assert_int_equal(code_of(&r), 200);
	resp_free(&r);
	/* Longer than request_max without its blank line: 431. */
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "GET /", 5);
	big[sizeof(big) - 1] = '\0';
	r = exchange(f, big);
	assert_int_equal(code_of(&r), 431);
	resp_free(&r);
	/* Exactly request_max with its blank line: served. */
	memset(big, 0, sizeof(big));
	snprintf(big, sizeof(big), "GET /metrics HTTP/1.1\r\nX: ");
	memset(big + strlen(big), 'b', 256 - strlen(big) - 4);
	strcat(big, "\r\n\r\n");
	assert_int_equal(strlen(big), 256);
	r = exchange(f, big);
	assert_int_equal(code_of(&r), 200);
	resp_free(&r);
	assert_int_equal(stats(f).too_long, 1);
	assert_int_equal(stats(f).scrapes, 2);
}

static void
test_idle_clients(void **state)
{
	struct fix *f = *state;
	struct resp r = {0}, s = {0};
	int quiet, slow;

	start(f);
	quiet = cl_connect(f);
	slow = cl_connect(f);
	unit_steps(&f->u, 2);
	assert_int_equal(stats(f).clients, 2);
	/* A byte per step from slow: bytes that trickle do not extend the deadline. */
	for (unsigned int i = 0; i < IDLE / THROTTLE - 5; i++) {
		cl_send(slow, "X-Header: y\r\n" + (i % 13), 1);
		unit_step(&f->u);
	}
	cl_drain(quiet, &r, SIZE_MAX);
	cl_drain(slow, &s, SIZE_MAX);
	assert_false(r.eof);
	assert_false(s.eof);
	assert_int_equal(stats(f).clients, 2);
	unit_steps(&f->u, 10);
	cl_drain(quiet, &r, SIZE_MAX);
	cl_drain(slow, &s, SIZE_MAX);
	assert_true(r.eof);
	assert_true(s.eof);
	assert_non_null(r.data);
	assert_int_equal(code_of(&r), 408);
	assert_int_equal(stats(f).idle_closed, 2);
	assert_int_equal(stats(f).clients, 0);
	close(quiet);
	close(slow);
	free(r.data);
	free(s.data);
}

static void
test_slow_reader(void **state)
{
	struct fix *f = *state;
	struct resp r = {0};
	const char *req = "GET /metrics HTTP/1.1\r\n\r\n";
	int fd, i;
	long len;

	f->mode = M_BIG;
	f->big = 400000; /* about 10 MB: more than the socket buffers hold */
	start(f);
	/* A reader that takes 32 KiB a step gets it all, over many idle periods. */
	fd = cl_connect_buf(f, 16384);
	cl_send(fd, req, strlen(req));
	for (i = 0; i < 20 * PATIENCE && !r.eof; i++) {
		unit_step(&f->u);
		cl_drain(fd, &r, 32768);
	}
	assert_true(r.eof);
	assert_true(i > 2 * (int)(IDLE / THROTTLE)); /* it took longer than idle_ns */
	len = content_length(&r);
	assert_int_equal((long)strlen(body_of(&r)), len);
	assert_true(len > 8000000);
	close(fd);
	resp_free(&r);
	assert_int_equal(stats(f).idle_closed, 0);
	/* One that stops reading is closed idle_ns after the last byte moved. */
	memset(&r, 0, sizeof(r));
	fd = cl_connect_buf(f, 16384);
	cl_send(fd, req, strlen(req));
	unit_steps(&f->u, 5);
	cl_drain(fd, &r, 65536);
	assert_true(r.len > 0);
	unit_steps(&f->u, (int)(IDLE / THROTTLE) + 5);
	assert_int_equal(stats(f).idle_closed, 1);
	assert_int_equal(stats(f).clients, 0);
	cl_drain(fd, &r, SIZE_MAX);
	assert_true(r.eof);
	assert_true(r.len < (size_t)len); /* cut */
	close(fd);
	resp_free(&r);
}

static void
test_linger(void **state)
{
	struct fix *f = *state;
	char *req = malloc(200000);
	struct resp r = {0};
	int fd, i;

	/*
	 * A request followed by bytes the server never reads as a request, and
	 * a reply larger than the socket buffers: a server that closed as soon
	 * as the socket took the last byte would have its kernel reset the
	 * connection and drop what the client had not received yet.
	 */
	assert_non_null(req);
	size_t hlen = strlen(strcpy(req, "GET /metrics HTTP/1.1\r\n\r\n"));

	memset(req + hlen, 'z', 100000);
	f->mode = M_BIG;
	f->big = 200000; /* about 5 MB */
	start(f);
	fd = cl_connect_buf(f, 16384);
	cl_send_all(f, fd, req, hlen + 100000);
	for (i = 0; i < 20 * PATIENCE && !r.eof; i++) {
		unit_step(&f->u);
		cl_drain(fd, &r, 65536);
	}
	assert_true(r.eof);
	assert_false(r.reset);
	assert_int_equal(code_of(&r), 200);
	assert_int_equal((long)strlen(body_of(&r)), content_length(&r));
	assert_true(content_length(&r) > 4000000);
	close(fd);
	unit_steps(&f->u, 2);
	assert_int_equal(stats(f).clients, 0);
	resp_free(&r);
	free(req);
}

static void
test_many_clients(void **state)
{
	struct fix *f = *state;
	struct lcx_metrics_conf conf = {.clients_max = 4};
	const char *req = "GET /metrics HTTP/1.1\r\n\r\n";
	int fd[6];
	struct resp r;

	start_conf(f, &conf);
	for (int i = 0; i < 6; i++)
		fd[i] = cl_connect(f);
	unit_steps(&f->u, 3);
	assert_int_equal(stats(f).clients, 4);
	assert_int_equal(stats(f).refused_full, 2);
	for (int i = 4; i < 6; i++) {
		r = cl_wait(f, fd[i]);
		assert_int_equal(code_of(&r), 503);
		resp_free(&r);
	}
	for (int i = 0; i < 4; i++)
		cl_send(fd[i], req, strlen(req));
	for (int i = 0; i < 4; i++) {
		r = cl_wait(f, fd[i]);
		assert_int_equal(code_of(&r), 200);
		resp_free(&r);
	}
	/* Many in turn. */
	for (int i = 0; i < 100; i++) {
		r = exchange(f, req);
		assert_int_equal(code_of(&r), 200);
		resp_free(&r);
	}
	assert_int_equal(stats(f).scrapes, 104);
	assert_int_equal(stats(f).accepted, 104);
	assert_int_equal(stats(f).clients, 0);
}

static void
test_escaping(void **state)
{
	struct fix *f = *state;
	struct resp r;

	f->mode = M_ESCAPE;
	start(f);
	r = exchange(f, "GET /metrics HTTP/1.1\r\n\r\n");
	assert_int_equal(code_of(&r), 200);
	assert_non_null(strstr(body_of(&r),
			       "# HELP test_esc Help with \\\\ and\\nnewline and \"quotes\".\n"
			       "# TYPE test_esc gauge\n"
			       "test_esc{a=\"back\\\\slash \\\"quote\\\" new\\nline\","
			       "b=\"bad ?? utf8 \xc3\xa9 ??\"} 1\n"));
	resp_free(&r);
}

static void
test_writer_rules(void **state)
{
	struct fix *f = *state;
	static const int want[] = {
	    -EINVAL, /* sample before a family */
	    -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL,
	    -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, /* sample after refusal */
	    0,	     -EEXIST, -EINVAL,			 /* twice; its sample */
	    0,						 /* test_good_total */
	    -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL,
	    -EINVAL, -EINVAL, -EINVAL, 0, /* 16 labels */
	    0,	     -EINVAL, 0,	  /* summary */
	    -EINVAL, -EINVAL,		  /* NULL writer */
	};
	unsigned int refused = 0;
	struct resp r;
	const char *b;

	f->mode = M_RULES;
	start(f);
	r = exchange(f, "GET /metrics HTTP/1.1\r\n\r\n");
	assert_int_equal(code_of(&r), 200);
	assert_int_equal(f->nrets, sizeof(want) / sizeof(want[0]));
	for (unsigned int i = 0; i < f->nrets; i++) {
		if (f->rets[i] != want[i])
			fail_msg("writer call %u: %d, expected %d", i, f->rets[i], want[i]);
		refused += f->rets[i] != 0;
	}
	/* Every refusal counted, but those with no writer to count in. */
	assert_int_equal(stats(f).write_errors, refused - 2);
	b = body_of(&r);
	assert_null(strstr(b, "1abc"));
	assert_null(strstr(b, "test_c "));
	assert_null(strstr(b, "test_g_total"));
	assert_null(strstr(b, "__x"));
	assert_non_null(strstr(b, "# TYPE test_ok_seconds_total counter\n# HELP test_good_total"));
	assert_non_null(strstr(b, "# TYPE test_good_total counter\ntest_good_total{l0=\"x\","));
	assert_non_null(strstr(b, "l15=\"x\"} 2\n# HELP test_lat_seconds"));
	assert_non_null(strstr(b, "# TYPE test_lat_seconds summary\n"
				  "test_lat_seconds{quantile=\"0.5\"} 0.25\n"));
	resp_free(&r);
	r = exchange(f, "GET /metrics HTTP/1.1\r\n\r\n");
	/* The next scrape shows the first one's (its own come after the library's families). */
	assert_true(sample_of(body_of(&r), "lcx_metrics_write_errors_total") == refused - 2);
	resp_free(&r);
}

static void
test_collect_fails(void **state)
{
	struct fix *f = *state;
	struct lcx_metrics_conf conf = {.body_max = 16384};
	struct resp r;

	f->mode = M_FAIL;
	start_conf(f, &conf);
	r = exchange(f, "GET /metrics HTTP/1.1\r\n\r\n");
	assert_int_equal(code_of(&r), 500);
	assert_null(strstr(r.data, "test_partial"));
	resp_free(&r);
	/* A body past body_max: 500, not a cut scrape. */
	f->mode = M_BIG;
	f->big = 10000;
	f->nrets = 0;
	r = exchange(f, "GET /metrics HTTP/1.1\r\n\r\n");
	assert_int_equal(code_of(&r), 500);
	assert_int_equal(f->nrets, 1);
	assert_int_equal(f->rets[0], -ENOBUFS);
	resp_free(&r);
	/* Small enough: served. */
	f->big = 10;
	r = exchange(f, "GET /metrics HTTP/1.1\r\n\r\n");
	assert_int_equal(code_of(&r), 200);
	assert_true(sample_of(body_of(&r), "test_big{i=\"9\"}") == 9);
	resp_free(&r);
	assert_int_equal(stats(f).collect_failed, 2);
	assert_int_equal(stats(f).scrapes, 1);
}

/* --- ports: a fake driver whose stats are set by the test --- */

struct fake_dev {
	struct lcx_port_stats st;
	int fail;
	int q;
};

static int
fk_create(struct lcx_port_dev *dev)
{
	struct fake_dev *p = dev->priv;

	snprintf(dev->name, sizeof(dev->name), "fk:%s", dev->conf.devargs);
	dev->socket_id = 0;
	dev->rxq[0] = &p->q;
	dev->txq[0] = &p->q;
	return 0;
}

static void
fk_destroy(struct lcx_port_dev *dev)
{
	(void)dev;
}

static int
fk_start(struct lcx_port_dev *dev)
{
	(void)dev;
	return 0;
}

static int
fk_stop(struct lcx_port_dev *dev)
{
	(void)dev;
	return 0;
}

static int
fk_stats(struct lcx_port_dev *dev, struct lcx_port_stats *out)
{
	struct fake_dev *p = dev->priv;

	if (p->fail)
		return -EIO;
	out->rx_missed += p->st.rx_missed;
	out->rx_errors += p->st.rx_errors;
	out->tx_errors += p->st.tx_errors;
	out->rx_nombuf += p->st.rx_nombuf;
	return 0;
}

static uint16_t
fk_rx(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	(void)q;
	(void)pkts;
	(void)n;
	return 0;
}

static uint16_t
fk_tx(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	(void)q;
	(void)pkts;
	return n;
}

static const struct lcx_port_ops fk_ops = {
    .name = "metrics-fake",
    .priv_size = sizeof(struct fake_dev),
    .create = fk_create,
    .destroy = fk_destroy,
    .start = fk_start,
    .stop = fk_stop,
    .stats = fk_stats,
    .rx_burst = fk_rx,
    .tx_burst = fk_tx,
};

static void
test_ports(void **state)
{
	struct fix *f = *state;
	struct lcx_port_conf pc = {.driver = "metrics-fake", .devargs = "a"};
	struct lcx_port *a, *b;
	struct fake_dev *da, *db;
	struct resp r;
	const char *body;

	int ret = lcx_port_driver_register(&fk_ops);

	assert_true(ret == 0 || ret == -EEXIST);
	assert_int_equal(lcx_port_create(&pc, &a), 0);
	pc.devargs = "b";
	assert_int_equal(lcx_port_create(&pc, &b), 0);
	da = lcx_port_to_dev(a)->priv;
	db = lcx_port_to_dev(b)->priv;
	da->st.rx_missed = 7;
	da->st.tx_errors = 3;
	db->st.rx_errors = 11;
	db->st.rx_nombuf = 5;
	start(f);
	assert_int_equal(lcx_metrics_port_add(f->m, a, NULL), 0);
	assert_int_equal(lcx_metrics_port_add(f->m, a, "other"), -EEXIST);
	assert_int_equal(lcx_metrics_port_add(f->m, b, "fk:a"), -EEXIST);
	assert_int_equal(lcx_metrics_port_add(f->m, b, ""), -EINVAL);
	assert_int_equal(lcx_metrics_port_add(f->m, NULL, "x"), -EINVAL);
	assert_int_equal(lcx_metrics_port_add(f->m, b, "second \"port\""), 0);

	r = exchange(f, "GET /metrics HTTP/1.1\r\n\r\n");
	assert_int_equal(code_of(&r), 200);
	body = body_of(&r);
	assert_true(sample_of(body, "lcx_port_rx_missed_total{port=\"fk:a\"}") == 7);
	assert_true(sample_of(body, "lcx_port_tx_errors_total{port=\"fk:a\"}") == 3);
	assert_true(sample_of(body, "lcx_port_rx_errors_total{port=\"fk:a\"}") == 0);
	assert_true(sample_of(body, "lcx_port_rx_errors_total{port=\"second \\\"port\\\"\"}") ==
		    11);
	assert_true(sample_of(body, "lcx_port_rx_nombuf_total{port=\"second \\\"port\\\"\"}") == 5);
	assert_true(sample_of(body, "lcx_port_rx_packets_total{port=\"fk:a\"}") == 0);
	assert_true(sample_of(body, "lcx_port_info{port=\"fk:a\",driver=\"metrics-fake\"}") == 1);
	assert_non_null(strstr(body,
			       "# TYPE lcx_port_rx_packets_total counter\n"
			       "lcx_port_rx_packets_total{port=\"fk:a\"} 0\n"
			       "lcx_port_rx_packets_total{port=\"second \\\"port\\\"\"} 0\n"));
	resp_free(&r);

	/* A port whose reading fails is left out, and counted. */
	db->fail = 1;
	r = exchange(f, "GET /metrics HTTP/1.1\r\n\r\n");
	assert_int_equal(code_of(&r), 200);
	assert_true(
	    sample_of(body_of(&r), "lcx_port_rx_errors_total{port=\"second \\\"port\\\"\"}") == -1);
	assert_true(sample_of(body_of(&r), "lcx_port_rx_missed_total{port=\"fk:a\"}") == 7);
	assert_true(sample_of(body_of(&r), "lcx_metrics_port_errors_total") == 1);
	resp_free(&r);

	assert_int_equal(lcx_metrics_port_remove(f->m, b), 0);
	assert_int_equal(lcx_metrics_port_remove(f->m, b), -ENOENT);
	assert_int_equal(lcx_metrics_port_remove(f->m, a), 0);
	r = exchange(f, "GET /metrics HTTP/1.1\r\n\r\n");
	assert_null(strstr(body_of(&r), "lcx_port_"));
	resp_free(&r);
	lcx_port_destroy(a);
	lcx_port_destroy(b);
}

static void
test_listen_args(void **state)
{
	struct fix *f = *state;
	static const char *const bad[] = {
	    "",
	    "abc",
	    "1.2.3.4",
	    "127.0.0.1:65536",
	    "127.0.0.1:",
	    ":80",
	    "::1:80",
	    "[::1]80",
	    "[::1]:",
	    "[]:80",
	    "localhost:80",
	    "127.0.0.1:8a",
	    "127.0.0.1:-1",
	    "127.0.0.1:123456",
	    "[127.0.0.1]:80",
	    "1.2.3.4.5:80",
	};
	struct lcx_metrics_conf conf = {0};
	struct lcx_metrics *m = NULL, *m2 = NULL;
	char buf[64];
	int r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		conf.listen = bad[i];
		r = lcx_metrics_create(f->u.ctx, &conf, &m);
		if (r != -EINVAL)
			fail_msg("listen \"%s\": %d, expected -EINVAL", bad[i], r);
	}
	conf.listen = NULL;
	assert_int_equal(lcx_metrics_create(f->u.ctx, &conf, &m), -EINVAL);
	conf.listen = "0";
	assert_int_equal(lcx_metrics_create(NULL, &conf, &m), -EINVAL);
	assert_int_equal(lcx_metrics_create(f->u.ctx, NULL, &m), -EINVAL);
	assert_int_equal(lcx_metrics_create(f->u.ctx, &conf, NULL), -EINVAL);
	conf.clients_max = 5000;
	assert_int_equal(lcx_metrics_create(f->u.ctx, &conf, &m), -EINVAL);
	conf.clients_max = 0;
	conf.request_max = 10;
	assert_int_equal(lcx_metrics_create(f->u.ctx, &conf, &m), -EINVAL);
	conf.request_max = 0;
	conf.body_max = 100;
	assert_int_equal(lcx_metrics_create(f->u.ctx, &conf, &m), -EINVAL);
	conf.body_max = 0;
	conf.idle_ns = 1000;
	assert_int_equal(lcx_metrics_create(f->u.ctx, &conf, &m), -EINVAL);
	conf.idle_ns = 0;

	/* "PORT" alone: loopback. */
	assert_int_equal(lcx_metrics_create(f->u.ctx, &conf, &m), 0);
	snprintf(buf, sizeof(buf), "127.0.0.1:%u", lcx_metrics_listen_port(m));
	assert_string_equal(lcx_metrics_address(m), buf);
	/* The same port again: in use. */
	snprintf(buf, sizeof(buf), "127.0.0.1:%u", lcx_metrics_listen_port(m));
	conf.listen = buf;
	assert_int_equal(lcx_metrics_create(f->u.ctx, &conf, &m2), -EADDRINUSE);
	lcx_metrics_destroy(m);
	/* Now free again (SO_REUSEADDR: no wait for TIME_WAIT). */
	assert_int_equal(lcx_metrics_create(f->u.ctx, &conf, &m), 0);
	lcx_metrics_destroy(m);
	conf.listen = "192.0.2.1:0"; /* not ours */
	assert_int_equal(lcx_metrics_create(f->u.ctx, &conf, &m), -EADDRNOTAVAIL);
	/* IPv6 loopback, where lo has it. */
	conf.listen = "[::1]:0";
	r = lcx_metrics_create(f->u.ctx, &conf, &m);
	if (r == 0) {
		snprintf(buf, sizeof(buf), "[::1]:%u", lcx_metrics_listen_port(m));
		assert_string_equal(lcx_metrics_address(m), buf);
		lcx_metrics_destroy(m);
	} else {
		assert_true(r == -EADDRNOTAVAIL || r == -EAFNOSUPPORT);
	}
	assert_int_equal(lcx_metrics_listen_port(NULL), 0);
	assert_string_equal(lcx_metrics_address(NULL), "");
	lcx_metrics_destroy(NULL);
	assert_int_equal(lcx_metrics_stats(NULL, NULL), -EINVAL);
}

static void
test_destroy(void **state)
{
	struct fix *f = *state;
	struct resp r;
	int fd[3];

	/* With clients in every state. */
	f->mode = M_BIG;
	f->big = 200000;
	start(f);
	fd[0] = cl_connect(f);		 /* reading */
	fd[1] = cl_connect_buf(f, 4096); /* writing: does not read */
	cl_send(fd[1], "GET /metrics HTTP/1.1\r\n\r\n", 25);
	unit_steps(&f->u, 5);
	fd[2] = cl_connect(f);
	assert_int_equal(stats(f).clients, 2);
	lcx_metrics_destroy(f->m);
	f->m = NULL;
	for (int i = 0; i < 3; i++) {
		struct resp x = {0};

		for (int k = 0; k < PATIENCE && !x.eof; k++) {
			struct pollfd p = {.fd = fd[i], .events = POLLIN};

			poll(&p, 1, 50);
			cl_drain(fd[i], &x, SIZE_MAX);
		}
		assert_true(x.eof);
		close(fd[i]);
		free(x.data);
	}
	unit_steps(&f->u, 3);

	/* From its own collect: that scrape gets no reply; the server is gone after. */
	f->mode = M_DESTROY;
	start(f);
	r = exchange(f, "GET /metrics HTTP/1.1\r\n\r\n");
	assert_int_equal(r.len, 0);
	assert_null(f->m);
	resp_free(&r);

	/* After the context stopped: memory only. */
	f->mode = M_PLAIN;
	start(f);
	fd[0] = cl_connect(f);
	unit_steps(&f->u, 2);
	assert_int_equal(lcx_context_stop(f->u.ctx), 0);
	lcx_metrics_destroy(f->m);
	f->m = NULL;
	close(fd[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_scrape, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_split_and_long, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idle_clients, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_slow_reader, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_linger, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_clients, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_escaping, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writer_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_collect_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ports, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_listen_args, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_destroy, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
