package domain

import "testing"

func TestMaskPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13800000000", "138****0000"},
		{"138 0000 0000", "138****0000"},
		{"138-0000-0000", "138****0000"},
		{" 13912345678 ", "139****5678"},
		{"+8613812345678", "+86*******5678"},
		{"010-12345678", "010****5678"},
		{"1234567890", "********90"},
		{"12345678", "******78"},
		{"110", "*10"},
		{"12", "**"},
		{"1", "*"},
		{"", ""},
		{"   ", ""},
	}
	for _, tc := range tests {
		if got := MaskPhone(tc.in); got != tc.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMaskPhonesIn(t *testing.T) {
	tests := []struct {
		text   string
		phones []string
		want   string
	}{
		{"电话13812345678，请回电 13812345678", []string{"13812345678"}, "电话138****5678，请回电 138****5678"},
		{"a 13912345678 b 15000000000", []string{"13912345678", "15000000000"}, "a 139****5678 b 150****0000"},
		{"no number here", nil, "no number here"},
		{"empty phone", []string{""}, "empty phone"},
	}
	for _, tc := range tests {
		if got := MaskPhonesIn(tc.text, tc.phones); got != tc.want {
			t.Errorf("MaskPhonesIn(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestMaskName(t *testing.T) {
	for name, want := range map[string]string{"王秀英": "王**", "Li Wei": "L*****", "李": "李", "": ""} {
		if got := MaskName(name); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", name, got, want)
		}
	}
}
