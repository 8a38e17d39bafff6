// Package mailin turns raw inbound email, as posted to the intake webhook,
// into the few fields a service-desk case needs: who sent it, what it is
// about and the body text. It is written for the mail Chinese tenants really
// send: GB2312/GBK/GB18030 labels, RFC 2047 encoded subjects and names, and
// HTML-only bodies from web and mobile clients.
package mailin

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxSize is the largest raw message Parse accepts (bytes).
const MaxSize = 2 << 20

const (
	// maxText bounds Message.Text because the store keeps it as a case
	// description; longer bodies are quoted threads or pasted logs.
	maxText = 64 << 10
	// maxDepth bounds multipart nesting; real clients stay below 4, and the
	// limit keeps hostile input from recursing without end.
	maxDepth = 10
	// maxParts bounds the MIME parts visited; a phone mailing twenty photos
	// is far below it, a message of tens of thousands of empty parts is
	// an attempt to burn CPU.
	maxParts = 500
	// maxFrom bounds the From header; one mailbox never needs more, and
	// net/mail would otherwise parse a megabyte-long address list.
	maxFrom = 4 << 10
)

// Error codes. They are part of the API: callers map them to responses.
const (
	codeTooLarge           = "too_large"
	codeMalformed          = "malformed"
	codeNoSender           = "no_sender"
	codeUnsupportedCharset = "unsupported_charset"
	codeNoText             = "no_text"
	codeBadEncoding        = "bad_encoding"
)

// Message is what the intake needs from one inbound email.
type Message struct {
	MessageID string    // from Message-Id header, angle brackets stripped; "" if absent
	From      string    // sender address, lower-cased (e.g. "wang@example.com")
	FromName  string    // decoded display name, may be Chinese
	Subject   string    // decoded subject (RFC 2047 encoded-words in any supported charset)
	Date      time.Time // zero if absent or unparsable
	Text      string    // decoded body text, see Parse
}

// Error is returned by Parse for input that is not an acceptable message,
// and by VerifySignature. Code is a stable machine code, Message a human
// English sentence.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return "mailin: " + e.Code + ": " + e.Message }

func fail(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Parse decodes a raw RFC 5322 message.
//
// Text is the first non-empty text/plain part, or failing that the first
// text/html part with tags stripped and entities unescaped. Parts with
// Content-Disposition: attachment and non-text parts (including forwarded
// message/rfc822) are skipped. Line endings become LF, control characters
// other than LF and TAB are removed, runs of blank lines are collapsed and
// the result is trimmed and cut to 64 KiB on a rune boundary.
//
// Parse stops reading at the first usable text/plain part, so damage in
// later parts (typically attachments) does not reject an otherwise readable
// report. Damage met before that is reported as "malformed".
func Parse(raw []byte) (Message, error) {
	if len(raw) > MaxSize {
		return Message{}, fail(codeTooLarge, "The message is %d bytes; the limit is %d.", len(raw), MaxSize)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, fail(codeMalformed, "The message headers could not be read (%v).", err)
	}
	dec := &mime.WordDecoder{CharsetReader: charsetReader}

	var m Message
	m.From, m.FromName, err = parseFrom(dec, msg.Header.Get("From"))
	if err != nil {
		return Message{}, err
	}
	if m.Subject, err = decodeHeader(dec, msg.Header.Get("Subject")); err != nil {
		return Message{}, err
	}
	m.MessageID = cleanLine(strings.Trim(strings.TrimSpace(msg.Header.Get("Message-Id")), "<>"))
	if d, err := msg.Header.Date(); err == nil {
		m.Date = d
	}

	var w walker
	if _, err := w.walk(textproto.MIMEHeader(msg.Header), msg.Body, 0); err != nil {
		return Message{}, err
	}
	m.Text = w.plain
	if m.Text == "" && w.html != nil {
		h, err := decodePart(w.html.cte, w.html.charset, bytes.NewReader(w.html.body))
		if err != nil {
			return Message{}, err
		}
		m.Text = normalize(stripHTML(h))
	}
	if m.Text == "" && m.Subject == "" {
		return Message{}, fail(codeNoText, "The message has neither a subject nor any body text.")
	}
	return m, nil
}

// parseFrom returns the lower-cased address and decoded display name of the
// first From mailbox.
func parseFrom(dec *mime.WordDecoder, v string) (addr, name string, err error) {
	if strings.TrimSpace(v) == "" {
		return "", "", fail(codeNoSender, "The message has no From header.")
	}
	if len(v) > maxFrom {
		return "", "", fail(codeNoSender, "The From header is %d bytes long; a sender address is at most %d.", len(v), maxFrom)
	}
	p := mail.AddressParser{WordDecoder: dec}
	list, perr := p.ParseList(v)
	if perr == nil && len(list) > 0 {
		addr, name = list[0].Address, list[0].Name
	} else if lt := strings.LastIndexByte(v, '<'); lt >= 0 && strings.HasSuffix(strings.TrimSpace(v), ">") {
		// Some older Chinese clients put raw GBK bytes in the display name,
		// which net/mail rejects as invalid UTF-8. The angle-addr alone is
		// still usable, and for a name that is not UTF-8 GB18030 is by far
		// the likeliest charset in our mail; the name is only cosmetic.
		a, aerr := mail.ParseAddress(strings.TrimSpace(v[lt:]))
		if aerr != nil {
			perr = aerr
		} else {
			addr = a.Address
			raw := strings.Trim(strings.TrimSpace(v[:lt]), `"`)
			if utf8.ValidString(raw) {
				name, _ = decodeHeader(dec, raw)
			} else {
				name, _ = decodeCharset("gb18030", []byte(raw))
			}
		}
	}
	if addr == "" || !utf8.ValidString(addr) || strings.ContainsFunc(addr, unicode.IsControl) {
		if perr == nil {
			perr = errors.New("no mailbox found")
		}
		return "", "", fail(codeNoSender, "The From header %q is not a usable address (%v).", clip(v, 128), perr)
	}
	return strings.ToLower(addr), cleanLine(name), nil
}

// decodeHeader decodes RFC 2047 encoded-words. Malformed words are left as
// they are (mime.WordDecoder's choice); only a charset we cannot decode is
// an error, because guessing would record garbage as the subject.
func decodeHeader(dec *mime.WordDecoder, v string) (string, error) {
	s, err := dec.DecodeHeader(v)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return "", e
		}
		return "", fail(codeUnsupportedCharset, "A header could not be decoded (%v).", err)
	}
	return cleanLine(s), nil
}

// walker finds the body text in a MIME tree.
//
// HTML parts are only kept raw and decoded if no text/plain part turns up,
// so a damaged or oddly encoded HTML alternative cannot reject a message
// whose plain text is fine, whichever order the parts come in.
type walker struct {
	plain string
	html  *rawPart
	parts int
}

type rawPart struct {
	body         []byte
	cte, charset string
}

// decodePart undoes the transfer encoding, then the charset. The part's
// charset parameter is authoritative; an HTML <meta charset> that disagrees
// is more often stale template text than right.
func decodePart(cte, charset string, r io.Reader) (string, error) {
	raw, err := decodeTransfer(cte, r)
	if err != nil {
		return "", err
	}
	return decodeCharset(charset, raw)
}

// walk reports done once a non-empty text/plain body is found.
func (w *walker) walk(h textproto.MIMEHeader, body io.Reader, depth int) (done bool, err error) {
	if depth > maxDepth {
		return false, fail(codeMalformed, "MIME parts are nested more than %d levels deep.", maxDepth)
	}
	if w.parts++; w.parts > maxParts {
		return false, fail(codeMalformed, "The message has more than %d MIME parts.", maxParts)
	}
	if isAttachment(h.Get("Content-Disposition")) {
		return false, nil
	}
	mt, params := contentType(h.Get("Content-Type"))
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		return w.walkMultipart(params["boundary"], body, depth)
	case mt == "text/html" && w.html == nil:
		b, err := io.ReadAll(body)
		if err != nil {
			return false, fail(codeMalformed, "An HTML part could not be read (%v).", err)
		}
		w.html = &rawPart{b, h.Get("Content-Transfer-Encoding"), params["charset"]}
		return false, nil
	case mt != "text/plain":
		return false, nil
	}
	text, err := decodePart(h.Get("Content-Transfer-Encoding"), params["charset"], body)
	if err != nil {
		return false, err
	}
	w.plain = normalize(text)
	return w.plain != "", nil
}

func (w *walker) walkMultipart(boundary string, body io.Reader, depth int) (bool, error) {
	if boundary == "" {
		return false, fail(codeMalformed, "A multipart part has no boundary parameter.")
	}
	mr := multipart.NewReader(body, boundary)
	for {
		// NextRawPart, not NextPart: NextPart silently decodes only
		// quoted-printable, and we want one code path for every encoding.
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, fail(codeMalformed, "The multipart body is broken (%v).", err)
		}
		done, err := w.walk(p.Header, p, depth+1)
		if err != nil || done {
			return done, err
		}
	}
}

// contentType falls back to text/plain for a missing or unparsable header,
// as RFC 2045 section 5.2 prescribes.
func contentType(v string) (string, map[string]string) {
	if strings.TrimSpace(v) == "" {
		return "text/plain", nil
	}
	mt, params, _ := mime.ParseMediaType(v)
	if mt == "" {
		return "text/plain", nil
	}
	return mt, params
}

func isAttachment(v string) bool {
	if d, _, _ := mime.ParseMediaType(v); d != "" {
		return d == "attachment"
	}
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "attachment")
}

// decodeTransfer undoes the Content-Transfer-Encoding. An unknown encoding
// is malformed rather than passed through, since its bytes would be noise.
func decodeTransfer(cte string, r io.Reader) ([]byte, error) {
	var b []byte
	var err error
	switch name := strings.ToLower(strings.TrimSpace(cte)); name {
	case "", "7bit", "8bit", "binary":
		b, err = io.ReadAll(r)
	case "quoted-printable":
		b, err = io.ReadAll(quotedprintable.NewReader(r))
	case "base64":
		if b, err = io.ReadAll(r); err == nil {
			b, err = decodeBase64(b)
		}
	default:
		return nil, fail(codeMalformed, "The Content-Transfer-Encoding %q is not supported.", clip(cte, 64))
	}
	if err != nil {
		return nil, fail(codeMalformed, "A body part could not be read or decoded (%v).", err)
	}
	return b, nil
}

// decodeBase64 accepts line-wrapped input and missing padding, both common
// in the wild, but rejects any other non-alphabet byte.
func decodeBase64(b []byte) ([]byte, error) {
	b = bytes.TrimRight(bytes.Join(bytes.Fields(b), nil), "=")
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(b)))
	n, err := base64.RawStdEncoding.Decode(out, b)
	return out[:n], err
}
