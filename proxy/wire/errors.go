package wire

import "net/http"

// Error is a refused request stream: the status to answer (0 when nothing
// can be answered, e.g. inside a body) and a short reason for the client.
type Error struct {
	Status int
	Reason string
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return "wire: " + e.Reason
	}
	return "wire: " + http.StatusText(e.Status) + ": " + e.Reason
}

func badRequest(reason string) *Error { return &Error{Status: http.StatusBadRequest, Reason: reason} }

// badBody is an error inside a body: the response to the request may be on
// its way already, so the connection is closed without another one.
func badBody(reason string) *Error { return &Error{Reason: reason} }
