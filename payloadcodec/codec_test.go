package payloadcodec

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

const marker = "住户原话 marker-7f3a"

func key(t *testing.T, id string) Key {
	t.Helper()
	k, err := GenerateKey(id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func codec(t *testing.T, keys ...Key) *Codec {
	t.Helper()
	c, err := New(keys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func plainPayload(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRoundTripHidesThePlaintext(t *testing.T) {
	c := codec(t, key(t, "k1"))
	dc := DataConverter(c)
	for _, v := range []any{marker, map[string]string{"comment": marker}, []byte(marker)} {
		p, err := dc.ToPayload(v)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(p.Data, []byte("marker-7f3a")) {
			t.Errorf("%T: the encoded payload holds the plaintext", v)
		}
		if got := string(p.Metadata[MetadataKeyID]); got != "k1" {
			t.Errorf("%T: key ID metadata %q, want k1", v, got)
		}
		if got := string(p.Metadata[converter.MetadataEncoding]); got != Encoding {
			t.Errorf("%T: encoding %q, want %q", v, got, Encoding)
		}
		for k := range p.Metadata {
			if k != MetadataKeyID && k != converter.MetadataEncoding {
				t.Errorf("%T: metadata %q leaks the original encoding", v, k)
			}
		}
		back := new(any)
		if err := dc.FromPayload(p, back); err != nil {
			t.Fatalf("%T: decode: %v", v, err)
		}
		want := new(any)
		if err := converter.GetDefaultDataConverter().FromPayload(plainPayload(t, v), want); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(*back) != fmt.Sprint(*want) {
			t.Errorf("%T: round trip gave %v, want %v", v, *back, *want)
		}
	}
	// A fresh nonce each time: the same value never encrypts the same.
	a, _ := c.Encode([]*commonpb.Payload{plainPayload(t, marker)})
	b, _ := c.Encode([]*commonpb.Payload{plainPayload(t, marker)})
	if bytes.Equal(a[0].Data, b[0].Data) {
		t.Error("two encryptions of one value are identical: the nonce is not random")
	}
}

func TestRoundTripKeepsThePayloadExactly(t *testing.T) {
	c := codec(t, key(t, "k1"))
	in := plainPayload(t, map[string]any{"score": 5, "comment": marker})
	enc, err := c.Encode([]*commonpb.Payload{in})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := c.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dec[0].Data, in.Data) || string(dec[0].Metadata["encoding"]) != string(in.Metadata["encoding"]) {
		t.Errorf("decoded %v, want %v", dec[0], in)
	}
}

func TestRotation(t *testing.T) {
	old, next := key(t, "2025"), key(t, "2026")
	before := codec(t, old)
	enc, err := before.Encode([]*commonpb.Payload{plainPayload(t, marker)})
	if err != nil {
		t.Fatal(err)
	}
	after := codec(t, next, old) // the new key first; the old one still listed
	dec, err := after.Decode(enc)
	if err != nil {
		t.Fatalf("the old key no longer decrypts after rotation: %v", err)
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(dec[0], &s); err != nil || s != marker {
		t.Fatalf("decoded %q, %v", s, err)
	}
	fresh, err := after.Encode([]*commonpb.Payload{plainPayload(t, marker)})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(fresh[0].Metadata[MetadataKeyID]); got != "2026" {
		t.Errorf("after rotation payloads are encrypted with %q, want the first key 2026", got)
	}
	// The old key alone cannot read what the new key wrote.
	if _, err := before.Decode(fresh); err == nil || !strings.Contains(err.Error(), `"2026"`) {
		t.Errorf("a payload under a key not configured: error %v, want one naming key 2026", err)
	}
}

func TestRefusals(t *testing.T) {
	k := key(t, "k1")
	c := codec(t, k)
	enc := func() *commonpb.Payload {
		out, err := c.Encode([]*commonpb.Payload{plainPayload(t, marker)})
		if err != nil {
			t.Fatal(err)
		}
		return out[0]
	}
	other, err := NewKey("k1", bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		codec  *Codec
		alter  func(p *commonpb.Payload)
		reason string
	}{
		{"flipped ciphertext bit", c, func(p *commonpb.Payload) { p.Data[len(p.Data)-20] ^= 1 }, "does not decrypt"},
		{"flipped nonce bit", c, func(p *commonpb.Payload) { p.Data[0] ^= 1 }, "does not decrypt"},
		{"truncated", c, func(p *commonpb.Payload) { p.Data = p.Data[:10] }, "too short"},
		{"unknown key ID", c, func(p *commonpb.Payload) { p.Metadata[MetadataKeyID] = []byte("k9") }, `key "k9", which is not among the configured keys`},
		{"no key ID", c, func(p *commonpb.Payload) { delete(p.Metadata, MetadataKeyID) }, `key "", which is not among`},
		{"relabelled to another configured key", codec(t, k, key(t, "k2")), func(p *commonpb.Payload) { p.Metadata[MetadataKeyID] = []byte("k2") }, "does not decrypt"},
		{"another key under the same ID", codec(t, other), func(*commonpb.Payload) {}, "does not decrypt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := enc()
			tc.alter(p)
			_, err := tc.codec.Decode([]*commonpb.Payload{p})
			if err == nil || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("error %v, want one saying %q", err, tc.reason)
			}
		})
	}
}

func TestUnencryptedPayloadsPassThrough(t *testing.T) {
	c := codec(t, key(t, "k1"))
	for _, p := range []*commonpb.Payload{
		plainPayload(t, marker),
		plainPayload(t, nil),
		plainPayload(t, []byte{1, 2, 3}),
		{Metadata: map[string][]byte{MetadataKeyID: []byte("k1")}, Data: []byte("not encrypted")},
	} {
		out, err := c.Decode([]*commonpb.Payload{p})
		if err != nil {
			t.Fatalf("%v: %v", p, err)
		}
		if out[0] != p {
			t.Errorf("%v was changed to %v", p, out[0])
		}
	}
	// And through the data converter an old, plain history value reads as before.
	var s string
	if err := DataConverter(c).FromPayload(plainPayload(t, marker), &s); err != nil || s != marker {
		t.Errorf("plain payload through the converter: %q, %v", s, err)
	}
}

func TestParseKeys(t *testing.T) {
	k := key(t, "a")
	good := k.Config()
	b64 := strings.TrimPrefix(good, "a:")
	for _, tc := range []struct {
		in      string
		ids     []string
		wantErr string
	}{
		{good, []string{"a"}, ""},
		{good + ", b:" + b64, []string{"a", "b"}, ""},
		{"", nil, "no key"},
		{"a", nil, "want ID:base64-key"},
		{"a:!!!", nil, "not standard base64"},
		{"a:" + "c2hvcnQ=", nil, "want 32 bytes"},
		{"a b:" + b64, nil, "key ID"},
		{good + ",a:" + b64, nil, "listed twice"},
	} {
		keys, err := ParseKeys(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseKeys(%q): error %v, want %q", tc.in, err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), b64) {
				t.Errorf("ParseKeys(%q): the error shows the key", tc.in)
			}
			continue
		}
		if err != nil {
			t.Fatalf("ParseKeys(%q): %v", tc.in, err)
		}
		var ids []string
		for _, k := range keys {
			ids = append(ids, k.ID)
		}
		if fmt.Sprint(ids) != fmt.Sprint(tc.ids) {
			t.Errorf("ParseKeys(%q) = %v, want %v", tc.in, ids, tc.ids)
		}
		if s := fmt.Sprintf("%v %+v %#v %s", keys[0], keys[0], keys[0], keys); strings.Contains(s, b64) {
			t.Errorf("printing a key shows its material: %s", s)
		}
	}
}

func TestKeyFileIsMadeOnceAndKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", DevKeyFile)
	now := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	first, created, err := LoadOrCreateKeyFile(path, now)
	if err != nil || !created || len(first) != 1 {
		t.Fatalf("first start: %v, created %v, %d keys", err, created, len(first))
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	again, created, err := LoadOrCreateKeyFile(path, now.Add(time.Hour))
	if err != nil || created {
		t.Fatalf("restart: %v, created %v", err, created)
	}
	// What the first start encrypted, the restart decrypts.
	enc, err := codec(t, first...).Encode([]*commonpb.Payload{plainPayload(t, marker)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := codec(t, again...).Decode(enc); err != nil {
		t.Errorf("the kept key does not decrypt what the generated one encrypted: %v", err)
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateKeyFile(path, now); err == nil {
		t.Error("a damaged key file was accepted")
	}
}

// BenchmarkEncodeDecode is one payload of the size of a case's state (about
// 1 KiB of JSON) encrypted and decrypted, the work the codec adds per
// payload.
func BenchmarkEncodeDecode(b *testing.B) {
	k, err := GenerateKey("bench")
	if err != nil {
		b.Fatal(err)
	}
	c, err := New([]Key{k})
	if err != nil {
		b.Fatal(err)
	}
	p, err := converter.GetDefaultDataConverter().ToPayload(map[string]string{"state": strings.Repeat("x", 1024)})
	if err != nil {
		b.Fatal(err)
	}
	in := []*commonpb.Payload{p}
	for b.Loop() {
		enc, err := c.Encode(in)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Decode(enc); err != nil {
			b.Fatal(err)
		}
	}
}
