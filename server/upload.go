package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// maxParts bounds the parts of one multipart body.
const maxParts = 16

// A form is a multipart body read with limits: the image (if any) as
// bytes, the text fields as valid UTF-8 strings.
type form struct {
	image    []byte
	hasImage bool
	fields   map[string]string
}

// reserveBody takes room for the request's body in the upload budget,
// waiting at most QueueWait. It answers 413 right away when the declared
// length is over the limit. The returned func gives the room back.
func (s *Server) reserveBody(c *gin.Context) (release func(), e *apiError) {
	n := c.Request.ContentLength
	if n > s.cfg.MaxBodyBytes {
		return nil, tooLarge(s.cfg.MaxBodyBytes)
	}
	if n <= 0 {
		n = s.cfg.MaxBodyBytes
	}
	start := time.Now()
	ctx, cancel := contextWithTimeout(c, s.cfg.QueueWait)
	defer cancel()
	err := s.uploads.Acquire(ctx, n)
	s.metrics.waits.WithLabelValues("upload").Observe(time.Since(start).Seconds())
	if err != nil {
		s.metrics.rejected.WithLabelValues("upload").Inc()
		return nil, errorf(http.StatusServiceUnavailable, probOverloaded, "too many uploads in progress; retry shortly")
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes)
	return func() { s.uploads.Release(n) }, nil
}

func tooLarge(limit int64) *apiError {
	return errorf(http.StatusRequestEntityTooLarge, probTooLarge, fmt.Sprintf("request body over the limit of %d bytes", limit))
}

// readForm streams a multipart/form-data body. Fields lists the text
// fields allowed and their maximum sizes in bytes; withImage allows one
// file part named "image". Nothing is written to disk.
func (s *Server) readForm(c *gin.Context, withImage bool, fields map[string]int) (*form, *apiError) {
	ct := c.GetHeader("Content-Type")
	if ct == "" {
		return nil, errorf(http.StatusUnsupportedMediaType, probMediaType, "want a multipart/form-data body")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, badRequest("Content-Type: " + err.Error())
	}
	if mt != "multipart/form-data" {
		return nil, errorf(http.StatusUnsupportedMediaType, probMediaType, fmt.Sprintf("want a multipart/form-data body, got %s", truncate(mt, 60)))
	}
	boundary := params["boundary"]
	if boundary == "" || len(boundary) > 70 {
		return nil, badRequest("multipart Content-Type without a valid boundary")
	}
	f := &form{fields: map[string]string{}}
	mr := multipart.NewReader(c.Request.Body, boundary)
	for parts := 0; ; parts++ {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, s.bodyError(err, "multipart body")
		}
		if parts >= maxParts {
			return nil, badRequest(fmt.Sprintf("more than %d parts in the multipart body", maxParts))
		}
		name := p.FormName()
		switch {
		case name == "image" && withImage:
			if f.hasImage {
				return nil, badRequest(`more than one "image" part`)
			}
			img, err := s.readImagePart(c, p)
			if err != nil {
				return nil, err
			}
			f.image, f.hasImage = img, true
		case fields[name] > 0:
			if _, dup := f.fields[name]; dup {
				return nil, badRequest(fmt.Sprintf("more than one %q field", name))
			}
			v, e := s.readTextPart(p, name, fields[name])
			if e != nil {
				return nil, e
			}
			f.fields[name] = v
		default:
			return nil, badRequest(fmt.Sprintf("unexpected field %q", truncate(name, 40)))
		}
	}
	return f, nil
}

func (s *Server) readImagePart(c *gin.Context, p *multipart.Part) ([]byte, *apiError) {
	start := time.Now()
	defer s.metrics.observe("read", start)
	size := c.Request.ContentLength
	if size <= 0 || size > s.cfg.MaxBodyBytes {
		size = 64 << 10
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	if _, err := buf.ReadFrom(io.LimitReader(p, s.cfg.MaxBodyBytes+1)); err != nil {
		return nil, s.bodyError(err, "image part")
	}
	if int64(buf.Len()) > s.cfg.MaxBodyBytes {
		return nil, tooLarge(s.cfg.MaxBodyBytes)
	}
	if buf.Len() == 0 {
		return nil, badRequest(`the "image" part is empty`)
	}
	return buf.Bytes(), nil
}

func (s *Server) readTextPart(p *multipart.Part, name string, limit int) (string, *apiError) {
	b, err := io.ReadAll(io.LimitReader(p, int64(limit)+1))
	if err != nil {
		return "", s.bodyError(err, fmt.Sprintf("field %q", name))
	}
	if len(b) > limit {
		return "", errorf(http.StatusRequestEntityTooLarge, probTooLarge, fmt.Sprintf("field %q is over the limit of %d bytes", name, limit))
	}
	if !utf8.Valid(b) {
		return "", badRequest(fmt.Sprintf("field %q is not valid UTF-8", name))
	}
	return string(b), nil
}

// bodyError classifies an error met while reading the body.
func (s *Server) bodyError(err error, what string) *apiError {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(s.cfg.MaxBodyBytes)
	}
	return badRequest(fmt.Sprintf("%s: %v", what, err))
}
