package store

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/concierge-pm/concierge/domain"
)

// TestSearchFindsWhatASubstringWould checks the case list's search (q and
// phone) against its meaning, computed here in Go over every case: the
// words of the description or the name as a case-insensitive substring,
// the number or its beginning, the unit's code, the phone's digits. The
// index of single characters and pairs only narrows; a pair it failed to
// index would lose a case here.
func TestSearchFindsWhatASubstringWould(t *testing.T) {
	ctx := context.Background()
	st := scratchStore(t)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	// Recorded over the last 30 months up to now, so that a search goes
	// through each of its windows of time (searchCases), and pages across
	// them.
	now := time.Now()
	if err := st.GenerateHistory(ctx, HistoryOptions{Complaints: 400, Communities: 2, Households: 40,
		From: now.AddDate(0, -30, 0), To: now, Seed: 0.25}); err != nil {
		t.Fatal(err)
	}
	// Texts no generator writes: Latin letters in both cases, LIKE's own
	// characters, whitespace of several kinds, phones as people type them.
	for _, q := range []string{
		`UPDATE case_intakes SET description = '电梯 ABC 按钮 100% 失灵_a', resident_phone = '+86 139-0000-1111'
			WHERE number = (SELECT min(number) FROM case_intakes)`,
		`UPDATE case_intakes SET description = '噪音' || chr(12288) || '扰民' || chr(10) || 'abc', resident_name = '欧阳娜娜'
			WHERE number = (SELECT max(number) FROM case_intakes)`,
		`UPDATE case_intakes SET resident_phone = '0571-8888 1234' WHERE number IN (SELECT number FROM case_intakes ORDER BY number LIMIT 3 OFFSET 7)`,
	} {
		if _, err := st.Pool().Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	// A search reads the newest 20 in order, then the index a window of
	// days at a time: this history has both at work.
	st.newestScanned = 20
	// And a window of days unless a word is expected in at most 3 cases
	// of the whole history, so that windows fill, fall short and give way
	// to the whole history.
	st.wholeHistoryMatches = 3
	type window struct {
		whole, full bool
	}
	windows := map[window]int{}
	st.searchWindow = func(_ string, days int, full bool) { windows[window{days == 0, full}]++ }
	// And a unit's newest 8 intakes (a page and one) before their cases:
	// a code's intakes are all of them, or hold a page, or not.
	st.unitCandidateFactor = 1
	unitPaths := map[[2]bool]int{}
	st.searchUnits = func(complete, enough bool) { unitPaths[[2]bool{complete, enough}]++ }
	all := listAll(t, st, CaseFilter{})
	if len(all) != 400 { // through 58 pages
		t.Fatalf("%d cases listed, want 400", len(all))
	}
	var someName, someUnit, someNumber, somePhone string
	for _, c := range all {
		if strings.HasPrefix(c.Resident.Name, "王") && someName == "" {
			someName = c.Resident.Name
		}
	}
	someUnit, someNumber, somePhone = all[17].Unit, all[23].Number, all[31].Resident.Phone

	digits := regexp.MustCompile(`[^0-9]`)
	phoneDigits := func(p string) string {
		d := digits.ReplaceAllString(p, "")
		if len(d) == 13 && strings.HasPrefix(d, "86") {
			d = d[2:]
		}
		return d
	}
	phoneLike := regexp.MustCompile(`^\+?[0-9][0-9 -]{5,30}[0-9]$`)
	// matches is what q means.
	matches := func(c Case, q string) bool {
		lq := strings.ToLower(q)
		return strings.Contains(strings.ToLower(c.Description), lq) ||
			strings.Contains(strings.ToLower(c.Resident.Name), lq) ||
			strings.HasPrefix(c.Number, strings.ToUpper(q)) && len(q) >= 2 ||
			strings.EqualFold(c.Unit, q) ||
			phoneLike.MatchString(q) && c.Resident.Phone != "" && phoneDigits(c.Resident.Phone) == phoneDigits(q)
	}
	for _, tc := range []struct {
		name, q string
		atLeast int // a floor, so that a query finding nothing cannot pass by finding nothing
	}{
		{"a common pair", "噪音", 10},
		{"one character", "漏", 10},
		{"a phrase", "楼上漏水到我家", 1},
		{"words in different rows", "噪音 扰民", 0},
		{"a name", someName, 1},
		{"a rare name", "欧阳娜娜", 1},
		{"one character of a name", "娜", 1},
		{"a surname and a word", "娜 噪音", 0},
		{"latin, other case", "abc", 2},
		{"latin, upper case", "BC 按", 1},
		{"LIKE's percent", "100%", 1},
		{"LIKE's underscore", "灵_a", 1},
		{"an underscore alone matches no wildcard", "_", 1},
		{"across description and name", "扰民 欧阳", 0},
		{"a case number", someNumber, 1},
		{"a day's numbers", someNumber[:10], 1},
		{"a number in lower case", strings.ToLower(someNumber), 1},
		{"a unit's code", someUnit, 1},
		{"a phone", somePhone, 1},
		{"a phone as typed", "139 0000 1111", 1},
		{"a phone with +86", "+8613900001111", 1},
		{"a landline", "057188881234", 3},
		{"nothing", "不存在的词语", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := numbers(listAll(t, st, CaseFilter{Query: tc.q}))
			var want []string
			for _, c := range all {
				if matches(c, tc.q) {
					want = append(want, c.Number)
				}
			}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("q=%q found %d cases, want %d\n got %v\nwant %v", tc.q, len(got), len(want), got, want)
			}
			if len(got) < tc.atLeast {
				t.Errorf("q=%q found %d cases, the fixture holds at least %d", tc.q, len(got), tc.atLeast)
			}
		})
	}

	for _, w := range []window{{whole: false, full: true}, {whole: false, full: false}, {whole: true, full: false}} {
		if windows[w] == 0 {
			t.Errorf("no search read the index %+v (%v): the plan was not put to the test", w, windows)
		}
	}

	// A unit's code names a unit in each community that has it: a search
	// within the caller's communities, or one community, finds only theirs.
	for _, f := range []CaseFilter{
		{Query: someUnit, Communities: []string{all[17].Community}},
		{Query: someUnit, Communities: []string{"G001", "G002"}},
		{Query: someUnit, Communities: []string{}},
		{Query: someUnit, Community: all[17].Community},
		{Query: strings.ToLower(someUnit), Community: all[17].Community, Status: string(all[17].Status)},
		{Query: someUnit, Status: string(all[17].Status)},
	} {
		got := numbers(listAll(t, st, f))
		var want []string
		for _, c := range all {
			if strings.EqualFold(c.Unit, f.Query) && (f.Communities == nil || slices.Contains(f.Communities, c.Community)) &&
				(f.Community == "" || c.Community == f.Community) && (f.Status == "" || string(c.Status) == f.Status) {
				want = append(want, c.Number)
			}
		}
		slices.Sort(want)
		if !slices.Equal(got, want) || len(want) == 0 && f.Communities == nil {
			t.Errorf("%+v found %v, want %v", f, got, want)
		}
	}

	for _, p := range [][2]bool{{true, false}, {false, true}, {false, false}} {
		if unitPaths[p] == 0 {
			t.Errorf("no search of a unit's code was complete %t, enough %t (%v): the path was not put to the test", p[0], p[1], unitPaths)
		}
	}

	for _, phone := range []string{"+86 139-0000-1111", "13900001111", "0571 88881234", somePhone} {
		got := numbers(listAll(t, st, CaseFilter{Phone: phone}))
		var want []string
		for _, c := range all {
			if c.Resident.Phone != "" && phoneDigits(c.Resident.Phone) == phoneDigits(phone) {
				want = append(want, c.Number)
			}
		}
		slices.Sort(want)
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("phone=%q found %v, want %v (not empty)", phone, got, want)
		}
	}
}

// listAll reads every page of the case list.
func listAll(t *testing.T, st *Store, f CaseFilter) []Case {
	t.Helper()
	f.Kind, f.PageSize = domain.KindComplaint, 7
	var out []Case
	for {
		items, next, err := st.ListCases(context.Background(), f)
		if err != nil {
			t.Fatalf("list %+v: %v", f, err)
		}
		out = append(out, items...)
		if next == "" {
			return out
		}
		f.PageToken = next
	}
}

func numbers(cs []Case) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Number
	}
	slices.Sort(out)
	return out
}

// TestNextWindow: the windows a word is searched in, from how often it
// turned up in what was read before: the newest intakes, then each window.
func TestNextWindow(t *testing.T) {
	day := 24 * time.Hour
	const threeYears = 3 * 365 * 24 * time.Hour
	for _, tc := range []struct {
		name         string
		found        int
		spanned      time.Duration // what was read: the newest intakes, or the last window
		last         int           // the last window's days; 0 for none yet
		history      time.Duration
		wholeHistory int
		want         int
	}{
		// 10 a day: 51 in about 5 days, twice that is 11.
		{"a name, 10 a day", 10, day, 0, threeYears, 2000, 11},
		// 20 a day over three years is 21,900 expected: a window.
		{"often", 40, 2 * day, 0, threeYears, 2000, 6},
		// 1 in 5 days over 3 years: even 4 in 5 days is 876, fewer than
		// 2,000: the whole history at once.
		{"rare", 1, 5 * day, 0, threeYears, 2000, 0},
		{"none found in 10 days", 0, 10 * day, 0, threeYears, 2000, 0},
		// 1 in a day could be 4 a day, 4,380 in three years: a window, too
		// few found to size it by.
		{"rare, but not surely", 1, day, 0, threeYears, 2000, 7},
		{"none found in a day", 0, day, 0, threeYears, 2000, 7},
		{"four found", 4, day, 0, threeYears, 2000, 7},
		// Five in a day size it: 51 in 10.2 days, twice that is 21.
		{"five found", 5, day, 0, threeYears, 2000, 21},
		// After a week with 2: at most 5 a week, 782 in three years.
		{"a week, 2 found", 2, 7 * day, 7, threeYears, 2000, 0},
		// After a week with 30: 51 in 11.9 days, twice that is 24.
		{"a week, 30 found", 30, 7 * day, 7, threeYears, 2000, 24},
		{"a week, 3 found, small bound", 3, 7 * day, 7, threeYears, 100, 31},
		{"a month, 4 found, small bound", 4, 31 * day, 31, threeYears, 100, 366},
		// After a year with 20: at most 23 a year, 69 in three.
		{"a year, 20 found, small bound", 20, 366 * day, 366, threeYears, 100, 0},
		{"a year, 4 found, smaller bound", 4, 366 * day, 366, threeYears, 10, 0},
		// A window as long as the history is the whole history.
		{"short history", 10, day, 0, 20 * day, 100, 11},
		{"short history, after 11 days", 40, 11 * day, 11, 20 * day, 100, 0},
		{"too few, a short history", 2, day, 0, 40 * day, 2, 7},
		{"too few, a short history, after a month", 4, 31 * day, 31, 40 * day, 2, 0},
		// Sized smaller than the last window, it still reads more days.
		{"more than the last", 50, day, 7, threeYears, 10, 8},
		{"newest all at one instant", 6, 0, 0, 365 * day, 100, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := nextWindow(tc.found, 51, tc.wholeHistory, tc.spanned, tc.history, tc.last)
			if got != tc.want {
				t.Errorf("nextWindow(%d found in %v after %d days, of %v) = %d, want %d", tc.found, tc.spanned, tc.last, tc.history, got, tc.want)
			}
		})
	}
}
