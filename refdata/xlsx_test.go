package refdata

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// sheetRow places cells in one spreadsheet row; rows absent from a test
// workbook are simply missing from the sheet XML, as in real files.
type sheetRow struct {
	n     int
	cells []any
}

// workbook builds an .xlsx in memory; edit, if non-nil, adjusts the file
// (extra sheets, raw cell values) before it is written.
func workbook(t testing.TB, rows []sheetRow, edit func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for _, r := range rows {
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", r.n), &r.cells); err != nil {
			t.Fatalf("SetSheetRow: %v", err)
		}
	}
	if edit != nil {
		edit(f)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatalf("writing workbook: %v", err)
	}
	return buf.Bytes()
}

func TestParseXLSXGood(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		rows []sheetRow
		edit func(f *excelize.File)
		want Batch
	}{
		{
			name: "units with numeric areas",
			kind: Units,
			rows: []sheetRow{
				{1, []any{"小区", "楼栋", "房号", "类型", "建筑面积"}},
				{2, []any{"sunny", "B1", "1-101", "住宅", 89.5}},
				{3, []any{"sunny", "B1", "1-102", nil, "120.25"}},
				{4, []any{"sunny", 2, 203, "office", 100}},
			},
			edit: func(f *excelize.File) {
				// Older Excel writes binary floats with 17 significant
				// digits; they must read back as the number the user typed.
				if err := f.SetCellDefault("Sheet1", "E5", "89.549999999999997"); err != nil {
					panic(err)
				}
				_ = f.SetSheetRow("Sheet1", "A5", &[]any{"sunny", "B3", "1-301"})
				// Built-in number format 4 is "#,##0.00": read as "1,234.50".
				_ = f.SetSheetRow("Sheet1", "A6", &[]any{"sunny", "B3", "1-302", "商铺", 1234.5})
				style, err := f.NewStyle(&excelize.Style{NumFmt: 4})
				if err != nil {
					panic(err)
				}
				_ = f.SetCellStyle("Sheet1", "E6", "E6", style)
			},
			want: Batch{Kind: Units, Units: []Unit{
				{Row: 2, Community: "sunny", Building: "B1", Code: "1-101", UnitType: "residential", FloorArea: dec("89.5")},
				{Row: 3, Community: "sunny", Building: "B1", Code: "1-102", UnitType: "residential", FloorArea: dec("120.25")},
				{Row: 4, Community: "sunny", Building: "2", Code: "203", UnitType: "office", FloorArea: dec("100")},
				{Row: 5, Community: "sunny", Building: "B3", Code: "1-301", UnitType: "residential", FloorArea: dec("89.55")},
				{Row: 6, Community: "sunny", Building: "B3", Code: "1-302", UnitType: "commercial", FloorArea: dec("1234.5")},
			}},
		},
		{
			name: "households with numeric phone and boolean cell, sparse rows",
			kind: Households,
			rows: []sheetRow{
				{1, []any{"community", "unit", "resident_name", "phone", "active"}},
				{3, []any{"sunny", "1-101", "王芳", int64(13812345678), false}},
				{6, []any{"sunny", "1-101", "李雷", "+86 138 1234 5678", true}},
			},
			want: Batch{Kind: Households, Households: []Household{
				{Row: 3, Community: "sunny", Unit: "1-101", ResidentName: "王芳", Phone: "13812345678", Language: "zh", Active: false},
				{Row: 6, Community: "sunny", Unit: "1-101", ResidentName: "李雷", Phone: "+8613812345678", Language: "zh", Active: true},
			}},
		},
		{
			name: "first sheet only, whatever its name or the active sheet",
			kind: Staff,
			rows: []sheetRow{
				{1, []any{"工号", "姓名", "部门", "角色"}},
				{2, []any{"li", "李", "cs", "主管"}},
			},
			edit: func(f *excelize.File) {
				if err := f.SetSheetName("Sheet1", "员工"); err != nil {
					panic(err)
				}
				i, err := f.NewSheet("Notes")
				if err != nil {
					panic(err)
				}
				_ = f.SetSheetRow("Notes", "A1", &[]any{"not", "a", "staff", "file"})
				f.SetActiveSheet(i)
			},
			want: Batch{Kind: Staff, Staff: []StaffMember{
				{Row: 2, Code: "li", Name: "李", Department: "cs", Role: "supervisor", Active: true},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := workbook(t, tt.rows, tt.edit)
			got, err := ParseXLSX(tt.kind, bytes.NewReader(data))
			if err != nil {
				t.Fatalf("ParseXLSX: %v", err)
			}
			sameBatch(t, got, tt.want)
		})
	}
}

func TestParseXLSXNumericArea(t *testing.T) {
	data := workbook(t, []sheetRow{{1, []any{"community", "building", "code", "floor_area"}}}, func(f *excelize.File) {
		_ = f.SetSheetRow("Sheet1", "A2", &[]any{"sunny", "B1", "101"})
		if err := f.SetCellValue("Sheet1", "D2", 89.5); err != nil {
			panic(err)
		}
	})
	b, err := ParseXLSX(Units, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ParseXLSX: %v", err)
	}
	if len(b.Units) != 1 || !b.Units[0].FloorArea.Equal(dec("89.5")) {
		t.Fatalf("units = %+v, want one with floor area 89.5", b.Units)
	}
}

func TestParseXLSXErrors(t *testing.T) {
	garbageZip := func() []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("hello.txt")
		_, _ = w.Write([]byte("not a workbook"))
		_ = zw.Close()
		return buf.Bytes()
	}
	tests := []struct {
		name string
		kind Kind
		data []byte
		want Errors // nil: any single file-level error
	}{
		{
			name: "row errors located",
			kind: Staff,
			data: workbook(t, []sheetRow{
				{1, []any{"code", "name", "department", "role", "Remarks"}},
			}, nil),
			want: Errors{{1, "Remarks", "unknown column; expected code (工号), name (姓名), department (部门), role (角色), active (在职), email (邮箱), phone (电话), communities (所属小区)"}},
		},
		{
			name: "bad values",
			kind: Units,
			data: workbook(t, []sheetRow{
				{1, []any{"community", "building", "code", "floor_area"}},
				{2, []any{"sunny", "B1", "101", -3.5}},
				{4, []any{"sunny", "B1", "102", 89.555}},
				{5, []any{"sunny", "B1", "101", 70, "", "extra"}},
			}, nil),
			want: Errors{
				{2, "floor_area", "must be greater than 0"},
				{4, "floor_area", "must have at most 2 decimal places"},
				{5, "", "row has 6 cells but the header has 4 columns"},
			},
		},
		{
			name: "header only",
			kind: Communities,
			data: workbook(t, []sheetRow{{1, []any{"code", "name"}}}, nil),
			want: Errors{{0, "", "no data rows"}},
		},
		{
			name: "empty workbook",
			kind: Communities,
			data: workbook(t, nil, nil),
			want: Errors{{0, "", "file is empty: expected a header row with columns code, name, name_en"}},
		},
		{
			name: "legacy xls",
			kind: Communities,
			data: append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...),
			want: Errors{{0, "", "not an .xlsx workbook: this is an old .xls file or a password-protected workbook; save it as .xlsx without a password"}},
		},
		{name: "garbage", kind: Units, data: []byte("this is not a spreadsheet at all, just text")},
		{name: "empty input", kind: Units, data: nil},
		{name: "zip without workbook", kind: Units, data: garbageZip(),
			want: Errors{{0, "", "not a readable .xlsx workbook: it is a zip file but not a workbook"}}},
		{name: "zip bomb", kind: Units, data: zipBomb(t)},
		{name: "csv given as xlsx", kind: Communities, data: []byte("code,name\nA,x\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ParseXLSX(tt.kind, bytes.NewReader(tt.data))
			if b.Len() != 0 {
				t.Errorf("failed parse returned %d rows", b.Len())
			}
			if tt.want != nil {
				wantErrors(t, err, tt.want)
				return
			}
			errs, ok := err.(Errors)
			if !ok || len(errs) != 1 || errs[0].Row != 0 || errs[0].Message == "" {
				t.Fatalf("err = %#v, want one file-level Errors entry", err)
			}
			t.Logf("message: %s", errs[0].Message)
		})
	}
}

func TestParseXLSXTooLarge(t *testing.T) {
	_, err := ParseXLSX(Units, strings.NewReader(strings.Repeat("x", maxFileBytes+1)))
	wantErrors(t, err, Errors{{0, "", "file is larger than 16 MiB"}})
}

// The fuzz seeds must parse, or the fuzzer starts from nothing.
func TestMinimalWorkbookParses(t *testing.T) {
	data := minimalWorkbook(`<row><c t="inlineStr"><is><t>code</t></is></c><c t="inlineStr"><is><t>name</t></is></c></row>` +
		`<row r="4"><c t="inlineStr"><is><t>A</t></is></c><c t="inlineStr"><is><t>阳光</t></is></c></row>`)
	b, err := ParseXLSX(Communities, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ParseXLSX: %v", err)
	}
	sameBatch(t, b, Batch{Kind: Communities, Communities: []Community{{Row: 4, Code: "A", Name: "阳光"}}})
}

// zipBomb returns a small zip whose sheet inflates past maxUnzipBytes.
func zipBomb(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for range maxUnzipBytes>>20 + 1 {
		if _, err := w.Write(zeros); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
