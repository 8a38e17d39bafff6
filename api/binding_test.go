package api

import "testing"

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
