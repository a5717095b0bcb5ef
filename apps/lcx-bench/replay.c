/* SPDX-License-Identifier: BSD-3-Clause */
/* The pcap replay source (replay.h), on libpcap. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include "flow.h"
#include "replay.h"

static int
fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* Grow an array of n elements of size sz to hold one more. */
static int
grow(void **v, uint64_t *cap, uint64_t n, size_t sz)
{
	uint64_t c = *cap;
	void *nv;

	if (n < c)
		return 0;
	c = c == 0 ? 1024 : c * 2;
	nv = realloc(*v, c * sz);
	if (nv == NULL)
		return -ENOMEM;
	*v = nv;
	*cap = c;
	return 0;
}

/* Signable: the frame's UDP payload can hold the signature (replay.h). */
static void
classify(struct bench_replay_frame *f, const uint8_t *p)
{
	struct bench_frame_info fi;

	f->family = 0;
	if (bench_frame_parse(p, f->len, &fi) != 0 || fi.payload_len < BENCH_SIG_LEN ||
	    fi.l4_off > UINT16_MAX || fi.payload_len > UINT16_MAX)
		return;
	f->family = fi.family == AF_INET ? 4 : 6;
	f->l4_off = (uint16_t)fi.l4_off;
	f->payload_len = (uint16_t)fi.payload_len;
}

int
bench_replay_open(const char *path, uint32_t max_len, struct bench_replay **out, char *err,
		  size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct bench_replay *r;
	uint64_t cap_f = 0, cap_t = 0, cap_d = 0, prev_ns = 0, t0_ns = 0;
	struct stat st;
	pcap_t *pc;
	FILE *fp;
	int ret;

	*out = NULL;
	if (max_len < 14)
		return fail(err, errlen, -EINVAL, "%s: a frame room of %u bytes", path, max_len);
	fp = fopen(path, "rb");
	if (fp == NULL) {
		ret = -errno;
		return fail(err, errlen, ret, "%s: %s", path, strerror(-ret));
	}
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(fp);
		return fail(err, errlen, -EISDIR, "%s: %s", path, strerror(EISDIR));
	}
	pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (pc == NULL) {
		fclose(fp);
		return fail(err, errlen, -EINVAL, "%s: not a pcap or pcapng file (libpcap: %s)",
			    path, perr);
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		ret = fail(err, errlen, -ENOMEM, "%s: out of memory", path);
		goto out_close;
	}
	r->linktype = pcap_datalink(pc);
	if (r->linktype != DLT_EN10MB) {
		ret =
		    fail(err, errlen, -EPROTONOSUPPORT,
			 "%s: link type %s (%d): only Ethernet (EN10MB) frames are replayed", path,
			 pcap_datalink_val_to_name(r->linktype) != NULL
			     ? pcap_datalink_val_to_name(r->linktype)
			     : "unknown",
			 r->linktype);
		goto out_free;
	}
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *data;
		struct bench_replay_frame *f;
		uint64_t ts;
		int rc = pcap_next_ex(pc, &h, &data);

		if (rc == PCAP_ERROR_BREAK)
			break;
		if (rc != 1) {
			ret = fail(err, errlen, -EBADMSG,
				   "%s: record %llu: truncated or corrupt file (libpcap: %s)", path,
				   (unsigned long long)r->records + 1, pcap_geterr(pc));
			goto out_free;
		}
		r->records++;
		if (h->caplen < h->len) {
			r->skipped_truncated++;
			continue;
		}
		if (h->caplen > max_len) {
			r->skipped_too_big++;
			continue;
		}
		if (r->n == BENCH_REPLAY_MAX_FRAMES ||
		    r->bytes + h->caplen > BENCH_REPLAY_MAX_BYTES) {
			ret = fail(err, errlen, -EFBIG,
				   "%s: more than %llu frames or %llu bytes: too large to load",
				   path, (unsigned long long)BENCH_REPLAY_MAX_FRAMES,
				   (unsigned long long)BENCH_REPLAY_MAX_BYTES);
			goto out_free;
		}
		if (grow((void **)&r->f, &cap_f, r->n, sizeof(*r->f)) < 0 ||
		    grow((void **)&r->t_ns, &cap_t, r->n, sizeof(*r->t_ns)) < 0)
			goto out_nomem;
		while (cap_d < r->bytes + h->caplen) {
			uint64_t c = cap_d == 0 ? 65536 : cap_d * 2;
			uint8_t *nd = realloc(r->data, c);

			if (nd == NULL)
				goto out_nomem;
			r->data = nd;
			cap_d = c;
		}
		ts = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec; /* ns */
		if (r->n == 0) {
			t0_ns = ts;
			prev_ns = ts;
		} else if (ts < prev_ns) {
			r->ts_backwards++;
			ts = prev_ns;
		}
		prev_ns = ts;
		f = &r->f[r->n];
		f->off = r->bytes;
		f->len = h->caplen;
		memcpy(r->data + f->off, data, h->caplen);
		classify(f, r->data + f->off);
		r->t_ns[r->n] = ts - t0_ns;
		if (f->family != 0)
			r->signable++;
		r->bytes += h->caplen;
		r->n++;
	}
	if (r->n == 0) {
		ret = fail(err, errlen, -ENODATA,
			   "%s: no frame to replay (%llu records: %llu captured shorter than sent, "
			   "%llu longer than %u bytes)",
			   path, (unsigned long long)r->records,
			   (unsigned long long)r->skipped_truncated,
			   (unsigned long long)r->skipped_too_big, max_len);
		goto out_free;
	}
	pcap_close(pc);
	*out = r;
	return 0;
out_nomem:
	ret = fail(err, errlen, -ENOMEM, "%s: out of memory at record %llu", path,
		   (unsigned long long)r->records);
out_free:
	bench_replay_close(r);
out_close:
	pcap_close(pc);
	return ret;
}

void
bench_replay_close(struct bench_replay *r)
{
	if (r == NULL)
		return;
	free(r->data);
	free(r->f);
	free(r->t_ns);
	free(r);
}

int
bench_replay_build(const struct bench_replay *r, uint64_t i, void *buf, size_t room,
		   const struct bench_sig *sig)
{
	const struct bench_replay_frame *f;
	uint8_t *p = buf;

	if (i >= r->n)
		return -ERANGE;
	f = &r->f[i];
	if (room < f->len)
		return -ENOSPC;
	if (sig != NULL && sig->seq > BENCH_SIG_SEQ_MAX)
		return -EINVAL;
	memcpy(p, r->data + f->off, f->len);
	if (sig != NULL && f->family != 0) {
		struct bench_frame_info fi = {
		    .family = f->family == 4 ? AF_INET : AF_INET6,
		    .l3_off = BENCH_ETH_HLEN,
		    .l4_off = f->l4_off,
		    .payload_off = f->l4_off + 8u,
		    .payload_len = f->payload_len,
		};

		bench_sig_write(p + fi.payload_off, BENCH_SIG_LEN, sig);
		bench_frame_fix_udp_cksum(p, &fi);
	}
	return (int)f->len;
}

double
bench_replay_mean_frame(const struct bench_replay *r)
{
	return r->n > 0 ? (double)r->bytes / (double)r->n + BENCH_FCS_LEN : 0;
}
