/* SPDX-License-Identifier: BSD-3-Clause */
/* The programs' grammar of option values: see args.h. */

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "args.h"

/* Leading digits into *v; *p moves past them. -EINVAL: none; -ERANGE: overflow. */
static int
digits(const char **p, uint64_t *v, unsigned int *count)
{
	const char *s = *p;
	uint64_t x = 0;
	unsigned int n = 0;
	bool over = false;

	while (*s >= '0' && *s <= '9') {
		unsigned int d = (unsigned int)(*s - '0');

		if (x > (UINT64_MAX - d) / 10)
			over = true;
		else
			x = x * 10 + d;
		s++;
		n++;
	}
	if (n == 0)
		return -EINVAL;
	*p = s;
	*v = x;
	if (count != NULL)
		*count = n;
	return over ? -ERANGE : 0;
}

int
app_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;
	int ret;

	if (s == NULL)
		return -EINVAL;
	ret = digits(&s, &v, NULL);
	if (ret == -EINVAL || *s != '\0')
		return -EINVAL;
	if (ret < 0 || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int
app_parse_duration(const char *s, uint64_t *out_ns)
{
	static const struct {
		const char *sfx;
		uint64_t mul;
	} units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000ull },
		{ "m", 60000000000ull }, { "h", 3600000000000ull }, { "", 1000000000ull },
	};
	uint64_t whole, frac = 0, scale = 1, mul = 0, ns;
	unsigned int nfrac = 0;
	int ret, over = 0;

	if (s == NULL)
		return -EINVAL;
	ret = digits(&s, &whole, NULL);
	if (ret == -EINVAL)
		return -EINVAL;
	if (ret < 0)
		over = 1;
	if (*s == '.') {
		s++;
		if (digits(&s, &frac, &nfrac) == -EINVAL)
			return -EINVAL;
		/* Past 19 digits a fraction is finer than any unit's 1 ns: keep 19. */
		if (nfrac > 19)
			return -EINVAL;
		for (unsigned int i = 0; i < nfrac; i++)
			scale *= 10;
	}
	for (unsigned int i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(s, units[i].sfx) == 0) {
			mul = units[i].mul;
			break;
		}
	if (mul == 0)
		return -EINVAL;
	if (over || (whole != 0 && mul > UINT64_MAX / whole))
		return -ERANGE;
	ns = whole * mul;
	/* frac / scale of a unit, in ns, rounded down: frac < scale <= 10^19. */
	{
		unsigned __int128 f = (unsigned __int128)frac * mul / scale;

		if (f > UINT64_MAX - ns)
			return -ERANGE;
		ns += (uint64_t)f;
	}
	*out_ns = ns;
	return 0;
}

int
app_parse_size(const char *s, uint64_t *out)
{
	uint64_t v, mul = 1;
	int ret;

	if (s == NULL)
		return -EINVAL;
	ret = digits(&s, &v, NULL);
	if (ret == -EINVAL)
		return -EINVAL;
	if (*s == 'k' || *s == 'K')
		mul = 1ull << 10, s++;
	else if (*s == 'M')
		mul = 1ull << 20, s++;
	else if (*s == 'G')
		mul = 1ull << 30, s++;
	if (*s != '\0')
		return -EINVAL;
	if (ret < 0 || (v != 0 && mul > UINT64_MAX / v))
		return -ERANGE;
	*out = v * mul;
	return 0;
}

const char *
app_parse_why(int err)
{
	return err == -ERANGE ? "out of range" : "not a valid value";
}
