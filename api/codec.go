package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// CodecPath is where the Temporal remote codec is served: the Web UI (and
// `temporal --codec-endpoint`) posts to CodecPath+"/decode" and "/encode".
const CodecPath = "/codec"

// maxCodecBody bounds a codec request: a history page of payloads, each at
// most Temporal's 2 MiB blob limit, is far less in practice.
const maxCodecBody = 4 << 20

// registerCodecRoutes serves the remote codec (docs/DESIGN.md §11.13): the
// Temporal Web UI sends the payloads it shows, as {"payloads":[…]} with an
// X-Namespace header, and gets them back decoded. Only the roles holding
// payload:decode (docs/DESIGN.md §7.6: supervisors, centre and property
// managers, who inspect cases in the Web UI) get an answer: 401 without a
// sign-in, 403 for another role.
func (s *Server) registerCodecRoutes(r *gin.Engine) {
	g := r.Group(CodecPath, s.codecCORS, s.authenticate, s.permit)
	for _, op := range codecOps() {
		g.POST("/"+op, s.handle(s.codec(op)))
		// The browser's preflight carries no identity; codecCORS answers it
		// before authenticate runs.
		r.OPTIONS(CodecPath+"/"+op, s.codecCORS)
	}
}

// codecCORS lets the configured Web UI origins call the codec from the
// browser: the UI sends X-Namespace and JSON, and (with includeCredentials)
// the cookies of the staff's session.
func (s *Server) codecCORS(c *gin.Context) {
	origin := c.GetHeader("Origin")
	if origin != "" && slices.Contains(s.cfg.CodecOrigins, origin) {
		h := c.Writer.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Content-Type, X-Namespace, X-Staff-Code, Authorization")
		h.Set("Access-Control-Max-Age", "600")
	}
	c.Writer.Header().Add("Vary", "Origin")
	if c.Request.Method == http.MethodOptions {
		c.AbortWithStatus(http.StatusNoContent)
		return
	}
	c.Next()
}

// codecOps are the remote codec's operations.
func codecOps() []string { return []string{"decode", "encode"} }

func (s *Server) codec(op string) func(c *gin.Context) error {
	return func(c *gin.Context) error {
		if s.cfg.Codec == nil {
			return notFound("this process has no payload codec")
		}
		if ns := c.GetHeader("X-Namespace"); ns != "" && ns != s.cfg.Namespace {
			return invalidf("X-Namespace %q is not this service's namespace %q", ns, s.cfg.Namespace)
		}
		raw, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxCodecBody))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			return &Problem{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: fmt.Sprintf("the body may be at most %d bytes", maxCodecBody)}
		case err != nil:
			return invalid("the body could not be read")
		}
		var in commonpb.Payloads
		if err := protojson.Unmarshal(raw, &in); err != nil {
			return invalid(`the body must be {"payloads":[{"metadata":{…},"data":"…"}]} with base64 values`)
		}
		var out []*commonpb.Payload
		if op == "decode" {
			out, err = s.cfg.Codec.Decode(in.Payloads)
		} else {
			out, err = s.cfg.Codec.Encode(in.Payloads)
		}
		if err != nil {
			// The codec's errors name key IDs, never key material or payloads.
			return invalid(strings.TrimSpace(err.Error()))
		}
		if out == nil {
			out = []*commonpb.Payload{}
		}
		body, err := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(&commonpb.Payloads{Payloads: out})
		if err != nil {
			return fmt.Errorf("encode codec answer: %w", err)
		}
		c.Data(http.StatusOK, "application/json", body)
		return nil
	}
}
