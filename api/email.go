package api

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/mailin"
	"github.com/concierge-pm/concierge/store"
)

// emailActor records that a case was opened by the email webhook.
const emailActor = "email_intake"

// receiveEmail is the inbound-mail webhook: a mail gateway posts each raw
// message here, signed with the shared secret. A message from a known
// resident whose text matches the handbook's keywords opens a complaint or
// repair request; anything else waits for a supervisor's triage. Retries of
// the same message (same Message-Id) get the first answer again.
func (s *Server) receiveEmail(c *gin.Context) error {
	ctx := c.Request.Context()
	if len(s.cfg.EmailSecret) == 0 {
		return &Problem{Status: http.StatusServiceUnavailable, Code: "not_configured", Message: "email intake is off: set CONCIERGE_EMAIL_SECRET"}
	}
	raw, err := io.ReadAll(http.MaxBytesReader(serverWriter(c), c.Request.Body, mailin.MaxSize))
	if err != nil {
		return bodyError(err)
	}
	// The signature is checked before anything is parsed or stored.
	if err := mailin.VerifySignature(s.cfg.EmailSecret, raw, c.GetHeader("X-Concierge-Signature")); err != nil {
		return &Problem{Status: http.StatusUnauthorized, Code: "bad_signature", Message: "X-Concierge-Signature must be sha256=<hex HMAC-SHA256 of the body> with the shared secret"}
	}
	if ct := c.ContentType(); ct != "message/rfc822" && ct != "text/plain" {
		return &Problem{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "the body must be a raw message with Content-Type: message/rfc822"}
	}
	msg, err := mailin.Parse(raw)
	var perr *mailin.Error
	if errors.As(err, &perr) {
		return &Problem{Status: http.StatusUnprocessableEntity, Code: "invalid_email", Message: fmt.Sprintf("%s: %s", perr.Code, perr.Message)}
	} else if err != nil {
		return err
	}
	key := dedupeKey(msg.MessageID, raw)
	if prev, err := s.cfg.Store.InboundByKey(ctx, key); err == nil {
		s.answerEmail(c, http.StatusOK, prev)
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}

	text := msg.Subject + "\n" + msg.Text
	e := store.InboundEmail{DedupeKey: key, MessageID: msg.MessageID, Sender: msg.From, SenderName: msg.FromName,
		Subject: msg.Subject, Body: msg.Text, Status: "triage"}
	match, matched, err := s.cfg.Store.MatchSender(ctx, msg.From, mailin.Phones(text))
	if err != nil {
		return err
	}
	if matched {
		e.HouseholdID, e.ResidentID = &match.HouseholdID, &match.ResidentID
		rule, ok, err := s.matchCategory(c, text)
		if err != nil {
			return err
		}
		if ok {
			req := emailCaseRequest(msg, match, rule.Category)
			rec, err := s.recordCase(c, rule.Kind, req, "email:"+key, emailActor)
			if err != nil {
				return err
			}
			kind := string(rule.Kind)
			e.Status, e.CaseKind, e.CaseNumber = "opened", &kind, &rec.view.Number
		}
	}
	saved, err := s.cfg.Store.SaveInbound(ctx, e)
	if err != nil && e.CaseNumber != nil {
		s.appliedButUnfinished(c, fmt.Sprintf("%s %s was opened, but the email could not be stored", *e.CaseKind, *e.CaseNumber),
			"deliver the same message again to finish: it opens no second case", err)
		return nil
	} else if err != nil {
		return err
	}
	status := http.StatusAccepted
	if saved.Status == "opened" {
		status = http.StatusCreated
	}
	s.answerEmail(c, status, saved)
	return nil
}

// dedupeKey identifies a message across webhook retries: its Message-Id,
// else the hash of the raw bytes. Hashed, so the key has a fixed length.
func dedupeKey(messageID string, raw []byte) string {
	var sum [32]byte
	if messageID != "" {
		sum = sha256.Sum256([]byte("message-id:" + messageID))
	} else {
		sum = sha256.Sum256(raw)
	}
	return hex.EncodeToString(sum[:])
}

func (s *Server) matchCategory(c *gin.Context, text string) (domain.KeywordRule, bool, error) {
	cats, err := s.cfg.Store.Categories(c.Request.Context(), "")
	if err != nil {
		return domain.KeywordRule{}, false, err
	}
	rules := make([]domain.KeywordRule, 0, len(cats))
	for _, cat := range cats {
		rules = append(rules, domain.KeywordRule{Category: cat.Code, Kind: domain.Kind(cat.Kind), Keywords: cat.Keywords})
	}
	rule, ok := domain.MatchCategory(text, rules)
	return rule, ok, nil
}

// emailCaseRequest is the intake of a case opened from an email: the
// resident as the household record knows them, the subject and text as the
// description.
func emailCaseRequest(msg mailin.Message, m store.SenderMatch, category string) createCaseRequest {
	name := m.ResidentName
	if name == "" {
		name = msg.FromName
	}
	desc := emailDescription(msg.Subject, msg.Text)
	return createCaseRequest{Community: m.Community, Unit: m.Unit, Resident: residentInput{Name: name, Phone: m.Phone},
		Channel: string(domain.ChannelEmail), Category: category, Description: desc}
}

func (s *Server) answerEmail(c *gin.Context, status int, e store.InboundEmail) {
	if e.Status == "opened" && e.CaseNumber != nil {
		c.JSON(status, gin.H{"kind": e.CaseKind, "number": *e.CaseNumber, "triage_id": nil, "track_url": s.trackURL(*e.CaseNumber)})
		return
	}
	c.JSON(status, gin.H{"triage_id": e.ID, "status": e.Status})
}

// listInboundEmails is the triage queue (or the opened and dismissed ones).
func (s *Server) listInboundEmails(c *gin.Context) error {
	status := c.DefaultQuery("status", "triage")
	if status != "triage" && status != "opened" && status != "dismissed" {
		return invalid("status must be triage, opened or dismissed")
	}
	items, err := s.cfg.Store.ListInbound(c.Request.Context(), status, scopedCommunities(c), 500)
	if err != nil {
		return err
	}
	for i := range items {
		items[i] = maskInbound(items[i])
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

// inboundEmail loads the email named in the path, or is 404.
func (s *Server) inboundEmail(c *gin.Context) (store.InboundEmail, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return store.InboundEmail{}, notFoundf("no inbound email %q", c.Param("id"))
	}
	e, err := s.cfg.Store.InboundByID(c.Request.Context(), id)
	if err == nil && e.Community != "" && !inCommunities(c, e.Community) {
		// A message from a household outside the caller's communities
		// does not exist for them; one that matched nobody is everyone's
		// to triage (docs/DESIGN.md §7.6).
		err = store.ErrNotFound
	}
	return e, orNotFound(err, notFoundf("no inbound email %q", c.Param("id")))
}

type triageOpenRequest struct {
	Kind      string `json:"kind" binding:"required,oneof=complaint repair"`
	Community string `json:"community" binding:"required,max=32"`
	Unit      string `json:"unit" binding:"required,max=32"`
	Category  string `json:"category" binding:"required,max=32"`
	Priority  string `json:"priority" binding:"omitempty,oneof=normal urgent"`
	// Resident overrides the sender as the resident of the case.
	Resident *residentInput `json:"resident"`
}

// openInboundEmail is a supervisor's triage: the email becomes a case of the
// chosen kind, category and unit.
func (s *Server) openInboundEmail(c *gin.Context) error {
	var req triageOpenRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	if err := checkCodes([2]string{"community", req.Community}, [2]string{"unit", req.Unit}, [2]string{"category", req.Category}); err != nil {
		return invalid(err.Error())
	}
	actor := actor(c)
	e, err := s.inboundEmail(c)
	if err != nil {
		return err
	}
	if e.Status == "dismissed" {
		return conflict("already_handled", fmt.Sprintf("email %d was dismissed", e.ID))
	}
	resident := residentInput{Name: e.SenderName}
	if req.Resident != nil {
		resident = *req.Resident
	}
	if resident.Name == "" {
		resident.Name = e.Sender
	}
	desc := emailDescription(e.Subject, e.Body)
	kind := domain.Kind(req.Kind)
	creq := createCaseRequest{Community: req.Community, Unit: req.Unit, Resident: resident, Channel: string(domain.ChannelEmail),
		Category: req.Category, Description: desc, Priority: req.Priority}
	rec, err := s.recordCase(c, kind, creq, fmt.Sprintf("email-triage:%d", e.ID), actor)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.ResolveInbound(c.Request.Context(), e.ID, &kind, &rec.view.Number, "", actor); errors.Is(err, store.ErrConflict) {
		return conflict("already_handled", err.Error())
	} else if err != nil {
		s.appliedButUnfinished(c, fmt.Sprintf("%s %s was opened, but email %d could not be marked as opened", kind, rec.view.Number, e.ID),
			"send the same request again to finish: it opens no second case", err)
		return nil
	}
	// The answer is a create's, tracking link included.
	s.respondRecorded(c, rec)
	return nil
}

type dismissRequest struct {
	Reason string `json:"reason" binding:"max=2000"`
}

// dismissInboundEmail closes an email that needs no case (spam, a thank-you).
func (s *Server) dismissInboundEmail(c *gin.Context) error {
	var req dismissRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	reason, err := optionalText("reason", req.Reason)
	if err != nil {
		return invalid(err.Error())
	}
	actor := actor(c)
	e, err := s.inboundEmail(c)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.ResolveInbound(c.Request.Context(), e.ID, nil, nil, reason, actor); errors.Is(err, store.ErrConflict) {
		return conflict("already_handled", err.Error())
	} else if err != nil {
		return err
	}
	e, _ = s.inboundEmail(c)
	c.JSON(http.StatusOK, maskInbound(e))
	return nil
}

// emailDescription is a case description made of an email: marked as one,
// subject then text, cut to the 4,000 characters a description holds.
func emailDescription(subject, text string) string {
	desc := strings.TrimSpace("【邮件 Email】" + subject + "\n\n" + text)
	if utf8.RuneCountInString(desc) > 4000 {
		desc = string([]rune(desc)[:4000])
	}
	return desc
}
