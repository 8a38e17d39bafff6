package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/concierge-pm/concierge/auth"
	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

const usersUsage = `concierge users — staff accounts and API tokens

Usage:
  concierge users create --staff CODE [--username NAME]   give a member of staff an account
  concierge users create --staff CODE --role admin|auditor --name NAME --department DEPT
                                                          the same, adding the member with that
                                                          system role first if the code is new
  concierge users set-password NAME                       set an account's password (its sessions end)
  concierge users disable NAME [--enable]                 disable (or enable again) an account
  concierge users token (--staff CODE | --service ROLE: one of the roles) --name TEXT [--scopes read,write] [--days 90]
                                                          make an API token, printed once
  concierge users revoke-token ID                         revoke an API token
  concierge users list                                    list the accounts

create and set-password read the password from the first line of standard
input (echo "$PW" | concierge users …); with nothing there they generate one
and print it. Every subcommand takes --database-url (DATABASE_URL).
`

// runUsers manages accounts and tokens directly in the database, for the
// first admin account and for operators without one (docs/DESIGN.md §7.2).
// The API offers the same to admins.
func runUsers(ctx context.Context, args []string, in io.Reader, out io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(out, usersUsage)
		return flag.ErrHelp
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("users "+sub, flag.ContinueOnError)
	fs.SetOutput(out)
	dbURL := fs.String("database-url", env("DATABASE_URL", store.DefaultURL), "PostgreSQL URL (DATABASE_URL)")
	staff := fs.String("staff", "", "staff code of the member of staff")
	username := fs.String("username", "", "account name (default: the staff code)")
	enable := fs.Bool("enable", false, "enable the account again instead")
	service := fs.String("service", "", "service role of a token that names no member of staff")
	name := fs.String("name", "", "what the token is for; with create --role, the member's name")
	role := fs.String("role", "", "create: add the member of staff with this system role (admin, auditor) if new")
	department := fs.String("department", "customer_service", "create --role: the new member's department")
	scopes := fs.String("scopes", "read,write", "the token's scopes: read, write, admin")
	days := fs.Int("days", 90, "days until the token expires (1–365)")
	var positional []string
	// Flags may come before or after the one positional argument.
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	arg := func(what string) (string, error) {
		if len(positional) != 1 {
			return "", fmt.Errorf("users %s takes one %s", sub, what)
		}
		return positional[0], nil
	}
	switch sub {
	case "create", "set-password", "disable", "token", "revoke-token", "list":
	case "-h", "--help", "help":
		fmt.Fprint(out, usersUsage)
		return nil
	default:
		return fmt.Errorf("unknown users subcommand %q\n\n%s", sub, usersUsage)
	}
	st, err := openStore(ctx, *dbURL, false)
	if err != nil {
		return err
	}
	defer st.Close()

	switch sub {
	case "create":
		if *staff == "" {
			return errors.New("users create needs --staff CODE")
		}
		if *username == "" {
			*username = *staff
		}
		if *role != "" {
			if !slices.Contains(store.SystemRoles(), *role) || *name == "" {
				return errors.New("--role takes admin or auditor, with --name (the staff import gives every other role)")
			}
			if err := st.EnsureSystemStaff(ctx, *staff, *name, *department, *role); err != nil {
				return err
			}
		}
		pw, generated, err := readPassword(in)
		if err != nil {
			return err
		}
		h, err := auth.HashPassword(pw, auth.DefaultParams())
		if err != nil {
			return err
		}
		if err := st.CreateAccount(ctx, cliWho(), strings.ToLower(*username), *staff, h); err != nil {
			return err
		}
		fmt.Fprintf(out, "account %s created for %s\n", strings.ToLower(*username), *staff)
		if generated {
			fmt.Fprintf(out, "password: %s\n", pw)
		}
	case "set-password":
		user, err := arg("account name")
		if err != nil {
			return err
		}
		pw, generated, err := readPassword(in)
		if err != nil {
			return err
		}
		h, err := auth.HashPassword(pw, auth.DefaultParams())
		if err != nil {
			return err
		}
		if err := st.SetPassword(ctx, cliWho(), user, h); err != nil {
			return err
		}
		fmt.Fprintf(out, "password of %s set; its sessions have ended\n", user)
		if generated {
			fmt.Fprintf(out, "password: %s\n", pw)
		}
	case "disable":
		user, err := arg("account name")
		if err != nil {
			return err
		}
		if err := st.SetAccountDisabled(ctx, cliWho(), user, !*enable); err != nil {
			return err
		}
		if *enable {
			fmt.Fprintf(out, "account %s enabled\n", user)
		} else {
			fmt.Fprintf(out, "account %s disabled; its sessions and tokens have stopped\n", user)
		}
	case "token":
		if (*staff == "") == (*service == "") || *name == "" {
			return errors.New("users token needs --name and one of --staff CODE or --service ROLE")
		}
		if *days < 1 || *days > 365 {
			return errors.New("--days must be from 1 to 365")
		}
		if *service != "" && !domain.Role(*service).Valid() {
			return fmt.Errorf("--service %q: a service token acts with one of the roles (docs/DESIGN.md §7.6)", *service)
		}
		list := strings.Split(*scopes, ",")
		for _, s := range list {
			if s != "read" && s != "write" && s != "admin" {
				return fmt.Errorf("scope %q: want read, write or admin", s)
			}
		}
		tok, err := auth.NewSecret(auth.APITokenPrefix)
		if err != nil {
			return err
		}
		t, err := st.CreateToken(ctx, cliWho(), store.NewToken{Hash: auth.Hash(tok), Name: *name, StaffCode: *staff,
			ServiceRole: *service, Scopes: list, CreatedBy: "cli", TTL: time.Duration(*days) * 24 * time.Hour})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "token %d (expires %s); it is shown only now:\n%s\n", t.ID, t.ExpiresAt.Format(time.DateOnly), tok)
	case "revoke-token":
		id, err := arg("token id")
		if err != nil {
			return err
		}
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return fmt.Errorf("token id %q is not a number", id)
		}
		if _, err := st.RevokeToken(ctx, cliWho(), n); err != nil {
			return err
		}
		fmt.Fprintf(out, "token %d revoked\n", n)
	case "list":
		accts, err := st.Accounts(ctx)
		if err != nil {
			return err
		}
		for _, a := range accts {
			state := "active"
			switch {
			case a.Disabled:
				state = "disabled"
			case !a.StaffActive:
				state = "staff inactive"
			}
			fmt.Fprintf(out, "%-20s %-20s %-18s %s\n", a.Username, a.StaffCode, a.Role, state)
		}
	}
	return nil
}

// readPassword reads a password from the first line of in, or generates
// one when there is none.
func readPassword(in io.Reader) (pw string, generated bool, err error) {
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("read the password: %w", err)
	}
	pw = strings.TrimRight(line, "\r\n")
	if pw == "" {
		pw, err = generatePassword()
		return pw, true, err
	}
	if len([]rune(pw)) < auth.MinPasswordLen {
		return "", false, fmt.Errorf("the password must have at least %d characters", auth.MinPasswordLen)
	}
	return pw, false, nil
}

// generatePassword is 16 URL-safe characters (96 random bits).
func generatePassword() (string, error) {
	s, err := auth.NewSecret("")
	if err != nil {
		return "", err
	}
	return s[:16], nil
}

// cliWho is whom the audit trail names for a change made on the command
// line: the operating-system user who ran it, as "cli:<user>".
func cliWho() store.Who {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return store.Who{Actor: "cli:" + name, UserAgent: "concierge users"}
}
