package api

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/mailin"
	"github.com/concierge-pm/concierge/store"
)

// who is the audit trail's account of the request: the acting member of
// staff as actor(c) finds them (the one seam that sign-in replaces), the
// client's address and its user agent. The address is the TCP peer's:
// forwarded headers are the client's to forge until trusted proxies are
// configured.
func who(c *gin.Context) store.Who {
	return store.Who{Actor: actor(c), IP: c.RemoteIP(), UserAgent: c.Request.UserAgent()}
}

// registerAuditRoutes adds the audit trail and the audited reveals of
// residents' phone numbers.
//
// GET /audit needs audit:read, which only auditors and admins hold
// (routePermissions).
func (s *Server) registerAuditRoutes(v1 *gin.RouterGroup) {
	v1.GET("/audit", s.handle(s.listAudit))
	// A reveal names the person who sees the number: the front desk
	// default would make its audit row useless.
	named := requireStaff("the member of staff who sees the number")
	for _, k := range domain.Kinds() {
		v1.POST("/"+k.Path+"/:number/reveal-phone", named, s.handle(s.revealCasePhone(k.Kind)))
	}
	v1.POST("/visits/:id/reveal-phone", named, s.handle(s.revealVisitPhone))
	v1.POST("/callbacks/:id/reveal-phone", named, s.handle(s.revealCallbackPhone))
	v1.POST("/intake/emails/:id/reveal-phone", named, s.handle(s.revealEmailPhones))
}

// auditFilterRE bounds the values the audit list filters on: codes and
// keys as the trail writes them.
var auditFilterRE = regexp.MustCompile(`^[A-Za-z0-9_.:/-]{1,64}$`)

// listAudit answers GET /api/v1/audit: the trail newest first, filtered by
// actor, action, object_type, object_key and a time range (from inclusive,
// to exclusive; RFC 3339 times, or dates in the centre's zone, a "to" date
// counting whole), paged by page_token.
func (s *Server) listAudit(c *gin.Context) error {
	f := store.AuditFilter{Actor: c.Query("actor"), Action: c.Query("action"),
		ObjectType: c.Query("object_type"), ObjectKey: c.Query("object_key")}
	for _, p := range []struct{ name, v string }{
		{"actor", f.Actor}, {"action", f.Action}, {"object_type", f.ObjectType}, {"object_key", f.ObjectKey},
	} {
		if p.v != "" && !auditFilterRE.MatchString(p.v) {
			return invalidf("%s must be 1–64 letters, digits or _ . : / -", p.name)
		}
	}
	var err error
	if f.From, err = s.auditTime(c, "from", false); err != nil {
		return err
	}
	if f.To, err = s.auditTime(c, "to", true); err != nil {
		return err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return invalid("to must be after from")
	}
	if f.Limit, err = queryInt(c, "page_size", 50, 1, 200); err != nil {
		return err
	}
	if tok := c.Query("page_token"); tok != "" {
		n, err := strconv.ParseInt(tok, 10, 64)
		if err != nil || n <= 0 {
			return invalid("page_token is not one this server issued")
		}
		f.Before = n
	}
	items, next, err := s.cfg.Store.AuditLog(c.Request.Context(), f)
	if err != nil {
		return err
	}
	for i := range items {
		items[i].At = items[i].At.In(s.cfg.Location)
	}
	token := ""
	if next > 0 {
		token = strconv.FormatInt(next, 10)
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "next_page_token": token})
	return nil
}

// auditTime reads a bound of the audit list's range: an RFC 3339 time, or
// a date in the centre's zone (an end date counts whole: its next day's
// midnight). Zero when absent.
func (s *Server) auditTime(c *gin.Context, name string, end bool) (time.Time, error) {
	v := c.Query(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, v, s.cfg.Location)
	if err != nil {
		return t, invalidf("%s must be a time such as 2026-11-28T09:00:00+08:00 or a date YYYY-MM-DD", name)
	}
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

// revealed writes the audit row of a reveal and only then answers the
// number: a number is never shown without its row.
func (s *Server) revealed(c *gin.Context, objectType, key string, body gin.H) error {
	if err := s.cfg.Store.RecordAudit(c.Request.Context(), who(c), store.AuditEntry{
		Action: "reveal_phone", ObjectType: objectType, ObjectKey: key}); err != nil {
		return fmt.Errorf("audit the reveal of %s %s: %w", objectType, key, err)
	}
	// No cache on the way may keep the number.
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, body)
	return nil
}

// revealCasePhone answers POST /api/v1/complaints/{number}/reveal-phone
// (and repairs): the resident's full phone number, audited.
func (s *Server) revealCasePhone(kind domain.Kind) func(*gin.Context) error {
	return func(c *gin.Context) error {
		view, err := s.caseOf(c, kind)
		if err != nil {
			return err
		}
		return s.revealed(c, string(kind), view.Number, gin.H{"number": view.Number, "phone": view.Resident.Phone})
	}
}

// revealVisitPhone answers POST /api/v1/visits/{id}/reveal-phone.
func (s *Server) revealVisitPhone(c *gin.Context) error {
	v, err := s.visitOf(c)
	if err != nil {
		return err
	}
	id := v.ID
	return s.revealed(c, "visit", strconv.FormatInt(id, 10), gin.H{"id": id, "phone": v.VisitorPhone})
}

// revealCallbackPhone answers POST /api/v1/callbacks/{id}/reveal-phone:
// the number the receptionist dials.
func (s *Server) revealCallbackPhone(c *gin.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return notFoundf("no callback task %q", c.Param("id"))
	}
	t, err := s.cfg.Store.CallbackTaskByID(c.Request.Context(), id)
	if err == nil && !inCommunities(c, t.Community) {
		err = store.ErrNotFound // outside the caller's communities (docs/DESIGN.md §7.6)
	}
	if err != nil {
		return orNotFound(err, notFoundf("no callback task %d", id))
	}
	return s.revealed(c, "callback_task", strconv.FormatInt(id, 10), gin.H{"id": id, "phone": t.Phone})
}

// revealEmailPhones answers POST /api/v1/intake/emails/{id}/reveal-phone:
// the phone numbers the triage queue masks in the message.
func (s *Server) revealEmailPhones(c *gin.Context) error {
	e, err := s.inboundEmail(c)
	if err != nil {
		return err
	}
	phones := mailin.Phones(e.Subject + "\n" + e.Body)
	if phones == nil {
		phones = []string{}
	}
	return s.revealed(c, "inbound_email", strconv.FormatInt(e.ID, 10), gin.H{"id": e.ID, "phones": phones})
}

// maskInbound masks the phone numbers in a message's subject and body, as
// the triage queue shows it.
func maskInbound(e store.InboundEmail) store.InboundEmail {
	phones := mailin.Phones(e.Subject + "\n" + e.Body)
	e.Subject, e.Body = domain.MaskPhonesIn(e.Subject, phones), domain.MaskPhonesIn(e.Body, phones)
	return e
}

// maskText masks, in free text staff or residents wrote (a description,
// notes), the resident's own number and every mobile number written in it.
func maskText(text, phone string) string {
	phones := mailin.Phones(text)
	if p := strings.NewReplacer(" ", "", "-", "").Replace(phone); p != "" {
		phones = append(phones, phone, p)
	}
	return domain.MaskPhonesIn(text, phones)
}

// fileDigest describes an uploaded file for the audit trail without its
// content.
func fileDigest(data []byte) map[string]any {
	sum := sha256.Sum256(data)
	return map[string]any{"sha256": hex.EncodeToString(sum[:]), "bytes": len(data)}
}

// nameFor shows a resident's name to the roles that work with residents
// and masks it for the others (an auditor reads cases without needing to
// know who raised them): domain.PermResidentName.
func nameFor(c *gin.Context) func(string) string {
	if id, ok := identity(c); ok && roleOf(id).Allows(domain.PermResidentName) {
		return func(name string) string { return name }
	}
	return domain.MaskName
}
