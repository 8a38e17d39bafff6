package main

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/concierge-pm/concierge/auth"
	"github.com/concierge-pm/concierge/config"
	"github.com/concierge-pm/concierge/internal/testdb"
	"github.com/concierge-pm/concierge/store"
)

// TestUsersCommand runs `concierge users` against a fresh database: it
// creates an account, sets its password (ending its sessions), disables
// and enables it, makes a token that identifies its member and revokes it,
// and refuses what it must.
func TestUsersCommand(t *testing.T) {
	url := testdb.New(t, "concierge_users")
	ctx := t.Context()
	st, err := openStore(ctx, url, true)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	run := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		err := runUsers(ctx, append(args, "--database-url", url), strings.NewReader(stdin), &out)
		return out.String(), err
	}

	if out, err := run("first-password\n", "create", "--staff", "liu_fang"); err != nil || !strings.Contains(out, "account liu_fang created") ||
		strings.Contains(out, "password:") {
		t.Fatalf("create: %v %q", err, out)
	}
	acct, err := st.AccountByName(ctx, "liu_fang")
	if err != nil || auth.VerifyPassword("first-password", acct.PasswordHash) != nil || auth.NeedsRehash(acct.PasswordHash, auth.DefaultParams()) {
		t.Fatalf("the account after create: %+v %v", acct, err)
	}
	// Without a password on stdin one is generated and printed once.
	out, err := run("", "create", "--staff", "li_qiang", "--username", "LiQiang")
	m := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("create with a generated password: %v %q", err, out)
	}
	if acct, err := st.AccountByName(ctx, "liqiang"); err != nil || auth.VerifyPassword(m[1], acct.PasswordHash) != nil {
		t.Fatalf("the generated password does not sign in: %v", err)
	}

	// set-password ends the account's sessions.
	if err := st.CreateSession(ctx, "liu_fang", auth.Hash("cs_x"), auth.Hash("cx_x"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := run("second-password\n", "set-password", "liu_fang"); err != nil {
		t.Fatal(err)
	}
	if acct, _ := st.AccountByName(ctx, "liu_fang"); auth.VerifyPassword("second-password", acct.PasswordHash) != nil {
		t.Fatal("set-password did not set it")
	}
	if _, err := st.SessionIdentity(ctx, auth.Hash("cs_x"), time.Hour); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a session survived set-password: %v", err)
	}

	// A token identifies its member until it is revoked; disabling the
	// account stops it too.
	out, err = run("", "token", "--staff", "liu_fang", "--name", "打印机", "--scopes", "read")
	m = regexp.MustCompile(`token (\d+) .*\n(ct_\S+)`).FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("token: %v %q", err, out)
	}
	id, err := st.TokenIdentity(ctx, auth.Hash(m[2]))
	if err != nil || id.StaffCode != "liu_fang" || len(id.Scopes) != 1 || id.Scopes[0] != "read" {
		t.Fatalf("the token's identity %+v %v", id, err)
	}
	if _, err := run("", "disable", "liu_fang"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.TokenIdentity(ctx, auth.Hash(m[2])); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the token of a disabled account: %v", err)
	}
	if _, err := run("", "disable", "--enable", "liu_fang"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.TokenIdentity(ctx, auth.Hash(m[2])); err != nil {
		t.Fatalf("the token after enabling: %v", err)
	}
	if _, err := run("", "revoke-token", m[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := st.TokenIdentity(ctx, auth.Hash(m[2])); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a revoked token: %v", err)
	}
	if out, err := run("", "token", "--service", "auditor", "--name", "ERP", "--days", "30"); err != nil || !strings.Contains(out, "ct_") {
		t.Fatalf("a service token: %v %q", err, out)
	}
	if out, err := run("", "list"); err != nil || !strings.Contains(out, "liqiang") || !strings.Contains(out, "liu_fang") {
		t.Fatalf("list: %v %q", err, out)
	}

	// The first admin of a database without one.
	if out, err := run("admin-password\n", "create", "--staff", "it_admin", "--role", "admin", "--name", "系统管理员"); err != nil ||
		!strings.Contains(out, "account it_admin created") {
		t.Fatalf("create an admin: %v %q", err, out)
	}
	if acct, err := st.AccountByName(ctx, "it_admin"); err != nil || acct.Role != "admin" || acct.Department != "customer_service" {
		t.Fatalf("the admin: %+v %v", acct, err)
	}

	for _, tt := range []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"unknown subcommand", "", []string{"promote", "liu_fang"}, "unknown users subcommand"},
		{"create without --staff", "long-enough-pw\n", []string{"create"}, "needs --staff"},
		{"a short password", "short\n", []string{"create", "--staff", "chen_jing"}, "at least 10 characters"},
		{"an unknown member", "long-enough-pw\n", []string{"create", "--staff", "nobody"}, "not found"},
		{"a second account", "long-enough-pw\n", []string{"create", "--staff", "liu_fang", "--username", "other"}, "conflict"},
		{"an unknown account", "long-enough-pw\n", []string{"set-password", "nobody"}, "not found"},
		{"a token for both", "", []string{"token", "--staff", "liu_fang", "--service", "erp", "--name", "x"}, "one of"},
		{"a bad scope", "", []string{"token", "--staff", "liu_fang", "--name", "x", "--scopes", "root"}, `scope "root"`},
		{"too many days", "", []string{"token", "--staff", "liu_fang", "--name", "x", "--days", "400"}, "--days"},
		{"a desk role", "long-enough-pw\n", []string{"create", "--staff", "chen_jing", "--role", "property_manager", "--name", "x"}, "--role takes admin or auditor"},
	} {
		if _, err := run(tt.stdin, tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error saying %q", tt.name, err, tt.want)
		}
	}
	if _, err := st.AccountByName(ctx, "chen_jing"); !errors.Is(err, store.ErrNotFound) {
		t.Error("a refused create made an account")
	}
}

// TestDemoAccounts: every demo member of staff, the admin and the auditor
// get an account; without CONCIERGE_DEMO_PASSWORD the password is generated
// once and stays the same on the next start; with it, it is that one.
func TestDemoAccounts(t *testing.T) {
	ctx := t.Context()
	for _, tt := range []struct{ name, given string }{{"generated", ""}, {"given", "given-demo-password"}} {
		t.Run(tt.name, func(t *testing.T) {
			st, err := openStore(ctx, testdb.New(t, "concierge_demo_accounts"), true)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			pw, err := demoAccounts(ctx, st, config.Secret(tt.given))
			if err != nil {
				t.Fatal(err)
			}
			if tt.given != "" && pw != tt.given || len(pw) < auth.MinPasswordLen {
				t.Fatalf("password %q", pw)
			}
			again, err := demoAccounts(ctx, st, config.Secret(tt.given))
			if err != nil || again != pw {
				t.Fatalf("the second start's password %q, want %q (%v)", again, pw, err)
			}
			accts, err := st.Accounts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			roles := map[string]bool{}
			for _, a := range accts {
				if a.Username != a.StaffCode || auth.VerifyPassword(pw, a.PasswordHash) != nil {
					t.Errorf("account %+v does not sign in as its staff code with the demo password", a)
				}
				roles[a.Role] = true
			}
			if len(accts) != 17 || !roles["admin"] || !roles["auditor"] || !roles["receptionist"] {
				t.Fatalf("%d accounts with roles %v, want the 15 demo staff, an admin and an auditor", len(accts), roles)
			}
		})
	}
}
