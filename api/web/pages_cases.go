package web

import "github.com/gin-gonic/gin"

func (w *Web) registerCasePages(r gin.IRoutes) {}
