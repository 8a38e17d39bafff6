package mailin

import (
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// gbFamily lists the labels Chinese mailers use for GB text, including the
// Microsoft and EUC names that the WHATWG index (htmlindex) does not know.
// All of them are decoded with GB18030: it is a superset of GBK, which is a
// superset of GB2312, and mailers routinely label GBK text as "gb2312".
var gbFamily = map[string]bool{
	"gb2312": true, "gbk": true, "gb18030": true, "x-gbk": true,
	"cp936": true, "ms936": true, "windows-936": true, "euc-cn": true,
	"x-euc-cn": true, "csgb2312": true, "csgbk": true,
}

// lookupCharset returns the decoder for a MIME charset label. A nil encoding
// with a nil error means UTF-8: the caller only has to repair invalid bytes.
func lookupCharset(label string) (encoding.Encoding, error) {
	name := strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	switch {
	// RFC 2045 makes a missing charset us-ascii; real mail that omits it is
	// usually UTF-8, and UTF-8 is a superset of ASCII, so treat both alike.
	// htmlindex would map us-ascii to windows-1252, which we do not want.
	case name == "", name == "us-ascii", name == "ascii", name == "utf-8", name == "utf8":
		return nil, nil
	case gbFamily[name]:
		return simplifiedchinese.GB18030, nil
	}
	enc, err := htmlindex.Get(name)
	switch {
	case err != nil:
		return nil, fail(codeUnsupportedCharset, "The charset %q is not supported.", clip(label, 64))
	case enc == encoding.Replacement:
		// WHATWG maps ISO-2022-CN, HZ and friends to a decoder that turns the
		// whole text into one U+FFFD; losing the text silently is worse than
		// telling the sender we cannot read it.
		return nil, fail(codeUnsupportedCharset, "The charset %q cannot be decoded.", clip(label, 64))
	case enc == unicode.UTF8:
		return nil, nil
	case enc == simplifiedchinese.GBK:
		return simplifiedchinese.GB18030, nil
	}
	return enc, nil
}

// decodeCharset converts b from the labelled charset to UTF-8.
//
// Bytes that are invalid in the declared charset are replaced with U+FFFD
// rather than rejected: a tenant's leak report with one mangled character is
// still worth recording, and a bounce would most likely never be read. The
// x/text decoders already substitute U+FFFD; "bad_encoding" is only returned
// if a decoder nevertheless reports an error.
func decodeCharset(label string, b []byte) (string, error) {
	enc, err := lookupCharset(label)
	if err != nil {
		return "", err
	}
	if enc == nil {
		return strings.ToValidUTF8(string(b), "\uFFFD"), nil
	}
	out, _, err := transform.Bytes(enc.NewDecoder(), b)
	if err != nil {
		return "", fail(codeBadEncoding, "The text could not be decoded as %q (%v).", clip(label, 64), err)
	}
	return strings.ToValidUTF8(string(out), "\uFFFD"), nil
}

// charsetReader is the mime.WordDecoder hook for RFC 2047 encoded-words in
// charsets other than the three the standard library decodes itself. It
// decodes in one go: transform.NewReader allocates 8 KiB per call, which a
// subject made of thousands of tiny encoded-words turns into gigabytes.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(input)
	if err != nil {
		return nil, err
	}
	s, err := decodeCharset(label, b)
	if err != nil {
		return nil, err
	}
	return strings.NewReader(s), nil
}

// clip shortens attacker-controlled strings before they go into error
// messages, which end up in logs.
func clip(s string, n int) string {
	if len(s) > n {
		s = truncateRunes(s, n) + "..."
	}
	return strings.ToValidUTF8(s, "?")
}

// truncateRunes cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
