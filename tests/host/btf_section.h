/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The .BTF section of a BPF object file, for the test tools that patch
 * its BTF (btf_patch, the btf fuzzer). Header-only: each is one file.
 */
#ifndef UBLK_TESTS_BTF_SECTION_H
#define UBLK_TESTS_BTF_SECTION_H

#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* The .BTF section's file offset and size. */
static inline int btf_section(const char *path, off_t *off, size_t *size)
{
	int fd = open(path, O_RDONLY), ret = -1;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t strndx;
	Elf *elf;

	elf_version(EV_CURRENT);
	elf = fd < 0 ? NULL : elf_begin(fd, ELF_C_READ, NULL);
	if (elf && !elf_getshdrstrndx(elf, &strndx)) {
		while ((scn = elf_nextscn(elf, scn))) {
			if (gelf_getshdr(scn, &sh) &&
			    !strcmp(elf_strptr(elf, strndx, sh.sh_name), ".BTF")) {
				*off = sh.sh_offset;
				*size = sh.sh_size;
				ret = 0;
				break;
			}
		}
	}
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	return ret;
}

#endif
