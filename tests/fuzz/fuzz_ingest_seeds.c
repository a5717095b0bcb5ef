/* SPDX-License-Identifier: BSD-3-Clause */
/* Write the lcx-ingest test corpus as one file per frame: seeds for the fuzzer.
 * Usage: fuzz_ingest_seeds DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

int
main(int argc, char **argv)
{
	struct ingest_corpus_counts c;
	char *mem = NULL, path[4096];
	size_t size = 0, off;
	unsigned int i = 0;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	f = open_memstream(&mem, &size);
	if (f == NULL || ingest_pcap_header(f) < 0 || ingest_gen_corpus(f, &c) < 0 ||
	    ingest_gen_flows(f, 4, 2, 5000, 64) < 0) {
		fprintf(stderr, "fuzz_ingest_seeds: cannot build the corpus\n");
		return 1;
	}
	fclose(f);
	for (off = 24; off + 16 <= size; i++) {
		uint32_t caplen;
		FILE *o;

		memcpy(&caplen, mem + off + 8, 4);
		off += 16;
		snprintf(path, sizeof(path), "%s/seed-%04u", argv[1], i);
		o = fopen(path, "wb");
		if (o == NULL || fwrite(mem + off, 1, caplen, o) != caplen) {
			fprintf(stderr, "fuzz_ingest_seeds: cannot write %s\n", path);
			return 1;
		}
		fclose(o);
		off += caplen;
	}
	free(mem);
	printf("%u seeds in %s\n", i, argv[1]);
	return 0;
}
