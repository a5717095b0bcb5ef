/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test helper: write a pcap for lcx-ingest and print what it holds as JSON.
 *   ingest_gen corpus FILE              the malformed-frame corpus
 *   ingest_gen flows FILE N ROUNDS PORT LEN   N IPv4 flows, 4-byte seq at 0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

int
main(int argc, char **argv)
{
	struct ingest_corpus_counts c;
	FILE *f;
	unsigned int v;
	int ret;

	if (argc < 3 || (strcmp(argv[1], "corpus") != 0 && strcmp(argv[1], "flows") != 0) ||
	    (strcmp(argv[1], "flows") == 0 && argc != 7)) {
		fprintf(stderr, "usage: %s corpus FILE | flows FILE N ROUNDS PORT LEN\n", argv[0]);
		return 2;
	}
	f = fopen(argv[2], "wb");
	if (f == NULL || ingest_pcap_header(f) < 0) {
		perror(argv[2]);
		return 1;
	}
	if (strcmp(argv[1], "corpus") == 0) {
		ret = ingest_gen_corpus(f, &c);
		printf("{\"total\":%llu", (unsigned long long)c.total);
		for (v = 0; v < INGEST_VERDICT_MAX; v++)
			printf(",\"%s\":%llu", ingest_verdict_name(v),
			       (unsigned long long)c.verdict[v]);
		printf("}\n");
	} else {
		ret = ingest_gen_flows(f, (unsigned int)atoi(argv[3]), (unsigned int)atoi(argv[4]),
				       (uint16_t)atoi(argv[5]), (uint16_t)atoi(argv[6]));
	}
	if (ret < 0 || fclose(f) != 0) {
		fprintf(stderr, "ingest_gen: write failed\n");
		return 1;
	}
	return 0;
}
