/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BENCH_TRAFFIC_H
#define BENCH_TRAFFIC_H

/**
 * @file
 * lcx-bench's traffic options (--flow, --flow-seed, --pcap-replay,
 * --replay-timing, --replay-multiplier) and the hooks through which the
 * program's modules use flow.c and replay.c: options.c (the options, the
 * smallest frame), ports.c (the mean frame, the rate of a file's timing),
 * modes.c (a replay trial's length), gen.c (the frame of packet i, the
 * schedule), meas.c (IPv4 and IPv6 frames read back), trial.c (the signed
 * packets: the receiver's count), output.c (the figures).
 *
 * Threads: the option and set-up functions run on the main thread before
 * the contexts start; traffic_frame_fill() on the tx context; the state is
 * read-only once traffic_check() returned.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "sig.h"

struct bench_pacer_conf;
struct bench_trial_req;
struct bench_trial_result;
struct bench_frame_info;

/** @return true if arg is one of the traffic options (for the EAL / app split) */
bool traffic_is_option(const char *arg);

/** Parse one option (name without '=VALUE'); die()s on a bad value. @return true if it was ours */
bool traffic_option(const char *name, const char *val);

/** @return the smallest frame size allowed: 84 with an IPv6 --flow, else 64 */
unsigned int traffic_min_frame(void);

/** @return true with --pcap-replay (after traffic_check()) */
bool traffic_is_replay(void);

/** @return true when --rate is not needed (a replay at the file's timing) */
bool traffic_rate_optional(void);

/**
 * After the options: check them together, load the --pcap-replay file (and
 * set opt.sizes.hi to its largest frame, for the pool); die()s with one
 * message on a conflict or a bad file.
 */
void traffic_check(void);

/** @return the mean frame size with FCS: the file's for a replay, else sizes_mean */
double traffic_mean_frame(double sizes_mean);

/** @return a replay at the file's timing: its frames / its span (the rate it averages), pps */
double traffic_file_pps(void);

/**
 * @return the sending time of a run: duration_ns, or with a replay the file's
 *         (its span / the multiplier, or its frames at the rate) when shorter or
 *         when no --duration was given
 */
uint64_t traffic_run_ns(uint64_t duration_ns, bool duration_set, double rate_pps);

/** A replay: the trial sends the file once (count), over its time unless --duration was given. */
void traffic_trial_req(struct bench_trial_req *req, bool duration_set);

/** A replay: the schedule (TRACE at the file's timing) and the count of frames. */
void traffic_pacer_conf(struct bench_pacer_conf *pc);

/** @return true when gen.c builds frames through traffic_frame_fill() */
bool traffic_active(void);

/** The MACs of the frames (tx port's, rx port's). */
void traffic_gen_init(const uint8_t src_mac[6], const uint8_t dst_mac[6]);

/**
 * Build packet seq of the stream into p: a --flow frame of size bytes (FCS
 * included) or frame seq of the replayed file.
 *
 * @return bytes written; -ENOSPC / -EINVAL when the frame does not fit (the
 *         options rule this out)
 */
int traffic_frame_fill(uint8_t *p, size_t room, unsigned int size, uint16_t stream, uint64_t seq,
		       uint64_t tx_ns);

/** @return the signed packets among the first offered ones (offered without a replay) */
uint64_t traffic_signed(uint64_t offered);

/**
 * Read a frame's signature: IPv4 or IPv6, UDP, the payload's first bytes.
 *
 * @return 0, or < 0: no signature (not IPv4/IPv6 UDP, too short, not the magic)
 */
int traffic_sig_read(const void *frame, size_t len, struct bench_sig *sig);

/** @return the flows of --flow (tuples of the spec); 0 without --flow */
uint64_t traffic_flow_tuples(void);

/**
 * The flow of a frame read back: its tuple's place in the spec (bench_flow_index()).
 *
 * @return 0 .. tuples - 1, or -1 when its tuple is in no flow of the spec (or no --flow)
 */
int64_t traffic_flow_of(const void *frame, size_t len);

/** @return true when packet number seq is sent with flow index's tuple */
bool traffic_flow_is(uint64_t seq, uint64_t index);

/**
 * The packets of each flow among the numbers 0 .. offered - 1: closed form for
 * vary=inc, every number walked for vary=rand (on the driver thread, after the trial).
 *
 * @param f  counted and the flows' sent set; beyond_cap.sent the rest
 */
void traffic_flow_sent(uint64_t offered, struct bench_flows *f);

/** trials[].flows of the JSON (a new reference; null without --flow). */
json_t *traffic_flows_json(const struct bench_flows *f);

/** config.traffic of the JSON: the source, the flow, the file's counts (a new reference). */
json_t *traffic_config_json(void);

/** trials[].traffic of the JSON: offered_signed, offered_unsigned (a new reference). */
json_t *traffic_trial_json(const struct bench_trial_result *r);

/** The traffic line of the text summary (nothing without --flow or a replay). */
void traffic_text(FILE *f, const struct bench_trial_result *r);

#endif
