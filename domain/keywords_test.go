package domain

import "testing"

func TestMatchCategory(t *testing.T) {
	rules := []KeywordRule{
		{"pipe_burst", KindRepair, []string{"水管爆裂", "爆管", "burst pipe"}},
		{"general_repair", KindRepair, []string{"报修", "维修", "repair"}},
		{"noise", KindComplaint, []string{"噪音", "扰民", "noise"}},
		{"parking", KindComplaint, []string{"停车", "parking"}},
		{"empty", KindComplaint, []string{"", "  "}},
	}
	tests := []struct {
		text string
		want string // "" for triage
	}{
		{"报修：厨房水管爆裂，请尽快处理", "pipe_burst"}, // 4 characters beat 2
		{"楼上每晚噪音扰民", "noise"},
		{"There is a BURST PIPE in my kitchen", "pipe_burst"},
		{"需要维修", "general_repair"},
		{"噪音和停车", ""}, // 2 against 2: a person decides
		{"物业你好，想咨询一下", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := MatchCategory(tt.text, rules)
		if tt.want == "" {
			if ok {
				t.Errorf("%q matched %s, want triage", tt.text, got.Category)
			}
			continue
		}
		if !ok || got.Category != tt.want {
			t.Errorf("%q matched %q (%t), want %s", tt.text, got.Category, ok, tt.want)
		}
	}
}
