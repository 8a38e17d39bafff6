package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/workflows"
)

// trackingLinkTemplate is the resident message that carries the link again.
const trackingLinkTemplate = "tracking_link"

// trackLink is a fresh tracking link of a case and when it stops working.
type trackLink struct {
	Number    string    `json:"number"`
	TrackURL  string    `json:"track_url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// newTrackLink signs a link valid for TrackingTTL from now. A token holds
// its expiry to the second, so that is what the answer states.
func (s *Server) newTrackLink(number string) trackLink {
	expires := time.Now().Add(s.cfg.TrackingTTL).Truncate(time.Second)
	return trackLink{Number: number, ExpiresAt: expires.In(s.cfg.Location),
		TrackURL: strings.TrimRight(s.cfg.PublicURL, "/") + "/t/" + s.cfg.Tracking.Token(number, expires)}
}

// trackingOff is the 503 answer when there are no tracking links.
func (s *Server) trackingOff() error {
	if s.cfg.Tracking == nil {
		return &Problem{Status: http.StatusServiceUnavailable, Code: "not_configured", Message: "case tracking is not configured"}
	}
	return nil
}

// getTrackingLink gives staff a case's tracking link to read out or pass on:
// a fresh one, valid for the full TTL; links issued earlier keep working
// until their own expiry. The token is stateless, so nothing is stored.
func (s *Server) getTrackingLink(kind domain.Kind) gin.HandlerFunc {
	return s.handle(func(c *gin.Context) error {
		if err := s.trackingOff(); err != nil {
			return err
		}
		view, err := s.caseOf(c, kind)
		if err != nil {
			return err
		}
		c.JSON(http.StatusOK, s.newTrackLink(view.Number))
		return nil
	})
}

// resendTrackingLink queues the resident message with the link in the
// outbox (to the resident's phone, or email for an email case, as every
// resident message) and starts its delivery by the worker. The link itself
// is signed when the message is sent, as for every resident message, so it
// is stored nowhere. The same Idempotency-Key again queues nothing new.
func (s *Server) resendTrackingLink(kind domain.Kind) gin.HandlerFunc {
	return s.handle(func(c *gin.Context) error {
		ctx := c.Request.Context()
		if err := s.trackingOff(); err != nil {
			return err
		}
		key, err := idempotencyKeyOf(c)
		if err != nil {
			return err
		}
		actor := actor(c)
		view, err := s.caseOf(c, kind)
		if err != nil {
			return err
		}
		if key == "" {
			key = "auto:" + uuid.NewString()
		}
		// The client's key is hashed: the outbox key becomes a workflow ID.
		sum := sha256.Sum256([]byte(key))
		outboxKey := fmt.Sprintf("%s/link/%s", view.Number, hex.EncodeToString(sum[:8]))
		n, created, err := s.cfg.Store.QueueNotification(ctx, view.Number, domain.AudienceResident, "", trackingLinkTemplate,
			map[string]string{"number": view.Number, "kind": string(view.Kind), "requested_by": actor}, outboxKey)
		if err != nil {
			return err
		}
		if err := s.startDelivery(ctx, outboxKey); err != nil {
			s.cfg.Logger.Warn("delivery of a queued notification could not be started", "key", outboxKey, "error", err)
			fail(c, http.StatusServiceUnavailable, "unavailable",
				"the message is queued but its delivery could not be started; retry with the same Idempotency-Key to start it without queuing another")
			return nil
		}
		status := http.StatusAccepted
		if !created {
			status = http.StatusOK
		}
		c.JSON(status, n)
		return nil
	})
}

// startDelivery starts the delivery workflow of one outbox message. Its ID
// is the outbox key, so a retry joins the delivery already started, and one
// already finished is not repeated.
func (s *Server) startDelivery(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.WorkflowTimeout)
	defer cancel()
	_, err := s.cfg.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: "notification/" + key, TaskQueue: s.cfg.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		StaticSummary:            "notification " + key,
	}, workflows.DeliveryWorkflow, []string{key})
	if errors.As(err, new(*serviceerror.WorkflowExecutionAlreadyStarted)) {
		return nil // delivered (or given up) already
	}
	if err != nil {
		return fmt.Errorf("start delivery of %s: %w", key, err)
	}
	return nil
}
