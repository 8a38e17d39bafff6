package notify

import (
	"errors"
	"fmt"
	"testing"
)

func TestPermanentError(t *testing.T) {
	base := errors.New("mailbox unavailable")
	for _, err := range []error{
		permanent(base),
		fmt.Errorf("outbox row 42: %w", permanent(base)),
		errors.Join(errors.New("other"), permanent(base)),
	} {
		if !IsPermanent(err) || !errors.Is(err, base) {
			t.Errorf("IsPermanent/Is lost through wrapping: %v", err)
		}
	}
	if IsPermanent(base) || IsPermanent(nil) || IsPermanent(fmt.Errorf("wrapped: %w", base)) {
		t.Error("plain errors must be temporary")
	}
	if (&PermanentError{}).Error() == "" || (&PermanentError{}).Unwrap() != nil {
		t.Error("zero PermanentError misbehaves")
	}
}
