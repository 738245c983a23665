package web

import (
	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
)

// registerHubPages registers the hub's action routes.
func (w *Web) registerHubPages(r gin.IRoutes) {}

// hubActions is what the hub's action forms on the case page need (nil: none to show).
func (w *Web) hubActions(c *gin.Context, v app.CaseView) (any, error) { return nil, nil }
