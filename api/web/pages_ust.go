package web

import (
	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
)

// registerUSTPages registers the ust's action routes.
func (w *Web) registerUSTPages(r gin.IRoutes) {}

// ustActions is what the ust's action forms on the case page need (nil: none to show).
func (w *Web) ustActions(c *gin.Context, v app.CaseView) (any, error) { return nil, nil }
