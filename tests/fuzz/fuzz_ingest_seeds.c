/* SPDX-License-Identifier: BSD-3-Clause */
/* Write the lcx-ingest test corpus as one file per frame: seeds for the fuzzer.
 * The valid flows' frames also behind the other link headers (raw IP, Linux
 * cooked v1 and v2, loopback), which the target parses every input as.
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
		if (caplen > 14 && (mem[off + 12] == 0x08 || mem[off + 12] == (char)0x86) &&
		    i % 4 == 0) {
			/* The same IP packet behind each other link header. */
			static const uint8_t sll[16] = {0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1},
					     sll2[20] = {0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6},
					     null4[4] = {2, 0, 0, 0};
			const struct { const char *name; const uint8_t *h; size_t n; } v[] = {
				{"raw", NULL, 0}, {"sll", sll, 16}, {"sll2", sll2, 20},
				{"null", null4, 4},
			};
			unsigned int j;

			for (j = 0; j < 4; j++) {
				uint8_t h[20];

				memcpy(h, v[j].h ? v[j].h : h, v[j].n);
				if (j == 1)
					memcpy(h + 14, mem + off + 12, 2);
				if (j == 2)
					memcpy(h, mem + off + 12, 2);
				if (j == 3 && mem[off + 12] == (char)0x86)
					h[0] = 10;
				snprintf(path, sizeof(path), "%s/seed-%04u-%s", argv[1], i,
					 v[j].name);
				o = fopen(path, "wb");
				if (o == NULL || fwrite(h, 1, v[j].n, o) != v[j].n ||
				    fwrite(mem + off + 14, 1, caplen - 14, o) != caplen - 14) {
					fprintf(stderr, "fuzz_ingest_seeds: cannot write %s\n", path);
					return 1;
				}
				fclose(o);
			}
		}
		off += caplen;
	}
	free(mem);
	printf("%u seeds in %s\n", i, argv[1]);
	return 0;
}
