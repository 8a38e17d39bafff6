package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

const xlsxContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// importStaff is the member of staff (demo data) who uploads the files.
const importStaff = "admin" // reference data is the admin's (docs/DESIGN.md §7.6)

type fileProblem struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

type importReply struct {
	Kind      string `json:"kind"`
	Rows      int    `json:"rows"`
	Created   int    `json:"created"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Error     struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Problems []fileProblem `json:"problems"`
}

// send posts a raw body and decodes the JSON answer.
func postFile(t *testing.T, path, contentType string, body []byte, headers ...string) (int, importReply) {
	t.Helper()
	var out importReply
	code, err := request("POST", path, contentType, bytes.NewReader(body), &out, headers...)
	if err != nil {
		t.Fatal(err)
	}
	return code, out
}

// importFile uploads a file as the body with the given content type and
// expects it to be imported.
func importFile(t *testing.T, kind, contentType string, file []byte) importReply {
	t.Helper()
	code, out := postFile(t, "/api/v1/imports/"+kind, contentType, file, signedInAs, importStaff)
	if code != http.StatusOK {
		t.Fatalf("import %s: HTTP %d %+v", kind, code, out)
	}
	if out.Kind != kind {
		t.Fatalf("import %s: kind %q", kind, out.Kind)
	}
	return out
}

// multipartBody builds a form with the file in a "file" field.
func multipartFile(t *testing.T, filename string, file []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("note", "ignored"); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(file); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), buf.Bytes()
}

// xlsxFile builds a workbook whose first sheet holds the rows.
func buildXLSX(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gbkEncode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func wantImported(t *testing.T, what string, got importReply, rows, created, updated, unchanged int) {
	t.Helper()
	if got.Rows != rows || got.Created != created || got.Updated != updated || got.Unchanged != unchanged {
		t.Fatalf("%s: rows/created/updated/unchanged %d/%d/%d/%d, want %d/%d/%d/%d",
			what, got.Rows, got.Created, got.Updated, got.Unchanged, rows, created, updated, unchanged)
	}
}

// deleteImported removes the reference data of the given communities and
// staff codes, so the whole-table checks of the parallel tests, which run
// after the serial ones, see only the demo data.
func deleteImported(t *testing.T, communities []string, staffLike string) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`DELETE FROM residents WHERE household_id IN (SELECT h.id FROM households h JOIN units u ON u.id = h.unit_id WHERE u.community = ANY($1))`,
		`DELETE FROM households WHERE unit_id IN (SELECT id FROM units WHERE community = ANY($1))`,
		`DELETE FROM units WHERE community = ANY($1)`,
		`DELETE FROM buildings WHERE community = ANY($1)`,
		`DELETE FROM communities WHERE code = ANY($1)`,
	} {
		if _, err := sys.store.Pool().Exec(ctx, q, communities); err != nil {
			t.Errorf("clean up: %v", err)
		}
	}
	if staffLike != "" {
		if _, err := sys.store.Pool().Exec(ctx, `DELETE FROM staff WHERE code LIKE $1`, staffLike); err != nil {
			t.Errorf("clean up staff: %v", err)
		}
	}
}

// Not parallel: it adds communities and staff, which TestReferenceData
// counts, and removes them again before the parallel tests run.
func TestImportReferenceData(t *testing.T) {
	communities := []string{"IMP", "IMP2"}
	t.Cleanup(func() { deleteImported(t, communities, `imp\_%`) })
	imp := func(table, where string) int {
		t.Helper()
		return count(t, `SELECT count(*) FROM `+table+` WHERE `+where, communities)
	}
	const (
		communityRows = `code = ANY($1)`
		buildingRows  = `community = ANY($1)`
		unitRows      = `community = ANY($1)`
		householdRows = `unit_id IN (SELECT id FROM units WHERE community = ANY($1))`
		residentRows  = `household_id IN (SELECT h.id FROM households h JOIN units u ON u.id = h.unit_id WHERE u.community = ANY($1))`
	)

	// Communities: UTF-8 with a BOM, English headers, a blank optional cell.
	communitiesCSV := []byte("\uFEFFcode,name,name_en\r\nIMP,导入测试小区,Import Estate\r\nIMP2,导入二区,\r\n")
	wantImported(t, "communities", importFile(t, "communities", "text/csv", communitiesCSV), 2, 2, 0, 0)
	if n := imp("communities", communityRows); n != 2 {
		t.Fatalf("communities %d, want 2", n)
	}

	// Buildings: Chinese headers.
	buildingsCSV := []byte("小区,楼栋编码,名称\nIMP,1,1号楼\nIMP,2,2号楼\nIMP2,1,1号楼\n")
	wantImported(t, "buildings", importFile(t, "buildings", "text/csv; charset=utf-8", buildingsCSV), 3, 3, 0, 0)
	if n := imp("buildings", buildingRows); n != 3 {
		t.Fatalf("buildings %d, want 3", n)
	}

	// Units: an XLSX workbook, with Chinese unit types and a grouped number.
	unitsXLSX := buildXLSX(t, [][]any{
		{"community", "building", "code", "unit_type", "floor_area"},
		{"IMP", "1", "1-101", "住宅", "89.50"},
		{"IMP", "1", "1-102", "residential", "1,234.56"},
		{"IMP", "2", "2-101", "商铺", 45},
		{"IMP2", "1", "101", "office", "60.25"},
	})
	wantImported(t, "units", importFile(t, "units", xlsxContentType, unitsXLSX), 4, 4, 0, 0)
	if n := imp("units", unitRows); n != 4 {
		t.Fatalf("units %d, want 4", n)
	}
	if n := count(t, `SELECT count(*) FROM units WHERE community = 'IMP' AND code = '1-102' AND floor_area = 1234.56 AND unit_type = 'residential'`); n != 1 {
		t.Fatal("unit 1-102 not stored with area 1234.56")
	}
	if n := count(t, `SELECT count(*) FROM units WHERE community = 'IMP' AND code = '2-101' AND unit_type = 'commercial' AND building = '2'`); n != 1 {
		t.Fatal("unit 2-101 not stored as commercial in building 2")
	}

	// Households: GBK, as Excel on Chinese Windows saves "CSV (comma delimited)".
	householdsCSV := gbkEncode(t, "小区,房号,住户姓名,电话,语言,邮箱,在住\r\n"+
		"IMP,1-101,王导入,139 0000 1111,中文,Wang@Example.com,是\r\n"+
		"IMP,1-101,李导入,13900002222,英文,,是\r\n"+
		"IMP,2-101,张导入,,zh,,否\r\n")
	if strings.Contains(string(householdsCSV), "王导入") {
		t.Fatal("households file is not GBK-encoded")
	}
	wantImported(t, "households", importFile(t, "households", "text/csv", householdsCSV), 3, 3, 0, 0)
	if n := imp("households", householdRows); n != 3 {
		t.Fatalf("households %d, want 3", n)
	}
	if n := imp("residents", residentRows); n != 3 {
		t.Fatalf("residents %d, want 3", n)
	}
	if n := count(t, `SELECT count(*) FROM residents r JOIN households h ON h.id = r.household_id
		WHERE r.name = '王导入' AND r.phone = '13900001111' AND r.email = 'wang@example.com' AND h.language = 'zh' AND h.active`); n != 1 {
		t.Fatal("王导入 not stored with normalised phone and email")
	}
	if n := count(t, `SELECT count(*) FROM residents r JOIN households h ON h.id = r.household_id
		WHERE r.name = '张导入' AND r.phone = '' AND NOT h.active`); n != 1 {
		t.Fatal("张导入 not stored as an inactive household without phone")
	}

	// Staff: a multipart form, as a browser's file input sends it.
	staffCSV := []byte("code,name,department,role,active,email,phone\nimp_zhang,张导入,engineering,handler,yes,Zhang.Import@Staff.example.com,139 0000 1234\nimp_li,李导入,cleaning,前台,no,,\n")
	ct, body := multipartFile(t, "Staff.CSV", staffCSV)
	wantImported(t, "staff", importFile(t, "staff", ct, body), 2, 2, 0, 0)
	if n := count(t, `SELECT count(*) FROM staff WHERE code LIKE 'imp\_%'`); n != 2 {
		t.Fatalf("staff %d, want 2", n)
	}
	if n := count(t, `SELECT count(*) FROM staff WHERE code = 'imp_zhang' AND email = 'zhang.import@staff.example.com' AND phone = '13900001234'`); n != 1 {
		t.Fatal("staff contact details not imported")
	}
	if n := count(t, `SELECT count(*) FROM staff WHERE code = 'imp_li' AND role = 'receptionist' AND NOT active AND department = 'cleaning'`); n != 1 {
		t.Fatal("imp_li not stored as an inactive receptionist")
	}

	// Importing every file again changes nothing.
	before := [6]int{imp("communities", communityRows), imp("buildings", buildingRows), imp("units", unitRows),
		imp("households", householdRows), imp("residents", residentRows), count(t, `SELECT count(*) FROM staff WHERE code LIKE 'imp\_%'`)}
	wantImported(t, "communities again", importFile(t, "communities", "text/csv", communitiesCSV), 2, 0, 0, 2)
	wantImported(t, "buildings again", importFile(t, "buildings", "text/csv", buildingsCSV), 3, 0, 0, 3)
	wantImported(t, "units again", importFile(t, "units", xlsxContentType, unitsXLSX), 4, 0, 0, 4)
	wantImported(t, "households again", importFile(t, "households", "text/csv", householdsCSV), 3, 0, 0, 3)
	wantImported(t, "staff again", importFile(t, "staff", "text/csv", staffCSV), 2, 0, 0, 2)
	ct, body = multipartFile(t, "units.xlsx", unitsXLSX)
	wantImported(t, "units again, multipart", importFile(t, "units", ct, body), 4, 0, 0, 4)
	after := [6]int{imp("communities", communityRows), imp("buildings", buildingRows), imp("units", unitRows),
		imp("households", householdRows), imp("residents", residentRows), count(t, `SELECT count(*) FROM staff WHERE code LIKE 'imp\_%'`)}
	if before != after {
		t.Fatalf("re-import changed row counts: %v → %v", before, after)
	}

	// Changed values are updates, and only the changed rows count.
	wantImported(t, "communities renamed", importFile(t, "communities", "text/csv",
		[]byte("code,name,name_en\nIMP,导入测试小区,Import Estate\nIMP2,导入第二小区,Import Estate 2\n")), 2, 0, 1, 1)
	if n := count(t, `SELECT count(*) FROM communities WHERE code = 'IMP2' AND name = '导入第二小区' AND name_en = 'Import Estate 2'`); n != 1 {
		t.Fatal("IMP2 not renamed")
	}
	wantImported(t, "unit moved", importFile(t, "units", "text/csv",
		[]byte("community,building,code,floor_area\nIMP,2,1-102,1234.56\n")), 1, 0, 1, 0)

	// Households match by unit, name and phone: the same person is updated,
	// another phone number is another household.
	wantImported(t, "households changed", importFile(t, "households", "text/csv", []byte(
		"community,unit,resident_name,phone,language,email,active\n"+
			"IMP,1-101,王导入,13900001111,en,wang@new.example.com,true\n"+
			"IMP,1-101,李导入,13900002222,en,,true\n"+
			"IMP,1-101,王导入,13900009999,zh,,true\n")), 3, 1, 1, 1)
	if n := imp("households", householdRows); n != 4 {
		t.Fatalf("households %d, want 4", n)
	}
	if n := count(t, `SELECT count(*) FROM residents r JOIN households h ON h.id = r.household_id
		WHERE r.name = '王导入' AND r.phone = '13900001111' AND r.email = 'wang@new.example.com' AND h.language = 'en'`); n != 1 {
		t.Fatal("王导入 not updated in place")
	}

	// Two imports of the same new residents at once: the second waits for
	// the first and then finds them, so no household is created twice.
	// Large enough for the two to overlap.
	const residents = 2000
	var sb strings.Builder
	sb.WriteString("community,unit,resident_name,phone\n")
	for i := range residents {
		fmt.Fprintf(&sb, "IMP,2-101,并发%d,139%08d\n", i, i)
	}
	concurrent := []byte(sb.String())
	replies := make(chan importReply, 2)
	failures := make(chan error, 2)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			// Not postFile: it would call t.Fatal off the test's goroutine.
			var out importReply
			code, err := request("POST", "/api/v1/imports/households", "text/csv", bytes.NewReader(concurrent), &out, signedInAs, importStaff)
			if err == nil && code != http.StatusOK {
				err = fmt.Errorf("concurrent import: HTTP %d %+v", code, out)
			}
			failures <- err
			replies <- out
		})
	}
	wg.Wait()
	close(replies)
	close(failures)
	for err := range failures {
		if err != nil {
			t.Fatal(err)
		}
	}
	var created, unchanged int
	for r := range replies {
		created, unchanged = created+r.Created, unchanged+r.Unchanged
	}
	if created != residents || unchanged != residents {
		t.Fatalf("concurrent imports: created %d, unchanged %d; want %d each", created, unchanged, residents)
	}
	if n := imp("households", householdRows); n != 4+residents {
		t.Fatalf("households %d, want %d", n, 4+residents)
	}
}

// Not parallel: its community is counted by TestReferenceData while it exists.
func TestImportRejectsBadFiles(t *testing.T) {
	communities := []string{"IMPBAD"}
	t.Cleanup(func() { deleteImported(t, communities, "") })
	importFile(t, "communities", "text/csv", []byte("code,name\nIMPBAD,坏文件测试小区\n"))
	importFile(t, "buildings", "text/csv", []byte("community,code,name\nIMPBAD,1,1号楼\n"))
	importFile(t, "units", "text/csv", []byte("community,building,code,floor_area\nIMPBAD,1,100,50\n"))
	counts := func() [3]int {
		return [3]int{
			count(t, `SELECT count(*) FROM units WHERE community = 'IMPBAD'`),
			count(t, `SELECT count(*) FROM households h JOIN units u ON u.id = h.unit_id WHERE u.community = 'IMPBAD'`),
			count(t, `SELECT count(*) FROM residents r JOIN households h ON h.id = r.household_id JOIN units u ON u.id = h.unit_id WHERE u.community = 'IMPBAD'`),
		}
	}
	before := counts()

	tests := []struct {
		name, kind string
		file       string
		want       []fileProblem // row, column and a part of the message
	}{
		{"negative area and duplicate code", "units",
			"community,building,code,unit_type,floor_area\n" +
				"IMPBAD,1,101,residential,80\n" +
				"IMPBAD,1,102,residential,-5\n" +
				"IMPBAD,1,101,residential,70\n",
			[]fileProblem{{3, "floor_area", "greater than 0"}, {4, "code", "duplicate of row 2"}}},
		{"unknown building and community, good rows around them", "units",
			"community,building,code,unit_type,floor_area\n" +
				"IMPBAD,1,101,residential,80\n" +
				"IMPBAD,9,102,residential,80\n" +
				"NOPE,1,103,residential,80\n" +
				"IMPBAD,1,104,residential,80\n",
			[]fileProblem{{3, "building", `building "9" does not exist`}, {4, "community", `community "NOPE" does not exist`}}},
		{"bad email, Chinese headers", "households",
			"小区,房号,住户姓名,电话,邮箱\n" +
				"IMPBAD,100,好住户,13900003333,good@example.com\n" +
				"IMPBAD,100,坏邮箱,13900004444,not-an-email\n" +
				"IMPBAD,100,坏电话,12345,\n",
			[]fileProblem{{3, "邮箱", "email address"}, {4, "电话", "7-15 digits"}}},
		{"unknown unit", "households",
			"community,unit,resident_name\n" +
				"IMPBAD,100,好住户\n" +
				"IMPBAD,999,无此房\n",
			[]fileProblem{{3, "unit", `unit "999" does not exist`}}},
		// Cell problems and reference problems in one answer, in row order:
		// the rows whose cells are fine are checked against the database
		// although other rows' cells are bad (the README's example).
		{"a bad cell and a missing building", "units",
			"community,building,code,unit_type,floor_area\n" +
				"IMPBAD,1,101,residential,80\n" +
				"IMPBAD,1,102,residential,0\n" +
				"IMPBAD,9,103,residential,80\n",
			[]fileProblem{{3, "floor_area", "must be greater than 0"},
				{4, "building", `building "9" does not exist in community "IMPBAD"; import it with a buildings file first`}}},
		{"references before, between and after bad cells", "units",
			"community,building,code,unit_type,floor_area\n" +
				"NOPE,1,101,residential,80\n" +
				"IMPBAD,1,102,shop,80\n" +
				"IMPBAD,1,103,residential,80\n" +
				"IMPBAD,7,104,residential,80\n" +
				"IMPBAD,1,105,residential,1.234\n" +
				"IMPBAD,8,105,residential,80\n" +
				"IMPBAD,6,,residential,80\n",
			[]fileProblem{{2, "community", `community "NOPE" does not exist`},
				{3, "unit_type", "must be one of residential, commercial, office"},
				{5, "building", `building "7" does not exist`},
				{6, "floor_area", "at most 2 decimal places"},
				{7, "building", `building "8" does not exist`},
				{8, "code", "is required"}}},
		{"a bad phone and an unknown unit", "households",
			"community,unit,resident_name,phone\n" +
				"IMPBAD,999,无此房,13900005555\n" +
				"IMPBAD,100,坏电话,12345\n",
			[]fileProblem{{2, "unit", `unit "999" does not exist in community "IMPBAD"`}, {3, "phone", "7-15 digits"}}},
		{"a bad role, an unknown department and a responsible person deactivated", "staff",
			"code,name,department,role,active\n" +
				"imp_bad_role,坏角色,engineering,cook,yes\n" +
				"imp_bad_dept,坏部门,kitchen,handler,yes\n" +
				"wu_gang,吴刚,security,handler,no\n",
			[]fileProblem{{2, "role", "must be one of receptionist"},
				{3, "department", `department "kitchen" does not exist`},
				{4, "active", "wu_gang is the responsible person of handbook categories"}}},
		{"unknown department", "staff",
			"code,name,department,role\nimp_bad_ok,好员工,engineering,handler\nimp_bad,坏员工,kitchen,handler\n",
			[]fileProblem{{3, "department", `department "kitchen" does not exist`}}},
		// wu_gang is responsible for noise and parking (security), li_qiang
		// for leak (engineering) and the repair categories.
		{"the handbook's responsible people deactivated or moved", "staff",
			"code,name,department,role,active\nwu_gang,吴刚,security,handler,no\nli_qiang,李强,cleaning,handler,yes\n",
			// (Other tests add categories of their own, so only the gist is checked.)
			[]fileProblem{{2, "active", `wu_gang is the responsible person of handbook categories`},
				{3, "department", `of another department; name another there before moving them`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := postFile(t, "/api/v1/imports/"+tt.kind, "text/csv", []byte(tt.file), signedInAs, importStaff)
			if code != http.StatusUnprocessableEntity || out.Error.Code != "invalid_file" {
				t.Fatalf("HTTP %d %+v, want 422 invalid_file", code, out)
			}
			if want := fmt.Sprintf("%d problems; nothing was imported", len(tt.want)); len(tt.want) > 1 && out.Error.Message != want {
				t.Errorf("message %q, want %q", out.Error.Message, want)
			}
			if len(out.Problems) != len(tt.want) {
				t.Fatalf("problems %+v, want %+v", out.Problems, tt.want)
			}
			for i, p := range out.Problems {
				w := tt.want[i]
				if p.Row != w.Row || p.Column != w.Column || !strings.Contains(p.Message, w.Message) {
					t.Errorf("fileProblem %d: %+v, want row %d column %q message containing %q", i, p, w.Row, w.Column, w.Message)
				}
			}
		})
	}
	if after := counts(); after != before {
		t.Fatalf("rejected files changed IMPBAD's units/households/residents: %v → %v", before, after)
	}
	if n := count(t, `SELECT count(*) FROM staff WHERE code LIKE 'imp\_bad%'`); n != 0 {
		t.Fatalf("rejected staff file wrote %d rows", n)
	}
	if n := count(t, `SELECT count(*) FROM staff WHERE (code = 'wu_gang' AND active AND department = 'security') OR (code = 'li_qiang' AND department = 'engineering')`); n != 2 {
		t.Fatal("a rejected staff file changed the handbook's responsible people")
	}
}

func TestImportRequestErrors(t *testing.T) {
	t.Parallel()
	file := []byte("code,name\nIMPREQ,请求错误测试\n")
	tests := []struct {
		name        string
		path        string
		contentType string
		body        []byte
		headers     []string
		want        int
		code        string
	}{
		{"no staff code: a service token", "/api/v1/imports/communities", "text/csv", file, []string{signedInAs, servicePrefix + "admin"}, 422, "invalid_input"},
		{"unknown staff code", "/api/v1/imports/communities", "text/csv", file, []string{"X-Staff-Code", "nobody"}, 401, "unauthenticated"},
		{"wrong content type", "/api/v1/imports/communities", "application/json", []byte(`{"code":"IMPREQ"}`), []string{signedInAs, importStaff}, 415, "unsupported_media_type"},
		{"no content type", "/api/v1/imports/communities", "", file, []string{signedInAs, importStaff}, 415, "unsupported_media_type"},
		{"unknown kind", "/api/v1/imports/pets", "text/csv", file, []string{signedInAs, importStaff}, 404, "not_found"},
		{"too large", "/api/v1/imports/communities", "text/csv", bytes.Repeat([]byte("a"), 16<<20+1024), []string{signedInAs, importStaff}, 413, "too_large"},
		{"not a workbook", "/api/v1/imports/communities", xlsxContentType, file, []string{signedInAs, importStaff}, 422, "invalid_file"},
	}
	ct, body := multipartFile(t, "communities.txt", file)
	tests = append(tests, struct {
		name        string
		path        string
		contentType string
		body        []byte
		headers     []string
		want        int
		code        string
	}{"multipart .txt", "/api/v1/imports/communities", ct, body, []string{signedInAs, importStaff}, 415, "unsupported_media_type"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := postFile(t, tt.path, tt.contentType, tt.body, tt.headers...)
			if code != tt.want || out.Error.Code != tt.code {
				t.Fatalf("HTTP %d %+v, want %d %s", code, out, tt.want, tt.code)
			}
		})
	}
	if n := count(t, `SELECT count(*) FROM communities WHERE code = 'IMPREQ'`); n != 0 {
		t.Fatal("a rejected request imported IMPREQ")
	}
}

func TestImportTemplates(t *testing.T) {
	t.Parallel()
	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		resp, err := staffClient().Get(sys.http.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, raw
	}
	resp, raw := get("/api/v1/imports/units/template.csv")
	if resp.StatusCode != 200 || string(raw) != "\uFEFFcommunity,building,code,unit_type,floor_area\n" {
		t.Fatalf("units template.csv: HTTP %d %q", resp.StatusCode, raw)
	}
	if _, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); params["filename"] != "units-template.csv" {
		t.Errorf("Content-Disposition %q", resp.Header.Get("Content-Disposition"))
	}
	resp, raw = get("/api/v1/imports/households/template.xlsx")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != xlsxContentType {
		t.Fatalf("households template.xlsx: HTTP %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"community", "unit", "resident_name", "phone", "language", "email", "active"}
	if len(rows) != 1 || !slices.Equal(rows[0], want) {
		t.Fatalf("households template rows %q, want header %q", rows, want)
	}
	for _, p := range []string{"/api/v1/imports/pets/template.csv", "/api/v1/imports/units/template.ods"} {
		if resp, _ := get(p); resp.StatusCode != 404 {
			t.Errorf("%s: HTTP %d, want 404", p, resp.StatusCode)
		}
	}
}

func TestExportCases(t *testing.T) {
	t.Parallel()
	a, b := create(t, "hygiene"), create(t, "hygiene")
	// The days the two were recorded on, centre time: they may straddle
	// midnight in Shanghai, and need not be today's by the time of the export.
	days := map[string]string{}
	for _, c := range []complaint{a, b} {
		days[c.Number] = c.RecordedAt.In(sys.loc).Format(time.DateOnly)
	}
	from, to := min(days[a.Number], days[b.Number]), max(days[a.Number], days[b.Number])
	header := []string{"编号 Number", "类型 Kind", "状态 Status", "类别 Category", "小区 Community", "楼栋 Building",
		"房号 Unit", "部门 Department", "处理人 Assignee", "渠道 Channel", "优先级 Priority", "登记时间 Recorded at",
		"首次反馈 First feedback", "解决/完成 Resolved", "结案 Closed", "升级级别 Escalation level", "超时 SLA breached", "重开次数 Reopens"}

	export := func(query string) (*http.Response, *excelize.File) {
		t.Helper()
		resp, err := staffClient().Get(sys.http.URL + "/api/v1/exports/cases.xlsx?" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			t.Fatalf("export %s: HTTP %d %s", query, resp.StatusCode, raw)
		}
		f, err := excelize.OpenReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("export is not a workbook: %v", err)
		}
		t.Cleanup(func() { f.Close() })
		return resp, f
	}

	var rows [][]string
	eventually(t, 20*time.Second, "both complaints in the export with their read-model status", func() bool {
		resp, f := export("kind=complaint&community=A&category=hygiene&from=" + from + "&to=" + to)
		if ct := resp.Header.Get("Content-Type"); ct != xlsxContentType {
			t.Fatalf("Content-Type %q", ct)
		}
		if cd := resp.Header.Get("Content-Disposition"); !regexp.MustCompile(`^attachment; filename="cases-\d{8}\.xlsx"$`).MatchString(cd) {
			t.Fatalf("Content-Disposition %q", cd)
		}
		if sheets := f.GetSheetList(); !slices.Equal(sheets, []string{"案件 Cases"}) {
			t.Fatalf("sheets %q", sheets)
		}
		var err error
		if rows, err = f.GetRows("案件 Cases"); err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 || !slices.Equal(rows[0], header) {
			t.Fatalf("header %q\nwant %q", rows, header)
		}
		if panes, err := f.GetPanes("案件 Cases"); err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Fatalf("header row not frozen: %+v %v", panes, err)
		}
		found := 0
		for _, r := range rows[1:] {
			if r[0] != a.Number && r[0] != b.Number {
				continue
			}
			var status string
			if err := sys.store.Pool().QueryRow(context.Background(), `SELECT status FROM cases WHERE number = $1`, r[0]).Scan(&status); err != nil {
				return false
			}
			if r[1] != "complaint" || r[2] != status || r[3] != "hygiene" || r[4] != "A" || !strings.HasPrefix(r[11], days[r[0]]+" ") {
				return false
			}
			found++
		}
		return found == 2
	})

	// No personal data anywhere in the workbook: not the resident's name,
	// phone or the description that the create helper sends.
	_, f := export("")
	all, err := f.GetRows("案件 Cases")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 3 {
		t.Fatalf("unfiltered export has %d rows", len(all))
	}
	for _, r := range all {
		for _, cell := range r {
			for _, secret := range []string{"测试住户", "13900000000", "测试投诉内容"} {
				if strings.Contains(cell, secret) {
					t.Fatalf("export contains personal data %q in %q", secret, r)
				}
			}
		}
	}

	// A range in the future has only the header.
	_, f = export("from=2999-01-01&to=2999-01-31")
	if future, _ := f.GetRows("案件 Cases"); len(future) != 1 {
		t.Fatalf("future range: %d rows", len(future))
	}

	for _, q := range []string{"kind=pets", "status=lost", "from=2026-13-01", "to=yesterday",
		"from=2026-03-02&to=2026-03-01", "community=" + strings.Repeat("x", 40), "category=a%20b"} {
		var e apiError
		if code := call(t, "GET", "/api/v1/exports/cases.xlsx?"+q, nil, &e); code != 422 || e.Error.Code != "invalid_input" {
			t.Errorf("%s: HTTP %d %+v, want 422", q, code, e)
		}
	}
}
