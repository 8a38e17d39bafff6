package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/concierge-pm/concierge/auth"
)

// Identity is who a request acts as, resolved from a session or an API
// token: the member of staff with their role and department, or for a
// service token the service role (StaffCode empty).
type Identity struct {
	StaffCode  string   `json:"staff_code,omitempty"`
	Name       string   `json:"name,omitempty"`
	Role       string   `json:"role"`
	Department string   `json:"department,omitempty"`
	Username   string   `json:"username,omitempty"`
	Via        string   `json:"via"` // "session" or "token"
	TokenID    int64    `json:"token_id,omitempty"`
	Scopes     []string `json:"scopes,omitempty"`
	// Communities are the communities a member of staff works in
	// (staff_communities); nil for a service token, which names nobody.
	Communities []string `json:"communities,omitempty"`
	// CSRFHash is the session's CSRF token hash; nil for tokens.
	CSRFHash []byte `json:"-"`
}

// Account is a member of staff's sign-in.
type Account struct {
	Username      string    `json:"username"`
	StaffCode     string    `json:"staff_code"`
	Name          string    `json:"name"`
	Role          string    `json:"role"`
	Department    string    `json:"department"`
	Disabled      bool      `json:"disabled"`
	StaffActive   bool      `json:"staff_active"`
	CreatedAt     time.Time `json:"created_at"`
	PasswordSetAt time.Time `json:"password_set_at"`
	PasswordHash  string    `json:"-"`
}

const accountColumns = `a.username, a.staff_code, st.name, st.role, st.department, a.disabled, st.active,
	a.created_at, a.password_set_at, a.password_hash`

// CreateAccount gives a member of staff an account, with its audit row. An
// existing username or a member who already has one is ErrConflict; an
// unknown member ErrNotFound.
func (s *Store) CreateAccount(ctx context.Context, who Who, username, staffCode, passwordHash string) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO accounts (username, staff_code, password_hash) VALUES ($1, $2, $3)`,
			username, staffCode, passwordHash); err != nil {
			return err
		}
		return WriteAudit(ctx, tx, who, AuditEntry{Action: "create", ObjectType: "account", ObjectKey: username,
			After: accountAudit{Username: username, StaffCode: staffCode}})
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return fmt.Errorf("account %q or an account of %q exists: %w", username, staffCode, ErrConflict)
		case "23503":
			return fmt.Errorf("staff %q: %w", staffCode, ErrNotFound)
		}
	}
	if err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	return nil
}

// accountAudit is what the audit trail keeps of an account: never a hash.
type accountAudit struct {
	Username    string `json:"username"`
	StaffCode   string `json:"staff_code,omitempty"`
	Disabled    *bool  `json:"disabled,omitempty"`
	PasswordSet bool   `json:"password_set,omitempty"`
}

// SystemRoles are the roles that run the system rather than the desk;
// only `concierge users create --role` gives them (the staff import does
// not).
func SystemRoles() []string { return []string{"admin", "auditor"} }

// EnsureSystemStaff adds a member of staff with a system role (admin or
// auditor) unless the code exists; an existing member keeps their role.
func (s *Store) EnsureSystemStaff(ctx context.Context, code, name, department, role string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO staff (code, name, department, role) VALUES ($1, $2, $3, $4)
		ON CONFLICT (code) DO NOTHING`, code, name, department, role)
	if err != nil {
		return fmt.Errorf("add staff %q: %w", code, err)
	}
	return nil
}

// CreateMissingAccounts gives every member of staff without an account
// one, their staff code as username, with the one password hash given;
// `concierge dev` uses it for the demo set. It answers how many it made.
func (s *Store) CreateMissingAccounts(ctx context.Context, passwordHash string) (int, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO accounts (username, staff_code, password_hash)
		SELECT st.code, st.code, $1 FROM staff st
		WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.staff_code = st.code OR a.username = st.code)`, passwordHash)
	if err != nil {
		return 0, fmt.Errorf("create demo accounts: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// AccountByName is the account with that username, ErrNotFound if none.
func (s *Store) AccountByName(ctx context.Context, username string) (Account, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+accountColumns+`
		FROM accounts a JOIN staff st ON st.code = a.staff_code WHERE a.username = $1`, username)
	if err != nil {
		return Account{}, fmt.Errorf("look up account: %w", err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Account])
	if errors.Is(err, pgx.ErrNoRows) {
		return Account{}, fmt.Errorf("account %q: %w", username, ErrNotFound)
	}
	return a, err
}

// Accounts lists every account.
func (s *Store) Accounts(ctx context.Context) ([]Account, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+accountColumns+`
		FROM accounts a JOIN staff st ON st.code = a.staff_code ORDER BY a.username`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Account])
}

// SetPassword replaces an account's password hash and ends its sessions,
// so a password changed because it leaked locks the holder out at once.
func (s *Store) SetPassword(ctx context.Context, who Who, username, passwordHash string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE accounts SET password_hash = $2, password_set_at = now() WHERE username = $1`,
			username, passwordHash)
		if err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("account %q: %w", username, ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE username = $1`, username); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		if _, err = tx.Exec(ctx, `DELETE FROM login_failures WHERE username = $1`, username); err != nil {
			return fmt.Errorf("clear failed sign-ins: %w", err)
		}
		return WriteAudit(ctx, tx, who, AuditEntry{Action: "set_password", ObjectType: "account", ObjectKey: username,
			After: accountAudit{Username: username, PasswordSet: true}})
	})
}

// RehashPassword replaces a hash made with weaker parameters after a
// successful sign-in, without ending sessions.
func (s *Store) RehashPassword(ctx context.Context, username, oldHash, newHash string) error {
	_, err := s.pool.Exec(ctx, `UPDATE accounts SET password_hash = $3 WHERE username = $1 AND password_hash = $2`,
		username, oldHash, newHash)
	if err != nil {
		return fmt.Errorf("rehash password: %w", err)
	}
	return nil
}

// SetAccountDisabled disables (or enables again) an account. Disabling ends
// its sessions; its member's tokens stop working too (TokenIdentity).
func (s *Store) SetAccountDisabled(ctx context.Context, who Who, username string, disabled bool) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var was bool
		err := tx.QueryRow(ctx, `SELECT disabled FROM accounts WHERE username = $1 FOR UPDATE`, username).Scan(&was)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("account %q: %w", username, ErrNotFound)
		} else if err != nil {
			return fmt.Errorf("read account: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE accounts SET disabled = $2 WHERE username = $1`, username, disabled); err != nil {
			return fmt.Errorf("disable account: %w", err)
		}
		action := "disable"
		if !disabled {
			action = "enable"
		}
		if err := WriteAudit(ctx, tx, who, AuditEntry{Action: action, ObjectType: "account", ObjectKey: username,
			Before: accountAudit{Username: username, Disabled: &was}, After: accountAudit{Username: username, Disabled: &disabled}}); err != nil {
			return err
		}
		if disabled {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE username = $1`, username); err != nil {
				return fmt.Errorf("end sessions: %w", err)
			}
		}
		return nil
	})
}

// LoginFailures is the failed-sign-in record of a name; zero values if it
// has none.
func (s *Store) LoginFailures(ctx context.Context, username string) (failures int, lastFailed, lockedUntil time.Time, err error) {
	var locked *time.Time
	err = s.pool.QueryRow(ctx, `SELECT failures, last_failed_at, locked_until FROM login_failures WHERE username = $1`,
		username).Scan(&failures, &lastFailed, &locked)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, time.Time{}, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, time.Time{}, fmt.Errorf("read login failures: %w", err)
	}
	if locked != nil {
		lockedUntil = *locked
	}
	return failures, lastFailed, lockedUntil, nil
}

// RecordLoginFailure counts a failed sign-in of a name by the rules of l,
// with the database's clock, and answers the name's new record.
func (s *Store) RecordLoginFailure(ctx context.Context, username string, l auth.Lockout) (failures int, lockedUntil time.Time, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var now time.Time
		var locked *time.Time
		err := tx.QueryRow(ctx, `INSERT INTO login_failures (username, failures) VALUES ($1, 0)
			ON CONFLICT (username) DO UPDATE SET username = excluded.username
			RETURNING now(), failures, locked_until`, username).Scan(&now, &failures, &locked)
		if err != nil {
			return fmt.Errorf("read login failures: %w", err)
		}
		var was time.Time
		if locked != nil {
			was = *locked
		}
		failures, lockedUntil = l.Fail(now, failures, was)
		var lock *time.Time
		if !lockedUntil.IsZero() {
			lock = &lockedUntil
		}
		if _, err := tx.Exec(ctx, `UPDATE login_failures SET failures = $2, last_failed_at = $3, locked_until = $4 WHERE username = $1`,
			username, failures, now, lock); err != nil {
			return fmt.Errorf("count login failure: %w", err)
		}
		// Names tried once and never again (typos, guesses) are forgotten
		// after a day, so the table stays small; a lock lasts its time.
		_, err = tx.Exec(ctx, `DELETE FROM login_failures WHERE last_failed_at < $1::timestamptz - interval '1 day'
			AND (locked_until IS NULL OR locked_until < $1::timestamptz)`, now)
		return err
	})
	return failures, lockedUntil, err
}

// ClearLoginFailures forgets a name's failures after a successful sign-in.
func (s *Store) ClearLoginFailures(ctx context.Context, username string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE username = $1`, username)
	return err
}

// Now is the database's clock, the one expiries are compared with.
func (s *Store) Now(ctx context.Context) (time.Time, error) {
	var now time.Time
	err := s.pool.QueryRow(ctx, `SELECT now()`).Scan(&now)
	return now, err
}

// CreateSession stores a new session by the hashes of its id and CSRF token.
func (s *Store) CreateSession(ctx context.Context, username string, idHash, csrfHash []byte, maxAge time.Duration) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (id_hash, username, csrf_hash, expires_at)
		VALUES ($1, $2, $3, now() + make_interval(secs => $4))`, idHash, username, csrfHash, maxAge.Seconds())
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	// Expired sessions of anyone go now and then, so the table stays small.
	_, err = s.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at < now() - interval '1 day'`)
	return err
}

// SessionIdentity resolves a session by its id's hash: it must be neither
// past its absolute expiry nor idle longer than idle, and its account and
// member of staff must be active, checked on every request. It records the
// use, which keeps the session alive. ErrNotFound otherwise.
//
// The use is written at most once a minute (usedEvery): a write on every
// request made each one, reads included, a transaction that waits for the
// disk, while the idle limit is hours. So a session may end up to a minute
// later than its idle limit says.
func (s *Store) SessionIdentity(ctx context.Context, idHash []byte, idle time.Duration) (Identity, error) {
	id := Identity{Via: "session"}
	err := s.pool.QueryRow(ctx, `WITH hit AS (
			SELECT se.id_hash, se.last_seen_at, st.code, st.name, st.role, st.department, a.username, se.csrf_hash,
				array(SELECT sc.community_code FROM staff_communities sc WHERE sc.staff_code = st.code ORDER BY 1) AS communities
			FROM sessions se JOIN accounts a ON a.username = se.username JOIN staff st ON st.code = a.staff_code
			WHERE se.id_hash = $1 AND NOT a.disabled AND st.active
				AND se.expires_at > now() AND se.last_seen_at > now() - make_interval(secs => $2)),
		used AS (UPDATE sessions se SET last_seen_at = now() FROM hit
			WHERE se.id_hash = hit.id_hash AND hit.last_seen_at < now() - `+usedEvery+`)
		SELECT code, name, role, department, username, csrf_hash, communities FROM hit`,
		idHash, idle.Seconds()).
		Scan(&id.StaffCode, &id.Name, &id.Role, &id.Department, &id.Username, &id.CSRFHash, &id.Communities)
	if errors.Is(err, pgx.ErrNoRows) {
		return Identity{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return Identity{}, fmt.Errorf("look up session: %w", err)
	}
	return id, nil
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash)
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// Token is an API token as listed: never its secret.
type Token struct {
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	StaffCode   *string    `json:"staff_code"`
	ServiceRole *string    `json:"service_role"`
	Scopes      []string   `json:"scopes"`
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	RevokedAt   *time.Time `json:"revoked_at"`
	LastUsedAt  *time.Time `json:"last_used_at"`
}

const tokenColumns = `id, name, staff_code, service_role, scopes, created_by, created_at, expires_at, revoked_at, last_used_at`

// NewToken is what CreateToken stores.
type NewToken struct {
	Hash        []byte
	Name        string
	StaffCode   string // or
	ServiceRole string
	Scopes      []string
	CreatedBy   string
	TTL         time.Duration
}

// CreateToken stores a token by its hash. An unknown member of staff is
// ErrNotFound.
func (s *Store) CreateToken(ctx context.Context, who Who, t NewToken) (Token, error) {
	if t.Scopes == nil {
		t.Scopes = []string{}
	}
	var tok Token
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `INSERT INTO api_tokens (hash, name, staff_code, service_role, scopes, created_by, expires_at)
			VALUES ($1, $2, nullif($3, ''), nullif($4, ''), $5, $6, now() + make_interval(secs => $7))
			RETURNING `+tokenColumns, t.Hash, t.Name, t.StaffCode, t.ServiceRole, t.Scopes, t.CreatedBy, t.TTL.Seconds())
		if err != nil {
			return err
		}
		if tok, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Token]); err != nil {
			return err
		}
		// The token row holds no secret (its hash is not a column of Token).
		return WriteAudit(ctx, tx, who, AuditEntry{Action: "create", ObjectType: "api_token",
			ObjectKey: strconv.FormatInt(tok.ID, 10), After: tok})
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return Token{}, fmt.Errorf("staff %q: %w", t.StaffCode, ErrNotFound)
	}
	if err != nil {
		return Token{}, fmt.Errorf("create token: %w", err)
	}
	return tok, nil
}

// Tokens lists tokens, newest first: all of them, or one member's when
// staffCode is not empty.
func (s *Store) Tokens(ctx context.Context, staffCode string) ([]Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens
		WHERE $1 = '' OR staff_code = $1 ORDER BY id DESC`, staffCode)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Token])
}

// TokenByID is one token, ErrNotFound if none.
func (s *Store) TokenByID(ctx context.Context, id int64) (Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = $1`, id)
	if err != nil {
		return Token{}, fmt.Errorf("look up token: %w", err)
	}
	tok, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Token])
	if errors.Is(err, pgx.ErrNoRows) {
		return Token{}, fmt.Errorf("token %d: %w", id, ErrNotFound)
	}
	return tok, err
}

// RevokeToken revokes a token at once; revoking it again changes nothing.
func (s *Store) RevokeToken(ctx context.Context, who Who, id int64) (Token, error) {
	var tok Token
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
			RETURNING `+tokenColumns, id)
		if err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		if tok, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Token]); err != nil {
			return err
		}
		return WriteAudit(ctx, tx, who, AuditEntry{Action: "revoke", ObjectType: "api_token",
			ObjectKey: strconv.FormatInt(id, 10), After: tok})
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Token{}, fmt.Errorf("token %d: %w", id, ErrNotFound)
	}
	return tok, err
}

// usedEvery is how stale a session's or a token's last use may be before
// a request writes it again.
const usedEvery = "interval '1 minute'"

// TokenIdentity resolves a bearer token by its hash: not revoked, not
// expired, and for a member's token the member active and their account,
// if they have one, not disabled, checked on every request. It records the
// use, at most once a minute (as SessionIdentity). ErrNotFound otherwise.
func (s *Store) TokenIdentity(ctx context.Context, hash []byte) (Identity, error) {
	id := Identity{Via: "token"}
	var code, name, dept *string
	err := s.pool.QueryRow(ctx, `WITH hit AS (
			SELECT t.id, t.staff_code, st.name, coalesce(st.role, t.service_role) AS role, st.department, t.scopes,
				CASE WHEN t.staff_code IS NOT NULL THEN array(SELECT sc.community_code FROM staff_communities sc
					WHERE sc.staff_code = t.staff_code ORDER BY 1) END AS communities
			FROM api_tokens t
				LEFT JOIN staff st ON st.code = t.staff_code
				LEFT JOIN accounts a ON a.staff_code = t.staff_code
			WHERE t.hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now()
				AND (t.staff_code IS NULL OR (st.active AND NOT coalesce(a.disabled, false)))),
		used AS (UPDATE api_tokens SET last_used_at = now() WHERE id IN (SELECT id FROM hit)
			AND (last_used_at IS NULL OR last_used_at < now() - `+usedEvery+`))
		SELECT id, staff_code, name, role, department, scopes, communities FROM hit`, hash).
		Scan(&id.TokenID, &code, &name, &id.Role, &dept, &id.Scopes, &id.Communities)
	if errors.Is(err, pgx.ErrNoRows) {
		return Identity{}, fmt.Errorf("token: %w", ErrNotFound)
	}
	if err != nil {
		return Identity{}, fmt.Errorf("look up token: %w", err)
	}
	for dst, src := range map[*string]*string{&id.StaffCode: code, &id.Name: name, &id.Department: dept} {
		if src != nil {
			*dst = *src
		}
	}
	return id, nil
}
