/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcx-bench's other files: --csv (trials.csv and latency-<trial>.csv) and --calibration
 * (a MODE calibrate --json read back).
 *
 * --csv=DIR: DIR is created (mode 0777 less the umask) when it does not exist; an
 * existing DIR is taken only when it is a directory, not a symbolic link, and empty.
 * It is checked and opened before the EAL starts; each file is created in it with
 * O_CREAT|O_EXCL|O_NOFOLLOW (a file or link planted there since is refused, never
 * followed nor overwritten). A run that ends before writing removes the directory it
 * created (when still empty).
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "bench.h"

static int csv_fd = -1;
static bool csv_created;
static const char *csv_path;

int
bench_csv_open(const char *dir, char *err, size_t errlen)
{
	DIR *d;
	struct dirent *e;
	struct stat st;
	int fd2;

	if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode)) {
		snprintf(err, errlen, "is a symbolic link: not followed");
		return -1;
	}
	if (mkdir(dir, 0777) == 0) {
		csv_created = true;
	} else if (errno != EEXIST) {
		snprintf(err, errlen, "cannot create the directory: %s", strerror(errno));
		return -1;
	}
	csv_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (csv_fd < 0) {
		int e2 = errno;

		snprintf(err, errlen, "%s", e2 == ENOTDIR ? "exists and is not a directory"
					   : e2 == ELOOP ? "is a symbolic link: not followed"
							 : strerror(e2));
		return -1;
	}
	csv_path = dir;
	if (csv_created)
		return 0;
	fd2 = dup(csv_fd);
	d = fd2 >= 0 ? fdopendir(fd2) : NULL;
	if (d == NULL) {
		snprintf(err, errlen, "cannot read the directory: %s", strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			snprintf(err, errlen, "exists and is not empty (%s): a new or empty "
					      "directory, nothing is overwritten", e->d_name);
			closedir(d);
			return -1;
		}
	closedir(d);
	return 0;
}

void
bench_csv_abort(void)
{
	if (csv_fd < 0)
		return;
	close(csv_fd);
	csv_fd = -1;
	if (csv_created)
		rmdir(csv_path); /* fails, as it should, when not empty */
}

static FILE *
csv_create(const char *name, char *err, size_t errlen)
{
	int fd = openat(csv_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	FILE *f;

	if (fd < 0) {
		snprintf(err, errlen, "%s/%s: %s", csv_path, name, strerror(errno));
		return NULL;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		snprintf(err, errlen, "%s/%s: %s", csv_path, name, strerror(errno));
		close(fd);
	}
	return f;
}

static int
csv_close(FILE *f, const char *name, char *err, size_t errlen)
{
	if (ferror(f) | (fflush(f) != 0) | (fsync(fileno(f)) != 0)) {
		snprintf(err, errlen, "%s/%s: %s", csv_path, name, strerror(errno));
		fclose(f);
		return -1;
	}
	if (fclose(f) != 0) {
		snprintf(err, errlen, "%s/%s: %s", csv_path, name, strerror(errno));
		return -1;
	}
	return 0;
}

int
bench_csv_write(char *err, size_t errlen)
{
	static struct bench_hist_bucket bk[BENCH_HIST_BUCKETS];
	FILE *f;

	if (csv_fd < 0)
		return 0;
	f = csv_create("trials.csv", err, errlen);
	if (f == NULL)
		return -1;
	fprintf(f, "index,purpose,frame_size,mean_frame_bytes,rate_pps,duration_s,count,"
		   "elapsed_s,intended,offered,refused,skipped,unsent,late_tx,received,lost,"
		   "late,duplicate,reordered,unsigned,other_stream,model_dropped,loss_ratio,"
		   "forwarding_rate_pps,generator_limited,latency_count,latency_min_ns,"
		   "latency_mean_ns,latency_p50_ns,latency_p90_ns,latency_p99_ns,latency_p999_ns,"
		   "latency_p9999_ns,latency_max_ns,latency_error_max_ns,rfc3550_j_ns\n");
	for (unsigned int i = 0; i < b.nb_trials; i++) {
		const struct bench_trial_result *r = &b.trials[i];
		const struct bench_hist *h = r->lat;

		fprintf(f,
			"%u,%s,\"%s\",%.17g,%.17g,%.17g,%" PRIu64 ",%.17g,%" PRIu64 ",%" PRIu64
			",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
			",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
			",%.17g,%.17g,%s,%" PRIu64 ",%" PRIu64 ",%.17g,%" PRIu64 ",%" PRIu64
			",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.17g\n",
			r->index, bench_purpose_name(r->purpose), r->sizes_text, r->mean_frame,
			r->rate_pps, r->duration_s, r->count, r->elapsed_s, r->tx.intended,
			r->tx.offered, r->tx.refused, r->tx.skipped, r->unsent, r->tx.late,
			r->rx.received, r->rx.lost, r->rx.late, r->rx.duplicate, r->rx.reordered,
			r->unsigned_frames, r->other_stream, r->model_dropped, r->loss_ratio,
			r->forwarding_rate_pps, r->generator_limited ? "true" : "false", h->count,
			h->count > 0 ? h->min : 0, bench_hist_mean(h),
			bench_hist_percentile(h, 0.5), bench_hist_percentile(h, 0.9),
			bench_hist_percentile(h, 0.99), bench_hist_percentile(h, 0.999),
			bench_hist_percentile(h, 0.9999), h->max, r->lat_error_ns, r->jit->j);
	}
	if (csv_close(f, "trials.csv", err, errlen) < 0)
		return -1;
	for (unsigned int i = 0; i < b.nb_trials; i++) {
		const struct bench_trial_result *r = &b.trials[i];
		size_t n = bench_hist_export(r->lat, bk, BENCH_HIST_BUCKETS);
		char name[64];

		snprintf(name, sizeof(name), "latency-%u.csv", r->index);
		f = csv_create(name, err, errlen);
		if (f == NULL)
			return -1;
		fprintf(f, "lo_ns,hi_ns,count\n");
		for (size_t k = 0; k < n; k++)
			fprintf(f, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", bk[k].lo, bk[k].hi,
				bk[k].count);
		if (csv_close(f, name, err, errlen) < 0)
			return -1;
	}
	close(csv_fd);
	csv_fd = -1;
	return 0;
}

static bool
get_u64(json_t *o, const char *key, uint64_t *v)
{
	json_t *j = json_object_get(o, key);

	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return false;
	*v = (uint64_t)json_integer_value(j);
	return true;
}

int
bench_calibration_read(const char *path, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je), *cal, *fl, *top, *fr;
	struct bench_calibration *c = &b.cal;
	int ret = -1;

	if (root == NULL) {
		snprintf(err, errlen, "not read: %s (line %d)", je.text, je.line);
		return -1;
	}
	cal = json_object_get(root, "calibration");
	fl = json_object_get(cal, "latency_floor_ns");
	top = json_object_get(cal, "top_rate_pps");
	fr = json_object_get(cal, "floor_rate_pps");
	if (!json_is_string(json_object_get(root, "schema")) ||
	    strcmp(json_string_value(json_object_get(root, "schema")), "lcx-bench") != 0 ||
	    json_integer_value(json_object_get(root, "schema_version")) != BENCH_SCHEMA_VERSION ||
	    !json_is_string(json_object_get(root, "mode")) ||
	    strcmp(json_string_value(json_object_get(root, "mode")), "calibrate") != 0) {
		snprintf(err, errlen, "not an lcx-bench calibrate result of schema_version %d",
			 BENCH_SCHEMA_VERSION);
		goto out;
	}
	if (!json_is_object(cal) || !json_is_object(fl) || !json_is_number(top) ||
	    !get_u64(fl, "min", &c->floor_min_ns) || !get_u64(fl, "p50", &c->floor_p50_ns) ||
	    !get_u64(fl, "p99", &c->floor_p99_ns)) {
		snprintf(err, errlen, "no calibration.latency_floor_ns {min, p50, p99} and "
				      "top_rate_pps in it");
		goto out;
	}
	c->top_rate_pps = json_number_value(top);
	c->floor_rate_pps = json_is_number(fr) ? json_number_value(fr) : 0;
	c->top_rate_reached = json_is_true(json_object_get(cal, "top_rate_reached_link"));
	c->measured = path;
	c->present = true;
	ret = 0;
out:
	json_decref(root);
	return ret;
}
