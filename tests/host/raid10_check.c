// SPDX-License-Identifier: GPL-2.0
/*
 * raid10_check IMAGE CHUNK LEGS FILE...: exit 0 when chunk k of IMAGE (a
 * copy of a raid10 device) is at offset (k / S) * CHUNK of every one of the
 * LEGS files of set k % S, set s being FILE[s * LEGS] to FILE[s * LEGS +
 * LEGS - 1] and S the number of sets. Written independently of
 * include/ublk_tgt_common.h, on purpose.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	unsigned long chunk, legs, sets, k, l;
	char *want, *got;
	FILE *img, *files[8];
	int nr = argc - 4, i;

	if (argc < 5 || nr > 8) {
		fprintf(stderr, "usage: raid10_check IMAGE CHUNK LEGS FILE...\n");
		return 2;
	}
	chunk = strtoul(argv[2], NULL, 0);
	legs = strtoul(argv[3], NULL, 0);
	if (!chunk || !legs || nr % legs) {
		fprintf(stderr, "raid10_check: %d files do not make sets of %lu legs\n", nr, legs);
		return 2;
	}
	sets = nr / legs;
	img = fopen(argv[1], "rb");
	want = malloc(chunk);
	got = malloc(chunk);
	if (!img || !want || !got)
		return 2;
	for (i = 0; i < nr; i++) {
		files[i] = fopen(argv[4 + i], "rb");
		if (!files[i]) {
			perror(argv[4 + i]);
			return 2;
		}
	}
	for (k = 0; fread(want, 1, chunk, img) == chunk; k++) {
		for (l = 0; l < legs; l++) {
			unsigned long f = (k % sets) * legs + l;

			if (fseek(files[f], (long)(k / sets * chunk), SEEK_SET) ||
			    fread(got, 1, chunk, files[f]) != chunk || memcmp(want, got, chunk)) {
				printf("chunk %lu is not at %s offset %lu\n", k, argv[4 + f],
				       k / sets * chunk);
				return 1;
			}
		}
	}
	printf("%lu chunks of %lu bytes on each of the %lu legs the raid10 mapping names\n",
	       k, chunk, legs);
	return k ? 0 : 1;
}
