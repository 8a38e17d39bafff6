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

// Notifier delivers the outbox through the configured adapters.
type Notifier struct {
	Store *store.Store
	// Senders are the configured channels, one sender each; notify.Choose
	// picks among them per message. With none, messages are marked skipped.
	Senders []notify.Sender
	// Channels rank the senders' channels per audience; nil means
	// notify.Channels(), tests give their own.
	Channels []notify.Channel
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
		n.Logger.ErrorContext(ctx, "notification to deliver is missing", "key", key)
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
		if len(n.Senders) == 0 {
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
		n.Logger.WarnContext(ctx, "notification failed", "number", o.Number, "template", o.Template, "attempt", attempt)
		return n.Store.MarkDelivery(ctx, key, store.DeliveryFailed, msg.Channel, msg.To, err.Error())
	default:
		if merr := n.Store.MarkDelivery(ctx, key, store.DeliveryPending, msg.Channel, msg.To, err.Error()); merr != nil {
			return errors.Join(err, merr)
		}
		return fmt.Errorf("deliver %s (attempt %d): %w", key, attempt, err)
	}
}

// compose renders the message and picks its channel with notify.Choose. A
// nil sender comes with the reason nothing can be sent.
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
	if len(n.Senders) == 0 {
		return notify.Message{}, nil, "no delivery channel is configured"
	}
	channels := n.Channels
	if channels == nil {
		channels = notify.Channels()
	}
	sender, address, ok := notify.Choose(recipient(o), channels, n.Senders)
	if !ok {
		return notify.Message{}, nil, "no address on record for a configured channel (" + n.channels() + ")"
	}
	return notify.Message{Channel: sender.Channel(), To: address, Subject: subject, Body: body,
		Ref: "notification-" + strings.NewReplacer("/", "-").Replace(o.Key)}, sender, ""
}

// recipient is what notify.Choose needs to know of the person a message is
// for; the store looked the addresses up just now, so they never travel
// through Temporal.
func recipient(o store.Outbound) notify.Recipient {
	return notify.Recipient{Staff: o.Audience == domain.AudienceStaff, ReplyOn: o.IntakeChannel, Addresses: o.Addresses}
}

// channels names the configured channels, for the reason a message failed.
func (n *Notifier) channels() string {
	names := make([]string, 0, len(n.Senders))
	for _, s := range n.Senders {
		names = append(names, s.Channel())
	}
	return strings.Join(names, ", ")
}
