package refdata

import (
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// valueType says how a cell is checked and normalised after the checks
// every text cell gets (trimmed, no control characters, at most maxRunes).
type valueType int

const (
	typeText      valueType = iota
	typeCode                // community, building and unit codes
	typeStaffCode           // staff and department codes
	typeEnum
	typeArea
	typePhone
	typeEmail
	typeBool
	typeCodeList // community codes separated by ";" (or "；")
)

// column describes one column of a kind. Optional columns may be absent
// from the file; a blank cell in them takes def.
type column struct {
	name     string // canonical English name
	alias    string // Chinese name, as Chinese templates spell it
	required bool
	typ      valueType
	def      string
	allowed  []string          // typeEnum: stored values, also accepted as input
	aliases  map[string]string // typeEnum: other accepted spellings (lower-case) → stored value
}

// kindSpec is everything the generic parser needs to know about a kind.
type kindSpec struct {
	columns []column
	key     []int // indices into columns of the in-file uniqueness key; nil = none
	add     func(b *Batch, row int, v []value)
}

// value is one normalised cell; which field is meaningful depends on the
// column's type.
type value struct {
	s string
	d decimal.Decimal
	b bool
}

// maxRunes keeps a single cell from carrying a pasted document into a name
// that every screen and notification then has to show.
const maxRunes = 200

var (
	codeRE      = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
	staffCodeRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
	mobileRE    = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	phoneRE     = regexp.MustCompile(`^\+?[0-9 -]+$`)
	// phoneSeparators are what people type between digit groups.
	phoneSeparators = strings.NewReplacer(" ", "", "-", "")
	groupedRE       = regexp.MustCompile(`^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$`)
	// maxArea is the first value numeric(10,2) cannot hold.
	maxArea = decimal.New(1, 8)
)

var boolWords = map[string]bool{
	"true": true, "false": false, "yes": true, "no": false,
	"1": true, "0": false, "是": true, "否": false,
}

var colCommunity = column{name: "community", alias: "小区", required: true, typ: typeCode}

var specs = map[Kind]kindSpec{
	Communities: {
		columns: []column{
			{name: "code", alias: "编码", required: true, typ: typeCode},
			{name: "name", alias: "名称", required: true},
			{name: "name_en", alias: "英文名称"},
		},
		key: []int{0},
		add: func(b *Batch, row int, v []value) {
			b.Communities = append(b.Communities, Community{Row: row, Code: v[0].s, Name: v[1].s, NameEN: v[2].s})
		},
	},
	Buildings: {
		columns: []column{
			colCommunity,
			{name: "code", alias: "楼栋编码", required: true, typ: typeCode},
			{name: "name", alias: "名称", required: true},
		},
		key: []int{0, 1},
		add: func(b *Batch, row int, v []value) {
			b.Buildings = append(b.Buildings, Building{Row: row, Community: v[0].s, Code: v[1].s, Name: v[2].s})
		},
	},
	Units: {
		columns: []column{
			colCommunity,
			{name: "building", alias: "楼栋", required: true, typ: typeCode},
			{name: "code", alias: "房号", required: true, typ: typeCode},
			{name: "unit_type", alias: "类型", typ: typeEnum, def: "residential",
				allowed: []string{"residential", "commercial", "office"},
				aliases: map[string]string{"住宅": "residential", "商铺": "commercial", "办公": "office"}},
			{name: "floor_area", alias: "建筑面积", required: true, typ: typeArea},
		},
		key: []int{0, 2}, // units are unique per community, not per building
		add: func(b *Batch, row int, v []value) {
			b.Units = append(b.Units, Unit{Row: row, Community: v[0].s, Building: v[1].s, Code: v[2].s,
				UnitType: v[3].s, FloorArea: v[4].d})
		},
	},
	Households: {
		columns: []column{
			colCommunity,
			{name: "unit", alias: "房号", required: true, typ: typeCode},
			{name: "resident_name", alias: "住户姓名", required: true},
			{name: "phone", alias: "电话", typ: typePhone},
			{name: "language", alias: "语言", typ: typeEnum, def: "zh",
				allowed: []string{"zh", "en"},
				aliases: map[string]string{"中文": "zh", "chinese": "zh", "英文": "en", "english": "en"}},
			{name: "email", alias: "邮箱", typ: typeEmail},
			{name: "active", alias: "在住", typ: typeBool, def: "true"},
		},
		// No key: a unit may have several households and residents.
		add: func(b *Batch, row int, v []value) {
			b.Households = append(b.Households, Household{Row: row, Community: v[0].s, Unit: v[1].s,
				ResidentName: v[2].s, Phone: v[3].s, Language: v[4].s, Email: v[5].s, Active: v[6].b})
		},
	},
	Staff: {
		columns: []column{
			{name: "code", alias: "工号", required: true, typ: typeStaffCode},
			{name: "name", alias: "姓名", required: true},
			{name: "department", alias: "部门", required: true, typ: typeStaffCode},
			{name: "role", alias: "角色", required: true, typ: typeEnum,
				allowed: []string{"receptionist", "handler", "department_head", "supervisor", "centre_manager", "property_manager"},
				aliases: map[string]string{"前台": "receptionist", "处理人": "handler", "部门负责人": "department_head",
					"主管": "supervisor", "中心经理": "centre_manager", "物业经理": "property_manager"}},
			{name: "active", alias: "在职", typ: typeBool, def: "true"},
			// Where assignments, reminders and escalations reach them.
			{name: "email", alias: "邮箱", typ: typeEmail},
			{name: "phone", alias: "电话", typ: typePhone},
			// The communities they work in, which decide what they reach
			// (docs/DESIGN.md §7.6); blank keeps those on record.
			{name: "communities", alias: "所属小区", typ: typeCodeList},
		},
		key: []int{0},
		add: func(b *Batch, row int, v []value) {
			var communities []string
			if v[7].s != "" {
				communities = strings.Split(v[7].s, ";")
			}
			b.Staff = append(b.Staff, StaffMember{Row: row, Code: v[0].s, Name: v[1].s, Department: v[2].s,
				Role: v[3].s, Active: v[4].b, Email: v[5].s, Phone: v[6].s, Communities: communities})
		},
	},
}

// convert checks one raw cell against its column and returns the normalised
// value, or a message for the user.
func (c *column) convert(raw string) (value, string) {
	s := strings.TrimSpace(raw)
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return value{}, "contains control characters"
	}
	// U+FFFD is what a wrongly guessed file encoding leaves behind; storing
	// it would silently corrupt names.
	if strings.ContainsRune(s, utf8.RuneError) {
		return value{}, "contains invalid characters (save the file as UTF-8 or GBK)"
	}
	if utf8.RuneCountInString(s) > maxRunes {
		return value{}, "is longer than 200 characters"
	}
	if s == "" {
		if c.required {
			return value{}, "is required"
		}
		if s = c.def; s == "" {
			return value{}, ""
		}
	}
	switch c.typ {
	case typeCode:
		if !codeRE.MatchString(s) {
			return value{}, "must be 1-32 characters of A-Z, a-z, 0-9, _ or -"
		}
	case typeStaffCode:
		if !staffCodeRE.MatchString(s) {
			return value{}, "must be 1-32 characters of a-z, 0-9 or _ (lower case)"
		}
	case typeEnum:
		return c.convertEnum(s)
	case typeCodeList:
		return convertCodeList(s)
	case typeArea:
		return convertArea(s)
	case typePhone:
		return convertPhone(s)
	case typeEmail:
		// Only a bare address: "Name <a@b>" or comments would be stored
		// verbatim by a naive import and break outgoing mail.
		a, err := mail.ParseAddress(s)
		if err != nil || a.Name != "" || a.Address != s {
			return value{}, "must be a plain email address such as name@example.com"
		}
		return value{s: strings.ToLower(a.Address)}, ""
	case typeBool:
		b, ok := boolWords[strings.ToLower(s)]
		if !ok {
			return value{}, "must be one of true/false, yes/no, 1/0, 是/否"
		}
		return value{b: b}, ""
	}
	return value{s: s}, ""
}

// convertCodeList reads "A;B" (a full-width "；" too, spaces around codes
// ignored) into the codes sorted, without repeats, joined by ";".
func convertCodeList(s string) (value, string) {
	var codes []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '；' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !codeRE.MatchString(part) {
			return value{}, "must be codes of 1-32 characters of A-Z, a-z, 0-9, _ or -, separated by ;"
		}
		codes = append(codes, part)
	}
	slices.Sort(codes)
	return value{s: strings.Join(slices.Compact(codes), ";")}, ""
}

func (c *column) convertEnum(s string) (value, string) {
	lower := strings.ToLower(s)
	for _, a := range c.allowed {
		if lower == a {
			return value{s: a}, ""
		}
	}
	if a, ok := c.aliases[lower]; ok {
		return value{s: a}, ""
	}
	return value{}, "must be one of " + strings.Join(c.allowed, ", ")
}

func convertArea(s string) (value, string) {
	// Excel's "#,##0.00" format puts grouping commas into both the values
	// excelize reads and the CSV files Excel saves; they are unambiguous here.
	if groupedRE.MatchString(s) {
		s = strings.ReplaceAll(s, ",", "")
	}
	// Exponents are refused before any arithmetic: nobody types them, and
	// "1e-99999999" would make the checks below build huge big.Ints.
	if strings.ContainsAny(s, "eE") {
		return value{}, "must be a number such as 89.50"
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return value{}, "must be a number such as 89.50"
	}
	switch {
	case !d.IsPositive():
		return value{}, "must be greater than 0"
	case !d.Equal(d.Truncate(2)):
		return value{}, "must have at most 2 decimal places"
	case d.Cmp(maxArea) >= 0:
		return value{}, "must be less than 100000000"
	}
	return value{d: d.Round(2)}, ""
}

// convertPhone normalises a phone number to its digits (keeping a leading
// +) so that look-ups and de-duplication by phone work however it was typed.
func convertPhone(s string) (value, string) {
	if !phoneRE.MatchString(s) {
		return value{}, "must be a phone number: digits, an optional leading +, spaces or -"
	}
	n := phoneSeparators.Replace(s)
	// An 11-digit number starting with 1 is a mainland mobile; checking its
	// second digit catches a mistyped one that the length check cannot.
	if len(n) == 11 && n[0] == '1' && !mobileRE.MatchString(n) {
		return value{}, "is not a valid mainland mobile number"
	}
	if digits := len(strings.TrimPrefix(n, "+")); digits < 7 || digits > 15 {
		return value{}, "must have 7-15 digits"
	}
	return value{s: n}, ""
}
