package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/notify"
	"github.com/concierge-pm/concierge/store"
	"github.com/concierge-pm/concierge/tracking"
)

// Notifier delivers the outbox through the configured adapters. Either
// sender may be nil when that channel is not configured.
type Notifier struct {
	Store *store.Store
	Email notify.Sender
	SMS   notify.Sender
	// Tracking signs the link added to residents' messages; nil for none.
	Tracking    *tracking.Signer
	PublicURL   string
	TrackingTTL time.Duration
	// MaxAttempts is the attempt after which a temporary failure is final;
	// it matches the workflow's retry policy.
	MaxAttempts int32
	Logger      *slog.Logger
}

// DeliverNotifications sends the queued notifications of one recorded
// batch, by their outbox keys; one activity per batch keeps a case's history
// short. Each message stands alone: one already sent (by an earlier
// attempt) is skipped, a temporary failure makes the activity return an
// error so Temporal retries the rest with backoff, and a permanent failure
// or the last attempt marks that message failed (visible to staff), so the
// case never waits on it.
func (n *Notifier) DeliverNotifications(ctx context.Context, keys []string) error {
	var retry []error
	for _, key := range keys {
		if err := n.deliver(ctx, key); err != nil {
			retry = append(retry, err)
		}
	}
	return errors.Join(retry...)
}

func (n *Notifier) deliver(ctx context.Context, key string) error {
	o, err := n.Store.OutboundByKey(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		// Written by the record activity before this one ran; if it is gone
		// there is nothing to send, and retrying will not bring it back.
		n.Logger.Error("notification to deliver is missing", "key", key)
		return nil
	} else if err != nil {
		return err
	}
	if o.Status != store.DeliveryPending {
		return nil // delivered (or given up) by an earlier attempt
	}
	msg, sender, why := n.compose(o)
	if sender == nil {
		status := store.DeliveryFailed
		if n.Email == nil && n.SMS == nil {
			status = store.DeliverySkipped
		}
		return n.Store.MarkDelivery(ctx, key, status, "", "", why)
	}
	err = sender.Send(ctx, msg)
	attempt := activity.GetInfo(ctx).Attempt
	switch {
	case err == nil:
		return n.Store.MarkDelivery(ctx, key, store.DeliverySent, msg.Channel, msg.To, "")
	case notify.IsPermanent(err) || attempt >= n.MaxAttempts:
		// The log names the case and template only: the error text of an
		// adapter may carry the address.
		n.Logger.Warn("notification failed", "number", o.Number, "template", o.Template, "attempt", attempt)
		return n.Store.MarkDelivery(ctx, key, store.DeliveryFailed, msg.Channel, msg.To, err.Error())
	default:
		if merr := n.Store.MarkDelivery(ctx, key, store.DeliveryPending, msg.Channel, msg.To, err.Error()); merr != nil {
			return errors.Join(err, merr)
		}
		return fmt.Errorf("deliver %s (attempt %d): %w", key, attempt, err)
	}
}

// compose renders the message and picks the channel: email for a case that
// came in by email and for staff, SMS otherwise, falling back to the other
// when the preferred one has no address or no adapter. A nil sender comes
// with the reason nothing can be sent.
func (n *Notifier) compose(o store.Outbound) (notify.Message, notify.Sender, string) {
	params := map[string]string{}
	for k, v := range o.Params {
		params[k] = v
	}
	name := o.Template
	if o.Audience == domain.AudienceStaff {
		name = domain.AudienceStaff + "/" + o.Template
	} else {
		params["category"] = o.CategoryName
		if o.Language == "en" && o.CategoryNameEn != "" {
			params["category"] = o.CategoryNameEn
		}
		if n.Tracking != nil && o.Number != "" {
			params["track_url"] = strings.TrimRight(n.PublicURL, "/") + "/t/" + n.Tracking.Token(o.Number, time.Now().Add(n.TrackingTTL))
		}
	}
	subject, body, err := notify.Render(name, o.Language, params)
	if err != nil {
		return notify.Message{}, nil, fmt.Sprintf("no template: %v", err)
	}
	type option struct {
		channel, address string
		sender           notify.Sender
	}
	email := option{"email", o.Email, n.Email}
	sms := option{"sms", o.Phone, n.SMS}
	order := []option{sms, email}
	if o.PreferEmail || o.Audience == domain.AudienceStaff {
		order = []option{email, sms}
	}
	for _, opt := range order {
		if opt.address != "" && opt.sender != nil {
			return notify.Message{Channel: opt.channel, To: opt.address, Subject: subject, Body: body, Ref: "notification-" + strings.NewReplacer("/", "-").Replace(o.Key)}, opt.sender, ""
		}
	}
	if n.Email == nil && n.SMS == nil {
		return notify.Message{}, nil, "no delivery channel is configured (SMTP or SMS gateway)"
	}
	return notify.Message{}, nil, "no email address or phone number on record for a configured channel"
}
