package refdata

import (
	"archive/zip"
	"bytes"
	"errors"
	"testing"
)

var fuzzKinds = []Kind{Communities, Buildings, Units, Households, Staff}

func FuzzParseCSV(f *testing.F) {
	seeds := map[Kind]string{
		Communities: "code,name,name_en\nA,阳光,Sunny\n",
		Buildings:   "小区,楼栋编码,名称\nsunny,B1,一号楼\n",
		Units:       "community,building,code,unit_type,floor_area\nsunny,B1,101,商铺,89.50\n\nsunny,B1,102,,\"1\n2\"\n",
		Households:  "community,unit,resident_name,phone,language,email,active\nsunny,101,王,+86 138-1234-5678,en,A@B.cn,否\n",
		Staff:       "\ufeffcode,name,department,role,active\nli,李,cs,前台,1\nli,李,cs,x,\"\n",
	}
	for i, k := range fuzzKinds {
		f.Add(byte(i), []byte(seeds[k]))
	}
	f.Add(byte(2), []byte("\xb1\xe0\xc2\xeb,\xc3\xfb\xb3\xc6\nA,\xd1\xf4\xb9\xe2\n")) // GBK
	f.Fuzz(func(t *testing.T, k byte, data []byte) {
		kind := fuzzKinds[int(k)%len(fuzzKinds)]
		b, err := ParseCSV(kind, bytes.NewReader(data))
		checkResult(t, kind, b, err)
	})
}

func FuzzParseXLSX(f *testing.F) {
	f.Add(byte(2), minimalWorkbook(
		`<row r="1"><c r="A1" t="inlineStr"><is><t>community</t></is></c><c r="B1" t="inlineStr"><is><t>building</t></is></c>`+
			`<c r="C1" t="inlineStr"><is><t>code</t></is></c><c r="D1" t="inlineStr"><is><t>floor_area</t></is></c></row>`+
			`<row r="2"><c r="A2" t="inlineStr"><is><t>sunny</t></is></c><c r="B2" t="inlineStr"><is><t>B1</t></is></c>`+
			`<c r="C2"><v>101</v></c><c r="D2"><v>89.5</v></c></row>`))
	f.Add(byte(4), minimalWorkbook(
		`<row><c t="inlineStr"><is><t>工号</t></is></c><c t="inlineStr"><is><t>姓名</t></is></c><c t="inlineStr"><is><t>部门</t></is></c>`+
			`<c t="inlineStr"><is><t>角色</t></is></c><c t="inlineStr"><is><t>在职</t></is></c></row>`+
			`<row r="3"><c t="inlineStr"><is><t>li</t></is></c><c t="inlineStr"><is><t>李</t></is></c><c t="inlineStr"><is><t>cs</t></is></c>`+
			`<c t="inlineStr"><is><t>前台</t></is></c><c t="b"><v>1</v></c></row>`))
	f.Fuzz(func(t *testing.T, k byte, data []byte) {
		kind := fuzzKinds[int(k)%len(fuzzKinds)]
		b, err := ParseXLSX(kind, bytes.NewReader(data))
		checkResult(t, kind, b, err)
	})
}

// checkResult asserts the invariants every parse must keep, whatever the input.
func checkResult(t *testing.T, kind Kind, b Batch, err error) {
	t.Helper()
	if err != nil {
		var errs Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("error %v (%T) is not a non-empty Errors", err, err)
		}
		if len(errs) > maxErrors+1 {
			t.Fatalf("%d errors, cap is %d", len(errs), maxErrors+1)
		}
		for _, e := range errs {
			if e.Row < 0 || e.Message == "" {
				t.Fatalf("bad error entry %+v", e)
			}
		}
		if b.Len() != 0 {
			t.Fatalf("failed parse returned %d rows", b.Len())
		}
		return
	}
	if b.Kind != kind || b.Len() == 0 || b.Len() > MaxRows {
		t.Fatalf("batch kind %q with %d rows for kind %q", b.Kind, b.Len(), kind)
	}
	lastRow := 1
	checkRow := func(row int, required ...string) {
		t.Helper()
		if row < 2 || row <= lastRow {
			t.Fatalf("row number %d after %d", row, lastRow)
		}
		lastRow = row
		for i, s := range required {
			if s == "" {
				t.Fatalf("row %d: required field %d is empty", row, i)
			}
		}
	}
	for _, r := range b.Communities {
		checkRow(r.Row, r.Code, r.Name)
	}
	for _, r := range b.Buildings {
		checkRow(r.Row, r.Community, r.Code, r.Name)
	}
	for _, r := range b.Units {
		checkRow(r.Row, r.Community, r.Building, r.Code, r.UnitType)
		if !r.FloorArea.IsPositive() || r.FloorArea.Exponent() < -2 || r.FloorArea.Cmp(maxArea) >= 0 {
			t.Fatalf("row %d: floor area %s out of range", r.Row, r.FloorArea)
		}
	}
	for _, r := range b.Households {
		checkRow(r.Row, r.Community, r.Unit, r.ResidentName, r.Language)
	}
	for _, r := range b.Staff {
		checkRow(r.Row, r.Code, r.Name, r.Department, r.Role)
	}
}

// minimalWorkbook returns a valid .xlsx with only the parts a reader needs
// and sheetData as its only sheet's rows. Its entries are stored, not
// deflated, so the fuzzer's mutations reach the XML instead of just
// corrupting compressed streams; and it is about a third the size of what
// excelize.NewFile writes, which matters because the fuzzer minimises every
// interesting input, byte by byte, through a full parse.
func minimalWorkbook(sheetData string) []byte {
	const (
		ns   = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
		rels = `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`
		rel  = `<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/`
		ct   = `application/vnd.openxmlformats-officedocument.spreadsheetml.`
	)
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="` + ct + `sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="` + ct + `worksheet+xml"/></Types>`},
		{"_rels/.rels", rels + rel + `officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<workbook ` + ns + `><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", rels + rel + `worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", `<worksheet ` + ns + `><sheetData>` + sheetData + `</sheetData></worksheet>`},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Store})
		if err != nil {
			panic(err)
		}
		if _, err := w.Write([]byte(p.body)); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
