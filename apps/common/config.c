/* SPDX-License-Identifier: BSD-3-Clause */
/* --config=FILE: the program's long options from a file. See config.h. */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

/* Which arguments of the expanded command line came from which line. */
struct origin {
	char *arg; /* "--key=value" as in the expanded argv (a copy of ours: kept to exit) */
	char where[4096 + 24];
};

static struct origin *origins;
static unsigned int nb_origins;

const char *
app_config_where(const char *name, const char *val)
{
	const char *found = NULL;

	if (val == NULL)
		return NULL;
	for (unsigned int i = 0; i < nb_origins; i++) {
		const char *a = origins[i].arg;
		const char *eq = strchr(a, '=');
		size_t n = eq != NULL ? (size_t)(eq - a) : 0;

		if (eq == NULL || strncmp(a, "--", 2) != 0 || strcmp(eq + 1, val) != 0)
			continue;
		if (name != NULL) {
			if (n == strlen(name) + 2 && strncmp(a + 2, name, n - 2) == 0)
				return origins[i].where; /* the first line of that key */
			continue;
		}
		if (found != NULL)
			return NULL; /* the value alone is ambiguous */
		found = origins[i].where;
	}
	return found;
}

static int
origin_add(const char *arg, const char *path, unsigned int line)
{
	struct origin *o = realloc(origins, (nb_origins + 1) * sizeof(*o));

	if (o == NULL)
		return -ENOMEM;
	origins = o;
	o[nb_origins].arg = strdup(arg);
	if (o[nb_origins].arg == NULL)
		return -ENOMEM;
	snprintf(o[nb_origins].where, sizeof(o[nb_origins].where), "%s:%u", path, line);
	nb_origins++;
	return 0;
}

/* The length of one UTF-8 sequence at s (n bytes left), 0 if it is not one. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates, past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* A line's bytes: UTF-8, no NUL, no control character but a tab. @return a phrase or NULL. */
static const char *
line_bytes_why(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t l;

		if (u[i] == '\0')
			return "a NUL byte";
		if (u[i] == '\r')
			return "a carriage return (a DOS line end? convert the file with dos2unix)";
		if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f)
			return "a control character";
		l = utf8_len(u + i, n - i);
		if (l == 0)
			return "bytes that are not UTF-8";
		i += l;
	}
	return NULL;
}

int
app_config_split_words(const char *s, struct app_argv *out, const char **why)
{
	size_t len = strlen(s);
	char *w = malloc(len + 1);
	int words = 0;

	if (w == NULL)
		return -ENOMEM;
	while (*s != '\0') {
		size_t n = 0;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		while (*s != '\0' && *s != ' ' && *s != '\t') {
			if (*s == '\'') {
				const char *end = strchr(s + 1, '\'');

				if (end == NULL)
					goto unterminated;
				memcpy(w + n, s + 1, (size_t)(end - s - 1));
				n += (size_t)(end - s - 1);
				s = end + 1;
			} else if (*s == '"') {
				s++;
				while (*s != '"') {
					if (*s == '\0')
						goto unterminated;
					if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
						s++;
					w[n++] = *s++;
				}
				s++;
			} else if (*s == '\\') {
				if (s[1] == '\0') {
					*why = "a \\ at the end";
					free(w);
					return -EINVAL;
				}
				w[n++] = s[1];
				s += 2;
			} else {
				w[n++] = *s++;
			}
		}
		w[n] = '\0';
		if (app_argv_add(out, w) < 0) {
			free(w);
			return -ENOMEM;
		}
		words++;
	}
	free(w);
	return words;
unterminated:
	*why = "a quote not closed";
	free(w);
	return -EINVAL;
}

/* The file, whole, NUL-terminated. @return 0 or -errno (said). */
static int
read_file(const char *prog, const char *path, char **text, size_t *size)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd, ret = 0;

	/* O_NONBLOCK: a FIFO planted at the path does not block us (refused below). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		fprintf(stderr, "%s: --config=%s: %s\n", prog, path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		fprintf(stderr, "%s: --config=%s: %s\n", prog, path, strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "%s: --config=%s: not a regular file\n", prog, path);
		ret = -EINVAL;
		goto out_close;
	}
	if (geteuid() == 0 && st.st_uid != 0) {
		fprintf(stderr, "%s: --config=%s: run as root, the file must belong to root "
				"(it belongs to uid %u)\n", prog, path, (unsigned int)st.st_uid);
		ret = -EACCES;
		goto out_close;
	}
	if (geteuid() == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		fprintf(stderr, "%s: --config=%s: run as root, the file must be writable by root "
				"only (mode %04o: chmod go-w)\n", prog, path,
			(unsigned int)(st.st_mode & 07777));
		ret = -EACCES;
		goto out_close;
	}
	if (st.st_size > APP_CONFIG_FILE_MAX) {
		fprintf(stderr, "%s: --config=%s: larger than %u bytes\n", prog, path,
			(unsigned int)APP_CONFIG_FILE_MAX);
		ret = -EINVAL;
		goto out_close;
	}
	buf = malloc(APP_CONFIG_FILE_MAX + 2);
	if (buf == NULL) {
		ret = -ENOMEM;
		goto out_close;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, APP_CONFIG_FILE_MAX + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			fprintf(stderr, "%s: --config=%s: %s\n", prog, path, strerror(errno));
			free(buf);
			goto out_close;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > APP_CONFIG_FILE_MAX) {
			fprintf(stderr, "%s: --config=%s: larger than %u bytes\n", prog, path,
				(unsigned int)APP_CONFIG_FILE_MAX);
			ret = -EINVAL;
			free(buf);
			goto out_close;
		}
	}
	buf[got] = '\0';
	*text = buf;
	*size = got;
out_close:
	close(fd);
	return ret;
}

static const struct option *
find_key(const struct option *opts, const char *key)
{
	for (const struct option *o = opts; o->name != NULL; o++)
		if (strcmp(o->name, key) == 0)
			return o;
	return NULL;
}

static bool
in_list(const char *const *list, const char *key)
{
	for (unsigned int i = 0; list != NULL && list[i] != NULL; i++)
		if (strcmp(list[i], key) == 0)
			return true;
	return false;
}

/* The option names the command line's program part gives ("--name" or "--name=..."). */
static bool
given_on_command_line(const struct app_argv *app, const char *key)
{
	size_t n = strlen(key);

	for (int i = 1; i < app->n; i++) {
		const char *a = app->v[i];

		if (strncmp(a, "--", 2) == 0 && strncmp(a + 2, key, n) == 0 &&
		    (a[2 + n] == '\0' || a[2 + n] == '='))
			return true;
	}
	return false;
}

/* One line of the file read. */
struct cfg_line {
	char key[64];
	char *arg;          /* "--key[=value]", or NULL for eal */
	unsigned int line;
};

struct cfg {
	struct cfg_line *l;
	unsigned int n;
	struct app_argv eal;
	unsigned int eal_line; /* the first eal line */
};

static void
cfg_free(struct cfg *c)
{
	for (unsigned int i = 0; i < c->n; i++)
		free(c->l[i].arg);
	free(c->l);
	app_argv_free(&c->eal);
}

static int __attribute__((format(printf, 4, 5)))
bad_line(const char *prog, const char *path, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s:%u: ", prog, path, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EINVAL;
}

/* One line (NUL-terminated, no newline) into c. @return 0 or -EINVAL (said), -ENOMEM. */
static int
parse_line(const struct app_config_conf *conf, const char *path, unsigned int line, char *s,
	   struct cfg *c)
{
	const char *prog = conf->prog;
	const struct option *o;
	char *key, *val = NULL, *end;
	size_t klen;
	struct cfg_line *l;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '#')
		return 0;
	key = s;
	while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '=')
		s++;
	klen = (size_t)(s - key);
	while (*s == ' ' || *s == '\t')
		*s++ = '\0';
	if (*s == '=') {
		*s++ = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		val = s;
		end = s + strlen(s);
		while (end > val && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		*end = '\0';
	} else if (*s != '\0') {
		return bad_line(prog, path, line, "expected 'key = value' or 'key', not '%s'",
				key);
	}
	key[klen] = '\0';
	if (klen == 0)
		return bad_line(prog, path, line, "a value without a key");
	if (strncmp(key, "--", 2) == 0)
		return bad_line(prog, path, line, "keys are written without \"--\": '%s'",
				key + 2);
	if (strcmp(key, "config") == 0)
		return bad_line(prog, path, line, "config in a configuration file: one file only");
	if (strcmp(key, "help") == 0 || strcmp(key, "version") == 0)
		return bad_line(prog, path, line, "%s is no setting (a command line option)",
				key);
	if (strcmp(key, "eal") == 0) {
		const char *why = "";
		int ret;

		if (val == NULL || *val == '\0')
			return bad_line(prog, path, line, "eal needs a value: eal = EAL ARGUMENTS");
		if (c->eal.n == 0)
			c->eal_line = line;
		ret = app_config_split_words(val, &c->eal, &why);
		if (ret == -ENOMEM)
			return ret;
		if (ret < 0)
			return bad_line(prog, path, line, "eal: %s", why);
		return 0;
	}
	o = find_key(conf->opts, key);
	if (o == NULL)
		return bad_line(prog, path, line, "unknown key '%s' (the long options of --help, "
				"without \"--\")", key);
	if (o->has_arg == no_argument && val != NULL)
		return bad_line(prog, path, line, "%s is a flag: write '%s' alone, without a value",
				key, key);
	if (o->has_arg == required_argument && (val == NULL || *val == '\0'))
		return bad_line(prog, path, line, "%s needs a value: %s = VALUE", key, key);
	if (!in_list(conf->repeatable, key))
		for (unsigned int i = 0; i < c->n; i++)
			if (strcmp(c->l[i].key, key) == 0)
				return bad_line(prog, path, line, "%s given twice (first on line %u)", key,
						c->l[i].line);
	l = realloc(c->l, (c->n + 1) * sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	c->l = l;
	l = &c->l[c->n];
	if (klen >= sizeof(l->key))
		return bad_line(prog, path, line, "unknown key '%s'", key);
	snprintf(l->key, sizeof(l->key), "%s", key);
	l->line = line;
	if (val != NULL && asprintf(&l->arg, "--%s=%s", key, val) < 0)
		return -ENOMEM;
	if (val == NULL && asprintf(&l->arg, "--%s", key) < 0)
		return -ENOMEM;
	c->n++;
	return 0;
}

static int
parse_text(const struct app_config_conf *conf, const char *path, char *text, size_t size,
	   struct cfg *c)
{
	unsigned int line = 0;
	char *p = text, *end = text + size;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		const char *why;
		int ret;

		line++;
		if (n > APP_CONFIG_LINE_MAX)
			return bad_line(conf->prog, path, line, "a line longer than %u bytes",
					(unsigned int)APP_CONFIG_LINE_MAX);
		why = line_bytes_why(p, n);
		if (why != NULL)
			return bad_line(conf->prog, path, line, "%s", why);
		p[n] = '\0';
		ret = parse_line(conf, path, line, p, c);
		if (ret < 0)
			return ret;
		p += n + 1;
	}
	return 0;
}

/* Find --config and --print-config: the file's name, the flag, the command line without
 * them. */
static int
take_config(int argc, char **argv, const char *prog, const char **path, bool *print,
	    struct app_argv *rest)
{
	int ret = 0;

	*path = NULL;
	*print = false;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *p = NULL;

		if (i > 0 && strcmp(a, "--print-config") == 0) {
			*print = true;
			continue;
		}
		if (i > 0 && strcmp(a, "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "%s: --config needs a file name\n", prog);
				return -EINVAL;
			}
			p = argv[++i];
		} else if (i > 0 && strncmp(a, "--config=", 9) == 0) {
			p = a + 9;
		}
		if (p == NULL) {
			ret |= app_argv_add(rest, a);
			continue;
		}
		if (*p == '\0') {
			fprintf(stderr, "%s: --config needs a file name\n", prog);
			return -EINVAL;
		}
		if (*path != NULL) {
			fprintf(stderr, "%s: --config given twice (%s, %s): one file only\n", prog,
				*path, p);
			return -EINVAL;
		}
		*path = p;
	}
	return ret < 0 ? -ENOMEM : 0;
}

const struct option *
app_config_value_opts(const char *const *names)
{
	struct option *t;
	unsigned int n = 0;

	while (names[n] != NULL)
		n++;
	t = calloc(n + 1, sizeof(*t));
	if (t == NULL)
		return NULL;
	for (unsigned int i = 0; i < n; i++) {
		t[i].name = names[i] + strspn(names[i], "-");
		t[i].has_arg = required_argument;
	}
	return t;
}

int
app_config_expand(int argc, char **argv, const struct app_config_conf *conf,
		  struct app_argv *out)
{
	struct app_argv rest = { 0 }, cl_eal = { 0 }, cl_app = { 0 };
	struct cfg c = { 0 };
	const char *path;
	char *text = NULL;
	size_t size = 0;
	bool print;
	int ret;

	ret = take_config(argc, argv, conf->prog, &path, &print, &rest);
	if (ret < 0)
		goto out;
	if (path == NULL) {
		for (int i = 0; i < rest.n && ret == 0; i++)
			ret = app_argv_add(out, rest.v[i]);
		goto out;
	}
	ret = read_file(conf->prog, path, &text, &size);
	if (ret < 0)
		goto out;
	ret = parse_text(conf, path, text, size, &c);
	if (ret < 0)
		goto out;
	ret = app_args_split(rest.n, rest.v, conf->is_app_option, &cl_eal, &cl_app);
	if (ret < 0)
		goto out;
	/* argv[0], EAL arguments (the command line's replace the file's), "--", options. */
	ret |= app_argv_add(out, rest.n > 0 ? rest.v[0] : conf->prog);
	if (cl_eal.n > 1 && c.eal.n > 0)
		fprintf(stderr, "%s: EAL arguments on the command line: the eal lines of %s "
				"(first on line %u) are not used\n", conf->prog, path, c.eal_line);
	if (cl_eal.n <= 1)
		for (int i = 0; i < c.eal.n; i++) {
			ret |= app_argv_add(out, c.eal.v[i]);
			if (ret == 0)
				ret = origin_add(c.eal.v[i], path, c.eal_line);
		}
	for (int i = 1; i < cl_eal.n; i++)
		ret |= app_argv_add(out, cl_eal.v[i]);
	ret |= app_argv_add(out, "--");
	for (unsigned int i = 0; i < c.n; i++) {
		if (given_on_command_line(&cl_app, c.l[i].key)) {
			fprintf(stderr, "%s: --%s on the command line replaces %s:%u\n", conf->prog,
				c.l[i].key, path, c.l[i].line);
			continue;
		}
		ret |= app_argv_add(out, c.l[i].arg);
		if (ret == 0)
			ret = origin_add(c.l[i].arg, path, c.l[i].line);
	}
	for (int i = 1; i < cl_app.n; i++)
		ret |= app_argv_add(out, cl_app.v[i]);
	if (ret < 0)
		ret = -ENOMEM;
out:
	if (ret == 0 && print)
		ret = 1;
	if (ret == -ENOMEM)
		fprintf(stderr, "%s: out of memory\n", conf->prog);
	free(text);
	cfg_free(&c);
	app_argv_free(&rest);
	app_argv_free(&cl_eal);
	app_argv_free(&cl_app);
	return ret;
}

/* A word for the eal line: bare when it has nothing the splitter would take, else in
 * double quotes with \ and " escaped. */
static void
print_word(FILE *f, const char *w)
{
	if (*w != '\0' && strpbrk(w, " \t'\"\\") == NULL) {
		fputs(w, f);
		return;
	}
	fputc('"', f);
	for (; *w != '\0'; w++) {
		if (*w == '"' || *w == '\\')
			fputc('\\', f);
		fputc(*w, f);
	}
	fputc('"', f);
}

int
app_config_print(const struct app_config_conf *conf, const struct app_argv *args, FILE *f)
{
	struct app_argv eal = { 0 }, app = { 0 };

	if (app_args_split(args->n, args->v, conf->is_app_option, &eal, &app) < 0)
		return -ENOMEM;
	fprintf(f, "# %s: the options given, from --config and the command line (the\n"
		   "# defaults are not shown); a file for %s --config=FILE\n",
		conf->prog, conf->prog);
	if (eal.n > 1) {
		fputs("eal =", f);
		for (int i = 1; i < eal.n; i++) {
			fputc(' ', f);
			print_word(f, eal.v[i]);
		}
		fputc('\n', f);
	}
	for (int i = 1; i < app.n; i++) {
		const char *a = app.v[i], *eq = strchr(a, '='), *val = NULL;
		const struct option *o = NULL;
		char name[64];
		size_t n;

		if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			fprintf(f, "# on the command line only: %s\n", a);
			continue;
		}
		n = eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (n < sizeof(name)) {
			memcpy(name, a + 2, n);
			name[n] = '\0';
			o = find_key(conf->opts, name);
		}
		if (o == NULL) {
			fprintf(f, "# not an option of %s: %s\n", conf->prog, a);
			continue;
		}
		if (eq != NULL)
			val = eq + 1;
		else if (o->has_arg == required_argument && i + 1 < app.n)
			val = app.v[++i];
		if (val == NULL) {
			fprintf(f, "%s\n", name);
			continue;
		}
		/* The file trims the blanks around a value and cannot hold a newline. */
		if (*val == '\0' || strchr(" \t", val[0]) != NULL ||
		    strchr(" \t", val[strlen(val) - 1]) != NULL || strchr(val, '\n') != NULL) {
			fprintf(f, "# cannot be written in a file (blanks around it, a newline): "
				   "--%s=...\n", name);
			continue;
		}
		fprintf(f, "%s = %s\n", name, val);
	}
	app_argv_free(&eal);
	app_argv_free(&app);
	return fflush(f) == 0 ? 0 : -EIO;
}
