package api

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/refdata"
	"github.com/concierge-pm/concierge/store"
)

const (
	// maxUploadBytes bounds an import's request body (the file itself, or
	// the whole multipart body around it); refdata refuses larger files too.
	maxUploadBytes = 16 << 20
	// maxExportRows bounds an export: beyond it the workbook gets too big
	// to build in one request and to open comfortably in Excel.
	maxExportRows = 100000
	// exportPageSize is how many cases are read from the store at a time.
	exportPageSize = 200

	contentTypeCSV  = "text/csv"
	contentTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// registerSpreadsheetRoutes adds the reference-data imports, their
// templates and the case export.
func (s *Server) registerSpreadsheetRoutes(v1 *gin.RouterGroup) {
	v1.POST("/imports/:kind", requireStaff("the member of staff who imports the file"), s.handle(s.importReference))
	v1.GET("/imports/:kind/:file", s.handle(s.importTemplate))
	v1.GET("/exports/cases.xlsx", s.handle(s.exportCases))
}

// parser reads one uploaded file of a kind.
type parser func(refdata.Kind, io.Reader) (refdata.Batch, error)

// importReference imports one reference-data file, all or nothing. The body
// is the file (text/csv or .xlsx) or a multipart form with a "file" field.
// The member of staff who imports is required (X-Staff-Code) and logged.
// ownRoleChange refuses a staff import that gives the importer another
// role: nobody changes their own role (docs/DESIGN.md §7.6).
func ownRoleChange(c *gin.Context, batch refdata.Batch) *Problem {
	id, _ := identity(c)
	for _, m := range batch.Staff {
		if id.StaffCode != "" && m.Code == id.StaffCode && m.Role != id.Role {
			return &Problem{Status: http.StatusForbidden, Code: "forbidden",
				Message: fmt.Sprintf("you may not change your own role (%s to %s): another admin imports that row", id.Role, m.Role)}
		}
	}
	return nil
}

func (s *Server) importReference(c *gin.Context) error {
	kind, err := refdata.ParseKind(c.Param("kind"))
	if err != nil {
		return notFound(err.Error())
	}
	actor := actor(c)
	c.Request.Body = http.MaxBytesReader(serverWriter(c), c.Request.Body, maxUploadBytes)
	data, parse, err := s.uploadedFile(c)
	if err != nil {
		return err
	}
	batch, err := parse(kind, bytes.NewReader(data))
	if err == nil {
		if p := ownRoleChange(c, batch); p != nil {
			return p
		}
		var res store.ImportResult
		res, err = s.cfg.Store.ImportReference(c.Request.Context(), who(c), batch, fileDigest(data))
		if err == nil {
			s.cfg.Logger.Info("reference data imported", "kind", res.Kind, "actor", actor, "rows", res.Rows,
				"created", res.Created, "updated", res.Updated, "unchanged", res.Unchanged)
			c.JSON(http.StatusOK, res)
			return nil
		}
	}
	var problems refdata.Errors
	if !errors.As(err, &problems) {
		return err
	}
	// Rows whose cells are fine are checked against the database too, so
	// that one answer lists every problem the file has, not the cell
	// problems first and the missing references after those are fixed.
	var rows *refdata.RowProblems
	if errors.As(err, &rows) && rows.Errors.Complete() && rows.Checkable.Len() > 0 {
		refs, err := s.cfg.Store.CheckReferences(c.Request.Context(), rows.Checkable)
		if err != nil {
			return err
		}
		problems = rows.Errors.Merge(refs)
	}
	noun := "problems"
	if len(problems) == 1 {
		noun = "problem"
	}
	c.AbortWithStatusJSON(http.StatusUnprocessableEntity, gin.H{
		"error":    gin.H{"code": "invalid_file", "message": fmt.Sprintf("%d %s; nothing was imported", len(problems), noun)},
		"problems": problems,
	})
	return nil
}

// uploadedFile reads the file from the body and picks its parser by the
// content type, or by the file name's extension in a multipart form; 413,
// 415 or 422 otherwise.
func (s *Server) uploadedFile(c *gin.Context) ([]byte, parser, error) {
	mediaType, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil {
		mediaType = ""
	}
	var parse parser
	switch mediaType {
	case contentTypeCSV:
		parse = refdata.ParseCSV
	case contentTypeXLSX:
		parse = refdata.ParseXLSX
	case "multipart/form-data":
		return s.multipartFile(c)
	default:
		return nil, nil, &Problem{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: "send the file as " + contentTypeCSV + ", as " + contentTypeXLSX + " or as multipart/form-data with a \"file\" field"}
	}
	data, err := readUpload(c.Request.Body)
	return data, parse, err
}

// multipartFile finds the "file" field of a multipart form; other fields
// are skipped.
func (s *Server) multipartFile(c *gin.Context) ([]byte, parser, error) {
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return nil, nil, invalid("malformed multipart body: " + err.Error())
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, nil, invalid(`the multipart form has no "file" field`)
		}
		if err != nil {
			if p := bodyError(err); p.Status != http.StatusBadRequest {
				return nil, nil, p
			}
			return nil, nil, invalid("malformed multipart body: " + err.Error())
		}
		if part.FormName() != "file" {
			continue
		}
		var parse parser
		switch strings.ToLower(path.Ext(part.FileName())) {
		case ".csv":
			parse = refdata.ParseCSV
		case ".xlsx":
			parse = refdata.ParseXLSX
		default:
			return nil, nil, &Problem{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
				Message: fmt.Sprintf("file %q must be a .csv or .xlsx file", part.FileName())}
		}
		data, err := readUpload(part)
		return data, parse, err
	}
}

// readUpload reads r to its end within the body limit.
func readUpload(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, bodyError(err)
	}
	return data, nil
}

// importTemplate serves template.csv or template.xlsx of a kind: an empty
// file with the header row.
func (s *Server) importTemplate(c *gin.Context) error {
	kind, err := refdata.ParseKind(c.Param("kind"))
	if err != nil {
		return notFound(err.Error())
	}
	header := refdata.Columns(kind)
	switch c.Param("file") {
	case "template.csv":
		var buf bytes.Buffer
		// The BOM makes Excel open the file as UTF-8, so Chinese typed into
		// it survives; the importer accepts it with or without.
		buf.WriteString("\uFEFF")
		w := csv.NewWriter(&buf)
		if err := w.Write(header); err != nil {
			return err
		}
		w.Flush()
		attachment(c, string(kind)+"-template.csv")
		c.Data(http.StatusOK, contentTypeCSV+"; charset=utf-8", buf.Bytes())
	case "template.xlsx":
		raw, err := templateWorkbook(string(kind), header)
		if err != nil {
			return err
		}
		attachment(c, string(kind)+"-template.xlsx")
		c.Data(http.StatusOK, contentTypeXLSX, raw)
	default:
		return notFound("no such template: use template.csv or template.xlsx")
	}
	return nil
}

// attachment names the download; filename is ASCII chosen here, never input.
func attachment(c *gin.Context, filename string) {
	c.Header("Content-Disposition", `attachment; filename="`+filename+`"`)
}

func templateWorkbook(sheet string, header []string) ([]byte, error) {
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	row := make([]any, len(header))
	for i, h := range header {
		row[i] = h
	}
	if err := f.SetSheetRow(sheet, "A1", &row); err != nil {
		return nil, err
	}
	last, err := excelize.CoordinatesToCellName(len(header), 1)
	if err != nil {
		return nil, err
	}
	if err := f.SetCellStyle(sheet, "A1", last, bold); err != nil {
		return nil, err
	}
	lastCol, _, _ := excelize.SplitCellName(last)
	if err := f.SetColWidth(sheet, "A", lastCol, 18); err != nil {
		return nil, err
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// exportColumn is one column of the case export: a bilingual header, a
// width in characters and the cell of a case.
type exportColumn struct {
	header string
	width  float64
	value  func(cs store.Case, loc *time.Location) any
}

// localTime formats a time as the service centre's local time; empty when
// the time is not set.
func localTime(t *time.Time, loc *time.Location) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.In(loc).Format("2006-01-02 15:04")
}

// exportColumns are the export's columns. Resident names, phones and
// descriptions are left out on purpose: an export file travels by email and
// USB stick, so it carries no personal data.
var exportColumns = []exportColumn{
	{"编号 Number", 20, func(cs store.Case, _ *time.Location) any { return cs.Number }},
	{"类型 Kind", 12, func(cs store.Case, _ *time.Location) any { return string(cs.Kind) }},
	{"状态 Status", 16, func(cs store.Case, _ *time.Location) any { return string(cs.Status) }},
	{"类别 Category", 16, func(cs store.Case, _ *time.Location) any { return cs.Category }},
	{"小区 Community", 14, func(cs store.Case, _ *time.Location) any { return cs.Community }},
	{"楼栋 Building", 12, func(cs store.Case, _ *time.Location) any { return cs.Building }},
	{"房号 Unit", 12, func(cs store.Case, _ *time.Location) any { return cs.Unit }},
	{"部门 Department", 18, func(cs store.Case, _ *time.Location) any { return cs.Department }},
	{"处理人 Assignee", 16, func(cs store.Case, _ *time.Location) any { return cs.Assignee }},
	{"渠道 Channel", 12, func(cs store.Case, _ *time.Location) any { return string(cs.Channel) }},
	{"优先级 Priority", 14, func(cs store.Case, _ *time.Location) any { return string(cs.Priority) }},
	{"登记时间 Recorded at", 20, func(cs store.Case, loc *time.Location) any { return localTime(&cs.RecordedAt, loc) }},
	{"首次反馈 First feedback", 22, func(cs store.Case, loc *time.Location) any { return localTime(cs.FirstFeedbackAt, loc) }},
	{"解决/完成 Resolved", 20, func(cs store.Case, loc *time.Location) any { return localTime(cs.ResolvedAt, loc) }},
	{"结案 Closed", 20, func(cs store.Case, loc *time.Location) any { return localTime(cs.ClosedAt, loc) }},
	{"升级级别 Escalation level", 22, func(cs store.Case, _ *time.Location) any { return cs.EscalationLevel }},
	{"超时 SLA breached", 16, func(cs store.Case, _ *time.Location) any { return cs.SLABreached }},
	{"重开次数 Reopens", 16, func(cs store.Case, _ *time.Location) any { return cs.Reopens }},
}

// exportSheet is the name of the export's one worksheet.
const exportSheet = "案件 Cases"

// exportQuery is the export's filter: the list's filters plus a range of
// local recording dates, both ends included.
type exportQuery struct {
	filter   store.CaseFilter
	from, to time.Time // to is exclusive (the day after the "to" date); zero = open
}

func (s *Server) parseExportQuery(c *gin.Context) (exportQuery, error) {
	q := exportQuery{filter: store.CaseFilter{
		Kind: domain.Kind(c.Query("kind")), Status: c.Query("status"), Category: c.Query("category"),
		Department: c.Query("department"), Community: c.Query("community"), PageSize: exportPageSize,
		Communities: scopedCommunities(c), // the caller's communities only (docs/DESIGN.md §7.6)
	}}
	if k := q.filter.Kind; k != "" && !k.Valid() {
		return q, errors.New("kind must be one of: " + strings.Join(domain.KindNames(), ", "))
	}
	if st := q.filter.Status; st != "" && !domain.Status(st).Valid() {
		names := make([]string, len(domain.AllStatuses))
		for i, st := range domain.AllStatuses {
			names[i] = string(st)
		}
		return q, errors.New("status must be one of: " + strings.Join(names, ", "))
	}
	if err := checkCodes([2]string{"category", q.filter.Category}, [2]string{"department", q.filter.Department},
		[2]string{"community", q.filter.Community}); err != nil {
		return q, err
	}
	q.filter.Building, q.filter.Late = c.Query("building"), c.Query("late")
	if err := checkCodes([2]string{"building", q.filter.Building}); err != nil {
		return q, err
	}
	if !store.ValidLate(q.filter.Late) {
		return q, errors.New("late must be " + store.LateDispatch + " or " + store.LateFeedback)
	}
	switch b := c.Query("breached"); b {
	case "":
	case "true", "false":
		v := b == "true"
		q.filter.Breached = &v
	default:
		return q, errors.New("breached must be true or false")
	}
	var err error
	q.from, q.to, err = s.localDates(c)
	return q, err
}

// localDates reads from and to, local recording dates in the centre's
// zone with both ends included, as the period [from, to+1 day); zero for
// an open end.
func (s *Server) localDates(c *gin.Context) (from, to time.Time, err error) {
	for _, d := range []struct {
		name string
		out  *time.Time
	}{{"from", &from}, {"to", &to}} {
		v := c.Query(d.name)
		if v == "" {
			continue
		}
		t, err := time.ParseInLocation(time.DateOnly, v, s.cfg.Location)
		if err != nil {
			return from, to, fmt.Errorf("%s must be a date YYYY-MM-DD", d.name)
		}
		*d.out = t
	}
	if !to.IsZero() {
		to = to.AddDate(0, 0, 1)
		if !from.IsZero() && !to.After(from) {
			return from, to, errors.New("to must not be before from")
		}
	}
	return from, to, nil
}

// errTooManyRows stops an export that would exceed maxExportRows.
var errTooManyRows = errors.New("too many rows")

// exportCases answers the case list as an XLSX workbook. The whole workbook
// is built before the first byte is sent, so a failure (or too many rows)
// is still a proper JSON error.
func (s *Server) exportCases(c *gin.Context) error {
	q, err := s.parseExportQuery(c)
	if err != nil {
		return invalid(err.Error())
	}
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	rows, err := s.writeCaseSheet(c, f, q)
	switch {
	case errors.Is(err, errTooManyRows):
		fail(c, http.StatusUnprocessableEntity, "too_many_rows",
			fmt.Sprintf("more than %d cases match; narrow the filter (from/to, kind, status, community …)", maxExportRows))
		return nil
	case err != nil:
		return err
	}
	// Nothing leaves without its audit row: it is written once the
	// workbook is built and before the first byte is sent.
	if err := s.cfg.Store.RecordAudit(c.Request.Context(), who(c), store.AuditEntry{
		Action: "export", ObjectType: "cases", ObjectKey: "cases.xlsx",
		After: map[string]any{"filter": exportFilterOf(c), "rows": rows}}); err != nil {
		return fmt.Errorf("audit the case export: %w", err)
	}
	attachment(c, "cases-"+time.Now().In(s.cfg.Location).Format("20060102")+".xlsx")
	c.Header("Content-Type", contentTypeXLSX)
	c.Status(http.StatusOK)
	if err := f.Write(c.Writer); err != nil {
		// Headers are gone; all that is left is to log it.
		s.cfg.Logger.Warn("case export not fully sent", "rows", rows, "error", err)
	}
	return nil
}

// exportFilterOf is the export's filter as the audit trail keeps it: the
// known parameters only, which are codes and dates, never personal data.
func exportFilterOf(c *gin.Context) map[string]string {
	out := map[string]string{}
	for _, k := range []string{"kind", "status", "category", "department", "community", "building", "breached", "late", "from", "to"} {
		if v := c.Query(k); v != "" {
			out[k] = v
		}
	}
	return out
}

// writeCaseSheet streams the matching cases into the workbook's one sheet
// and returns how many it wrote.
func (s *Server) writeCaseSheet(c *gin.Context, f *excelize.File, q exportQuery) (int, error) {
	ctx := c.Request.Context()
	if err := f.SetSheetName(f.GetSheetName(0), exportSheet); err != nil {
		return 0, err
	}
	headerStyle, err := f.NewStyle(&excelize.Style{
		Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
	})
	if err != nil {
		return 0, err
	}
	sw, err := f.NewStreamWriter(exportSheet)
	if err != nil {
		return 0, err
	}
	// Widths and panes must be set before the first row.
	for i, col := range exportColumns {
		if err := sw.SetColWidth(i+1, i+1, col.width); err != nil {
			return 0, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return 0, err
	}
	header := make([]any, len(exportColumns))
	for i, col := range exportColumns {
		header[i] = excelize.Cell{StyleID: headerStyle, Value: col.header}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return 0, err
	}

	n := 0
	values := make([]any, len(exportColumns))
	filter := q.filter
	filter.From, filter.To = q.from, q.to
	for {
		items, next, err := s.cfg.Store.ListCases(ctx, filter)
		if err != nil {
			return n, err
		}
		for _, cs := range items {
			if n == maxExportRows {
				return n, errTooManyRows
			}
			n++
			for i, col := range exportColumns {
				values[i] = col.value(cs, s.cfg.Location)
			}
			cell, err := excelize.CoordinatesToCellName(1, n+1)
			if err != nil {
				return n, err
			}
			if err := sw.SetRow(cell, values); err != nil {
				return n, err
			}
		}
		if next == "" {
			break
		}
		filter.PageToken = next
	}
	last, err := excelize.CoordinatesToCellName(len(exportColumns), n+1)
	if err != nil {
		return n, err
	}
	// The filter goes into the sheet written by Flush, so it comes first.
	if err := f.AutoFilter(exportSheet, "A1:"+last, nil); err != nil {
		return n, err
	}
	return n, sw.Flush()
}
