package refdata

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// rowSource yields the rows of one sheet. row is the 1-based spreadsheet
// row, which can skip numbers (blank lines, sparse sheets); next returns
// io.EOF after the last row. Any other error ends the parse.
type rowSource interface {
	next() (row int, cells []string, err error)
}

// collector gathers problems up to maxErrors.
type collector struct {
	errs Errors
}

func (c *collector) add(row int, col, msg string) {
	if c.full() {
		return
	}
	c.errs = append(c.errs, RowError{Row: row, Column: col, Message: msg})
	if len(c.errs) == maxErrors {
		c.errs = append(c.errs, RowError{Message: fmt.Sprintf("more than %d problems; the rest were not listed", maxErrors)})
	}
}

func (c *collector) full() bool { return len(c.errs) > maxErrors }

// fileError is the error of a file that could not be read at all.
func fileError(format string, args ...any) Errors {
	return Errors{{Message: fmt.Sprintf(format, args...)}}
}

// isBlank reports whether every cell is empty after trimming; such rows are
// leftovers of deleted spreadsheet content, not data.
func isBlank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// parse reads the header and data rows from src and validates them against
// the kind's spec. On any problem it returns an empty batch, so that a
// caller cannot import half a file by mistake; when the problems are those
// of some rows, the error is a *RowProblems with the other rows, which a
// caller can still check against the database.
func parse(kind Kind, src rowSource) (Batch, error) {
	sp, ok := specs[kind]
	if !ok {
		return Batch{}, fileError("unknown reference data kind %q", kind)
	}
	empty := Batch{Kind: kind}

	var (
		hdrRow int
		header []string
		err    error
	)
	for {
		hdrRow, header, err = src.next()
		if err == io.EOF {
			return empty, fileError("file is empty: expected a header row with columns %s", strings.Join(Columns(kind), ", "))
		}
		if err != nil {
			return empty, sourceErrors(err)
		}
		if !isBlank(header) {
			break
		}
	}

	var c collector
	colIdx, width := mapHeader(&sp, hdrRow, header, &c)
	if len(c.errs) > 0 {
		return empty, c.errs
	}
	// Errors name columns as the file spells them.
	labels := make([]string, len(sp.columns))
	for i, j := range colIdx {
		labels[i] = sp.columns[i].name
		if j >= 0 {
			labels[i] = header[j]
		}
	}

	b := empty
	seen := map[string]int{}
	vals := make([]value, len(sp.columns))
	dataRows := 0
	for {
		row, cells, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return empty, append(c.errs, sourceErrors(err)...)
		}
		if isBlank(cells) {
			continue
		}
		if dataRows++; dataRows > MaxRows {
			return empty, fileError("more than %d data rows; split the file", MaxRows)
		}
		if c.full() {
			continue // keep counting: an oversized file is the problem to report
		}
		rowOK := true
		if last := lastNonBlank(cells); last >= width {
			c.add(row, "", fmt.Sprintf("row has %d cells but the header has %d columns", last+1, width))
			rowOK = false
		}
		for i := range sp.columns {
			raw := ""
			if j := colIdx[i]; j >= 0 && j < len(cells) {
				raw = cells[j]
			}
			v, msg := sp.columns[i].convert(raw)
			if msg != "" {
				c.add(row, labels[i], msg)
				rowOK = false
			}
			vals[i] = v
		}
		if !rowOK {
			continue
		}
		if sp.key != nil {
			k := keyOf(sp.key, vals)
			if first, dup := seen[k]; dup {
				c.add(row, labels[sp.key[len(sp.key)-1]], fmt.Sprintf("duplicate of row %d", first))
				continue
			}
			seen[k] = row
		}
		sp.add(&b, row, vals)
	}
	if len(c.errs) > 0 {
		return empty, &RowProblems{Errors: c.errs, Checkable: b}
	}
	if dataRows == 0 {
		return empty, fileError("no data rows")
	}
	return b, nil
}

// mapHeader matches header cells to the kind's columns and returns, for each
// column, the index of its cell (-1 if absent) and the number of header
// cells. Header cells are trimmed in place so errors quote them as shown.
func mapHeader(sp *kindSpec, row int, header []string, c *collector) ([]int, int) {
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	// Trailing blank header cells come from formatted but empty columns.
	width := lastNonBlank(header) + 1
	colIdx := make([]int, len(sp.columns))
	for i := range colIdx {
		colIdx[i] = -1
	}
	for j, h := range header[:width] {
		if h == "" {
			c.add(row, "", fmt.Sprintf("column %d has an empty header", j+1))
			continue
		}
		i := matchColumn(sp, h)
		switch {
		case i < 0:
			c.add(row, h, "unknown column; expected "+describeColumns(sp))
		case colIdx[i] >= 0:
			c.add(row, h, fmt.Sprintf("duplicate column: same as %q", header[colIdx[i]]))
		default:
			colIdx[i] = j
		}
	}
	for i, col := range sp.columns {
		if col.required && colIdx[i] < 0 {
			c.add(0, "", fmt.Sprintf("missing required column %q (%s)", col.name, col.alias))
		}
	}
	return colIdx, width
}

func matchColumn(sp *kindSpec, h string) int {
	for i, col := range sp.columns {
		if strings.EqualFold(h, col.name) || h == col.alias {
			return i
		}
	}
	return -1
}

func describeColumns(sp *kindSpec) string {
	parts := make([]string, len(sp.columns))
	for i, col := range sp.columns {
		parts[i] = col.name + " (" + col.alias + ")"
	}
	return strings.Join(parts, ", ")
}

func lastNonBlank(cells []string) int {
	for i := len(cells) - 1; i >= 0; i-- {
		if strings.TrimSpace(cells[i]) != "" {
			return i
		}
	}
	return -1
}

// keyOf joins key values with NUL, which convert never lets into a value.
func keyOf(key []int, vals []value) string {
	parts := make([]string, len(key))
	for i, k := range key {
		parts[i] = vals[k].s
	}
	return strings.Join(parts, "\x00")
}

// sourceErrors turns a reader error into Errors, keeping row-located ones.
func sourceErrors(err error) Errors {
	var errs Errors
	if errors.As(err, &errs) {
		return errs
	}
	return fileError("%v", err)
}
