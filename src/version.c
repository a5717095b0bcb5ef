/* SPDX-License-Identifier: BSD-3-Clause */
#include <lcx/version.h>

const char *
lcx_version(void)
{
	return LCX_VERSION_STRING;
}
