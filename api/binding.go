package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"
	"github.com/go-playground/validator/v10"
)

// bindJSON decodes and validates the body into v with Gin's binding. An
// empty body counts as {} so that actions without fields need none. It
// answers 422 itself and returns false on bad input.
func bindJSON(c *gin.Context, v any) bool {
	var err error
	if c.Request.ContentLength == 0 && c.Request.Header.Get("Transfer-Encoding") == "" {
		err = c.ShouldBindWith(v, emptyJSON{})
	} else {
		err = c.ShouldBindJSON(v)
	}
	if err != nil {
		fail(c, http.StatusUnprocessableEntity, "invalid_input", describeBindError(err))
		return false
	}
	return true
}

// emptyJSON binds an empty body: no fields set, validation still runs.
type emptyJSON struct{}

func (emptyJSON) Name() string { return "json" }
func (emptyJSON) Bind(_ *http.Request, v any) error {
	// Gin's own bindings validate inside Bind, so this one must too.
	return binding.Validator.ValidateStruct(v)
}

// describeBindError turns decoder and validator errors into one message a
// receptionist's client can show.
func describeBindError(err error) string {
	var verrs validator.ValidationErrors
	if errors.As(err, &verrs) {
		msgs := make([]string, 0, len(verrs))
		for _, fe := range verrs {
			msgs = append(msgs, describeField(fe))
		}
		return strings.Join(msgs, "; ")
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("body is not valid JSON (at byte %d)", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s must be a %s", typ.Field, typ.Type)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "body is not valid JSON"
	}
	return "invalid request: " + err.Error()
}

func describeField(fe validator.FieldError) string {
	name := fieldPath(fe.Namespace())
	switch fe.Tag() {
	case "required":
		return name + " is required"
	case "oneof":
		return fmt.Sprintf("%s must be one of: %s", name, strings.ReplaceAll(fe.Param(), " ", ", "))
	case "max":
		return fmt.Sprintf("%s must be at most %s characters", name, fe.Param())
	case "min":
		return fmt.Sprintf("%s must be at least %s", name, fe.Param())
	case "gte", "lte":
		return fmt.Sprintf("%s is out of range (%s %s)", name, fe.Tag(), fe.Param())
	}
	return fmt.Sprintf("%s fails the %q rule", name, fe.Tag())
}

// fieldPath turns "createComplaintRequest.Resident.Phone" into "resident.phone".
func fieldPath(ns string) string {
	parts := strings.Split(ns, ".")
	if len(parts) > 1 {
		parts = parts[1:]
	}
	for i, p := range parts {
		parts[i] = snake(p)
	}
	return strings.Join(parts, ".")
}

func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// codeRE is the shape of every code: communities, units, categories,
// departments, staff. Checking it first keeps odd bytes away from queries.
var codeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// checkCodes returns an error naming the first field that is not a code;
// empty values are allowed (required-ness is the binding's job).
func checkCodes(fields ...[2]string) error {
	for _, f := range fields {
		if f[1] != "" && !codeRE.MatchString(f[1]) {
			return fmt.Errorf("%s must be a code of 1–32 letters, digits, - or _", f[0])
		}
	}
	return nil
}

// cleanText trims free text and refuses what PostgreSQL or a reader cannot
// take: empty text and control characters other than tab and line breaks
// (a NUL byte would make PostgreSQL reject the row).
func cleanText(field, s string) (string, error) {
	s, err := optionalText(field, s)
	if err == nil && s == "" {
		return "", fmt.Errorf("%s is required", field)
	}
	return s, err
}

// optionalText is cleanText for fields that may be empty.
func optionalText(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return "", fmt.Errorf("%s contains a control character (U+%04X)", field, r)
		}
	}
	return s, nil
}
