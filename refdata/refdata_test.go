package refdata

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// sameBatch compares batches field by field; decimals are compared by
// value because equal decimals can differ in representation.
func sameBatch(t *testing.T, got, want Batch) {
	t.Helper()
	if len(got.Units) == len(want.Units) {
		for i := range got.Units {
			if !got.Units[i].FloorArea.Equal(want.Units[i].FloorArea) {
				t.Errorf("unit %d: floor area %s, want %s", i, got.Units[i].FloorArea, want.Units[i].FloorArea)
			}
		}
		got.Units = clearAreas(got.Units)
		want.Units = clearAreas(want.Units)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("batch mismatch\n got: %+v\nwant: %+v", got, want)
	}
}

func clearAreas(us []Unit) []Unit {
	out := make([]Unit, len(us))
	for i, u := range us {
		u.FloorArea = decimal.Decimal{}
		out[i] = u
	}
	return out
}

// wantErrors asserts err is Errors equal to want.
func wantErrors(t *testing.T, err error, want Errors) {
	t.Helper()
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %v (%T) is not Errors", err, err)
	}
	if !reflect.DeepEqual(errs, want) {
		t.Errorf("errors mismatch\n got: %#v\nwant: %#v", errs, want)
	}
}

func gbk(t *testing.T, s string) string {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().String(s)
	if err != nil {
		t.Fatalf("encoding GBK: %v", err)
	}
	return b
}

func TestParseCSVGood(t *testing.T) {
	tests := []struct {
		name  string
		kind  Kind
		input string
		want  Batch
	}{
		{
			name:  "communities english headers any case",
			kind:  Communities,
			input: " Code , NAME,name_en\r\nsunny-1, 阳光花园 ,Sunny Garden\r\nlake_2,湖畔,\r\n",
			want: Batch{Kind: Communities, Communities: []Community{
				{Row: 2, Code: "sunny-1", Name: "阳光花园", NameEN: "Sunny Garden"},
				{Row: 3, Code: "lake_2", Name: "湖畔"},
			}},
		},
		{
			name:  "communities chinese headers, optional column absent, BOM",
			kind:  Communities,
			input: "\ufeff名称,编码\n阳光花园,sunny\n",
			want:  Batch{Kind: Communities, Communities: []Community{{Row: 2, Code: "sunny", Name: "阳光花园"}}},
		},
		{
			name:  "GBK encoded",
			kind:  Communities,
			input: "GBK", // replaced below
			want: Batch{Kind: Communities, Communities: []Community{
				{Row: 2, Code: "sunny", Name: "阳光花园", NameEN: "Sunny"},
				{Row: 3, Code: "lake", Name: "湖畔小区"},
			}},
		},
		{
			name:  "buildings reordered columns",
			kind:  Buildings,
			input: "name,code,community\n1号楼,B1,sunny\n1号楼,B1,lake\n",
			want: Batch{Kind: Buildings, Buildings: []Building{
				{Row: 2, Community: "sunny", Code: "B1", Name: "1号楼"},
				{Row: 3, Community: "lake", Code: "B1", Name: "1号楼"},
			}},
		},
		{
			name: "units with defaults and chinese type",
			kind: Units,
			input: "小区,楼栋,房号,类型,建筑面积\n" +
				"sunny,B1,1-101,,89.50\n" +
				"sunny,B1,S-01,商铺,120\n" +
				"sunny,B2,O-1,Office,0.01\n" +
				"lake,B1,1-101,住宅,99999999.990\n" +
				"lake,B1,1-102,商铺,\"1,234.50\"\n",
			want: Batch{Kind: Units, Units: []Unit{
				{Row: 2, Community: "sunny", Building: "B1", Code: "1-101", UnitType: "residential", FloorArea: dec("89.50")},
				{Row: 3, Community: "sunny", Building: "B1", Code: "S-01", UnitType: "commercial", FloorArea: dec("120")},
				{Row: 4, Community: "sunny", Building: "B2", Code: "O-1", UnitType: "office", FloorArea: dec("0.01")},
				{Row: 5, Community: "lake", Building: "B1", Code: "1-101", UnitType: "residential", FloorArea: dec("99999999.99")},
				{Row: 6, Community: "lake", Building: "B1", Code: "1-102", UnitType: "commercial", FloorArea: dec("1234.5")},
			}},
		},
		{
			name: "households normalised, several per unit",
			kind: Households,
			input: "community,unit,resident_name,phone,language,email,active\n" +
				"sunny,1-101,王芳,138 1234-5678,,Wang.Fang@Example.COM,\n" +
				"sunny,1-101,John Smith,+44 20 7946 0958,English,,否\n" +
				"sunny,1-102,李雷,010-12345678,中文,,yes\n",
			want: Batch{Kind: Households, Households: []Household{
				{Row: 2, Community: "sunny", Unit: "1-101", ResidentName: "王芳", Phone: "13812345678", Language: "zh", Email: "wang.fang@example.com", Active: true},
				{Row: 3, Community: "sunny", Unit: "1-101", ResidentName: "John Smith", Phone: "+442079460958", Language: "en", Active: false},
				{Row: 4, Community: "sunny", Unit: "1-102", ResidentName: "李雷", Phone: "01012345678", Language: "zh", Active: true},
			}},
		},
		{
			name:  "households minimal columns",
			kind:  Households,
			input: "小区,房号,住户姓名\nsunny,1-101,王芳\n",
			want: Batch{Kind: Households, Households: []Household{
				{Row: 2, Community: "sunny", Unit: "1-101", ResidentName: "王芳", Language: "zh", Active: true},
			}},
		},
		{
			name:  "staff chinese roles",
			kind:  Staff,
			input: "工号,姓名,部门,角色,在职\nliu_fang,刘芳,customer_service,前台,是\nma_lin,马林,customer_service,centre_manager,0\nzhou,周,engineering,Department_Head,\n",
			want: Batch{Kind: Staff, Staff: []StaffMember{
				{Row: 2, Code: "liu_fang", Name: "刘芳", Department: "customer_service", Role: "receptionist", Active: true},
				{Row: 3, Code: "ma_lin", Name: "马林", Department: "customer_service", Role: "centre_manager", Active: false},
				{Row: 4, Code: "zhou", Name: "周", Department: "engineering", Role: "department_head", Active: true},
			}},
		},
		{
			name:  "staff communities: sorted, without repeats, blank keeps",
			kind:  Staff,
			input: "code,name,department,role,communities\nliu_fang,刘芳,customer_service,receptionist, B ; A；B\nma_lin,马林,customer_service,centre_manager,\n",
			want: Batch{Kind: Staff, Staff: []StaffMember{
				{Row: 2, Code: "liu_fang", Name: "刘芳", Department: "customer_service", Role: "receptionist", Active: true,
					Communities: []string{"A", "B"}},
				{Row: 3, Code: "ma_lin", Name: "马林", Department: "customer_service", Role: "centre_manager", Active: true},
			}},
		},
		{
			name: "blank rows skipped but counted, blank trailing cells ignored",
			kind: Communities,
			// Line 2 is blank (encoding/csv skips it), row 4 has only empty
			// cells, and the trailing commas of the header and row 3 are
			// leftovers of formatted but empty columns.
			input: "code,name,,\n\nA,x,,\n, ,\nB,y\n",
			want: Batch{Kind: Communities, Communities: []Community{
				{Row: 3, Code: "A", Name: "x"},
				{Row: 5, Code: "B", Name: "y"},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := tt.input
			if input == "GBK" {
				input = gbk(t, "编码,名称,英文名称\nsunny,阳光花园,Sunny\nlake,湖畔小区,\n")
			}
			got, err := ParseCSV(tt.kind, strings.NewReader(input))
			if err != nil {
				t.Fatalf("ParseCSV: %v", err)
			}
			sameBatch(t, got, tt.want)
			if got.Len() != tt.want.Len() {
				t.Errorf("Len() = %d, want %d", got.Len(), tt.want.Len())
			}
		})
	}
}

func TestParseCSVErrors(t *testing.T) {
	const unitsHdr = "community,building,code,unit_type,floor_area\n"
	tests := []struct {
		name  string
		kind  Kind
		input string
		want  Errors
	}{
		{"negative area", Units, unitsHdr + "sunny,B1,101,,-89.5\n",
			Errors{{2, "floor_area", "must be greater than 0"}}},
		{"zero area", Units, unitsHdr + "sunny,B1,101,,0.00\n",
			Errors{{2, "floor_area", "must be greater than 0"}}},
		{"area with 3 decimals", Units, unitsHdr + "sunny,B1,101,,89.555\n",
			Errors{{2, "floor_area", "must have at most 2 decimal places"}}},
		{"area too large", Units, unitsHdr + "sunny,B1,101,,100000000\n",
			Errors{{2, "floor_area", "must be less than 100000000"}}},
		{"area not a number", Units, unitsHdr + "sunny,B1,101,,89.5m²\nsunny,B1,102,,1e3\nsunny,B1,103,,\"1,23.5\"\n",
			Errors{
				{2, "floor_area", "must be a number such as 89.50"},
				{3, "floor_area", "must be a number such as 89.50"},
				{4, "floor_area", "must be a number such as 89.50"},
			}},
		{"bad unit type", Units, unitsHdr + "sunny,B1,101,villa,89\n",
			Errors{{2, "unit_type", "must be one of residential, commercial, office"}}},
		{"bad code", Communities, "编码,名称\nsunny garden,阳光\n" + strings.Repeat("a", 33) + ",x\n",
			Errors{
				{2, "编码", "must be 1-32 characters of A-Z, a-z, 0-9, _ or -"},
				{3, "编码", "must be 1-32 characters of A-Z, a-z, 0-9, _ or -"},
			}},
		{"upper-case staff code", Staff, "code,name,department,role\nLiu,刘,cs,handler\n",
			Errors{{2, "code", "must be 1-32 characters of a-z, 0-9 or _ (lower case)"}}},
		{"unknown column", Communities, "code,name,Colour\nA,x,red\n",
			Errors{{1, "Colour", "unknown column; expected code (编码), name (名称), name_en (英文名称)"}}},
		{"missing required column", Units, "community,building,code\nsunny,B1,101\n",
			Errors{{0, "", `missing required column "floor_area" (建筑面积)`}}},
		{"same column twice", Communities, "code,name,编码\nA,x,B\n",
			Errors{{1, "编码", `duplicate column: same as "code"`}}},
		{"empty header cell", Communities, "code,,name\nA,,x\n",
			Errors{{1, "", "column 2 has an empty header"}}},
		{"duplicate community", Communities, "code,name\nA,x\nB,y\nA,z\n",
			Errors{{4, "code", "duplicate of row 2"}}},
		{"duplicate unit in community across buildings", Units, unitsHdr + "sunny,B1,101,,80\nsunny,B2,101,,80\nlake,B1,101,,80\n",
			Errors{{3, "code", "duplicate of row 2"}}},
		{"duplicate building", Buildings, "小区,楼栋编码,名称\nsunny,B1,一号楼\nsunny,B1,二号楼\n",
			Errors{{3, "楼栋编码", "duplicate of row 2"}}},
		{"duplicate staff", Staff, "code,name,department,role\nli,李,cs,handler\nli,李四,eng,handler\n",
			Errors{{3, "code", "duplicate of row 2"}}},
		{"bad role", Staff, "code,name,department,role\nli,李,cs,manager\n",
			Errors{{2, "role", "must be one of receptionist, handler, department_head, supervisor, centre_manager, property_manager"}}},
		{"bad email", Households, "community,unit,resident_name,email\nsunny,101,王,Wang <wang@example.com>\nsunny,101,王,wang@\nsunny,101,王,wang@example.com (home)\n",
			Errors{
				{2, "email", "must be a plain email address such as name@example.com"},
				{3, "email", "must be a plain email address such as name@example.com"},
				{4, "email", "must be a plain email address such as name@example.com"},
			}},
		{"bad phone", Households, "community,unit,resident_name,phone\nsunny,101,王,12345678901\nsunny,101,王,123456\nsunny,101,王,(010)12345678\nsunny,101,王,1+3812345678\n",
			Errors{
				{2, "phone", "is not a valid mainland mobile number"},
				{3, "phone", "must have 7-15 digits"},
				{4, "phone", "must be a phone number: digits, an optional leading +, spaces or -"},
				{5, "phone", "must be a phone number: digits, an optional leading +, spaces or -"},
			}},
		{"bad language and active", Households, "community,unit,resident_name,language,active\nsunny,101,王,fr,maybe\n",
			Errors{
				{2, "language", "must be one of zh, en"},
				{2, "active", "must be one of true/false, yes/no, 1/0, 是/否"},
			}},
		{"control characters", Communities, "code,name\nA,\"x\ny\"\nB,a\x00b\nC,tab\there\nD!,ok\n",
			Errors{
				{2, "name", "contains control characters"},
				{3, "name", "contains control characters"},
				{4, "name", "contains control characters"},
				// Row 5 although on line 6: row 2's cell spans two lines.
				{5, "code", "must be 1-32 characters of A-Z, a-z, 0-9, _ or -"},
			}},
		{"replacement character", Communities, "code,name\nA,x\uFFFDy\n",
			Errors{{2, "name", "contains invalid characters (save the file as UTF-8 or GBK)"}}},
		{"too long", Communities, "code,name\nA," + strings.Repeat("长", 201) + "\n",
			Errors{{2, "name", "is longer than 200 characters"}}},
		{"required value blank", Buildings, "community,code,name\nsunny,,\n",
			Errors{{2, "code", "is required"}, {2, "name", "is required"}}},
		{"staff communities malformed", Staff, "code,name,department,role,communities\nliu_fang,刘芳,cs,receptionist,A;B!\n",
			Errors{{2, "communities", "must be codes of 1-32 characters of A-Z, a-z, 0-9, _ or -, separated by ;"}}},
		{"extra cells", Communities, "code,name\nA,x,,surplus\nB,y,,\n",
			Errors{{2, "", "row has 4 cells but the header has 2 columns"}}},
		{"empty file", Staff, "",
			Errors{{0, "", "file is empty: expected a header row with columns code, name, department, role, active, email, phone, communities"}}},
		{"only BOM and blank lines", Communities, "\ufeff\n\n,,\n",
			Errors{{0, "", "file is empty: expected a header row with columns code, name, name_en"}}},
		{"header only", Communities, "code,name\n",
			Errors{{0, "", "no data rows"}}},
		{"header and blank rows", Communities, "code,name\n,\n\n , \n",
			Errors{{0, "", "no data rows"}}},
		{"malformed quotes", Communities, "code,name\nA,x\nB,\"y\n",
			Errors{{3, "", `malformed CSV (line 3, column 6): extraneous or missing " in quoted-field`}}},
		{"UTF-16", Communities, "\xff\xfec\x00o\x00",
			Errors{{0, "", `file is UTF-16 ("Unicode text"); save it as "CSV UTF-8"`}}},
		{"unknown kind", Kind("rooms"), "code,name\nA,x\n",
			Errors{{0, "", `unknown reference data kind "rooms"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ParseCSV(tt.kind, strings.NewReader(tt.input))
			wantErrors(t, err, tt.want)
			if b.Len() != 0 {
				t.Errorf("failed parse returned %d rows", b.Len())
			}
		})
	}
}

func TestParseCSVLimits(t *testing.T) {
	t.Run("errors are capped", func(t *testing.T) {
		input := "code,name\n" + strings.Repeat("bad code,x\n", 300)
		_, err := ParseCSV(Communities, strings.NewReader(input))
		var errs Errors
		if !errors.As(err, &errs) {
			t.Fatalf("err = %v, want Errors", err)
		}
		if len(errs) != maxErrors+1 {
			t.Fatalf("got %d entries, want %d", len(errs), maxErrors+1)
		}
		if got := errs[maxErrors-1]; got.Row != maxErrors+1 {
			t.Errorf("last listed problem is on row %d, want %d", got.Row, maxErrors+1)
		}
		want := RowError{Message: "more than 200 problems; the rest were not listed"}
		if errs[maxErrors] != want {
			t.Errorf("final entry = %+v, want %+v", errs[maxErrors], want)
		}
	})
	t.Run("too many rows", func(t *testing.T) {
		// Every row is also a duplicate: the size is what gets reported.
		input := "code,name\n" + strings.Repeat("c,n\n", MaxRows+1)
		_, err := ParseCSV(Communities, strings.NewReader(input))
		wantErrors(t, err, Errors{{0, "", "more than 20000 data rows; split the file"}})
	})
	t.Run("exactly MaxRows", func(t *testing.T) {
		var sb strings.Builder
		sb.WriteString("community,unit,resident_name\n")
		for range MaxRows {
			sb.WriteString("s,u,n\n")
		}
		b, err := ParseCSV(Households, strings.NewReader(sb.String()))
		if err != nil || b.Len() != MaxRows {
			t.Fatalf("got %d rows, err %v; want %d rows", b.Len(), err, MaxRows)
		}
		if last := b.Households[MaxRows-1].Row; last != MaxRows+1 {
			t.Errorf("last row number %d, want %d", last, MaxRows+1)
		}
	})
	t.Run("file too large", func(t *testing.T) {
		input := "code,name\n" + strings.Repeat(" ", maxFileBytes)
		_, err := ParseCSV(Communities, strings.NewReader(input))
		wantErrors(t, err, Errors{{0, "", "file is larger than 16 MiB"}})
	})
}

func TestParseKind(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Kind
		ok   bool
	}{
		{"units", Units, true},
		{" Staff ", Staff, true},
		{"HOUSEHOLDS", Households, true},
		{"unit", "", false},
		{"", "", false},
	} {
		got, err := ParseKind(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseKind(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestColumns(t *testing.T) {
	want := map[Kind][]string{
		Communities: {"code", "name", "name_en"},
		Buildings:   {"community", "code", "name"},
		Units:       {"community", "building", "code", "unit_type", "floor_area"},
		Households:  {"community", "unit", "resident_name", "phone", "language", "email", "active"},
		Staff:       {"code", "name", "department", "role", "active", "email", "phone", "communities"},
	}
	for k, w := range want {
		if got := Columns(k); !reflect.DeepEqual(got, w) {
			t.Errorf("Columns(%s) = %v, want %v", k, got, w)
		}
	}
	if got := Columns("nope"); got != nil {
		t.Errorf("Columns(unknown) = %v, want nil", got)
	}
	// The returned slice is the caller's to change.
	Columns(Units)[0] = "changed"
	if Columns(Units)[0] != "community" {
		t.Error("Columns returned shared state")
	}
}

func TestErrorsError(t *testing.T) {
	tests := []struct {
		errs Errors
		want string
	}{
		{Errors{{0, "", "no data rows"}}, "refdata: no data rows"},
		{Errors{{2, "code", "is required"}, {3, "", "row has 4 cells but the header has 2 columns"}},
			`refdata: 2 problems: row 2, column "code": is required; row 3: row has 4 cells but the header has 2 columns`},
		{Errors{{2, "a", "x"}, {3, "b", "y"}, {4, "c", "z"}, {5, "d", "w"}, {6, "e", "v"}},
			`refdata: 5 problems: row 2, column "a": x; row 3, column "b": y; row 4, column "c": z; and 2 more`},
	}
	for _, tt := range tests {
		if got := tt.errs.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// A file refused for some rows' cells still hands over the rows whose cells
// are fine (not the duplicates), so their references can be checked too;
// a file refused as a whole hands over none.
func TestRowProblemsKeepTheCheckableRows(t *testing.T) {
	const unitsHdr = "community,building,code,unit_type,floor_area\n"
	_, err := ParseCSV(Units, strings.NewReader(unitsHdr+
		"sunny,B1,101,,80\n"+
		"sunny,B1,102,,-1\n"+
		"sunny,B9,103,office,70.5\n"+
		"sunny,B1,101,,60\n"))
	var rp *RowProblems
	if !errors.As(err, &rp) {
		t.Fatalf("error %v (%T) is not *RowProblems", err, err)
	}
	wantErrors(t, err, Errors{{3, "floor_area", "must be greater than 0"}, {5, "code", "duplicate of row 2"}})
	sameBatch(t, rp.Checkable, Batch{Kind: Units, Units: []Unit{
		{Row: 2, Community: "sunny", Building: "B1", Code: "101", UnitType: "residential", FloorArea: dec("80")},
		{Row: 4, Community: "sunny", Building: "B9", Code: "103", UnitType: "office", FloorArea: dec("70.5")},
	}})

	for _, file := range []string{"community,building\nsunny,B1\n", "", unitsHdr} {
		_, err := ParseCSV(Units, strings.NewReader(file))
		if errors.As(err, &rp) || err == nil {
			t.Errorf("%q: %v (%T), want plain Errors", file, err, err)
		}
	}
}

func TestErrorsMerge(t *testing.T) {
	cells := Errors{{3, "floor_area", "must be greater than 0"}, {6, "code", "is required"}}
	refs := Errors{{2, "community", "community \"X\" does not exist"}, {4, "building", "building \"9\" does not exist"}, {6, "building", "later"}}
	want := Errors{refs[0], cells[0], refs[1], cells[1], refs[2]}
	if got := cells.Merge(refs); !reflect.DeepEqual(got, want) {
		t.Errorf("merge\n got %v\nwant %v", got, want)
	}
	if !cells.Complete() {
		t.Error("two problems are not a complete list")
	}

	// Past the cap, the merged list ends with the note that more were left out.
	var many Errors
	for i := range maxErrors {
		many = append(many, RowError{Row: 2 + 2*i, Column: "code", Message: "is required"})
	}
	more := Errors{{Row: 3, Column: "building", Message: "missing"}, {Message: "more than 200 problems; the rest were not listed"}}
	got := many.Merge(more)
	if len(got) != maxErrors+1 || got[1] != more[0] || got[maxErrors].Row != 0 || !strings.HasPrefix(got[maxErrors].Message, "more than") {
		t.Fatalf("capped merge: %d entries, second %+v, last %+v", len(got), got[1], got[len(got)-1])
	}
	if got.Complete() {
		t.Error("a capped list is complete")
	}
}
