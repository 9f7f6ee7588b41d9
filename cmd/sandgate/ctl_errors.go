package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"syscall"

	"github.com/sandgate/sandgate/admin/client"
)

// explain turns an error into a message that says what to do about it.
func (c *ctl) explain(err error) string {
	var ce *client.ConnError
	var ae *client.Error
	switch {
	case errors.As(err, &ce) && errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("cannot connect to the admin API at %s: connection refused.\n"+
			"Is the gateway running, and is this its admin.listen address? Set SANDGATE_ADMIN_URL or --url.", c.url)
	case errors.As(err, &ce):
		return fmt.Sprintf("cannot reach the admin API at %s: %v\nCheck SANDGATE_ADMIN_URL or --url.", c.url, ce.Err)
	case errors.As(err, &ae) && ae.Status == 401 && c.token == "":
		return fmt.Sprintf("the admin API at %s needs a token (401): set SANDGATE_ADMIN_TOKEN or --token.", c.url)
	case errors.As(err, &ae) && ae.Status == 401:
		return fmt.Sprintf("the admin API at %s rejected the token (401): check SANDGATE_ADMIN_TOKEN or --token.", c.url)
	case errors.As(err, &ae):
		msg := ae.Message
		if msg == "" {
			msg = "no message"
		}
		msg = fmt.Sprintf("%s (%d %s)", msg, ae.Status, statusText(ae.Status))
		for _, e := range ae.Errors {
			msg += "\n  " + e
		}
		return msg
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no answer from %s within %s", c.url, callTimeout)
	}
	return err.Error()
}

func statusText(code int) string { return strings.ToLower(http.StatusText(code)) }
