/* SPDX-License-Identifier: BSD-3-Clause */
/* The programs' JSON output, on jansson: jout.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jout.h"

double
app_jout_round(double v, int decimals)
{
	static const double scale[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9 };
	double s;

	if (!isfinite(v))
		return 0.0;
	if (decimals < 0)
		decimals = 0;
	if (decimals > 9)
		decimals = 9;
	s = scale[decimals];
	/* Past 2^53 / s the product would not be exact: leave such a value as it is. */
	if (fabs(v) * s >= 9007199254740992.0)
		return v;
	return round(v * s) / s;
}

int
app_jout_dump(json_t *o, FILE *f, int nl)
{
	int ret;

	if (o == NULL)
		return -ENOMEM;
	ret = json_dumpf(o, f, APP_JOUT_FLAGS);
	json_decref(o);
	if (ret != 0 || (nl && fputc('\n', f) == EOF))
		return -EIO;
	return 0;
}

char *
app_jout_line(json_t *o, size_t *len)
{
	char *s, *line;
	size_t n;

	if (o == NULL)
		return NULL;
	s = json_dumps(o, APP_JOUT_FLAGS);
	json_decref(o);
	if (s == NULL)
		return NULL;
	n = strlen(s);
	line = realloc(s, n + 2);
	if (line == NULL) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	*len = n + 1;
	return line;
}
