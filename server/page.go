package server

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"
)

// web holds the moderators' page: plain HTML, CSS and JavaScript, served
// as they are.
//
//go:embed web
var web embed.FS

const pageCSP = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

func (s *Server) pageRoutes(r *gin.Engine) {
	sub, err := fs.Sub(web, "web")
	if err != nil {
		panic(err) // the embedded tree always has web/
	}
	index, err := fs.ReadFile(sub, "index.html")
	if err != nil {
		panic(err)
	}
	assets := http.FileServer(http.FS(sub))
	r.GET("/", func(c *gin.Context) {
		c.Header("Content-Security-Policy", pageCSP)
		c.Header("Cache-Control", "no-cache")
		c.Data(http.StatusOK, "text/html; charset=utf-8", index)
	})
	for _, name := range []string{"app.js", "app.css"} {
		r.GET("/"+name, func(c *gin.Context) {
			c.Header("Cache-Control", "no-cache")
			assets.ServeHTTP(c.Writer, c.Request)
		})
	}
}
