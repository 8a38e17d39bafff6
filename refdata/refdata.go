// Package refdata parses and validates reference-data files (communities,
// buildings, units, households and staff) uploaded as CSV or XLSX, so that an
// import can be rejected as a whole with a list of every problem, row by row,
// before anything reaches the database.
package refdata

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
)

// Kind names the kind of reference data a file holds.
type Kind string

// The kinds of reference data a file can hold.
const (
	Communities Kind = "communities"
	Buildings   Kind = "buildings"
	Units       Kind = "units"
	Households  Kind = "households"
	Staff       Kind = "staff"
)

// ParseKind accepts a kind name as it appears in a URL or form (case and
// surrounding spaces ignored).
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := specs[k]; !ok {
		return "", fmt.Errorf("unknown reference data kind %q (want communities, buildings, units, households or staff)", s)
	}
	return k, nil
}

// MaxRows is the most data rows one file may hold; larger imports are split
// so that one upload cannot tie up the importer or the database for long.
const MaxRows = 20000

// Community is one row of a communities file.
type Community struct {
	Row                int
	Code, Name, NameEN string
}

// Building is one row of a buildings file.
type Building struct {
	Row                   int
	Community, Code, Name string
}

// Unit is one row of a units file.
type Unit struct {
	Row                                 int
	Community, Building, Code, UnitType string
	FloorArea                           decimal.Decimal
}

// Household is one row of a households file: one resident of a household
// living in a unit.
type Household struct {
	Row                        int
	Community, Unit, Language  string
	Active                     bool
	ResidentName, Phone, Email string
}

// StaffMember is one row of a staff file.
type StaffMember struct {
	Row                          int
	Code, Name, Department, Role string
	Active                       bool
	Email, Phone                 string
	// Communities replace the member's communities; nil (a blank cell or
	// no column) keeps those on record.
	Communities []string
}

// Batch holds the parsed rows of one file; only the slice for its Kind is filled.
type Batch struct {
	Kind        Kind
	Communities []Community
	Buildings   []Building
	Units       []Unit
	Households  []Household
	Staff       []StaffMember
}

// Len returns the number of rows of the batch's kind.
func (b Batch) Len() int {
	switch b.Kind {
	case Communities:
		return len(b.Communities)
	case Buildings:
		return len(b.Buildings)
	case Units:
		return len(b.Units)
	case Households:
		return len(b.Households)
	case Staff:
		return len(b.Staff)
	}
	return 0
}

// RowError locates one problem: Row is the 1-based spreadsheet row (the
// header is row 1, first data row is 2; 0 for file-level problems), Column
// the header name as the file spells it ("" if file-level or whole-row).
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

// Errors is returned (as error) when a file cannot be imported; it lists
// every problem found, not only the first, so that users can fix a file in
// one round trip. It holds at most maxErrors problems plus a final
// file-level entry saying that more were omitted.
type Errors []RowError

// maxErrors bounds the list so a completely wrong file (say, the wrong kind)
// yields a readable answer instead of 100,000 entries.
const maxErrors = 200

// errorsShown is how many problems Error puts in its one-line summary; the
// full list is meant to be rendered from the slice itself.
const errorsShown = 3

func (e Errors) Error() string {
	if len(e) == 0 {
		return "refdata: no problems"
	}
	var sb strings.Builder
	if len(e) == 1 {
		sb.WriteString("refdata: ")
	} else {
		fmt.Fprintf(&sb, "refdata: %d problems: ", len(e))
	}
	for i, re := range e {
		if i == errorsShown {
			fmt.Fprintf(&sb, "; and %d more", len(e)-i)
			break
		}
		if i > 0 {
			sb.WriteString("; ")
		}
		switch {
		case re.Row > 0 && re.Column != "":
			fmt.Fprintf(&sb, "row %d, column %q: ", re.Row, re.Column)
		case re.Row > 0:
			fmt.Fprintf(&sb, "row %d: ", re.Row)
		}
		sb.WriteString(re.Message)
	}
	return sb.String()
}

// RowProblems is the error of a file whose header is fine but some of whose
// rows are not (a bad cell, a duplicate of an earlier row). The file cannot
// be imported; Checkable holds its other rows, which can still be checked
// against the database so that one answer lists every problem the file has.
// File-level problems (encoding, size, header) are plain Errors: then no row
// can be checked. errors.As finds the Errors inside.
type RowProblems struct {
	Errors    Errors
	Checkable Batch
}

func (e *RowProblems) Error() string { return e.Errors.Error() }

// Unwrap gives the Errors, so that callers that only list problems need not
// know about RowProblems.
func (e *RowProblems) Unwrap() error { return e.Errors }

// Complete reports whether the list holds every problem of the rows it
// saw, that is whether it stopped short at the cap; a capped list gains
// nothing from more problems.
func (e Errors) Complete() bool { return len(e) <= maxErrors }

// Merge lists the problems of e and more in row order, a row's problems in
// the order given (e's first), entries without a row (such as "more than
// … problems") last, up to the cap, past which a final entry says that
// more were not listed.
func (e Errors) Merge(more Errors) Errors {
	out := make(Errors, 0, len(e)+len(more))
	out = append(out, e...)
	out = append(out, more...)
	key := func(r RowError) int {
		if r.Row == 0 {
			return math.MaxInt
		}
		return r.Row
	}
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	if len(out) > maxErrors {
		out = append(out[:maxErrors:maxErrors], RowError{Message: fmt.Sprintf("more than %d problems; the rest were not listed", maxErrors)})
	}
	return out
}

// Columns lists the canonical English column names of a kind in order (for
// templates and docs); nil for an unknown kind.
func Columns(kind Kind) []string {
	sp, ok := specs[kind]
	if !ok {
		return nil
	}
	names := make([]string, len(sp.columns))
	for i, c := range sp.columns {
		names[i] = c.name
	}
	return names
}
