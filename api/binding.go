package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"
	"github.com/go-playground/validator/v10"
)

// maxJSONBody bounds a JSON request body; the largest real ones (a year's
// calendar, a category's keywords) are a few kilobytes.
const maxJSONBody = 1 << 20

// bindJSON decodes and validates the body into v with Gin's binding. An
// empty body counts as {} so that actions without fields need none. It
// answers 422 (413 for a body over 1 MiB) itself and returns false on bad
// input; handlers that return their errors use bindBody.
func bindJSON(c *gin.Context, v any) bool {
	return answered(c, bindBody(c, v))
}

// bindBody is bindJSON returning the refusal as a *Problem.
//
// The body must be UTF-8: encoding/json would silently turn invalid bytes
// into U+FFFD, and a garbled name or description would then be stored and
// shown, even on the resident's tracking page. Checking the raw bytes here
// covers every JSON body in one place.
//
// A body must be sent as application/json: a web page can make a browser
// send text/plain or a form to any site without asking it first, so
// accepting those would let any page a member of staff opens act on the
// API (a CORS preflight guards application/json).
func bindBody(c *gin.Context, v any) error {
	if c.Request.ContentLength != 0 && !isJSON(c.ContentType()) {
		return &Problem{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: "send the body as Content-Type: application/json"}
	}
	raw, err := io.ReadAll(http.MaxBytesReader(serverWriter(c), c.Request.Body, maxJSONBody))
	switch {
	case err != nil:
		return bodyError(err)
	case !utf8.Valid(raw):
		return invalidf("the body is not valid UTF-8 (bad bytes at byte %d): send names and descriptions as UTF-8 text", invalidUTF8At(raw))
	}
	if len(raw) == 0 {
		err = c.ShouldBindWith(v, emptyJSON{})
	} else {
		err = decodeStrict(raw, v)
	}
	if err != nil {
		return invalid(describeBindError(err))
	}
	return nil
}

// isJSON says whether a media type (without parameters) is JSON's.
func isJSON(mediaType string) bool { return strings.EqualFold(mediaType, "application/json") }

// errTrailingData is a body with more after its JSON value.
var errTrailingData = errors.New("the body must be one JSON value, with nothing after it")

// decodeStrict decodes raw into v and validates it as Gin's JSON binding
// does, but refuses fields v does not have: a misspelt or unsupported field
// would otherwise be dropped in silence and the request applied without it
// (a "reopen": false that reads "re_open" would reopen the case). Gin can
// only refuse them through a package-level switch; the decoder is ours.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errTrailingData
	}
	return binding.Validator.ValidateStruct(v)
}

// invalidUTF8At is the offset of the first byte of b that is not UTF-8.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// emptyJSON binds an empty body: no fields set, validation still runs.
type emptyJSON struct{}

func (emptyJSON) Name() string { return "json" }
func (emptyJSON) Bind(_ *http.Request, v any) error {
	// Gin's own bindings validate inside Bind, so this one must too.
	return binding.Validator.ValidateStruct(v)
}

// describeBindError turns decoder and validator errors into one message a
// receptionist's client can show: field names as the JSON spells them, and
// kinds of value as a person says them ("a whole number", not "int").
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
		return describeTypeError(typ)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "body is not valid JSON"
	case errors.Is(err, errTrailingData):
		return err.Error()
	}
	// encoding/json has no type for an unknown field, only this text.
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "the body has an unknown field " + field + "; send only the fields the endpoint documents"
	}
	return "invalid request: " + err.Error()
}

// describeTypeError says what a field should have held.
func describeTypeError(e *json.UnmarshalTypeError) string {
	field := e.Field
	if field == "" {
		field = "the body"
	}
	if num, isNumber := strings.CutPrefix(e.Value, "number "); isNumber && e.Type != nil {
		switch e.Type.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			if _, err := strconv.ParseInt(num, 10, 64); err == nil || strings.Trim(num, "-0123456789") == "" {
				return fmt.Sprintf("%s is out of range (got %s)", field, num)
			}
			return fmt.Sprintf("%s must be a whole number (got %s)", field, num)
		case reflect.Float32, reflect.Float64:
			return fmt.Sprintf("%s is out of range (got %s)", field, num)
		}
	}
	return fmt.Sprintf("%s must be %s", field, kindName(e.Type))
}

// kindName names what a Go type holds the way a JSON client writes it.
func kindName(t reflect.Type) string {
	if t == nil {
		return "something else"
	}
	switch t.Kind() {
	case reflect.String:
		return "text (a JSON string)"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return kindName(t.Elem())
	}
	return "something else"
}

// describeField says which rule a value broke. Limits on text count
// characters, on lists and objects items, and on numbers the value itself.
func describeField(fe validator.FieldError) string {
	name := fieldPath(fe.Namespace())
	var unit string
	switch fe.Kind() {
	case reflect.String:
		unit = " characters"
	case reflect.Slice, reflect.Array, reflect.Map:
		unit = " items"
		if fe.Param() == "1" {
			unit = " item"
		}
	}
	switch fe.Tag() {
	case "required":
		return name + " is required"
	case "oneof":
		return fmt.Sprintf("%s must be one of: %s", name, strings.ReplaceAll(fe.Param(), " ", ", "))
	case "max", "lte":
		return fmt.Sprintf("%s must be at most %s%s", name, fe.Param(), unit)
	case "min", "gte":
		return fmt.Sprintf("%s must be at least %s%s", name, fe.Param(), unit)
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
// take: empty text, text that is not UTF-8 or carries U+FFFD (the mark of
// characters lost to a wrong encoding, which would be shown as such), and
// control characters other than tab and line breaks (a NUL byte would make
// PostgreSQL reject the row).
func cleanText(field, s string) (string, error) {
	s, err := optionalText(field, s)
	if err == nil && s == "" {
		return "", fmt.Errorf("%s is required", field)
	}
	return s, err
}

// optionalText is cleanText for fields that may be empty.
func optionalText(field, s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%s is not valid UTF-8 text", field)
	}
	s = strings.TrimSpace(s)
	for _, r := range s {
		if r == utf8.RuneError {
			return "", fmt.Errorf("%s contains U+FFFD (\ufffd), the mark of characters lost to a wrong encoding: send the original text", field)
		}
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return "", fmt.Errorf("%s contains a control character (U+%04X)", field, r)
		}
	}
	return s, nil
}
