/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx_pktmbuf_pool_create() under EAL with --no-huge (IOVA mode VA here: the
 * EAL has no physical addresses without hugepages):
 *   - auto gives the packed layout; every mbuf's buf_iova is the IOVA of its
 *     buffer, the objects are back to back and their headers spread over the
 *     L1 sets (what the layout is for);
 *   - native is rte_pktmbuf_pool_create()'s: one object per 4 KiB page, every
 *     header at the same page offset (what the packed layout avoids);
 *   - both hand out and take back every mbuf;
 *   - bad arguments fail with EINVAL; layout names parse both ways.
 * IOVA mode PA cannot be had on this machine (no hugepages), so the refusal
 * of LCX_POOL_PACKED there is not tested.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_mempool.h>

#include <lcx/pool.h>

#define NB_MBUFS 2048
#define PAGE 4096u

struct walk {
	unsigned int count;
	unsigned int bad_iova;
	unsigned int crossing;  /* objects that span a 4 KiB page boundary */
	uint8_t offsets[PAGE / RTE_CACHE_LINE_SIZE]; /* header offsets seen, by line */
	uintptr_t lo, hi;
};

static void
walk_obj(struct rte_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct walk *w = arg;
	struct rte_mbuf *m = obj;
	uintptr_t a = (uintptr_t)obj - mp->header_size;
	uintptr_t end = (uintptr_t)obj + mp->elt_size - 1;

	(void)idx;
	w->count++;
	if (m->buf_iova != rte_mem_virt2iova(m->buf_addr))
		w->bad_iova++;
	if (a / PAGE != end / PAGE)
		w->crossing++;
	w->offsets[((uintptr_t)obj % PAGE) / RTE_CACHE_LINE_SIZE] = 1;
	if (w->lo == 0 || a < w->lo)
		w->lo = a;
	if (end > w->hi)
		w->hi = end;
}

static unsigned int
distinct(const struct walk *w)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < RTE_DIM(w->offsets); i++)
		n += w->offsets[i];
	return n;
}

/* Take every mbuf out and put it back: the pool must hand out exactly n. */
static void
drain_and_refill(struct rte_mempool *mp, unsigned int n)
{
	struct rte_mbuf **all = calloc(n + 1, sizeof(*all));
	unsigned int got = 0;

	assert_non_null(all);
	while (got <= n) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

		if (m == NULL)
			break;
		assert_int_equal(rte_pktmbuf_tailroom(m),
				 rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM);
		all[got++] = m;
	}
	assert_int_equal(got, n);
	rte_pktmbuf_free_bulk(all, got);
	assert_int_equal(rte_mempool_avail_count(mp), n);
	free(all);
}

static void
test_auto_is_packed(void **state)
{
	struct rte_mempool *mp;
	struct walk w = { 0 };

	(void)state;
	assert_int_equal(rte_eal_iova_mode(), RTE_IOVA_VA);
	mp = lcx_pktmbuf_pool_create("t_auto", NB_MBUFS, 32, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY, LCX_POOL_AUTO);
	assert_non_null(mp);
	assert_int_equal(lcx_pktmbuf_pool_layout(mp), LCX_POOL_PACKED);
	assert_int_equal(rte_pktmbuf_data_room_size(mp), RTE_MBUF_DEFAULT_BUF_SIZE);
	assert_int_equal(rte_pktmbuf_priv_size(mp), 0);
	rte_mempool_obj_iter(mp, walk_obj, &w);
	assert_int_equal(w.count, NB_MBUFS);
	assert_int_equal(w.bad_iova, 0);
	/* Back to back: objects span pages, and the headers use most L1 sets. */
	assert_true(w.crossing > NB_MBUFS / 4);
	assert_true(distinct(&w) >= 32);
	/* The pool is no bigger than its objects (and some slack for the chunk). */
	size_t obj = mp->header_size + mp->elt_size + mp->trailer_size;

	assert_true(w.hi - w.lo + 1 <= (size_t)NB_MBUFS * obj + PAGE);
	drain_and_refill(mp, NB_MBUFS);
	rte_mempool_free(mp);
}

static void
test_native_one_per_page(void **state)
{
	struct rte_mempool *mp;
	struct walk w = { 0 };

	(void)state;
	mp = lcx_pktmbuf_pool_create("t_native", NB_MBUFS, 32, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY, LCX_POOL_NATIVE);
	assert_non_null(mp);
	assert_int_equal(lcx_pktmbuf_pool_layout(mp), LCX_POOL_NATIVE);
	rte_mempool_obj_iter(mp, walk_obj, &w);
	assert_int_equal(w.count, NB_MBUFS);
	assert_int_equal(w.bad_iova, 0);
	/*
	 * 4 KiB pages: no object crosses one, so each takes a page of its own and
	 * the headers share one offset per memory chunk.
	 */
	assert_int_equal(w.crossing, 0);
	assert_true(distinct(&w) <= 4);
	drain_and_refill(mp, NB_MBUFS);
	rte_mempool_free(mp);
}

static void
test_packed_priv_and_small_room(void **state)
{
	struct rte_mempool *mp;
	struct walk w = { 0 };

	(void)state;
	mp = lcx_pktmbuf_pool_create("t_priv", 1000, 0, 64, 512, SOCKET_ID_ANY, LCX_POOL_PACKED);
	assert_non_null(mp);
	assert_int_equal(rte_pktmbuf_priv_size(mp), 64);
	assert_int_equal(rte_pktmbuf_data_room_size(mp), 512);
	rte_mempool_obj_iter(mp, walk_obj, &w);
	assert_int_equal(w.bad_iova, 0);
	drain_and_refill(mp, 1000);
	rte_mempool_free(mp);
}

static void
test_bad_arguments(void **state)
{
	(void)state;
	/* The private area must be a multiple of RTE_MBUF_PRIV_ALIGN. */
	rte_errno = 0;
	assert_null(lcx_pktmbuf_pool_create("t_bad1", 64, 0, 3, 512, SOCKET_ID_ANY,
					    LCX_POOL_PACKED));
	assert_int_equal(rte_errno, EINVAL);
	rte_errno = 0;
	assert_null(lcx_pktmbuf_pool_create("t_bad2", 64, 0, 0, 512, SOCKET_ID_ANY,
					    (enum lcx_pool_layout)7));
	assert_int_equal(rte_errno, EINVAL);
	/* A name that is taken. */
	struct rte_mempool *mp = lcx_pktmbuf_pool_create("t_dup", 64, 0, 0, 512, SOCKET_ID_ANY,
							 LCX_POOL_AUTO);

	assert_non_null(mp);
	rte_errno = 0;
	assert_null(lcx_pktmbuf_pool_create("t_dup", 64, 0, 0, 512, SOCKET_ID_ANY,
					    LCX_POOL_AUTO));
	assert_int_equal(rte_errno, EEXIST);
	rte_mempool_free(mp);
	/* No memory for it. */
	rte_errno = 0;
	assert_null(lcx_pktmbuf_pool_create("t_huge", 1u << 30, 0, 0, 60000, SOCKET_ID_ANY,
					    LCX_POOL_PACKED));
	assert_int_not_equal(rte_errno, 0);
}

static void
test_layout_names(void **state)
{
	enum lcx_pool_layout l;

	(void)state;
	for (int i = LCX_POOL_AUTO; i <= LCX_POOL_NATIVE; i++) {
		assert_int_equal(lcx_pool_layout_parse(lcx_pool_layout_name((enum lcx_pool_layout)i),
						       &l), 0);
		assert_int_equal(l, i);
	}
	assert_string_equal(lcx_pool_layout_name(LCX_POOL_PACKED), "packed");
	assert_int_equal(lcx_pool_layout_parse("Packed", &l), -EINVAL);
	assert_int_equal(lcx_pool_layout_parse("", &l), -EINVAL);
	assert_int_equal(lcx_pool_layout_parse(NULL, &l), -EINVAL);
	assert_string_equal(lcx_pool_layout_name((enum lcx_pool_layout)9), "?");
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auto_is_packed),
		cmocka_unit_test(test_native_one_per_page),
		cmocka_unit_test(test_packed_priv_and_small_room),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_layout_names),
	};
	char pfx[64];
	char *eal[] = { argv[0], "--no-huge", "-m", "256", "--no-pci", "--lcores=0@0",
			"--log-level=lib.eal:error", pfx };
	int ret;

	(void)argc;
	snprintf(pfx, sizeof(pfx), "--file-prefix=lcxpool_%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "test_pool: rte_eal_init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	ret = cmocka_run_group_tests_name("pool", tests, NULL, NULL);
	rte_eal_cleanup();
	return ret;
}
