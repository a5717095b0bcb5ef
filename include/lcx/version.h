/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LCX_VERSION_H
#define LCX_VERSION_H

/** @file Library version. */

#define LCX_VERSION_MAJOR 0
#define LCX_VERSION_MINOR 1
#define LCX_VERSION_STRING "0.1.0"

#endif /* LCX_VERSION_H */
