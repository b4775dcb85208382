// SPDX-License-Identifier: GPL-2.0
/*
 * stripe_check IMAGE CHUNK FILE...: exit 0 when chunk k of IMAGE (a copy of
 * a stripe device) equals chunk k / N of FILE[k % N], for every chunk.
 * An oracle written independently of include/ublk_tgt_common.h, on purpose.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	unsigned long chunk, k;
	char *want, *got;
	FILE *img, *files[8];
	int nr = argc - 3, i;

	if (argc < 4 || nr > 8) {
		fprintf(stderr, "usage: stripe_check IMAGE CHUNK FILE...\n");
		return 2;
	}
	chunk = strtoul(argv[2], NULL, 0);
	img = fopen(argv[1], "rb");
	want = malloc(chunk);
	got = malloc(chunk);
	if (!img || !want || !got || !chunk)
		return 2;
	for (i = 0; i < nr; i++) {
		files[i] = fopen(argv[3 + i], "rb");
		if (!files[i]) {
			perror(argv[3 + i]);
			return 2;
		}
	}
	for (k = 0; fread(want, 1, chunk, img) == chunk; k++) {
		FILE *f = files[k % nr];

		if (fseek(f, (long)(k / nr * chunk), SEEK_SET) ||
		    fread(got, 1, chunk, f) != chunk || memcmp(want, got, chunk)) {
			printf("chunk %lu is not at %s offset %lu\n", k, argv[3 + k % nr],
			       k / nr * chunk);
			return 1;
		}
	}
	printf("%lu chunks of %lu bytes where the stripe mapping puts them\n", k, chunk);
	return k ? 0 : 1;
}
