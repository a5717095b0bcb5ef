/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Prometheus endpoint (include/lcx/metrics.h): a TCP listener and its
 * clients on one context, built on the stream-server core (stream_srv.h: the
 * accept turn, the client list, the flush, the idle timer, destruction from
 * a callback) as the control server (ctl.c) is; here every client makes one
 * HTTP request, gets one reply and goes. Nothing here blocks.
 *
 * A client goes through three states: READ (its request line and headers
 * gather in in[], at most request_max bytes; the reply is made when the blank
 * line arrives), WRITE (the reply goes out as the socket takes it) and LINGER
 * (our side shut down, what the client still sends is read and dropped until
 * it closes). A client's deadline (the core's last_active + idle_ns) is set
 * at accept, moved by a write that sent bytes and at each change of state,
 * never by what it sends; the core's idle timer closes the clients past
 * theirs, a 408 first to one still in READ.
 *
 * A scrape is written by the writer (struct lcx_metrics_writer) into one heap
 * buffer that keeps HDR_ROOM bytes in front of the body, so the status line
 * and headers, made when the body's length is known, go right before it and
 * the reply is sent from one buffer. The library's own families go through
 * the same public writer functions as the program's, so the same checks hold
 * for both.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lcx/metrics.h>
#include <lcx/port.h>
#include <lcx/version.h>

#include "lcx_private.h"
#include "stream_srv.h"

#define LCX_DIM(a) (sizeof(a) / sizeof((a)[0]))

/* Room for the status line and headers in front of a body. */
#define HDR_ROOM 256u
/* A body's first allocation. */
#define BODY_FIRST (16u * 1024)
/* Bytes a lingering client may still send; bytes read per turn while lingering. */
#define LINGER_MAX (1u << 20)
#define LINGER_TURN (64u * 1024)
/* Connections accepted per turn of the listener before the others run. */
#define ACCEPT_TURN 64u
/* Limits of the configuration. */
#define CLIENTS_LIMIT 4096u
#define REQUEST_MIN 64u
#define REQUEST_LIMIT (1u << 20)
#define BODY_MIN 4096u
#define IDLE_MIN_NS 1000000ull
/* Longest family name, label name and port label; most labels of a sample. */
#define NAME_MAX_LEN 200u
#define PORT_LABEL_MAX 64u
#define LABELS_MAX 16u
/* Writer refusals logged one by one; past that only counted. */
#define WRITE_ERRORS_LOGGED 8u

enum cstate {
	C_READ,	  /* the request gathers */
	C_WRITE,  /* the reply goes out */
	C_LINGER, /* our side shut down: drop what comes until the client closes */
};

struct client {
	struct lcx__stream_client base; /* first: fd, waiters, task, deadline, the reply in out */
	enum cstate state;
	size_t lingered; /* bytes dropped while lingering */
	size_t in_len;	/* bytes of the request in in[] */
	size_t in_scan; /* in[0, in_scan) holds no end of the headers */
	char in[];	/* request_max */
};

struct mport {
	struct lcx_port *port;
	char label[PORT_LABEL_MAX];
};

struct lcx_metrics_writer {
	struct lcx_metrics *m;
	char *buf;  /* HDR_ROOM bytes, then the body */
	size_t len; /* bytes used, HDR_ROOM included */
	size_t cap;
	int fatal;   /* -ENOBUFS or -ENOMEM: the scrape fails */
	bool fam_ok; /* a family is open: samples may follow */
	enum lcx_metrics_type type;
	const char *fam; /* its name (in names[]) */
	char **names;	 /* family names of this scrape */
	unsigned int nb_names;
	unsigned int cap_names;
};

struct lcx_metrics {
	struct lcx__stream_srv base; /* first: ctx, the listener, the clients, the idle timer */
	lcx_metrics_collect_fn collect;
	void *arg;
	uint32_t clients_max;
	uint32_t request_max;
	uint32_t body_max;
	struct lcx_metrics_stats st;
	struct mport *ports;
	uint32_t nb_ports;
	uint32_t cap_ports;
	uint16_t lport;
	char addr[INET6_ADDRSTRLEN + 16];
};

static struct lcx_metrics *
metrics_of(struct lcx__stream_srv *s)
{
	return container_of(s, struct lcx_metrics, base);
}

static struct client *
client_of(struct lcx__stream_client *c)
{
	return container_of(c, struct client, base);
}

static struct lcx_metrics *
m_of(const struct client *c)
{
	return metrics_of(c->base.srv);
}

/* ------------------------------------------------------------------------- */
/* The writer                                                                */
/* ------------------------------------------------------------------------- */

static bool
name_ok(const char *s, bool colon)
{
	if (s == NULL || s[0] == '\0' || strlen(s) > NAME_MAX_LEN || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || (colon && *s == ':')))
			return false;
	return true;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* Count and log a refused writer call. */
static int
refuse(struct lcx_metrics_writer *w, int err, const char *what, const char *name)
{
	if (w->m->st.write_errors++ < WRITE_ERRORS_LOGGED)
		LCX_LOG(WARNING, "%s: metrics: %s%s%s: left out of the scrape",
			lcx_context_name(w->m->base.ctx), what, name != NULL ? ": " : "",
			name != NULL ? name : "");
	return err;
}

static int
grow(struct lcx_metrics_writer *w, size_t more)
{
	size_t need = w->len + more;
	size_t cap;
	char *p;

	if (w->fatal != 0)
		return w->fatal;
	if (need > HDR_ROOM + (size_t)w->m->body_max) {
		w->fatal = -ENOBUFS;
		return w->fatal;
	}
	if (need <= w->cap)
		return 0;
	cap = w->cap != 0 ? w->cap : HDR_ROOM + BODY_FIRST;
	while (cap < need)
		cap *= 2;
	if (cap > HDR_ROOM + (size_t)w->m->body_max)
		cap = HDR_ROOM + (size_t)w->m->body_max;
	p = realloc(w->buf, cap);
	if (p == NULL) {
		w->fatal = -ENOMEM;
		return w->fatal;
	}
	w->buf = p;
	w->cap = cap;
	return 0;
}

static int
put(struct lcx_metrics_writer *w, const char *s, size_t n)
{
	int r = grow(w, n);

	if (r < 0)
		return r;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	return 0;
}

static int
puts_(struct lcx_metrics_writer *w, const char *s)
{
	return put(w, s, strlen(s));
}

/*
 * Text escaped as the format asks: a backslash and a newline always, a
 * double quote in label values (quote). Bytes that are not UTF-8 become '?'.
 */
static int
put_escaped(struct lcx_metrics_writer *w, const char *s, bool quote)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	int r = 0;

	while (n > 0 && r == 0) {
		size_t k = lcx__utf8_len(p, n);

		if (k == 0) {
			r = put(w, "?", 1);
			k = 1;
		} else if (*p == '\\') {
			r = put(w, "\\\\", 2);
		} else if (*p == '\n') {
			r = put(w, "\\n", 2);
		} else if (*p == '"' && quote) {
			r = put(w, "\\\"", 2);
		} else {
			r = put(w, (const char *)p, k);
		}
		p += k;
		n -= k;
	}
	return r;
}

static bool
name_seen(const struct lcx_metrics_writer *w, const char *name)
{
	for (unsigned int i = 0; i < w->nb_names; i++)
		if (strcmp(w->names[i], name) == 0)
			return true;
	return false;
}

static const char *const type_names[] = {
    [LCX_METRICS_COUNTER] = "counter",
    [LCX_METRICS_GAUGE] = "gauge",
    [LCX_METRICS_SUMMARY] = "summary",
    [LCX_METRICS_UNTYPED] = "untyped",
};

int
lcx_metrics_family(struct lcx_metrics_writer *w, const char *name, enum lcx_metrics_type type,
		   const char *help, const char *unit)
{
	char suffix[NAME_MAX_LEN + 16];
	char *copy;
	bool counter = type == LCX_METRICS_COUNTER;

	if (w == NULL)
		return -EINVAL;
	w->fam_ok = false;
	if (w->fatal != 0)
		return w->fatal;
	if (!name_ok(name, true))
		return refuse(w, -EINVAL, "bad family name", name);
	if ((unsigned int)type > LCX_METRICS_UNTYPED)
		return refuse(w, -EINVAL, "unknown type", name);
	if (help == NULL || help[0] == '\0')
		return refuse(w, -EINVAL, "no help text", name);
	if (counter != ends_with(name, "_total"))
		return refuse(w, -EINVAL,
			      counter ? "a counter's name must end in _total"
				      : "only a counter's name may end in _total",
			      name);
	if (ends_with(name, "_count") || ends_with(name, "_sum") || ends_with(name, "_bucket"))
		return refuse(w, -EINVAL, "a name ending in _count, _sum or _bucket", name);
	if (unit != NULL) {
		if (!name_ok(unit, false))
			return refuse(w, -EINVAL, "bad unit", name);
		snprintf(suffix, sizeof(suffix), "_%s%s", unit, counter ? "_total" : "");
		if (!ends_with(name, suffix))
			return refuse(w, -EINVAL, "the name does not end in its unit", name);
	}
	if (name_seen(w, name))
		return refuse(w, -EEXIST, "a family twice", name);
	if (w->nb_names == w->cap_names) {
		unsigned int cap = w->cap_names != 0 ? 2 * w->cap_names : 64;
		char **v = realloc(w->names, cap * sizeof(*v));

		if (v == NULL)
			return w->fatal = -ENOMEM;
		w->names = v;
		w->cap_names = cap;
	}
	copy = strdup(name);
	if (copy == NULL)
		return w->fatal = -ENOMEM;
	w->names[w->nb_names++] = copy;
	if (puts_(w, "# HELP ") < 0 || puts_(w, name) < 0 || put(w, " ", 1) < 0 ||
	    put_escaped(w, help, false) < 0 || puts_(w, "\n# TYPE ") < 0 || puts_(w, name) < 0 ||
	    put(w, " ", 1) < 0 || puts_(w, type_names[type]) < 0 || put(w, "\n", 1) < 0)
		return w->fatal;
	w->fam = copy;
	w->type = type;
	w->fam_ok = true;
	return 0;
}

/* Check a sample's labels (and its value, for a counter: finite, not
 * negative), then write the sample with its value already formatted. */
static int
sample_write(struct lcx_metrics_writer *w, const struct lcx_metrics_label *labels, unsigned int nb,
	     const char *value, bool value_ok)
{
	bool quantile = false;

	if (w == NULL)
		return -EINVAL;
	if (w->fatal != 0)
		return w->fatal;
	if (!w->fam_ok)
		return refuse(w, -EINVAL, "a sample without a family", NULL);
	if (nb > LABELS_MAX || (nb > 0 && labels == NULL))
		return refuse(w, -EINVAL, "too many labels", w->fam);
	for (unsigned int i = 0; i < nb; i++) {
		const char *ln = labels[i].name;

		if (!name_ok(ln, false) || strncmp(ln, "__", 2) == 0 || labels[i].value == NULL)
			return refuse(w, -EINVAL, "bad label", w->fam);
		for (unsigned int j = 0; j < i; j++)
			if (strcmp(labels[j].name, ln) == 0)
				return refuse(w, -EINVAL, "a label twice", w->fam);
		if (strcmp(ln, "le") == 0)
			return refuse(w, -EINVAL, "label le (histograms only)", w->fam);
		if (strcmp(ln, "quantile") == 0) {
			if (w->type != LCX_METRICS_SUMMARY)
				return refuse(w, -EINVAL, "label quantile (summaries only)",
					      w->fam);
			quantile = true;
		}
	}
	if (w->type == LCX_METRICS_SUMMARY && !quantile)
		return refuse(w, -EINVAL, "a summary's sample without quantile", w->fam);
	if (!value_ok)
		return refuse(w, -EINVAL, "a counter's value must be finite and not negative",
			      w->fam);
	if (puts_(w, w->fam) < 0)
		return w->fatal;
	for (unsigned int i = 0; i < nb; i++)
		if (put(w, i == 0 ? "{" : ",", 1) < 0 || puts_(w, labels[i].name) < 0 ||
		    put(w, "=\"", 2) < 0 || put_escaped(w, labels[i].value, true) < 0 ||
		    put(w, "\"", 1) < 0)
			return w->fatal;
	if ((nb > 0 && put(w, "}", 1) < 0) || put(w, " ", 1) < 0 || puts_(w, value) < 0 ||
	    put(w, "\n", 1) < 0)
		return w->fatal;
	return 0;
}

/* The shortest decimal that reads back as v; NaN and infinities as Prometheus spells them. */
static void
format_double(char *buf, size_t n, double v)
{
	if (isnan(v)) {
		snprintf(buf, n, "NaN");
	} else if (isinf(v)) {
		snprintf(buf, n, v > 0 ? "+Inf" : "-Inf");
	} else {
		snprintf(buf, n, "%.15g", v);
		if (strtod(buf, NULL) != v)
			snprintf(buf, n, "%.17g", v);
	}
}

int
lcx_metrics_sample(struct lcx_metrics_writer *w, const struct lcx_metrics_label *labels,
		   unsigned int nb_labels, double value)
{
	char buf[40];
	bool ok = true;

	if (w != NULL && w->fam_ok && w->type == LCX_METRICS_COUNTER)
		ok = isfinite(value) && value >= 0;
	format_double(buf, sizeof(buf), value);
	return sample_write(w, labels, nb_labels, buf, ok);
}

int
lcx_metrics_sample_u64(struct lcx_metrics_writer *w, const struct lcx_metrics_label *labels,
		       unsigned int nb_labels, uint64_t value)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, value);
	return sample_write(w, labels, nb_labels, buf, true);
}

/* A count of ns as seconds, every digit kept. */
static int
sample_ns(struct lcx_metrics_writer *w, const struct lcx_metrics_label *labels, unsigned int nb,
	  uint64_t ns)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64 ".%09" PRIu64, ns / 1000000000u, ns % 1000000000u);
	return sample_write(w, labels, nb, buf, true);
}

static void
writer_fini(struct lcx_metrics_writer *w)
{
	for (unsigned int i = 0; i < w->nb_names; i++)
		free(w->names[i]);
	free(w->names);
	free(w->buf);
}

/* ------------------------------------------------------------------------- */
/* The library's own families                                                */
/* ------------------------------------------------------------------------- */

struct ctx_reading {
	char name[LCX_NAME_MAX];
	struct lcx_context_stats st;
};

struct ctx_list {
	struct ctx_reading *v;
	unsigned int n;
	unsigned int cap;
	bool nomem;
};

static int
ctx_read(struct lcx_context *ctx, void *arg)
{
	struct ctx_list *l = arg;

	if (l->n == l->cap) {
		unsigned int cap = l->cap != 0 ? 2 * l->cap : 16;
		struct ctx_reading *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL) {
			l->nomem = true;
			return 1;
		}
		l->v = v;
		l->cap = cap;
	}
	snprintf(l->v[l->n].name, sizeof(l->v[l->n].name), "%s", ctx->name);
	lcx_context_stats(ctx, &l->v[l->n].st);
	l->n++;
	return 0;
}

#define CTX_FIELD(f) offsetof(struct lcx_context_stats, f)

static const struct ctx_family {
	const char *name;
	enum lcx_metrics_type type;
	const char *unit;
	size_t off;
	bool ns; /* the field is in ns: written as seconds */
	const char *help;
} ctx_families[] = {
    {"lcx_context_busy_seconds_total", LCX_METRICS_COUNTER, "seconds", CTX_FIELD(busy_ns), true,
     "Time the context's loop spent in iterations that did work."},
    {"lcx_context_idle_seconds_total", LCX_METRICS_COUNTER, "seconds", CTX_FIELD(idle_ns), true,
     "Time the context's loop spent in iterations that found nothing to do (not parked)."},
    {"lcx_context_parked_seconds_total", LCX_METRICS_COUNTER, "seconds", CTX_FIELD(parked_ns), true,
     "Time the context's loop spent parked (a park in progress counts up to now)."},
    {"lcx_context_iterations_total", LCX_METRICS_COUNTER, NULL, CTX_FIELD(iterations), false,
     "Loop iterations."},
    {"lcx_context_reacts_total", LCX_METRICS_COUNTER, NULL, CTX_FIELD(reacts), false,
     "React rounds (timers and epoll), at most one per throttle period."},
    {"lcx_context_tasks_run_total", LCX_METRICS_COUNTER, NULL, CTX_FIELD(tasks_run), false,
     "Task runs."},
    {"lcx_context_polled_items_total", LCX_METRICS_COUNTER, NULL, CTX_FIELD(polled_items), false,
     "Sum of what the pollers returned (packets received, for rx queues)."},
    {"lcx_context_io_events_total", LCX_METRICS_COUNTER, NULL, CTX_FIELD(io_events), false,
     "Epoll events delivered to waiters."},
    {"lcx_context_parks_total", LCX_METRICS_COUNTER, NULL, CTX_FIELD(parks), false, "Parks taken."},
    {"lcx_context_parks_cut_total", LCX_METRICS_COUNTER, NULL, CTX_FIELD(parks_cut), false,
     "Parks shortened by the ring budget (a polled rx ring could otherwise pass half full)."},
    {"lcx_context_parks_skipped_total", LCX_METRICS_COUNTER, NULL, CTX_FIELD(parks_skipped), false,
     "Idle iterations not parked: the ring budget left too little time."},
    {"lcx_context_unparks_total", LCX_METRICS_COUNTER, NULL, CTX_FIELD(unparks), false,
     "Parks ended early by an unpark."},
    {"lcx_context_idle_parks_total", LCX_METRICS_COUNTER, NULL, CTX_FIELD(idle_parks), false,
     "Parks past the throttle, taken after several idle reacts in a row."},
    {"lcx_context_timers_fired_total", LCX_METRICS_COUNTER, NULL, CTX_FIELD(timers_fired), false,
     "Timer callbacks run."},
    {"lcx_context_timer_ops_full_total", LCX_METRICS_COUNTER, NULL, CTX_FIELD(timer_ops_full),
     false, "Times another thread found the context's timer operation queue full (and retried)."},
    {"lcx_context_throttle_seconds", LCX_METRICS_GAUGE, "seconds", CTX_FIELD(throttle_ns), true,
     "The react period now; 0 busy polls."},
    {"lcx_context_park_overshoot_mean_seconds", LCX_METRICS_GAUGE, "seconds",
     CTX_FIELD(park_overshoot_avg_ns), true,
     "Moving mean of how far a park overshot its end (1/16 weight per park)."},
    {"lcx_context_park_overshoot_max_seconds", LCX_METRICS_GAUGE, "seconds",
     CTX_FIELD(park_overshoot_max_ns), true, "Largest park overshoot so far."},
    {"lcx_context_timer_early_max_seconds", LCX_METRICS_GAUGE, "seconds",
     CTX_FIELD(timer_early_max_ns), true,
     "Largest earliness of a regular timer so far (they may fire up to half a throttle early)."},
};

static void
write_contexts(struct lcx_metrics_writer *w, const struct ctx_list *l)
{
	static const struct {
		const char *q;
		size_t off;
	} quantiles[] = {
	    {"0.5", CTX_FIELD(timer_late_p50_ns)},
	    {"0.99", CTX_FIELD(timer_late_p99_ns)},
	    {"1", CTX_FIELD(timer_late_max_ns)},
	};

	for (size_t f = 0; f < LCX_DIM(ctx_families); f++) {
		const struct ctx_family *cf = &ctx_families[f];

		if (lcx_metrics_family(w, cf->name, cf->type, cf->help, cf->unit) < 0)
			continue;
		for (unsigned int i = 0; i < l->n; i++) {
			struct lcx_metrics_label lb = {"context", l->v[i].name};
			uint64_t v = *(const uint64_t *)((const char *)&l->v[i].st + cf->off);

			if (cf->ns)
				sample_ns(w, &lb, 1, v);
			else
				lcx_metrics_sample_u64(w, &lb, 1, v);
		}
	}
	if (lcx_metrics_family(
		w, "lcx_context_timer_lateness_seconds", LCX_METRICS_SUMMARY,
		"How late timers fired past their deadline, since the start: an upper "
		"bound of each quantile within about 6%; 1 is the largest.",
		"seconds") < 0)
		return;
	for (unsigned int i = 0; i < l->n; i++)
		for (size_t q = 0; q < LCX_DIM(quantiles); q++) {
			struct lcx_metrics_label lb[2] = {{"context", l->v[i].name},
							  {"quantile", quantiles[q].q}};

			sample_ns(
			    w, lb, 2,
			    *(const uint64_t *)((const char *)&l->v[i].st + quantiles[q].off));
		}
}

#define PORT_FIELD(f) offsetof(struct lcx_port_stats, f)

static const struct port_family {
	const char *name;
	const char *unit;
	size_t off;
	const char *help;
} port_families[] = {
    {"lcx_port_rx_packets_total", "packets", PORT_FIELD(rx_packets),
     "Packets received and handed to the program."},
    {"lcx_port_rx_bytes_total", "bytes", PORT_FIELD(rx_bytes),
     "Bytes received (the device's own count: 0 on devices that keep none, as net_null and "
     "net_ring)."},
    {"lcx_port_tx_packets_total", "packets", PORT_FIELD(tx_packets),
     "Packets handed to the device (those it then failed to send are in tx_errors too)."},
    {"lcx_port_tx_bytes_total", "bytes", PORT_FIELD(tx_bytes),
     "Bytes handed to the device (as rx_bytes)."},
    {"lcx_port_rx_missed_total", NULL, PORT_FIELD(rx_missed),
     "Packets dropped before the program saw them: the device's ring was full (socket ports: the "
     "kernel's drops)."},
    {"lcx_port_rx_nombuf_total", NULL, PORT_FIELD(rx_nombuf),
     "Receives that failed for want of an mbuf."},
    {"lcx_port_rx_errors_total", NULL, PORT_FIELD(rx_errors), "Receive errors."},
    {"lcx_port_tx_errors_total", NULL, PORT_FIELD(tx_errors), "Send errors."},
    {"lcx_port_tx_dropped_total", NULL, PORT_FIELD(tx_dropped),
     "Packets freed because the device's queue refused them."},
    {"lcx_port_link_downs_total", NULL, PORT_FIELD(link_downs),
     "Times the link was seen going from up to down."},
    {"lcx_port_restarts_total", NULL, PORT_FIELD(restarts),
     "Stops and starts of the device made to bring a down link back."},
    {"lcx_port_restart_failures_total", NULL, PORT_FIELD(restart_failures),
     "Of those restarts, the ones whose start failed."},
};

static void
write_ports(struct lcx_metrics_writer *w, const struct lcx_port_stats *ps, const bool *ok)
{
	struct lcx_metrics *m = w->m;

	if (m->nb_ports == 0)
		return;
	for (size_t f = 0; f < LCX_DIM(port_families); f++) {
		const struct port_family *pf = &port_families[f];

		if (lcx_metrics_family(w, pf->name, LCX_METRICS_COUNTER, pf->help, pf->unit) < 0)
			continue;
		for (uint32_t i = 0; i < m->nb_ports; i++) {
			struct lcx_metrics_label lb = {"port", m->ports[i].label};

			if (ok[i])
				lcx_metrics_sample_u64(
				    w, &lb, 1, *(const uint64_t *)((const char *)&ps[i] + pf->off));
		}
	}
	if (lcx_metrics_family(w, "lcx_port_info", LCX_METRICS_GAUGE,
			       "Always 1: the port's driver.", NULL) < 0)
		return;
	for (uint32_t i = 0; i < m->nb_ports; i++) {
		struct lcx_metrics_label lb[2] = {
		    {"port", m->ports[i].label},
		    {"driver", lcx_port_driver(m->ports[i].port)},
		};

		lcx_metrics_sample_u64(w, lb, 2, 1);
	}
}

static void
write_server(struct lcx_metrics_writer *w)
{
	const struct lcx_metrics_stats *st = &w->m->st;
	const struct {
		const char *code;
		uint64_t n;
	} codes[] = {
	    {"200", st->scrapes + st->pages},
	    {"400", st->bad_requests},
	    {"404", st->not_found},
	    {"405", st->bad_methods},
	    {"431", st->too_long},
	    {"500", st->collect_failed},
	    {"503", st->refused_full},
	    {"505", st->bad_versions},
	};
	struct lcx_metrics_label ver = {"version", lcx_version()};

	if (lcx_metrics_family(w, "lcx_build_info", LCX_METRICS_GAUGE,
			       "Always 1: the version of liblcx.", NULL) == 0)
		lcx_metrics_sample_u64(w, &ver, 1, 1);
	if (lcx_metrics_family(w, "lcx_metrics_http_responses_total", LCX_METRICS_COUNTER,
			       "Replies of this metrics endpoint by HTTP status, before this one.",
			       NULL) == 0)
		for (size_t i = 0; i < LCX_DIM(codes); i++) {
			struct lcx_metrics_label lb = {"code", codes[i].code};

			lcx_metrics_sample_u64(w, &lb, 1, codes[i].n);
		}
	if (lcx_metrics_family(w, "lcx_metrics_connections_total", LCX_METRICS_COUNTER,
			       "Connections taken on as clients.", NULL) == 0)
		lcx_metrics_sample_u64(w, NULL, 0, st->accepted);
	if (lcx_metrics_family(w, "lcx_metrics_idle_closed_total", LCX_METRICS_COUNTER,
			       "Clients closed: request or reply not done in time.", NULL) == 0)
		lcx_metrics_sample_u64(w, NULL, 0, st->idle_closed);
	if (lcx_metrics_family(w, "lcx_metrics_reset_total", LCX_METRICS_COUNTER,
			       "Clients that went away before their reply was sent.", NULL) == 0)
		lcx_metrics_sample_u64(w, NULL, 0, st->reset);
	if (lcx_metrics_family(w, "lcx_metrics_port_errors_total", LCX_METRICS_COUNTER,
			       "Port readings that failed (that port was left out of a scrape).",
			       NULL) == 0)
		lcx_metrics_sample_u64(w, NULL, 0, st->port_errors);
	/* Last: refusals of this scrape's own calls count too. */
	if (lcx_metrics_family(
		w, "lcx_metrics_write_errors_total", LCX_METRICS_COUNTER,
		"Writer calls refused (a bad name, label or value): left out of a scrape.",
		NULL) == 0)
		lcx_metrics_sample_u64(w, NULL, 0, st->write_errors);
}

/* Write a whole scrape. @return 0, or the collect's or the writer's -errno. */
static int
scrape(struct lcx_metrics *m, struct lcx_metrics_writer *w)
{
	struct ctx_list l = {0};
	struct lcx_port_stats *ps = NULL;
	bool *ok = NULL;
	int ret;

	if (grow(w, HDR_ROOM) < 0) /* the header room */
		return w->fatal;
	w->len = HDR_ROOM;
	lcx__context_foreach(ctx_read, &l);
	if (l.nomem) {
		free(l.v);
		return -ENOMEM;
	}
	if (m->nb_ports > 0) {
		ps = calloc(m->nb_ports, sizeof(*ps));
		ok = calloc(m->nb_ports, sizeof(*ok));
		if (ps == NULL || ok == NULL) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (uint32_t i = 0; i < m->nb_ports; i++) {
		ok[i] = lcx_port_stats(m->ports[i].port, &ps[i]) == 0;
		if (!ok[i])
			m->st.port_errors++;
	}
	write_contexts(w, &l);
	write_ports(w, ps, ok);
	write_server(w);
	ret = w->fatal;
	if (ret == 0 && m->collect != NULL) {
		w->fam_ok = false; /* the program's samples go in the program's families */
		ret = m->collect(w, m->arg);
		if (ret > 0)
			ret = 0;
		if (ret == 0)
			ret = w->fatal;
	}
out:
	free(ps);
	free(ok);
	free(l.v);
	return ret;
}

/* ------------------------------------------------------------------------- */
/* HTTP                                                                      */
/* ------------------------------------------------------------------------- */

static const char *
reason(int code)
{
	switch (code) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}

static const char page[] =
    "<!DOCTYPE html>\n<html><head><title>lcx metrics</title></head><body>\n"
    "<h1>lcx metrics</h1>\n<p><a href=\"/metrics\">/metrics</a>: Prometheus text format "
    "0.0.4</p>\n</body></html>\n";

#define TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"

/* Status line and headers for a body of len bytes. @return their length. */
static size_t
format_head(char *buf, size_t n, int code, const char *type, size_t len)
{
	int k = snprintf(buf, n,
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Cache-Control: no-store\r\n%sConnection: close\r\n\r\n",
			 code, reason(code), type, len, code == 405 ? "Allow: GET, HEAD\r\n" : "");

	return k > 0 && (size_t)k < n ? (size_t)k : 0;
}

/* Make the client's reply out of body (or an error text): base.out, out_off, out_len. */
static int
reply_make(struct client *c, int code, const char *type, const char *body, size_t len, bool head)
{
	char hdr[HDR_ROOM];
	size_t h = format_head(hdr, sizeof(hdr), code, type, len);

	free(c->base.out);
	c->base.out = malloc(h + (head ? 0 : len));
	if (c->base.out == NULL)
		return -ENOMEM;
	memcpy(c->base.out, hdr, h);
	if (!head)
		memcpy(c->base.out + h, body, len);
	c->base.out_off = 0;
	c->base.out_len = h + (head ? 0 : len);
	return 0;
}

static int
reply_error(struct client *c, int code, bool head)
{
	char body[80];
	int n = snprintf(body, sizeof(body), "%d %s\n", code, reason(code));

	return reply_make(c, code, "text/plain; charset=utf-8", body, (size_t)n, head);
}

/* Take the writer's buffer as the reply: the headers go in the room before the body. */
static void
reply_scrape(struct client *c, struct lcx_metrics_writer *w, bool head)
{
	char hdr[HDR_ROOM];
	size_t body = w->len - HDR_ROOM;
	size_t h = format_head(hdr, sizeof(hdr), 200, TYPE_METRICS, body);

	memcpy(w->buf + HDR_ROOM - h, hdr, h);
	free(c->base.out);
	c->base.out = w->buf;
	w->buf = NULL;
	c->base.out_off = HDR_ROOM - h;
	c->base.out_len = head ? HDR_ROOM : w->len;
}

static bool
tchar(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

enum target { T_METRICS, T_PAGE, T_OTHER };

/*
 * Read the request (its line and headers, n bytes ending in the blank line).
 * @return 0 with *head and *t, or the status code of the error reply.
 */
static int
parse_request(const char *p, size_t n, bool *head, enum target *t)
{
	const char *end = p + n, *nl, *sp, *method, *target, *version;
	size_t mlen, tlen, vlen, plen;

	nl = memchr(p, '\n', n);
	if (nl == NULL)
		return 400;
	/* METHOD SP TARGET SP VERSION [CR] LF */
	method = p;
	for (sp = p; sp < nl && tchar(*sp); sp++)
		;
	mlen = (size_t)(sp - method);
	if (mlen == 0 || mlen > 16 || sp >= nl || *sp != ' ')
		return 400;
	target = sp + 1;
	for (sp = target; sp<nl && * sp> ' ' && *sp < 0x7f; sp++)
		;
	tlen = (size_t)(sp - target);
	if (tlen == 0 || sp >= nl || *sp != ' ')
		return 400;
	version = sp + 1;
	vlen = (size_t)(nl - version);
	if (vlen > 0 && version[vlen - 1] == '\r')
		vlen--;
	if (vlen != 8 || memcmp(version, "HTTP/", 5) != 0 || version[5] < '0' || version[5] > '9' ||
	    version[6] != '.' || version[7] < '0' || version[7] > '9')
		return 400;
	if (version[5] != '1' || (version[7] != '0' && version[7] != '1'))
		return 505;
	/* Header lines: NAME ":" VALUE, no folding, no control bytes; up to the blank line. */
	for (const char *l = nl + 1; l < end;) {
		const char *le = memchr(l, '\n', (size_t)(end - l));
		const char *c;

		if (le == NULL)
			return 400;
		if (le == l || (le == l + 1 && *l == '\r'))
			break; /* the blank line */
		for (c = l; c < le && tchar(*c); c++)
			;
		if (c == l || c >= le || *c != ':')
			return 400;
		for (c++; c < le; c++)
			if ((((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f) &&
			    !(*c == '\r' && c + 1 == le))
				return 400;
		l = le + 1;
	}
	*head = mlen == 4 && memcmp(method, "HEAD", 4) == 0;
	if (!*head && !(mlen == 3 && memcmp(method, "GET", 3) == 0))
		return 405;
	if (target[0] != '/')
		return 400;
	for (plen = 0; plen < tlen && target[plen] != '?'; plen++)
		;
	if (plen == 8 && memcmp(target, "/metrics", 8) == 0)
		*t = T_METRICS;
	else if (plen == 1)
		*t = T_PAGE;
	else
		*t = T_OTHER;
	return 0;
}

/* A whole request is in in[0, n): make its reply. @return 0, or -1 to drop the client. */
static int
request_done(struct client *c, size_t n)
{
	struct lcx_metrics *m = m_of(c);
	struct lcx_metrics_writer w = {.m = m};
	enum target t = T_OTHER;
	bool head = false;
	int code = parse_request(c->in, n, &head, &t);
	int ret;

	switch (code) {
	case 400:
		m->st.bad_requests++;
		break;
	case 405:
		m->st.bad_methods++;
		break;
	case 505:
		m->st.bad_versions++;
		break;
	default:
		break;
	}
	if (code != 0)
		return reply_error(c, code, false) < 0 ? -1 : 0;
	if (t == T_OTHER) {
		m->st.not_found++;
		return reply_error(c, 404, head) < 0 ? -1 : 0;
	}
	if (t == T_PAGE) {
		m->st.pages++;
		return reply_make(c, 200, "text/html; charset=utf-8", page, sizeof(page) - 1,
				  head) < 0
			   ? -1
			   : 0;
	}
	ret = scrape(m, &w);
	if (m->base.dying) {
		writer_fini(&w);
		return -1;
	}
	if (ret < 0) {
		m->st.collect_failed++;
		LCX_LOG(WARNING, "%s: metrics: scrape failed: %s", lcx_context_name(m->base.ctx),
			strerror(-ret));
		writer_fini(&w);
		return reply_error(c, 500, head) < 0 ? -1 : 0;
	}
	m->st.scrapes++;
	reply_scrape(c, &w, head);
	writer_fini(&w);
	return 0;
}

/* Where the headers end (past the blank line) in in[0, in_len), or 0 if not there yet. */
static size_t
headers_end(struct client *c)
{
	for (size_t i = c->in_scan; i < c->in_len; i++) {
		if (c->in[i] != '\n')
			continue;
		if (i + 1 < c->in_len && c->in[i + 1] == '\n')
			return i + 2;
		if (i + 2 < c->in_len && c->in[i + 1] == '\r' && c->in[i + 2] == '\n')
			return i + 3;
	}
	/* The next search starts where a cut "\n\r\n" may begin. */
	c->in_scan = c->in_len >= 2 ? c->in_len - 2 : 0;
	return 0;
}

/*
 * Gather the request. @return 1 the reply is made (state WRITE), 0 waiting
 * for bytes, -1 drop the client.
 */
static int
read_request(struct client *c)
{
	struct lcx_metrics *m = m_of(c);

	for (;;) {
		size_t end = headers_end(c);
		ssize_t n;
		int r;

		if (end != 0)
			return request_done(c, end) < 0 ? -1 : 1;
		if (c->in_len == m->request_max) {
			m->st.too_long++;
			return reply_error(c, 431, false) < 0 ? -1 : 1;
		}
		n = recv(c->base.fd, c->in + c->in_len, m->request_max - c->in_len, MSG_DONTWAIT);
		if (n > 0) {
			c->in_len += (size_t)n;
			continue;
		}
		if (n == 0) {
			if (c->in_len == 0)
				return -1;    /* connected and went: nothing to answer */
			m->st.bad_requests++; /* cut short */
			return reply_error(c, 400, false) < 0 ? -1 : 1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			m->st.reset++;
			return -1;
		}
		r = lcx_source_poll(c->base.src, LCX_DIR_READ, &c->base.wr);
		if (r == 1)
			continue;
		return r < 0 ? -1 : 0;
	}
}

/* Drop what a lingering client sends. @return 1 more may come at once, 0 waiting, -1 done. */
static int
linger(struct client *c)
{
	char sink[4096];
	size_t got = 0;

	for (;;) {
		ssize_t n = recv(c->base.fd, sink, sizeof(sink), MSG_DONTWAIT);
		int r;

		if (n > 0) {
			c->lingered += (size_t)n;
			got += (size_t)n;
			if (c->lingered > LINGER_MAX)
				return -1;
			if (got >= LINGER_TURN)
				return 1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return -1;
		r = lcx_source_poll(c->base.src, LCX_DIR_READ, &c->base.wr);
		if (r == 1)
			continue;
		return r < 0 ? -1 : 0;
	}
}

/* ------------------------------------------------------------------------- */
/* Clients                                                                   */
/* ------------------------------------------------------------------------- */

/* A client's turn (ops.serve). */
static void
client_serve(struct lcx__stream_client *b)
{
	struct client *c = client_of(b);
	struct lcx_metrics *m = m_of(c);
	int r;

	if (c->state == C_READ) {
		r = read_request(c);
		if (m->base.dying)
			return;
		if (r < 0) {
			lcx__stream_client_free(b);
			return;
		}
		if (r == 0)
			return;
		c->state = C_WRITE;
		lcx__stream_touch(b);
	}
	if (c->state == C_WRITE) {
		r = lcx__stream_flush(b);
		if (r < 0) {
			m->st.reset++;
			lcx__stream_client_free(b);
			return;
		}
		if (r == 1) {
			r = lcx_source_poll(b->src, LCX_DIR_WRITE, &b->ww);
			if (r < 0)
				lcx__stream_client_free(b);
			else if (r == 1)
				lcx_task_wake(&b->task);
			return;
		}
		/* All sent: say so with a FIN, then wait for the client's. */
		free(b->out);
		b->out = NULL;
		shutdown(b->fd, SHUT_WR);
		c->state = C_LINGER;
		lcx__stream_touch(b);
	}
	r = linger(c);
	if (r < 0)
		lcx__stream_client_free(b);
	else if (r == 1)
		lcx_task_wake(&b->task);
}

/* A client past its deadline (ops.idle): a 408 if its request is not whole, the close. */
static void
client_idle(struct lcx__stream_client *b)
{
	struct client *c = client_of(b);

	if (c->state == C_READ) {
		char hdr[HDR_ROOM];
		size_t h = format_head(hdr, sizeof(hdr), 408, "text/plain; charset=utf-8", 0);

		(void)!send(b->fd, hdr, h, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	if (c->state != C_LINGER)
		m_of(c)->st.idle_closed++;
	lcx__stream_client_free(b);
}

/* ------------------------------------------------------------------------- */
/* The listener                                                              */
/* ------------------------------------------------------------------------- */

/* A new connection (ops.admit): a 503 past clients_max, else a client. */
static void
admit(struct lcx__stream_srv *s, int fd)
{
	struct lcx_metrics *m = metrics_of(s);

	if (s->nb_clients >= m->clients_max) {
		char hdr[HDR_ROOM];
		size_t h = format_head(hdr, sizeof(hdr), 503, "text/plain; charset=utf-8", 0);

		m->st.refused_full++;
		(void)!send(fd, hdr, h, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		return;
	}
	if (lcx__stream_client_add(s, fd) != NULL)
		m->st.accepted++;
}

/* ------------------------------------------------------------------------- */
/* The server                                                                */
/* ------------------------------------------------------------------------- */

static int
parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;

	if (*s == '\0' || strlen(s) > 5)
		return -EINVAL;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* "ADDR:PORT", "[ADDR6]:PORT" or "PORT" (127.0.0.1). */
static int
parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN];
	const char *colon, *port;
	uint16_t p;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':')
			return -EINVAL;
		hl = (size_t)(rb - s - 1);
		port = rb + 2;
		if (hl == 0 || hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1 || parse_port(port, &p) < 0)
			return -EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(p);
		*len = sizeof(*a);
		return 0;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	colon = strrchr(s, ':');
	if (colon == NULL) {
		if (parse_port(s, &p) < 0)
			return -EINVAL;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		hl = (size_t)(colon - s);
		if (strchr(s, ':') != colon || hl == 0 || hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1 || parse_port(colon + 1, &p) < 0)
			return -EINVAL;
	}
	a->sin_family = AF_INET;
	a->sin_port = htons(p);
	*len = sizeof(*a);
	return 0;
}

/* Bind and listen; note the address and the port we got. @return the fd or -errno. */
static int
listen_on(struct lcx_metrics *m, const struct sockaddr_storage *ss, socklen_t len)
{
	struct sockaddr_storage got;
	socklen_t glen = sizeof(got);
	char host[INET6_ADDRSTRLEN];
	int one = 1, fd, ret;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (ss->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, (const struct sockaddr *)ss, len) < 0 ||
	    listen(fd, (int)(m->clients_max < 64 ? 64 : m->clients_max)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&got, &glen) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (got.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&got;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		m->lport = ntohs(a->sin6_port);
		snprintf(m->addr, sizeof(m->addr), "[%s]:%u", host, m->lport);
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&got;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		m->lport = ntohs(a->sin_port);
		snprintf(m->addr, sizeof(m->addr), "%s:%u", host, m->lport);
	}
	return fd;
}

/* ops.free: the clients, the listener, the ports list. */
static void
server_free(struct lcx__stream_srv *s)
{
	struct lcx_metrics *m = metrics_of(s);

	lcx__stream_close(s);
	free(m->ports);
	lcx__ctx_free(s->ctx, m, sizeof(*m));
}

static const struct lcx__stream_ops metrics_ops = {
	.what = "metrics",
	.destroy = "lcx_metrics_destroy",
	.serve = client_serve,
	.admit = admit,
	.idle = client_idle,
	.free = server_free,
};

int
lcx_metrics_create(struct lcx_context *ctx, const struct lcx_metrics_conf *conf,
		   struct lcx_metrics **out)
{
	struct sockaddr_storage ss;
	struct lcx_metrics *m;
	socklen_t len;
	int fd, ret;

	if (ctx == NULL || conf == NULL || out == NULL || conf->listen == NULL ||
	    conf->clients_max > CLIENTS_LIMIT ||
	    (conf->request_max != 0 &&
	     (conf->request_max < REQUEST_MIN || conf->request_max > REQUEST_LIMIT)) ||
	    (conf->body_max != 0 && conf->body_max < BODY_MIN) ||
	    (conf->idle_ns != 0 && conf->idle_ns < IDLE_MIN_NS))
		return -EINVAL;
	if (parse_listen(conf->listen, &ss, &len) < 0)
		return -EINVAL;
	if (!lcx__may_touch(ctx))
		return -EPERM;
	m = lcx__ctx_zalloc(ctx, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	m->collect = conf->collect;
	m->arg = conf->arg;
	m->clients_max = conf->clients_max != 0 ? conf->clients_max : LCX_METRICS_CLIENTS_MAX;
	m->request_max = conf->request_max != 0 ? conf->request_max : LCX_METRICS_REQUEST_MAX;
	m->body_max = conf->body_max != 0 ? conf->body_max : LCX_METRICS_BODY_MAX;
	lcx__stream_init(&m->base, ctx, &metrics_ops, sizeof(struct client) + m->request_max,
			 ACCEPT_TURN, conf->idle_ns != 0 ? conf->idle_ns : LCX_METRICS_IDLE_NS);
	fd = listen_on(m, &ss, len);
	if (fd < 0) {
		ret = fd;
		goto out_free;
	}
	ret = lcx__stream_listen(&m->base, fd);
	if (ret < 0)
		goto out_close;
	*out = m;
	return 0;

out_close:
	close(fd);
out_free:
	lcx__ctx_free(ctx, m, sizeof(*m));
	return ret;
}

void
lcx_metrics_destroy(struct lcx_metrics *m)
{
	if (m != NULL)
		lcx__stream_destroy(&m->base);
}

int
lcx_metrics_port_add(struct lcx_metrics *m, struct lcx_port *port, const char *label)
{
	struct mport *p;

	if (m == NULL || port == NULL)
		return -EINVAL;
	if (label == NULL)
		label = lcx_port_name(port);
	if (label == NULL || label[0] == '\0' || strlen(label) >= PORT_LABEL_MAX)
		return -EINVAL;
	if (!lcx__may_touch(m->base.ctx))
		return -EPERM;
	for (uint32_t i = 0; i < m->nb_ports; i++)
		if (m->ports[i].port == port || strcmp(m->ports[i].label, label) == 0)
			return -EEXIST;
	if (m->nb_ports == m->cap_ports) {
		uint32_t cap = m->cap_ports != 0 ? 2 * m->cap_ports : 8;

		p = realloc(m->ports, cap * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		m->ports = p;
		m->cap_ports = cap;
	}
	p = &m->ports[m->nb_ports++];
	p->port = port;
	snprintf(p->label, sizeof(p->label), "%s", label);
	return 0;
}

int
lcx_metrics_port_remove(struct lcx_metrics *m, struct lcx_port *port)
{
	if (m == NULL || port == NULL)
		return -EINVAL;
	if (!lcx__may_touch(m->base.ctx))
		return -EPERM;
	for (uint32_t i = 0; i < m->nb_ports; i++)
		if (m->ports[i].port == port) {
			memmove(&m->ports[i], &m->ports[i + 1],
				(m->nb_ports - i - 1) * sizeof(m->ports[0]));
			m->nb_ports--;
			return 0;
		}
	return -ENOENT;
}

int
lcx_metrics_stats(const struct lcx_metrics *m, struct lcx_metrics_stats *out)
{
	if (m == NULL || out == NULL)
		return -EINVAL;
	*out = m->st;
	out->clients = m->base.nb_clients;
	return 0;
}

uint16_t
lcx_metrics_listen_port(const struct lcx_metrics *m)
{
	return m != NULL ? m->lport : 0;
}

const char *
lcx_metrics_address(const struct lcx_metrics *m)
{
	return m != NULL ? m->addr : "";
}
