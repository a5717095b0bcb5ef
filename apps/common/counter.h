/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_APP_COUNTER_H
#define LCX_APP_COUNTER_H

/*
 * The programs' relaxed counters: one context writes a counter, any thread
 * reads it. A plain add published with a relaxed store (no locked instruction
 * on the fast path) and read with a relaxed load: a reader sees a value the
 * writer stored, never a torn one. One writer per counter, always.
 * (The library keeps its own copy, LCX_STAT_ADD in src/lcx_private.h, which is
 * not public; when the library exports one, this can become an alias.)
 */

#define APP_COUNTER_ADD(field, v) __atomic_store_n(&(field), (field) + (v), __ATOMIC_RELAXED)
#define APP_COUNTER_GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

#endif /* LCX_APP_COUNTER_H */
