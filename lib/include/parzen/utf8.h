/*
 * UTF-8: the one decoder every part of parzen uses.
 *
 * "Well-formed" is RFC 3629: no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF. The daemon refuses request
 * lines that are not well-formed and scrubs what it echoes; the report
 * escapes text for XML; the CLI cuts and aligns names by characters.
 */
#ifndef PZ_UTF8_H
#define PZ_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length (1 to 4) of the well-formed sequence at s[0..avail), or 0 when
 * the bytes there do not form one (also when avail is 0). *cp (may be
 * NULL) receives the code point.
 */
size_t pz_utf8_decode(const char *s, size_t avail, uint32_t *cp);

/* Offset of the first byte of s[0..len) not in a well-formed sequence, or
 * -1 when all of it is well-formed. */
ptrdiff_t pz_utf8_check(const char *s, size_t len);

/* Replace every byte of s[0..len) that is not part of a well-formed
 * sequence by `repl` (an ASCII byte), in place. */
void pz_utf8_scrub(char *s, size_t len, char repl);

/* Characters in the NUL-terminated `s`; a byte outside any well-formed
 * sequence counts as one character. */
size_t pz_utf8_length(const char *s);

/* Bytes taken by the first `n` characters of `s` (all of it if shorter),
 * counted as pz_utf8_length does: never splits a sequence. */
size_t pz_utf8_prefix(const char *s, size_t n);

/* Does the NUL-terminated `s` hold a control character: C0 (below 0x20),
 * DEL (0x7f) or C1 (U+0080..U+009F)? Names, labels and keys may not. */
int pz_utf8_has_control(const char *s);

#endif
