package server

import (
	"bytes"
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPI is the OpenAPI 3.1 description of the HTTP API, served at
// /openapi.json. Tests check real responses against its schemas.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPI returns a copy of the OpenAPI 3.1 document that describes the
// HTTP API, as /openapi.json serves it.
func OpenAPI() []byte { return bytes.Clone(openAPI) }

func (s *Server) openapi(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", openAPI)
}
