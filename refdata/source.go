package refdata

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

const (
	// maxFileBytes bounds what is read from an upload: 20,000 rows of
	// reference data are a few MiB, so anything far larger is a mistake.
	maxFileBytes = 16 << 20
	// maxUnzipBytes bounds the decompressed size of a workbook, which a
	// zip bomb could otherwise make arbitrarily large.
	maxUnzipBytes = 64 << 20
)

var (
	utf8BOM = []byte{0xEF, 0xBB, 0xBF}
	// oleSignature starts legacy .xls files and encrypted .xlsx files, which
	// are compound documents rather than zips.
	oleSignature = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

func readLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return nil, fileError("reading file: %v", err)
	}
	if len(data) > maxFileBytes {
		return nil, fileError("file is larger than %d MiB", maxFileBytes>>20)
	}
	return data, nil
}

// ParseCSV reads a CSV file of the given kind, in UTF-8 (with or without a
// BOM) or GBK/GB18030.
func ParseCSV(kind Kind, r io.Reader) (Batch, error) {
	data, err := readLimited(r)
	if err != nil {
		return Batch{Kind: kind}, err
	}
	if data, err = decodeCSV(data); err != nil {
		return Batch{Kind: kind}, err
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1 // ragged rows are reported per row, not as a parse failure
	return parse(kind, &csvSource{r: cr})
}

// decodeCSV returns the file as UTF-8 without a BOM.
func decodeCSV(data []byte) ([]byte, error) {
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		// Decoding UTF-16 as GBK would "succeed" with garbage; say what to do instead.
		return nil, fileError(`file is UTF-16 ("Unicode text"); save it as "CSV UTF-8"`)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if utf8.Valid(data) {
		return data, nil
	}
	// Excel on Chinese Windows saves "CSV (comma delimited)" in the ANSI code
	// page, GBK. GB18030 is a superset of GBK, so it decodes those files and
	// also the rarer GB18030 ones.
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return nil, fileError("file is neither UTF-8 nor GBK: %v", err)
	}
	return bytes.TrimPrefix(out, utf8BOM), nil
}

// csvSource numbers CSV records as a spreadsheet would show them.
// encoding/csv skips blank lines and lets a quoted cell span lines, so the
// row is the record's first line minus the extra lines of earlier
// multi-line cells.
type csvSource struct {
	r            *csv.Reader
	continuation int
}

func (s *csvSource) next() (int, []string, error) {
	rec, err := s.r.Read()
	if err == io.EOF {
		return 0, nil, io.EOF
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		// The reader cannot resynchronise reliably after a quoting error,
		// so this ends the parse.
		return 0, nil, Errors{{Row: pe.StartLine - s.continuation,
			Message: fmt.Sprintf("malformed CSV (line %d, column %d): %v", pe.Line, pe.Column, pe.Err)}}
	}
	if err != nil {
		return 0, nil, fmt.Errorf("reading CSV: %w", err)
	}
	line, _ := s.r.FieldPos(0)
	row := line - s.continuation
	for _, f := range rec {
		s.continuation += strings.Count(f, "\n")
	}
	return row, rec, nil
}

// ParseXLSX reads the first worksheet of an .xlsx workbook.
func ParseXLSX(kind Kind, r io.Reader) (Batch, error) {
	empty := Batch{Kind: kind}
	data, err := readLimited(r)
	if err != nil {
		return empty, err
	}
	if bytes.HasPrefix(data, oleSignature) {
		// excelize would try to decrypt it, which costs up to millions of
		// hash rounds chosen by the file, only to fail.
		return empty, fileError("not an .xlsx workbook: this is an old .xls file or a password-protected workbook; save it as .xlsx without a password")
	}
	var f *excelize.File
	err = guard(func() (err error) {
		f, err = excelize.OpenReader(bytes.NewReader(data), excelize.Options{
			UnzipSizeLimit: maxUnzipBytes,
			// Same as the total, so sheets stay in memory instead of temp files.
			UnzipXMLSizeLimit: maxUnzipBytes,
		})
		return err
	})
	if errors.Is(err, io.EOF) {
		// excelize's word for a zip that lacks the workbook's parts.
		err = errors.New("it is a zip file but not a workbook")
	}
	if err != nil || f == nil {
		return empty, fileError("not a readable .xlsx workbook: %v", err)
	}
	// Close removes any temp files excelize made; nothing to report if it fails.
	defer func() { _ = guard(f.Close) }()

	var rows *excelize.Rows
	err = guard(func() error {
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			return errors.New("workbook has no worksheets")
		}
		var err error
		rows, err = f.Rows(sheets[0])
		return err
	})
	if err != nil || rows == nil {
		return empty, fileError("reading first worksheet: %v", err)
	}
	defer func() { _ = guard(rows.Close) }()
	return parse(kind, &xlsxSource{rows: rows})
}

// xlsxSource walks a worksheet. excelize's iterator yields every row number
// up to the last, with no cells for rows absent from a sparse sheet, so
// counting calls gives the spreadsheet row.
type xlsxSource struct {
	rows *excelize.Rows
	row  int
}

func (s *xlsxSource) next() (int, []string, error) {
	var (
		ok    bool
		cells []string
	)
	err := guard(func() (err error) {
		if ok = s.rows.Next(); !ok {
			return s.rows.Error()
		}
		cells, err = s.rows.Columns()
		return err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("reading worksheet after row %d: %w", s.row, err)
	}
	if !ok {
		return 0, nil, io.EOF
	}
	s.row++
	return s.row, cells, nil
}

// guard runs fn and turns a panic into an error. excelize decodes a zip of
// XML that the uploader controls, and its robustness against hostile or
// merely corrupt files is not guaranteed; one bad upload must not take the
// whole service down, so every call into it goes through here.
func guard(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("workbook is malformed (reader failed: %v)", p)
		}
	}()
	return fn()
}
