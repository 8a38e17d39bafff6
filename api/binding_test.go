package api

import (
	"testing"
	"time"
)

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{24 * time.Hour, "24h"},
		{90 * time.Minute, "1h30m"},
		{3 * time.Second, "3s"},
		{time.Hour + time.Second, "1h0m1s"},
		{45 * time.Minute, "45m"},
	}
	for _, tt := range tests {
		got := formatDuration(tt.in)
		if got != tt.want {
			t.Errorf("formatDuration(%s) = %q, want %q", tt.in, got, tt.want)
		}
		if back, err := time.ParseDuration(got); err != nil || back != tt.in {
			t.Errorf("%q does not parse back to %s", got, tt.in)
		}
	}
}

func TestFieldPath(t *testing.T) {
	tests := map[string]string{
		"createComplaintRequest.Resident.Phone": "resident.phone",
		"putCategoryRequest.DispatchWithin":     "dispatch_within",
		"Name":                                  "name",
	}
	for in, want := range tests {
		if got := fieldPath(in); got != want {
			t.Errorf("fieldPath(%q) = %q, want %q", in, got, want)
		}
	}
}
