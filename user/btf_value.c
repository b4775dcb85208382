// SPDX-License-Identifier: GPL-2.0
/*
 * A value's bytes walked through its BTF type. Integers of 1 to 8 bytes
 * and bitfields, bools, enums, char arrays (strings), arrays, structs,
 * unions and data sections; anything else (pointers, floats) prints as its
 * bytes in hex, so no value is ever read past its type's size.
 */
#include <bpf/btf.h>
#include <string.h>

#include "btf_value.h"
#include "json.h"

static const struct btf_type *ublk_btf_skip(const struct btf *btf, __u32 *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	return t;
}

static unsigned long long ublk_btf_uint(const void *data, unsigned int size)
{
	unsigned long long v = 0;

	memcpy(&v, data, size > 8 ? 8 : size);	/* little-endian host */
	return v;
}

/* Bits [@bit_off, @bit_off + @bits) of @data; sign-extended when @is_signed. */
static unsigned long long ublk_btf_bits(const void *data, unsigned int bit_off,
					unsigned int bits, bool is_signed)
{
	unsigned long long v = 0;
	unsigned int nbytes = (bit_off + bits + 7) / 8;

	memcpy(&v, data, nbytes > 8 ? 8 : nbytes);
	v >>= bit_off;
	if (bits < 64) {
		v &= (1ULL << bits) - 1;
		if (is_signed && (v >> (bits - 1)))
			v |= ~0ULL << bits;
	}
	return v;
}

static bool ublk_btf_is_char(const struct btf *btf, const struct btf_type *t)
{
	return t && btf_is_int(t) && t->size == 1 &&
	       (btf_int_encoding(t) & BTF_INT_CHAR ||
		!strcmp(btf__name_by_offset(btf, t->name_off), "char"));
}

static json_t *ublk_btf_int(const struct btf_type *t, unsigned long long v)
{
	__u8 enc = btf_int_encoding(t);
	unsigned int bits = btf_int_bits(t);

	if (enc & BTF_INT_BOOL)
		return json_boolean(v);
	if (enc & BTF_INT_SIGNED)
		return json_integer(bits < 64 && (v >> (bits - 1)) & 1 ?
				    (json_int_t)(v | ~0ULL << bits) : (json_int_t)v);
	return ublk_json_u64(v);
}

static json_t *ublk_btf_enum(const struct btf *btf, const struct btf_type *t,
			     unsigned long long v)
{
	int i;

	if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t);

		for (i = 0; i < btf_vlen(t); i++, e++)
			if ((__u32)e->val == (__u32)v)
				return json_string(btf__name_by_offset(btf, e->name_off));
	} else {
		const struct btf_enum64 *e = btf_enum64(t);

		for (i = 0; i < btf_vlen(t); i++, e++)
			if (btf_enum64_value(e) == v)
				return json_string(btf__name_by_offset(btf, e->name_off));
	}
	return ublk_json_u64(v);
}

/* A struct or union member: whole, or a bitfield. */
static json_t *ublk_btf_member_json(const struct btf *btf, const struct btf_type *t, int i,
				    const char *base)
{
	const struct btf_member *m = btf_members(t) + i;
	__u32 bits = btf_member_bitfield_size(t, i), off = btf_member_bit_offset(t, i);
	__u32 mid = m->type;
	const struct btf_type *mt = ublk_btf_skip(btf, &mid);
	unsigned long long v;

	if (!bits)
		return ublk_btf_json(btf, mid, base + off / 8);
	v = ublk_btf_bits(base + off / 8, off % 8, bits, false);
	return mt && btf_is_int(mt) ? ublk_btf_int(mt, v) : ublk_json_u64(v);
}

json_t *ublk_btf_json(const struct btf *btf, __u32 id, const void *data)
{
	const struct btf_type *t = ublk_btf_skip(btf, &id), *et;
	const char *p = data;
	__u32 eid, i, n;
	json_t *v;
	__s64 esize;

	if (!t)
		return json_null();
	if (btf_is_int(t))
		return ublk_btf_int(t, ublk_btf_bits(p, btf_int_offset(t), btf_int_bits(t), false));
	if (btf_is_any_enum(t))
		return ublk_btf_enum(btf, t, ublk_btf_uint(p, t->size));
	if (btf_is_array(t)) {
		eid = btf_array(t)->type;
		n = btf_array(t)->nelems;
		et = ublk_btf_skip(btf, &eid);
		esize = btf__resolve_size(btf, eid);
		if (ublk_btf_is_char(btf, et))
			return ublk_json_text(p, strnlen(p, n));
		v = json_array();
		for (i = 0; v && esize >= 0 && i < n; i++)
			json_array_append_new(v, ublk_btf_json(btf, eid, p + i * esize));
		return v;
	}
	if (btf_is_composite(t)) {
		const struct btf_member *m = btf_members(t);

		v = json_object();
		for (i = 0; v && i < btf_vlen(t); i++, m++)
			json_object_set_new(v, btf__name_by_offset(btf, m->name_off),
					    ublk_btf_member_json(btf, t, i, p));
		return v;
	}
	if (btf_is_datasec(t)) {
		const struct btf_var_secinfo *s = btf_var_secinfos(t);

		v = json_object();
		for (i = 0; v && i < btf_vlen(t); i++, s++) {
			const struct btf_type *var = btf__type_by_id(btf, s->type);

			json_object_set_new(v, btf__name_by_offset(btf, var->name_off),
					    ublk_btf_json(btf, var->type, p + s->offset));
		}
		return v;
	}
	if (btf_is_var(t))
		return ublk_btf_json(btf, t->type, p);
	esize = btf__resolve_size(btf, id);
	return ublk_json_hex(p, esize > 0 ? esize : 0, "0x");
}

/* "<indent>NAME VALUE", @v as it reads in JSON; drops @v. */
static void ublk_btf_line(const char *indent, const char *name, json_t *v, FILE *out)
{
	fprintf(out, "%s%-26s ", indent, name);
	ublk_json_put(v, out);
	fputc('\n', out);
}

void ublk_btf_text(const struct btf *btf, __u32 id, const void *data, const char *name,
		   const char *indent, FILE *out)
{
	const struct btf_type *t = ublk_btf_skip(btf, &id);
	const char *p = data;
	char sub[256];
	__u32 i;

	if (t && btf_is_struct(t)) {
		const struct btf_member *m = btf_members(t);

		for (i = 0; i < btf_vlen(t); i++, m++) {
			const char *mname = btf__name_by_offset(btf, m->name_off);
			__u32 off = btf_member_bit_offset(t, i);

			snprintf(sub, sizeof(sub), "%s%s%s", name ? name : "", name ? "." : "", mname);
			if (btf_member_bitfield_size(t, i))
				ublk_btf_line(indent, sub, ublk_btf_member_json(btf, t, i, p), out);
			else
				ublk_btf_text(btf, m->type, p + off / 8, sub, indent, out);
		}
		return;
	}
	if (t && btf_is_datasec(t)) {
		const struct btf_var_secinfo *v = btf_var_secinfos(t);

		for (i = 0; i < btf_vlen(t); i++, v++) {
			const struct btf_type *var = btf__type_by_id(btf, v->type);

			ublk_btf_text(btf, var->type, p + v->offset,
				      btf__name_by_offset(btf, var->name_off), indent, out);
		}
		return;
	}
	ublk_btf_line(indent, name ? name : "value", ublk_btf_json(btf, id, data), out);
}

void ublk_btf_sum(const struct btf *btf, __u32 id, void *dst, const void *src)
{
	const struct btf_type *t = ublk_btf_skip(btf, &id);
	unsigned long long a, b;
	__u32 i, eid;
	__s64 esize;

	if (!t)
		return;
	if (btf_is_int(t) && !(btf_int_encoding(t) & BTF_INT_BOOL) && !btf_int_offset(t) &&
	    btf_int_bits(t) == t->size * 8 && t->size <= 8 && !ublk_btf_is_char(btf, t)) {
		a = ublk_btf_uint(dst, t->size);
		b = ublk_btf_uint(src, t->size);
		a += b;
		memcpy(dst, &a, t->size);
	} else if (btf_is_array(t)) {
		eid = btf_array(t)->type;
		esize = btf__resolve_size(btf, eid);
		for (i = 0; esize > 0 && i < btf_array(t)->nelems; i++)
			ublk_btf_sum(btf, eid, (char *)dst + i * esize, (const char *)src + i * esize);
	} else if (btf_is_struct(t)) {
		const struct btf_member *m = btf_members(t);

		for (i = 0; i < btf_vlen(t); i++, m++)
			if (!btf_member_bitfield_size(t, i))
				ublk_btf_sum(btf, m->type, (char *)dst + btf_member_bit_offset(t, i) / 8,
					     (const char *)src + btf_member_bit_offset(t, i) / 8);
	}
	/* Other kinds (enums, bools, strings, unions): CPU 0's copy stands. */
}
