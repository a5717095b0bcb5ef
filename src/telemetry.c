/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry for every lcx program: /lcx/contexts lists the contexts,
 * /lcx/context,NAME gives one context's figures (lcx_context_stats), so that
 * dpdk-telemetry.py reads what the control sockets and --json report.
 * Registered once, when the program says lcx_eal_attach().
 */

#include <errno.h>
#include <string.h>

#include <rte_telemetry.h>

#include "lcx_private.h"

static int
add_name(struct lcx_context *ctx, void *arg)
{
	rte_tel_data_add_array_string(arg, ctx->name);
	return 0;
}

static int
tel_contexts(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	lcx__context_foreach(add_name, d);
	return 0;
}

struct tel_find {
	const char *name;
	struct rte_tel_data *d;
	bool found;
};

static int
add_stats(struct lcx_context *ctx, void *arg)
{
	struct tel_find *f = arg;
	struct lcx_context_stats st;
	uint64_t total;

	if (strcmp(ctx->name, f->name) != 0)
		return 0;
	f->found = true;
	lcx_context_stats(ctx, &st);
	total = st.busy_ns + st.idle_ns + st.parked_ns;
	rte_tel_data_start_dict(f->d);
	rte_tel_data_add_dict_string(f->d, "name", ctx->name);
	rte_tel_data_add_dict_int(f->d, "socket", ctx->socket_id);
	rte_tel_data_add_dict_int(f->d, "lcore",
				  ctx->launch == LCX_LAUNCH_LCORE ? (int)ctx->lcore_id : -1);
#define U64(field) rte_tel_data_add_dict_u64(f->d, #field, st.field)
	U64(throttle_ns);
	U64(iterations);
	U64(reacts);
	U64(tasks_run);
	U64(polled_items);
	U64(timers_fired);
	U64(timer_ops_full);
	U64(io_events);
	U64(parks);
	U64(parks_cut);
	U64(parks_skipped);
	U64(unparks);
	U64(idle_parks);
	U64(busy_ns);
	U64(idle_ns);
	U64(parked_ns);
	U64(park_overshoot_avg_ns);
	U64(park_overshoot_max_ns);
	U64(timer_late_p50_ns);
	U64(timer_late_p99_ns);
	U64(timer_late_max_ns);
	U64(timer_early_max_ns);
#undef U64
	/* Per mille of the loop's time, for a quick look. */
	rte_tel_data_add_dict_u64(f->d, "busy_permille", total ? st.busy_ns * 1000 / total : 0);
	rte_tel_data_add_dict_u64(f->d, "parked_permille", total ? st.parked_ns * 1000 / total : 0);
	return 1;
}

static int
tel_context(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tel_find f = { .name = params, .d = d };

	(void)cmd;
	if (params == NULL || params[0] == '\0')
		return -EINVAL;
	lcx__context_foreach(add_stats, &f);
	return f.found ? 0 : -ENOENT;
}

void
lcx__telemetry_init(void)
{
	rte_telemetry_register_cmd("/lcx/contexts", tel_contexts,
				   "The lcx contexts of this process. No parameters");
	rte_telemetry_register_cmd("/lcx/context", tel_context,
				   "One lcx context's loop figures. Parameter: its name");
}
