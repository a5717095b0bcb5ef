/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flowgen: txonly's packets spread over --flowgen-flows flows (the IPv4
 * destination runs 198.18.0.2, 198.18.0.3, ... and wraps), checksum redone
 * per packet; what arrives is counted and freed. See txonly.c.
 */

#include "pmd.h"

const struct fwd_engine flowgen_engine = {
	.name = "flowgen",
	.help = "txonly over --flowgen-flows destination addresses",
	.rx = pmd_gen_rx,
	.gen = pmd_flowgen_gen,
};
