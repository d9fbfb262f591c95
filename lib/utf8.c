/*
 * UTF-8 decoding and the few string operations built on it; see utf8.h.
 */
#include <parzen/utf8.h>

#include <string.h>

size_t pz_utf8_decode(const char *s, size_t avail, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char lo = 0x80, hi = 0xbf;
	uint32_t v;
	size_t n;

	if (avail == 0)
		return 0;
	if (p[0] < 0x80) {
		v = p[0];
		n = 1;
		goto done;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		v = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		v = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		v = p[0] & 0x07;
	} else {
		return 0;
	}
	/* The second byte's range rules out overlong forms, surrogates and
	 * code points above U+10FFFF (RFC 3629, section 4). */
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (avail < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
done:
	if (cp != NULL)
		*cp = v;
	return n;
}

ptrdiff_t pz_utf8_check(const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = pz_utf8_decode(s + i, len - i, NULL)) == 0)
			return (ptrdiff_t)i;
		i += n;
	}
	return -1;
}

void pz_utf8_scrub(char *s, size_t len, char repl)
{
	size_t i = 0, n;

	while (i < len) {
		n = pz_utf8_decode(s + i, len - i, NULL);
		if (n == 0) {
			s[i] = repl;
			n = 1;
		}
		i += n;
	}
}

size_t pz_utf8_prefix(const char *s, size_t n)
{
	size_t len = strlen(s), i = 0, k;

	while (i < len && n > 0) {
		k = pz_utf8_decode(s + i, len - i, NULL);
		i += k > 0 ? k : 1;
		n--;
	}
	return i;
}

size_t pz_utf8_length(const char *s)
{
	size_t len = strlen(s), i = 0, chars = 0, k;

	while (i < len) {
		k = pz_utf8_decode(s + i, len - i, NULL);
		i += k > 0 ? k : 1;
		chars++;
	}
	return chars;
}

int pz_utf8_has_control(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f ||
		    (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return 1;
	return 0;
}
