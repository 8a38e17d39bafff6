package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/concierge-pm/concierge/domain"
)

// Outbound is one queued notification with what its delivery needs: the
// contact details of the person it is for, looked up only now, so they never
// travel through Temporal.
type Outbound struct {
	Key       string
	Number    string
	Audience  string
	Recipient string
	Template  string
	Params    map[string]string
	Status    string
	// Addresses of the resident or the member of staff it goes to, keyed by
	// delivery channel (notify.Channel.Name); a channel with no address on
	// record has none. This is the one place that knows where each
	// channel's address is kept: email and phone ("sms") in their columns,
	// any other channel's in contact_addresses.
	Addresses map[string]string
	Language  string
	// IntakeChannel is the channel the case came in on (domain.Channel);
	// the answer goes back there when it is a delivery channel too.
	IntakeChannel string
	// Category names, for the message text.
	CategoryName, CategoryNameEn string
}

// OutboundByKey loads a notification and resolves its recipient. A staff
// recipient may be a member of staff, a department (its head), or a role:
// department_head (of the case's department), customer_service_supervisor,
// front_desk (a receptionist), centre_manager, property_manager. The first
// active match by code is chosen, so one message goes to one person.
func (s *Store) OutboundByKey(ctx context.Context, key string) (Outbound, error) {
	var o Outbound
	var params []byte
	err := s.pool.QueryRow(ctx, `
		SELECT n.idempotency_key, n.number, n.audience, n.recipient, n.template, n.params, n.status,
			coalesce(i.channel, ''), coalesce(hc.name, ''), coalesce(hc.name_en, '')
		FROM notifications n
		LEFT JOIN case_intakes i ON i.number = n.number
		LEFT JOIN handbook_categories hc ON hc.code = i.category
		WHERE n.idempotency_key = $1`, key).
		Scan(&o.Key, &o.Number, &o.Audience, &o.Recipient, &o.Template, &params, &o.Status, &o.IntakeChannel, &o.CategoryName, &o.CategoryNameEn)
	if errors.Is(err, pgx.ErrNoRows) {
		return o, fmt.Errorf("notification %s: %w", key, ErrNotFound)
	} else if err != nil {
		return o, fmt.Errorf("read notification %s: %w", key, err)
	}
	if err := json.Unmarshal(params, &o.Params); err != nil {
		return o, fmt.Errorf("decode params of notification %s: %w", key, err)
	}
	o.Language = "zh"
	var email, phone string
	// The resident's id or the staff code, for the other channels' addresses.
	var residentID *int64
	var staffCode *string
	if o.Audience == domain.AudienceResident {
		// The resident as matched at intake, else the phone taken down then.
		err = s.pool.QueryRow(ctx, `
			SELECT coalesce(r.email, ''), coalesce(nullif(r.phone, ''), i.resident_phone), coalesce(h.language, 'zh'), r.id
			FROM case_intakes i
			LEFT JOIN residents r ON r.id = i.resident_id
			LEFT JOIN households h ON h.id = i.household_id
			WHERE i.number = $1`, o.Number).Scan(&email, &phone, &o.Language, &residentID)
	} else {
		err = s.pool.QueryRow(ctx, `
			SELECT st.email, st.phone, st.code FROM staff st
			LEFT JOIN cases c ON c.number = $2
			WHERE st.active AND (
				st.code = $1
				OR (st.role = 'department_head' AND st.department = $1)
				OR ($1 = 'department_head' AND st.role = 'department_head' AND st.department = c.department)
				OR ($1 = 'customer_service_supervisor' AND st.role = 'supervisor' AND st.department = 'customer_service')
				OR ($1 = 'front_desk' AND st.role = 'receptionist')
				OR ($1 IN ('centre_manager', 'property_manager') AND st.role = $1))
			ORDER BY st.code = $1 DESC, st.code LIMIT 1`, o.Recipient, o.Number).Scan(&email, &phone, &staffCode)
	}
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return o, fmt.Errorf("resolve recipient of notification %s: %w", key, err)
	}
	o.Addresses = map[string]string{}
	if residentID != nil || staffCode != nil {
		rows, err := s.pool.Query(ctx, `
			SELECT channel, address FROM contact_addresses
			WHERE resident_id = $1 OR staff_code = $2`, residentID, staffCode)
		if err != nil {
			return o, fmt.Errorf("resolve addresses of notification %s: %w", key, err)
		}
		var channel, address string
		_, err = pgx.ForEachRow(rows, []any{&channel, &address}, func() error {
			o.Addresses[channel] = address
			return nil
		})
		if err != nil {
			return o, fmt.Errorf("resolve addresses of notification %s: %w", key, err)
		}
	}
	// The columns of email and phone come before a row of the same channel.
	for channel, address := range map[string]string{"email": email, "sms": phone} {
		if address != "" || o.Addresses[channel] == "" {
			o.Addresses[channel] = address
		}
	}
	return o, nil
}

// SetContactAddress records the address of a resident (by id) or a member
// of staff (by code; residentID 0) on a channel that has no column of its
// own, e.g. a WeChat openid; an empty address removes it. Addresses are
// personal data: they are read only by OutboundByKey, when a message is
// sent.
func (s *Store) SetContactAddress(ctx context.Context, residentID int64, staffCode, channel, address string) error {
	var rid *int64
	var code *string
	if residentID != 0 {
		rid = &residentID
	} else {
		code = &staffCode
	}
	var err error
	if address == "" {
		_, err = s.pool.Exec(ctx, `DELETE FROM contact_addresses
			WHERE channel = $3 AND (resident_id = $1 OR staff_code = $2)`, rid, code, channel)
	} else if rid != nil {
		_, err = s.pool.Exec(ctx, `INSERT INTO contact_addresses (resident_id, channel, address) VALUES ($1, $2, $3)
			ON CONFLICT (resident_id, channel) WHERE resident_id IS NOT NULL DO UPDATE SET address = excluded.address`,
			rid, channel, address)
	} else {
		_, err = s.pool.Exec(ctx, `INSERT INTO contact_addresses (staff_code, channel, address) VALUES ($1, $2, $3)
			ON CONFLICT (staff_code, channel) WHERE staff_code IS NOT NULL DO UPDATE SET address = excluded.address`,
			code, channel, address)
	}
	if err != nil {
		return fmt.Errorf("record a %s address: %w", channel, err)
	}
	return nil
}

// Delivery outcomes.
const (
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
	DeliverySkipped = "skipped"
	DeliveryPending = "pending"
)

// MarkDelivery records one delivery attempt: its outcome (pending for a
// failed attempt that will be retried), the channel and address used, and
// the error if any. A message already sent stays sent.
func (s *Store) MarkDelivery(ctx context.Context, key, status, channel, address, lastError string) error {
	var sentAt *time.Time
	if status == DeliverySent {
		now := time.Now()
		sentAt = &now
	}
	_, err := s.pool.Exec(ctx, `
		UPDATE notifications SET status = $2, channel = $3, address = $4, last_error = $5, sent_at = coalesce($6, sent_at),
			attempts = attempts + 1, updated_at = now()
		WHERE idempotency_key = $1 AND status <> 'sent'`, key, status, channel, address, lastError, sentAt)
	if err != nil {
		return fmt.Errorf("record delivery of %s: %w", key, err)
	}
	return nil
}

// Notification is an outbox row as staff see it.
type Notification struct {
	ID        int64      `json:"id"`
	Number    string     `json:"number"`
	Audience  string     `json:"audience"`
	Recipient string     `json:"recipient"`
	Template  string     `json:"template"`
	Status    string     `json:"status"`
	Channel   string     `json:"channel"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error"`
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at"`
}

// Notifications lists outbox rows, newest first, by status and/or case;
// communities, when not nil, keeps those of cases in these communities.
func (s *Store) Notifications(ctx context.Context, status, number string, communities []string, limit int) ([]Notification, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, number, audience, recipient, template, status, channel, attempts, last_error, created_at, sent_at
		FROM notifications WHERE ($1 = '' OR status = $1) AND ($2 = '' OR number = $2)
			AND ($4::text[] IS NULL OR EXISTS (SELECT 1 FROM cases c
				WHERE c.number = notifications.number AND c.community = ANY($4::text[])))
		ORDER BY created_at DESC, id DESC LIMIT $3`, status, number, limit, communities)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Notification])
}

// QueueNotification adds one message to the outbox outside a case's
// recording (a tracking link staff re-send), under its idempotency key: the
// same key again queues nothing and returns the message queued first
// (created false). Params are template values, never contact details.
func (s *Store) QueueNotification(ctx context.Context, number, audience, recipient, template string, params map[string]string, key string) (Notification, bool, error) {
	raw, err := json.Marshal(params)
	if err != nil {
		return Notification{}, false, fmt.Errorf("encode notification params: %w", err)
	}
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO notifications (number, audience, recipient, template, params, idempotency_key)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING`,
		number, audience, recipient, template, raw, key)
	if err != nil {
		return Notification{}, false, fmt.Errorf("queue notification %s: %w", key, err)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT id, number, audience, recipient, template, status, channel, attempts, last_error, created_at, sent_at
		FROM notifications WHERE idempotency_key = $1`, key)
	if err != nil {
		return Notification{}, false, fmt.Errorf("read notification %s: %w", key, err)
	}
	n, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Notification])
	if err != nil {
		return Notification{}, false, fmt.Errorf("read notification %s: %w", key, err)
	}
	return n, tag.RowsAffected() == 1, nil
}
