package web

import (
	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
)

// registerSchoolPages registers the school's action routes.
func (w *Web) registerSchoolPages(r gin.IRoutes) {}

// schoolActions is what the school's action forms on the case page need (nil: none to show).
func (w *Web) schoolActions(c *gin.Context, v app.CaseView) (any, error) { return nil, nil }
