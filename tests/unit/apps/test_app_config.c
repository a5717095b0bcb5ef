/* SPDX-License-Identifier: BSD-3-Clause */
/* --config=FILE (apps/common/config.h): the file into the argv getopt_long() sees. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static const struct option opts[] = {
	{ "listen", required_argument, NULL, 1 },
	{ "throttle", required_argument, NULL, 2 },
	{ "quiet", no_argument, NULL, 3 },
	{ "capture", required_argument, NULL, 4 },
	{ "help", no_argument, NULL, 5 },
	{ NULL, 0, NULL, 0 },
};
static const char *const repeatable[] = { "listen", NULL };
static const struct app_config_conf conf = {
	.prog = "t", .opts = opts, .repeatable = repeatable, .is_app_option = NULL,
};

static char dir[64];
static char path[128];
static char errpath[128];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/lcx-test-config-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/c.conf", dir);
	snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
write_file(const char *text, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

/* Expand "prog" + args with stderr captured into msg. */
static int
expand(struct app_argv *out, char *msg, size_t msgsize, int n, ...)
{
	char *argv[16];
	va_list ap;
	int saved, fd, ret;
	FILE *f;

	argv[0] = "prog";
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		argv[i + 1] = va_arg(ap, char *);
	va_end(ap);
	argv[n + 1] = NULL;
	fflush(stderr);
	saved = dup(2);
	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	memset(out, 0, sizeof(*out));
	ret = app_config_expand(n + 1, argv, &conf, out);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fopen(errpath, "r");
	msg[fread(msg, 1, msgsize - 1, f)] = '\0';
	fclose(f);
	return ret;
}

static void
assert_argv(const struct app_argv *a, const char *const *want)
{
	int i;

	for (i = 0; want[i] != NULL; i++) {
		if (i >= a->n)
			fail_msg("argv has %d entries, wanted more ('%s')", a->n, want[i]);
		if (strcmp(a->v[i], want[i]) != 0)
			fail_msg("argv[%d] '%s', wanted '%s'", i, a->v[i], want[i]);
	}
	assert_int_equal(a->n, i);
	assert_null(a->v[i]);
}

static void
test_expand(void **state)
{
	static const char text[] =
		"# a comment\n"
		"\n"
		"   # an indented comment\n"
		"listen = 127.0.0.1:5000\n"
		"listen=127.0.0.1:6000\n"
		"throttle\t=\t2ms   \n"
		"quiet\n"
		"capture = /var/lib/lcx/a #b.pcapng\n" /* '#' in a value is the value's */
		"eal = --no-huge -m 1024 \"--vdev=net_null0,a b\" 'x\"y' c\\ d\n"
		"eal = --no-pci";
	static const char *const want[] = {
		"prog", "--no-huge", "-m", "1024", "--vdev=net_null0,a b", "x\"y", "c d",
		"--no-pci", "--", "--listen=127.0.0.1:5000", "--listen=127.0.0.1:6000",
		"--throttle=2ms", "--quiet", "--capture=/var/lib/lcx/a #b.pcapng", NULL,
	};
	char arg[160], msg[512];
	struct app_argv out;
	const char *w;

	(void)state;
	write_file(text, sizeof(text) - 1, 0600);
	snprintf(arg, sizeof(arg), "--config=%s", path);
	assert_int_equal(expand(&out, msg, sizeof(msg), 1, arg), 0);
	assert_argv(&out, want);
	assert_string_equal(msg, "");
	/* Where a value came from: a pointer into the argument (getopt's optarg). */
	w = app_config_where("throttle", "2ms");
	assert_non_null(w);
	snprintf(arg, sizeof(arg), "%s:6", path);
	assert_string_equal(w, arg);
	assert_string_equal(app_config_where(NULL, "2ms"), arg);
	snprintf(arg, sizeof(arg), "%s:5", path);
	assert_string_equal(app_config_where("listen", "127.0.0.1:6000"), arg);
	assert_null(app_config_where("throttle", "3ms"));
	assert_null(app_config_where("quiet", "2ms"));
	app_argv_free(&out);

	/* "--config FILE", after "--", among other options. */
	assert_int_equal(expand(&out, msg, sizeof(msg), 4, "-l", "0", "--", "--config"), -EINVAL);
	assert_non_null(strstr(msg, "--config needs a file name"));
	app_argv_free(&out);
}

static void
test_command_line_wins(void **state)
{
	static const char text[] = "listen = a:1\nlisten = b:2\nthrottle = 2ms\nquiet\n"
				   "eal = --no-huge --vdev=net_null0\n";
	static const char *const want[] = {
		"prog", "-l", "0-1", "--", "--quiet", "--throttle=5ms", "--listen=c:3", NULL,
	};
	static const char *const want_none[] = { "prog", "--no-huge", "--vdev=net_null0", "--",
						 "--listen=a:1", "--listen=b:2",
						 "--throttle=2ms", "--quiet", NULL };
	char arg[160], msg[1024];
	struct app_argv out;

	(void)state;
	write_file(text, sizeof(text) - 1, 0600);
	snprintf(arg, sizeof(arg), "--config=%s", path);
	/* The config anywhere: after "--" here. */
	assert_int_equal(expand(&out, msg, sizeof(msg), 6, "-l", "0-1", "--", arg,
				"--throttle=5ms", "--listen=c:3"), 0);
	assert_argv(&out, want);
	assert_non_null(strstr(msg, "--throttle on the command line replaces"));
	assert_non_null(strstr(msg, "--listen on the command line replaces"));
	assert_non_null(strstr(msg, "the eal lines of"));
	app_argv_free(&out);
	/* Nothing on the command line: the file alone. */
	assert_int_equal(expand(&out, msg, sizeof(msg), 1, arg), 0);
	assert_argv(&out, want_none);
	app_argv_free(&out);
	/* Without --config: the command line as it is. */
	{
		static const char *const same[] = { "prog", "-l", "0", "--", "--quiet", NULL };

		assert_int_equal(expand(&out, msg, sizeof(msg), 4, "-l", "0", "--", "--quiet"), 0);
		assert_argv(&out, same);
		app_argv_free(&out);
	}
}

/* Each bad file: the error, with FILE:LINE. */
static void
test_errors(void **state)
{
	static const struct {
		const char *text;
		size_t len;
		unsigned int line;
		const char *why;
	} cases[] = {
#define C(t, l, w) { t, sizeof(t) - 1, l, w }
		C("quiet\nbogus = 1\n", 2, "unknown key 'bogus'"),
		C("quiet = yes\n", 1, "quiet is a flag"),
		C("# x\nthrottle\n", 2, "throttle needs a value"),
		C("throttle =   \n", 1, "throttle needs a value"),
		C("throttle = 1ms\nquiet\nthrottle = 2ms\n", 3,
		  "throttle given twice (first on line 1)"),
		C("quiet\nquiet\n", 2, "quiet given twice"),
		C("quiet\nthrottle = 1\0ms\n", 2, "a NUL byte"),
		C("capture = caf\xc3\n", 1, "not UTF-8"),
		C("capture = \xc0\xaf\n", 1, "not UTF-8"),         /* overlong '/' */
		C("capture = \xed\xa0\x80\n", 1, "not UTF-8"),     /* a surrogate */
		C("quiet\r\n", 1, "carriage return"),
		C("capture = a\x1b[0m\n", 1, "control character"),
		C("--quiet\n", 1, "without \"--\""),
		C("config = /etc/x\n", 1, "one file only"),
		C("help\n", 1, "help is no setting"),
		C("= 5\n", 1, "a value without a key"),
		C("throttle 5ms\n", 1, "expected 'key = value'"),
		C("eal = --vdev='net_null0\n", 1, "eal: a quote not closed"),
		C("eal = a\\\n", 1, "eal: a \\ at the end"),
		C("eal =\n", 1, "eal needs a value"),
#undef C
	};
	char arg[160], msg[1024], want[256];
	struct app_argv out;

	(void)state;
	snprintf(arg, sizeof(arg), "--config=%s", path);
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(cases[i].text, cases[i].len, 0600);
		if (expand(&out, msg, sizeof(msg), 1, arg) != -EINVAL)
			fail_msg("case %u accepted: %s", i, msg);
		snprintf(want, sizeof(want), "t: %s:%u: ", path, cases[i].line);
		if (strncmp(msg, want, strlen(want)) != 0 || strstr(msg, cases[i].why) == NULL)
			fail_msg("case %u: '%s', wanted '%s...%s'", i, msg, want, cases[i].why);
		app_argv_free(&out);
	}
	/* A line too long: the line's number. */
	{
		size_t n = APP_CONFIG_LINE_MAX + 20;
		char *t = malloc(n + 1);

		memcpy(t, "quiet\ncapture = ", 16);
		memset(t + 16, 'a', n - 17);
		t[n - 1] = '\n';
		write_file(t, n, 0600);
		free(t);
		assert_int_equal(expand(&out, msg, sizeof(msg), 1, arg), -EINVAL);
		snprintf(want, sizeof(want), "t: %s:2: a line longer than 4096 bytes", path);
		assert_non_null(strstr(msg, want));
		app_argv_free(&out);
	}
	/* --config twice, a missing file, a FIFO. */
	write_file("quiet\n", 6, 0600);
	assert_int_equal(expand(&out, msg, sizeof(msg), 2, arg, arg), -EINVAL);
	assert_non_null(strstr(msg, "--config given twice"));
	app_argv_free(&out);
	assert_int_equal(expand(&out, msg, sizeof(msg), 1, "--config=/nonexistent/x.conf"),
			 -ENOENT);
	app_argv_free(&out);
	{
		char fifo[160], farg[180];

		snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
		assert_int_equal(mkfifo(fifo, 0600), 0);
		snprintf(farg, sizeof(farg), "--config=%s", fifo);
		assert_int_equal(expand(&out, msg, sizeof(msg), 1, farg), -EINVAL);
		assert_non_null(strstr(msg, "not a regular file"));
		app_argv_free(&out);
	}
}

/* Run as root: the file must be root's and writable by root only. */
static void
test_root_modes(void **state)
{
	char arg[160], msg[512], link[160], larg[180];
	struct app_argv out;

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(arg, sizeof(arg), "--config=%s", path);
	write_file("quiet\n", 6, 0664);
	assert_int_equal(expand(&out, msg, sizeof(msg), 1, arg), -EACCES);
	assert_non_null(strstr(msg, "writable by root only (mode 0664"));
	app_argv_free(&out);
	assert_int_equal(chmod(path, 0602), 0);
	assert_int_equal(expand(&out, msg, sizeof(msg), 1, arg), -EACCES);
	app_argv_free(&out);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(chown(path, 65534, 0), 0);
	assert_int_equal(expand(&out, msg, sizeof(msg), 1, arg), -EACCES);
	assert_non_null(strstr(msg, "must belong to root (it belongs to uid 65534)"));
	app_argv_free(&out);
	assert_int_equal(chown(path, 0, 0), 0);
	assert_int_equal(expand(&out, msg, sizeof(msg), 1, arg), 0);
	app_argv_free(&out);
	/* A link is followed; its target is what is checked. */
	snprintf(link, sizeof(link), "%s/link.conf", dir);
	assert_int_equal(symlink(path, link), 0);
	snprintf(larg, sizeof(larg), "--config=%s", link);
	assert_int_equal(expand(&out, msg, sizeof(msg), 1, larg), 0);
	app_argv_free(&out);
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(expand(&out, msg, sizeof(msg), 1, larg), -EACCES);
	app_argv_free(&out);
	unlink(link);
}

static void
test_split_words(void **state)
{
	struct app_argv a = { 0 };
	const char *why = NULL;

	(void)state;
	assert_int_equal(app_config_split_words("  a  'b c'  \"d \\\" e\\\\\" f\\ g $HOME ~ *", &a,
						&why), 7);
	assert_string_equal(a.v[0], "a");
	assert_string_equal(a.v[1], "b c");
	assert_string_equal(a.v[2], "d \" e\\");
	assert_string_equal(a.v[3], "f g");
	assert_string_equal(a.v[4], "$HOME"); /* no expansion */
	assert_string_equal(a.v[5], "~");
	assert_string_equal(a.v[6], "*");
	app_argv_free(&a);
	assert_int_equal(app_config_split_words("x'y'z\"w\"", &a, &why), 1);
	assert_string_equal(a.v[0], "xyzw");
	app_argv_free(&a);
	assert_int_equal(app_config_split_words("   ", &a, &why), 0);
	app_argv_free(&a);
	assert_int_equal(app_config_split_words("\"abc", &a, &why), -EINVAL);
	app_argv_free(&a);
}

/* --print-config: asked for by 1; the printed file, read back, gives the same options. */
static void
test_print(void **state)
{
	static const char text[] = "listen = a:1\nlisten = b:2\nthrottle = 2ms\n"
				   "eal = --no-huge \"--vdev=x,a b\" 'q\"\\' --log-level=lcx.*:notice\n";
	char arg[160], parg[180], ppath[160], msg[1024];
	struct app_argv out, back;
	FILE *f;

	(void)state;
	write_file(text, sizeof(text) - 1, 0600);
	snprintf(arg, sizeof(arg), "--config=%s", path);
	assert_int_equal(expand(&out, msg, sizeof(msg), 5, arg, "--print-config", "--",
				"--quiet", "--capture=c d"), 1);
	snprintf(ppath, sizeof(ppath), "%s/printed.conf", dir);
	f = fopen(ppath, "w");
	assert_non_null(f);
	assert_int_equal(app_config_print(&conf, &out, f), 0);
	fclose(f);
	chmod(ppath, 0600);
	snprintf(parg, sizeof(parg), "--config=%s", ppath);
	assert_int_equal(expand(&back, msg, sizeof(msg), 1, parg), 0);
	assert_int_equal(back.n, out.n);
	for (int i = 1; i < out.n; i++)
		assert_string_equal(back.v[i], out.v[i]);
	app_argv_free(&back);
	app_argv_free(&out);
	/* Without --config: the command line as a file. */
	assert_int_equal(expand(&out, msg, sizeof(msg), 4, "-l", "0", "--", "--print-config"), 1);
	assert_int_equal(out.n, 4);
	assert_string_equal(out.v[3], "--");
	app_argv_free(&out);
}

/* Random files (fixed seed) from the grammar's own tokens and now and then any byte:
 * accepted, or refused with "t: FILE:LINE: "; never a crash (run under ASan too). */
static void
test_random_files(void **state)
{
	static const char *const tok[] = {
		"listen", "throttle", "quiet", "capture", "eal", "help", "config", " = ", "=",
		" ", "\t", "\n", "\n", "\n", "# ", "'", "\"", "\\", "a b", "1ms", ":", "--",
		"\r", "\x01", "\x80", "\xc3\xa9", "\xed\xa0\x80",
	};
	const size_t nb_tok = sizeof(tok) / sizeof(tok[0]);
	char arg[160], msg[2048], want[200];
	unsigned int seed = 12345, accepted = 0;
	struct app_argv out;

	(void)state;
	snprintf(arg, sizeof(arg), "--config=%s", path);
	snprintf(want, sizeof(want), "t: %s:", path);
	for (unsigned int round = 0; round < 3000; round++) {
		char text[600];
		size_t n = 0, len = (size_t)(rand_r(&seed) % (round % 2 ? 500 : 40));
		int ret;

		while (n < len) {
			const char *t = tok[(size_t)rand_r(&seed) % nb_tok];
			size_t l = strlen(t);

			if (rand_r(&seed) % 50 == 0) {
				text[n++] = (char)(rand_r(&seed) & 0xff);
				continue;
			}
			memcpy(text + n, t, l);
			n += l;
		}
		write_file(text, n, 0600);
		ret = expand(&out, msg, sizeof(msg), 1, arg);
		if (ret == 0)
			accepted++;
		else if (ret != -EINVAL || strncmp(msg, want, strlen(want)) != 0)
			fail_msg("round %u: %d '%s'", round, ret, msg);
		app_argv_free(&out);
	}
	print_message("random files: %u of 3000 accepted\n", accepted);
}

/* lcx-bench's table: names with dashes, every one taking a value. */
static void
test_value_opts(void **state)
{
	static const char *const names[] = { "--rate", "--duration", NULL };
	const struct option *t = app_config_value_opts(names);

	(void)state;
	assert_non_null(t);
	assert_string_equal(t[0].name, "rate");
	assert_int_equal(t[0].has_arg, required_argument);
	assert_string_equal(t[1].name, "duration");
	assert_null(t[2].name);
	free((void *)t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_command_line_wins),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_root_modes),
		cmocka_unit_test(test_split_words),
		cmocka_unit_test(test_value_opts),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_random_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
