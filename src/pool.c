/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mbuf pools with objects packed back to back where IOVA is VA (see
 * include/lcx/pool.h for why). The packed pool is what
 * rte_pktmbuf_pool_create() builds, with RTE_MEMPOOL_F_NO_IOVA_CONTIG: the
 * mempool then places objects with no regard to page boundaries, and each
 * memory chunk's IOVA is its virtual address. DPDK 22.11 populates such a
 * pool with RTE_BAD_IOVA, so the chunks' and objects' IOVAs are set here
 * before the mbufs are initialised from them: every buf_iova is right.
 */

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_memory.h>
#include <rte_mempool.h>

#include <lcx/pool.h>

static const char *const layout_names[] = {
	[LCX_POOL_AUTO] = "auto",
	[LCX_POOL_PACKED] = "packed",
	[LCX_POOL_NATIVE] = "native",
};

const char *
lcx_pool_layout_name(enum lcx_pool_layout layout)
{
	if ((unsigned int)layout >= RTE_DIM(layout_names))
		return "?";
	return layout_names[layout];
}

int
lcx_pool_layout_parse(const char *s, enum lcx_pool_layout *out)
{
	for (unsigned int i = 0; s != NULL && i < RTE_DIM(layout_names); i++) {
		if (strcmp(s, layout_names[i]) == 0) {
			*out = (enum lcx_pool_layout)i;
			return 0;
		}
	}
	return -EINVAL;
}

enum lcx_pool_layout
lcx_pktmbuf_pool_layout(const struct rte_mempool *mp)
{
	return (mp->flags & RTE_MEMPOOL_F_NO_IOVA_CONTIG) != 0 ? LCX_POOL_PACKED
							       : LCX_POOL_NATIVE;
}

/* IOVA mode VA: an address in EAL memory is its own IOVA. */
static void
chunk_set_iova(struct rte_mempool *mp, void *arg, struct rte_mempool_memhdr *memhdr,
	       unsigned int idx)
{
	(void)mp;
	(void)arg;
	(void)idx;
	memhdr->iova = rte_mem_virt2iova(memhdr->addr);
}

/* Each object's IOVA, then the mbuf initialised from it: one pass. */
static void
obj_init(struct rte_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	rte_mempool_get_header(obj)->iova = rte_mem_virt2iova(obj);
	rte_pktmbuf_init(mp, arg, obj, idx);
}

static struct rte_mempool *
packed_pool_create(const char *name, unsigned int n, unsigned int cache_size,
		   uint16_t priv_size, uint16_t data_room_size, int socket_id)
{
	struct rte_pktmbuf_pool_private priv = {
		.mbuf_data_room_size = data_room_size,
		.mbuf_priv_size = priv_size,
	};
	unsigned int elt_size = (unsigned int)sizeof(struct rte_mbuf) + priv_size + data_room_size;
	struct rte_mempool *mp;
	int ret;

	mp = rte_mempool_create_empty(name, n, elt_size, cache_size, sizeof(priv), socket_id,
				      RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	if (mp == NULL)
		return NULL;
	ret = rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), NULL);
	if (ret == 0) {
		rte_pktmbuf_pool_init(mp, &priv);
		ret = rte_mempool_populate_default(mp);
	}
	if (ret < 0) {
		rte_mempool_free(mp);
		rte_errno = -ret;
		return NULL;
	}
	rte_mempool_mem_iter(mp, chunk_set_iova, NULL);
	rte_mempool_obj_iter(mp, obj_init, NULL);
	return mp;
}

struct rte_mempool *
lcx_pktmbuf_pool_create(const char *name, unsigned int n, unsigned int cache_size,
			uint16_t priv_size, uint16_t data_room_size, int socket_id,
			enum lcx_pool_layout layout)
{
	bool iova_va = rte_eal_iova_mode() == RTE_IOVA_VA;

	if (layout == LCX_POOL_AUTO)
		layout = iova_va ? LCX_POOL_PACKED : LCX_POOL_NATIVE;
	switch (layout) {
	case LCX_POOL_NATIVE:
		return rte_pktmbuf_pool_create(name, n, cache_size, priv_size, data_room_size,
					       socket_id);
	case LCX_POOL_PACKED:
		if (iova_va && RTE_ALIGN(priv_size, RTE_MBUF_PRIV_ALIGN) == priv_size)
			return packed_pool_create(name, n, cache_size, priv_size, data_room_size,
						  socket_id);
		break;
	default:
		break;
	}
	rte_errno = EINVAL;
	return NULL;
}
