/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_POOL_H
#define LCX_POOL_H

/**
 * @file
 * mbuf pools laid out for the cache.
 *
 * rte_pktmbuf_pool_create() asks for objects that are IOVA-contiguous. On 4 KiB
 * pages (EAL --no-huge, or any pool not on hugepages) that means no object may
 * cross a page, so an mbuf of the default size (2368 bytes with its header)
 * takes a page of its own and every mbuf header sits at the same offset in its
 * page: the same L1 set. The few dozen mbufs a forwarding loop keeps in flight
 * then evict each other from L1 on every burst.
 *
 * When IOVA addresses are virtual addresses (EAL IOVA mode VA, the default for
 * vdevs and vfio), a virtually contiguous buffer is IOVA-contiguous whatever
 * the pages, so the objects can be packed back to back
 * (RTE_MEMPOOL_F_NO_IOVA_CONTIG): the headers spread over every L1 set and
 * the pool is smaller. In IOVA mode PA the packed layout would hand devices
 * buffers that span physical pages, so LCX_POOL_AUTO falls back to DPDK's.
 * With hugepages both layouts are nearly the same.
 */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rte_mempool;

/** Object layout of an mbuf pool. */
enum lcx_pool_layout {
	LCX_POOL_AUTO = 0, /**< packed when the EAL's IOVA mode is VA, else native */
	LCX_POOL_PACKED,   /**< objects back to back; only in IOVA mode VA */
	LCX_POOL_NATIVE,   /**< rte_pktmbuf_pool_create()'s: no object crosses a page */
};

/**
 * Create a pool of packet mbufs; the arguments are rte_pktmbuf_pool_create()'s,
 * with the layout. After rte_eal_init(), from a control thread (not an lcore
 * that runs a context's loop). Free the pool with rte_mempool_free() once
 * every mbuf is back.
 * @param name the pool's name, unique among mempools, at most
 *        RTE_MEMPOOL_NAMESIZE - 1 characters.
 * @param n the number of mbufs, at least 1.
 * @param cache_size the per-lcore cache, 0 to RTE_MEMPOOL_CACHE_MAX_SIZE (512)
 *        and at most n / 1.5.
 * @param priv_size application bytes between the mbuf header and the data
 *        room, a multiple of RTE_MBUF_PRIV_ALIGN (8).
 * @param data_room_size bytes of data room per mbuf, headroom included
 *        (RTE_MBUF_DEFAULT_BUF_SIZE: 2048 + RTE_PKTMBUF_HEADROOM).
 * @param socket_id the NUMA node of its memory, or SOCKET_ID_ANY (-1).
 * @param layout the object layout.
 * @return the pool, or NULL with rte_errno set (EINVAL: LCX_POOL_PACKED outside
 *         IOVA mode VA, or a bad argument; ENOMEM; EEXIST: the name is taken).
 */
struct rte_mempool *lcx_pktmbuf_pool_create(const char *name, unsigned int n,
					    unsigned int cache_size, uint16_t priv_size,
					    uint16_t data_room_size, int socket_id,
					    enum lcx_pool_layout layout);

/**
 * The layout of a pool, read from its flags (any pool, not only lcx's). Any
 * thread.
 * @param mp the pool.
 * @return LCX_POOL_PACKED (objects may cross pages:
 *         RTE_MEMPOOL_F_NO_IOVA_CONTIG set) or LCX_POOL_NATIVE.
 */
enum lcx_pool_layout lcx_pktmbuf_pool_layout(const struct rte_mempool *mp);

/**
 * The name of a layout. Any thread.
 * @param layout the layout.
 * @return "auto", "packed" or "native"; "?" for a value outside the enum.
 *         A static string.
 */
const char *lcx_pool_layout_name(enum lcx_pool_layout layout);

/**
 * Parse a layout name. Any thread.
 * @param s "auto", "packed" or "native" (exact, lower case).
 * @param out the layout; untouched on error.
 * @return 0, or -EINVAL (s NULL or not one of the names).
 */
int lcx_pool_layout_parse(const char *s, enum lcx_pool_layout *out);

#ifdef __cplusplus
}
#endif

#endif /* LCX_POOL_H */
