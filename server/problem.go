package server

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

// A Problem is an error answer in the RFC 9457 problem+json form, with the
// request id that the access log records for it.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id,omitempty"`
}

// problemTypeBase prefixes the problem type slugs; they are documented in
// the OpenAPI document's Problem schema.
const problemTypeBase = "urn:medialabel:problem:"

// Problem type slugs.
const (
	probBadRequest       = "bad-request"
	probUnauthorized     = "unauthorized"
	probForbidden        = "forbidden"
	probNotFound         = "not-found"
	probMethod           = "method-not-allowed"
	probTooLarge         = "too-large"
	probImageTooLarge    = "image-too-large"
	probMediaType        = "unsupported-media-type"
	probUndecodable      = "undecodable-image"
	probOverloaded       = "overloaded"
	probNotReady         = "not-ready"
	probInternal         = "internal"
	probUnavailable      = "unavailable"
	probRequestTimeout   = "timeout"
	problemContentType   = "application/problem+json"
	retryAfterOverloaded = 1
)

// apiError is an error that already knows its HTTP answer.
type apiError struct {
	status int
	slug   string
	detail string
}

func (e *apiError) Error() string { return e.detail }

func errorf(status int, slug, detail string) *apiError {
	return &apiError{status: status, slug: slug, detail: detail}
}

func badRequest(detail string) *apiError {
	return errorf(http.StatusBadRequest, probBadRequest, detail)
}

// writeProblem answers the request with a problem+json document and stops
// the handler chain.
func writeProblem(c *gin.Context, e *apiError) {
	p := Problem{
		Type:      problemTypeBase + e.slug,
		Title:     http.StatusText(e.status),
		Status:    e.status,
		Detail:    e.detail,
		RequestID: c.GetString(ctxRequestID),
	}
	if e.status == http.StatusServiceUnavailable || e.status == http.StatusTooManyRequests {
		c.Header("Retry-After", strconv.Itoa(retryAfterOverloaded))
	}
	if e.status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="medialabel"`)
	}
	b, err := json.Marshal(p)
	if err != nil { // cannot happen: Problem holds only strings and an int
		b = []byte(`{"type":"` + problemTypeBase + probInternal + `","title":"Internal Server Error","status":500,"detail":"encoding error"}`)
	}
	c.Set(ctxProblem, e.slug)
	c.Data(e.status, problemContentType, b)
	c.Abort()
}
