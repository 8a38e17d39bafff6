package mailin_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"mime/quotedprintable"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"github.com/concierge-pm/concierge/mailin"
)

// encode converts UTF-8 test text to a legacy charset, so the tests state the
// Chinese they expect instead of carrying opaque bytes.
func encode(t testing.TB, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encoding %q: %v", s, err)
	}
	return b
}

// b64Lines base64-encodes b wrapped at 76 columns, as mailers send it.
func b64Lines(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 76 {
		out.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	return out.String() + s
}

func qp(t testing.TB, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	w := quotedprintable.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// qWord builds an RFC 2047 Q encoded-word by hand, escaping every byte
// that is not a letter or digit.
func qWord(charset string, b []byte) string {
	var s strings.Builder
	for _, c := range b {
		switch {
		case c == ' ':
			s.WriteByte('_')
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			s.WriteByte(c)
		default:
			fmt.Fprintf(&s, "=%02X", c)
		}
	}
	return "=?" + charset + "?Q?" + s.String() + "?="
}

func bWord(charset string, b []byte) string {
	return "=?" + charset + "?B?" + base64.StdEncoding.EncodeToString(b) + "?="
}

// msg joins lines with CRLF, the wire form.
func msg(lines ...string) string { return strings.Join(lines, "\r\n") }

type parseCase struct {
	name string
	raw  string
	want mailin.Message // compared field by field; zero Date is not checked
	code string         // expected Error.Code; "" means success
}

func parseCases(t testing.TB) []parseCase {
	const from = "From: Wang Wei <Wang@Example.com>"
	gb18030Text := strings.Repeat("电梯故障，3号楼困人！", 8) + "𠮷"
	deep := "Content-Type: text/plain\r\n\r\nx"
	for i := 0; i < 12; i++ {
		b := fmt.Sprintf("b%d", i)
		deep = "Content-Type: multipart/mixed; boundary=" + b + "\r\n\r\n--" + b + "\r\n" + deep + "\r\n--" + b + "--\r\n"
	}
	return []parseCase{
		{
			name: "plain utf-8",
			raw: msg(from, "To: desk@concierge.example", "Subject: Leak in 3B",
				"Message-Id: <abc.123@mail.example.com>", "Date: Mon, 02 Jan 2006 15:04:05 +0800",
				"MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit",
				"", "楼上漏水，天花板滴水", "请尽快处理", ""),
			want: mailin.Message{MessageID: "abc.123@mail.example.com", From: "wang@example.com", FromName: "Wang Wei",
				Subject: "Leak in 3B", Date: time.Date(2006, 1, 2, 7, 4, 5, 0, time.UTC),
				Text: "楼上漏水，天花板滴水\n请尽快处理"},
		},
		{
			name: "subject GB2312 B encoded-word",
			raw:  msg(from, "Subject: "+bWord("GB2312", encode(t, simplifiedchinese.GBK, "电梯故障")), "", "body"),
			want: mailin.Message{From: "wang@example.com", FromName: "Wang Wei", Subject: "电梯故障", Text: "body"},
		},
		{
			name: "subject gbk Q encoded-word across folded words",
			raw: msg(from, "Subject: "+qWord("gbk", encode(t, simplifiedchinese.GBK, "电梯故障 3号楼")),
				" "+qWord("GBK", encode(t, simplifiedchinese.GBK, "困人")), "", "body"),
			want: mailin.Message{From: "wang@example.com", FromName: "Wang Wei", Subject: "电梯故障 3号楼困人", Text: "body"},
		},
		{
			// 喆 is in GBK but not GB2312: mailers label GBK text gb2312.
			name: "body GBK quoted-printable labelled gb2312",
			raw: msg(from, "Subject: x", `Content-Type: text/plain; charset="gb2312"`,
				"Content-Transfer-Encoding: quoted-printable", "",
				qp(t, encode(t, simplifiedchinese.GBK, "楼上漏水，天花板滴水\r\n住户：王喆"))),
			want: mailin.Message{From: "wang@example.com", FromName: "Wang Wei", Subject: "x", Text: "楼上漏水，天花板滴水\n住户：王喆"},
		},
		{
			name: "body GB18030 base64 with line breaks",
			raw: msg(from, "Subject: x", "Content-Type: text/plain; charset=GB18030",
				"Content-Transfer-Encoding: base64", "", b64Lines(encode(t, simplifiedchinese.GB18030, gb18030Text)), ""),
			want: mailin.Message{From: "wang@example.com", FromName: "Wang Wei", Subject: "x", Text: gb18030Text},
		},
		{
			name: "base64 without padding",
			raw: msg(from, "Subject: x", "Content-Transfer-Encoding: BASE64", "",
				strings.TrimRight(base64.StdEncoding.EncodeToString([]byte("电梯故障")), "=")),
			want: mailin.Message{From: "wang@example.com", FromName: "Wang Wei", Subject: "x", Text: "电梯故障"},
		},
		{
			name: "alternative chooses text/plain even when html comes last",
			raw: msg(from, "Subject: x", `Content-Type: multipart/alternative; boundary="alt"`, "",
				"--alt", "Content-Type: text/plain; charset=utf-8", "", "电梯故障",
				"--alt", "Content-Type: text/html; charset=utf-8", "", "<p>HTML 版本</p>",
				"--alt--", ""),
			want: mailin.Message{From: "wang@example.com", FromName: "Wang Wei", Subject: "x", Text: "电梯故障"},
		},
		{
			name: "alternative chooses text/plain when html comes first",
			raw: msg(from, "Subject: x", `Content-Type: multipart/alternative; boundary="alt"`, "",
				"--alt", "Content-Type: text/html; charset=utf-8", "", "<p>HTML 版本</p>",
				"--alt", "Content-Type: text/plain; charset=gbk", "Content-Transfer-Encoding: base64", "",
				b64Lines(encode(t, simplifiedchinese.GBK, "电梯故障")),
				"--alt--", ""),
			want: mailin.Message{From: "wang@example.com", FromName: "Wang Wei", Subject: "x", Text: "电梯故障"},
		},
		{
			name: "alternative with empty text/plain falls back to html",
			raw: msg(from, "Subject: x", `Content-Type: multipart/alternative; boundary="alt"`, "",
				"--alt", "Content-Type: text/plain", "", "  ",
				"--alt", "Content-Type: text/html", "", "<b>电梯</b>故障",
				"--alt--", ""),
			want: mailin.Message{From: "wang@example.com", FromName: "Wang Wei", Subject: "x", Text: "电梯故障"},
		},
		{
			name: "broken html alternative is ignored when plain text exists",
			raw: msg(from, "Subject: x", `Content-Type: multipart/alternative; boundary="alt"`, "",
				"--alt", "Content-Type: text/html; charset=x-klingon", "Content-Transfer-Encoding: base64", "", "!!!",
				"--alt", "Content-Type: text/plain; charset=utf-8", "", "电梯故障",
				"--alt--", ""),
			want: mailin.Message{From: "wang@example.com", FromName: "Wang Wei", Subject: "x", Text: "电梯故障"},
		},
		{
			name: "broken base64 in the only html part",
			raw: msg(from, "Subject: x", `Content-Type: multipart/alternative; boundary="alt"`, "",
				"--alt", "Content-Type: text/html", "Content-Transfer-Encoding: base64", "", "!!!",
				"--alt--", ""),
			code: "malformed",
		},
		{
			name: "too many parts",
			raw: msg(from, "Subject: x", "Content-Type: multipart/mixed; boundary=b", "",
				strings.Repeat("--b\r\nContent-Type: image/png\r\n\r\nx\r\n", 600)+"--b--", ""),
			code: "malformed",
		},
		{
			name: "html only is stripped",
			raw: msg(from, "Subject: x", "Content-Type: text/html; charset=utf-8", "",
				"<html><head><title>Mail</title><style>p {color:red}</style>",
				"<script type=text/javascript>if (a < b) alert('x')</SCRIPT></head>",
				"<body><!-- tracking <p>hidden</p> --><P class=x>楼上漏水&amp;天花板滴水</P>",
				"<div>第二行<br/>第三行&nbsp;&lt;急&gt;   &#x6C34;</div>",
				"<table><tr><td>房号</td><td>3B</td></tr></table> 1 < 2</body></html>"),
			want: mailin.Message{From: "wang@example.com", FromName: "Wang Wei", Subject: "x",
				Text: "楼上漏水&天花板滴水\n\n第二行\n第三行 <急> 水\n房号 3B\n1 < 2"},
		},
		{
			name: "mixed with nested alternative skips base64 attachment",
			raw: msg(from, "Subject: x", "MIME-Version: 1.0", `Content-Type: multipart/mixed; boundary="mix"`, "",
				"This is a multi-part message in MIME format.",
				"--mix", "Content-Type: text/plain; charset=utf-8; name=notes.txt",
				`Content-Disposition: attachment; filename="notes.txt"`, "Content-Transfer-Encoding: base64", "",
				b64Lines([]byte(strings.Repeat("ATTACHMENT TEXT ", 20))),
				"--mix", `Content-Type: multipart/alternative; boundary="alt"`, "",
				"--alt", "Content-Type: text/html; charset=gbk", "Content-Transfer-Encoding: quoted-printable", "",
				qp(t, encode(t, simplifiedchinese.GBK, "<p>电梯故障</p>")),
				"--alt", "Content-Type: text/plain; charset=gbk", "Content-Transfer-Encoding: quoted-printable", "",
				qp(t, encode(t, simplifiedchinese.GBK, "电梯故障，困在5楼")),
				"--alt--",
				"--mix", "Content-Type: image/jpeg", "Content-Disposition: attachment", "Content-Transfer-Encoding: base64", "",
				b64Lines([]byte{0xff, 0xd8, 0xff, 0xe0, 0, 1, 2, 3}),
				"--mix--", ""),
			want: mailin.Message{From: "wang@example.com", FromName: "Wang Wei", Subject: "x", Text: "电梯故障，困在5楼"},
		},
		{
			name: "From with Chinese encoded display name",
			raw: msg("From: "+bWord("gb2312", encode(t, simplifiedchinese.GBK, "李女士"))+" <Li.Na@Example.COM>",
				"Subject: "+bWord("UTF-8", []byte("报修")), "", "hi"),
			want: mailin.Message{From: "li.na@example.com", FromName: "李女士", Subject: "报修", Text: "hi"},
		},
		{
			name: "From with raw UTF-8 display name",
			raw:  msg(`From: "王先生" <wang@example.com>`, "Subject: x", "", "hi"),
			want: mailin.Message{From: "wang@example.com", FromName: "王先生", Subject: "x", Text: "hi"},
		},
		{
			name: "From with raw GBK display name keeps the address",
			raw:  msg("From: "+string(encode(t, simplifiedchinese.GBK, "王先生"))+" <wang@example.com>", "Subject: x", "", "hi"),
			want: mailin.Message{From: "wang@example.com", FromName: "王先生", Subject: "x", Text: "hi"},
		},
		{
			name: "charset aliases cp936 and big5",
			raw: msg(from, "Subject: "+bWord("Big5", encode(t, traditionalchinese.Big5, "電梯")),
				"Content-Type: text/plain; charset=CP936", "Content-Transfer-Encoding: base64", "",
				b64Lines(encode(t, simplifiedchinese.GBK, "电梯故障"))),
			want: mailin.Message{From: "wang@example.com", FromName: "Wang Wei", Subject: "電梯", Text: "电梯故障"},
		},
		{
			name: "windows-1252 body",
			raw:  msg(from, "Subject: x", "Content-Type: text/plain; charset=windows-1252", "", "caf\xe9 \x80 5"),
			want: mailin.Message{From: "wang@example.com", FromName: "Wang Wei", Subject: "x", Text: "café € 5"},
		},
		{
			name: "invalid utf-8 is replaced",
			raw:  msg(from, "Subject: x", "Content-Type: text/plain; charset=utf-8", "", "漏水\xff\xfe!"),
			want: mailin.Message{From: "wang@example.com", FromName: "Wang Wei", Subject: "x", Text: "漏水\uFFFD!"},
		},
		{
			name: "CRLF, bare CR, controls and blank lines",
			raw: msg(from, "Subject: x", "", "", "  line1", "", "", "", "line2\rline3\x00\x07 end  ",
				"\ttab\tkept", "\t", ""),
			want: mailin.Message{From: "wang@example.com", FromName: "Wang Wei", Subject: "x",
				Text: "line1\n\nline2\nline3 end\n\ttab\tkept"},
		},
		{
			name: "LF-only message",
			raw:  "From: a@b.example\nSubject: =?utf-8?q?=E6=BC=8F=E6=B0=B4?=\n\nline1\nline2\n",
			want: mailin.Message{From: "a@b.example", Subject: "漏水", Text: "line1\nline2"},
		},
		{
			name: "subject only",
			raw:  msg(from, "Subject: 电梯故障", "", ""),
			want: mailin.Message{From: "wang@example.com", FromName: "Wang Wei", Subject: "电梯故障"},
		},
		{
			name: "unsupported body charset",
			raw:  msg(from, "Subject: x", "Content-Type: text/plain; charset=x-klingon", "", "qapla'"),
			code: "unsupported_charset",
		},
		{
			name: "unsupported subject charset",
			raw:  msg(from, "Subject: =?x-klingon?B?cWFwbGE=?=", "", "body"),
			code: "unsupported_charset",
		},
		{
			name: "HZ charset would decode to nothing",
			raw:  msg(from, "Subject: x", "Content-Type: text/plain; charset=hz-gb-2312", "", "~{abc~}"),
			code: "unsupported_charset",
		},
		{
			name: "unparsable Content-Type is text/plain, header controls are cleaned",
			raw:  msg(from, "Subject: \x00漏水\t 报修 ", "Message-Id:  <id@x> ", "Content-Type: /;;", "", "body"),
			want: mailin.Message{MessageID: "id@x", From: "wang@example.com", FromName: "Wang Wei", Subject: "漏水 报修", Text: "body"},
		},
		{
			name: "From header too long",
			raw:  msg("From: "+strings.Repeat("a@b.example, ", 1000), "Subject: x", "", "body"),
			code: "no_sender",
		},
		{name: "missing From", raw: msg("Subject: x", "", "body"), code: "no_sender"},
		{name: "unparsable From", raw: msg("From: not an address", "Subject: x", "", "body"), code: "no_sender"},
		{name: "group without mailbox", raw: msg("From: undisclosed-recipients:;", "Subject: x", "", "body"), code: "no_sender"},
		{
			name: "broken base64",
			raw:  msg(from, "Subject: x", "Content-Transfer-Encoding: base64", "", "5Lit5paH!!!*"),
			code: "malformed",
		},
		{
			name: "broken quoted-printable",
			raw:  msg(from, "Subject: x", "Content-Transfer-Encoding: quoted-printable", "", "abc\x00def"),
			code: "malformed",
		},
		{
			name: "unknown transfer encoding",
			raw:  msg(from, "Subject: x", "Content-Transfer-Encoding: x-uuencode", "", "begin 644 a"),
			code: "malformed",
		},
		{
			name: "multipart without boundary",
			raw:  msg(from, "Subject: x", "Content-Type: multipart/mixed", "", "body"),
			code: "malformed",
		},
		{
			name: "multipart never closed",
			raw:  msg(from, "Subject: x", "Content-Type: multipart/mixed; boundary=b", "", "--b", "Content-Type: text/html", "", "<p>cut"),
			code: "malformed",
		},
		{name: "multipart nested too deep", raw: msg(from, "Subject: x") + "\r\n" + deep, code: "malformed"},
		{name: "headers unreadable", raw: "this is not a header\r\n\r\nbody", code: "malformed"},
		{name: "oversize", raw: msg(from, "Subject: x", "", strings.Repeat("a", mailin.MaxSize)), code: "too_large"},
		{name: "no body and no subject", raw: msg(from, "", ""), code: "no_text"},
		{
			name: "only an attachment and a blank subject",
			raw: msg(from, "Subject:  ", "Content-Type: multipart/mixed; boundary=b", "",
				"--b", "Content-Type: text/plain", "Content-Disposition: attachment; filename=a.txt", "", "file",
				"--b--", ""),
			code: "no_text",
		},
	}
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mailin.Parse([]byte(tc.raw))
			if tc.code != "" {
				var e *mailin.Error
				if !errors.As(err, &e) {
					t.Fatalf("Parse error = %v (%T), want *Error with code %q; message %+v", err, err, tc.code, got)
				}
				if e.Code != tc.code || e.Message == "" {
					t.Fatalf("Parse error = %+v, want code %q with a message", e, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !tc.want.Date.IsZero() && !got.Date.Equal(tc.want.Date) {
				t.Errorf("Date = %v, want %v", got.Date, tc.want.Date)
			}
			got.Date, tc.want.Date = time.Time{}, time.Time{}
			if got != tc.want {
				t.Errorf("Parse =\n%#v\nwant\n%#v", got, tc.want)
			}
		})
	}
}

func TestParseTruncatesOnRuneBoundary(t *testing.T) {
	raw := msg("From: a@b.example", "Subject: x", "", strings.Repeat("漏", 30000))
	got, err := mailin.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Text) > 64<<10 || !utf8.ValidString(got.Text) {
		t.Fatalf("Text is %d bytes, valid UTF-8 %v", len(got.Text), utf8.ValidString(got.Text))
	}
	if want := strings.Repeat("漏", (64<<10)/3); got.Text != want {
		t.Fatalf("Text is %d bytes, want %d", len(got.Text), len(want))
	}
}

func TestParseAtMaxSize(t *testing.T) {
	head := msg("From: a@b.example", "Subject: x", "", "")
	raw := head + strings.Repeat("a", mailin.MaxSize-len(head))
	if _, err := mailin.Parse([]byte(raw)); err != nil {
		t.Fatalf("a message of exactly MaxSize bytes: %v", err)
	}
}

func TestErrorString(t *testing.T) {
	e := &mailin.Error{Code: "no_sender", Message: "The message has no From header."}
	if got, want := e.Error(), "mailin: no_sender: The message has no From header."; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}

func TestVerifySignature(t *testing.T) {
	secret := []byte("s3cret")
	body := []byte(msg("From: a@b.example", "Subject: 漏水", "", "body"))
	good := mailin.Sign(secret, body)
	if !strings.HasPrefix(good, "sha256=") || len(good) != len("sha256=")+64 {
		t.Fatalf("Sign = %q", good)
	}
	tests := []struct {
		name   string
		secret []byte
		body   []byte
		header string
		code   string // "" means valid
	}{
		{"good", secret, body, good, ""},
		{"good with surrounding space", secret, body, " " + good + "\r\n", ""},
		{"upper-case hex", secret, body, "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256=")), ""},
		{"wrong secret", []byte("other"), body, good, "bad_signature"},
		{"tampered body", secret, append(bytes.Clone(body), '!'), good, "bad_signature"},
		{"missing prefix", secret, body, strings.TrimPrefix(good, "sha256="), "bad_signature"},
		{"other algorithm", secret, body, "sha1=" + strings.TrimPrefix(good, "sha256="), "bad_signature"},
		{"bad hex", secret, body, "sha256=" + strings.Repeat("zz", 32), "bad_signature"},
		{"short hex", secret, body, good[:len(good)-2], "bad_signature"},
		{"empty header", secret, body, "", "bad_signature"},
		{"empty secret", nil, body, mailin.Sign(nil, body), "no_secret"},
		{"empty secret and body", []byte{}, nil, mailin.Sign(nil, nil), "no_secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := mailin.VerifySignature(tc.secret, tc.body, tc.header)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("VerifySignature: %v", err)
				}
				return
			}
			var e *mailin.Error
			if !errors.As(err, &e) || e.Code != tc.code {
				t.Fatalf("VerifySignature = %v, want code %q", err, tc.code)
			}
		})
	}
}

func TestPhones(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"电话13812345678，备用 139-0000", []string{"13812345678"}},
		{"138123456789 is twelve digits", nil},
		{"0138123456789", nil},
		{"12812345678 starts 12", nil},
		{"a13912345678b,15000000000;13912345678", []string{"13912345678", "15000000000"}},
		{"+86 18612345678 / 86-19912345678", []string{"18612345678", "19912345678"}},
		{"房号1801，电话：17712345678。", []string{"17712345678"}},
		{"", nil},
	}
	for _, tc := range tests {
		if got := mailin.Phones(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Phones(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
